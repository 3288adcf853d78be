/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A message's header section, read to route it (SPEC 8, Routes): the
 * fields in order, each value unfolded (RFC 5322: a line end followed by
 * white space is removed), trimmed of leading and trailing white space,
 * and its RFC 2047 encoded words decoded to UTF-8.  No I/O, no
 * allocation beyond iconv's own (opened and closed within one call), no
 * global state: the message is a byte buffer, the values go to buffers
 * the caller gives.
 *
 * The bytes come from anyone who can send mail, so nothing here trusts
 * them:
 * - Lines end in LF or CR LF; the header section ends at the first empty
 *   line, or with the message when there is none.  It is read up to
 *   HEADER_MAX bytes; a larger one is an error the caller reports
 *   (SPEC 8: such a message goes to the pull's default DEST, with a
 *   warning).
 * - A line that is not a field (no colon, a name with a byte other than
 *   printable ASCII, a continuation line with no field before it) is
 *   skipped with its continuation lines, never fatal.  White space
 *   between the name and the colon (RFC 5322's obsolete syntax) is
 *   allowed.
 * - A value is always valid UTF-8 without NUL: a byte that does not
 *   start a valid UTF-8 sequence, and NUL, become U+FFFD (not Latin-1:
 *   raw 8-bit values in the wild are mostly UTF-8, and a wrong guess of
 *   Latin-1 would turn each of its bytes into a plausible letter that a
 *   route could match; U+FFFD never does by accident).
 * - Encoded words =?charset?B?...?= and =?charset?Q?...?= (Q: "_" is a
 *   space, =XX a byte) are decoded anywhere in a value, the charset named
 *   in any case, with an RFC 2231 language suffix (charset*lang) ignored;
 *   UTF-8 and US-ASCII are taken as they are, other charsets converted
 *   with iconv(3).  White space between two adjacent decoded words is
 *   dropped, and adjacent words of one charset are converted together,
 *   so a character split between them (which RFC 2047 forbids, and
 *   mailers do) survives.  A malformed word, or one whose charset iconv
 *   does not know, stays as it is; a byte its charset cannot convert
 *   becomes U+FFFD.  One word decodes to at most HEADER_WORD_MAX bytes;
 *   a longer one stays as it is.
 */
#ifndef SYNCMAIL_HEADER_H
#define SYNCMAIL_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define HEADER_MAX	(1024 * 1024)	/* bytes of header section read */
/*
 * The most of a message header_find looks at: a header section of
 * HEADER_MAX bytes ended by CR LF needs both bytes after it to be told
 * from a larger one.  Given this many bytes (or the whole message), its
 * answer is the one it gives for the whole message.
 */
#define HEADER_READ	(HEADER_MAX + 2)
#define HEADER_WORD_MAX	4096		/* bytes one encoded word decodes to */
#define HEADER_VALUE_SIZE 8192		/* a value buffer for routing */

/* A header section in the caller's buffer; it owns nothing. */
struct header {
	const uint8_t	*msg;	/* the message's first byte */
	size_t		 len;	/* the header section's length: the bytes
				   before the empty line, or the message */
	size_t		 body;	/* where the body starts (after the empty
				   line), or the message's length */
	size_t		 pos;	/* where header_next reads on */
};

/* One field, pointing into the message. */
struct header_field {
	const uint8_t	*name;	/* its name, as written */
	size_t		 namelen;
	const uint8_t	*raw;	/* what follows the colon, folded, up to the
				   last line's end (excluded) */
	size_t		 rawlen;
};

/*
 * Finds the header section of the message msg (len bytes; it may hold
 * any bytes, NUL included) and sets h to iterate its fields.  The
 * message must outlive h.  Returns 0, or -1 with err set (ERR_MAILBOX)
 * when the header section is over HEADER_MAX bytes.
 */
int	 header_find(const uint8_t *msg, size_t len, struct header *h,
	    struct error *err);

/* The next field into *f: 1, or 0 when there is no more. */
int	 header_next(struct header *h, struct header_field *f);

/* Whether f's name is name, ASCII case ignored.  1 or 0. */
int	 header_is(const struct header_field *f, const char *name);

/*
 * Writes f's value, unfolded, trimmed and decoded, into buf (size
 * bytes, at least 1) as a C string of valid UTF-8.  Returns 0, or 1 when
 * the value was longer than size - 1 bytes and was cut there, at a
 * character's boundary.
 */
int	 header_value(const struct header_field *f, char *buf, size_t size);

/*
 * The value of the next field named name (any case) after h's position,
 * as header_value writes it.  Returns 1, or 0 when no field of that name
 * is left (buf is then the empty string).  For each occurrence in turn:
 * while (header_next_value(&h, "List-Id", buf, sizeof(buf))) ...
 */
int	 header_next_value(struct header *h, const char *name, char *buf,
	    size_t size);

#endif
