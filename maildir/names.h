/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Message file names (SPEC 4.3): which remote names we accept, and the
 * unique part that identifies a message across new/ and cur/.
 */
#ifndef SYNCMAIL_NAMES_H
#define SYNCMAIL_NAMES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns NULL when name (of namelen bytes, which may hold a NUL) is a
 * name we may deliver under, else a short reason: empty, starts with a
 * dot, contains a slash, a control byte or NUL, over 255 bytes.
 */
const char *names_invalid(const char *name, size_t namelen);

/*
 * FNV-1a of len bytes of name, for hash tables of names.  Not keyed: a
 * hostile server may choose names that collide, which costs time or
 * memory in bounded amounts, never a wrong answer (the users compare
 * the names themselves).
 */
uint64_t names_hash(const char *name, size_t len);

/* Length of the unique part: the bytes before the first ':'. */
size_t	 names_unique_len(const char *name);

/*
 * Writes name into out (size outsize) with control bytes and bytes over
 * 0x7e shown as \xNN, so a hostile name cannot forge terminal output.
 */
void	 names_printable(const char *name, size_t namelen, char *out,
	    size_t outsize);

/*
 * Makes a fresh unique Maildir name "TIME.MusecPpidQn.HOST" followed by
 * the info part (":2,...") of old, if any, into out.  For a message whose
 * unique name is taken locally by other bytes.  Returns 0, -1 if too long.
 */
int	 names_fresh(const char *old, unsigned int n, char *out,
	    size_t outsize);

#endif
