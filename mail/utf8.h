/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * UTF-8 as RFC 3629 defines it, for what a message says: header values
 * decoded for routing and names made safe.  The bytes come from a server
 * and a sender we do not trust, so every sequence is checked whole.
 */
#ifndef SYNCMAIL_UTF8_H
#define SYNCMAIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence that starts at s (of the n bytes
 * there), 1 to 4; 0 when s does not start one: a stray continuation
 * byte, an overlong form, a surrogate, a code point over U+10FFFF or a
 * sequence cut short by n.  NUL is a valid one-byte sequence here.
 */
size_t	 utf8_seq(const uint8_t *s, size_t n);

/*
 * The largest length up to max at which the valid UTF-8 string s (len
 * bytes) can be cut without splitting a character.
 */
size_t	 utf8_cut(const uint8_t *s, size_t len, size_t max);

#endif
