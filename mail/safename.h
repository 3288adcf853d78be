/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * "A name made safe" (SPEC 8), for the file names that a message, or a
 * route's captured groups, choose: the bytes are the sender's, so the
 * result can never leave its directory, hide, or show as something
 * else.  Pure string work: whether a name is taken is the caller's
 * question.
 */
#ifndef SYNCMAIL_SAFENAME_H
#define SYNCMAIL_SAFENAME_H

#include <stddef.h>
#include <stdint.h>

#define SAFENAME_MAX	255			/* bytes, as a file name */
#define SAFENAME_SIZE	(SAFENAME_MAX + 1)	/* with its NUL */

/*
 * Writes name (len bytes, any bytes, NUL included) made safe into out as
 * a C string and returns its length, 1 to SAFENAME_MAX:
 * - "/", "\", control bytes (0x00 to 0x1f, 0x7f) and each byte that does
 *   not start a valid UTF-8 sequence become "_";
 * - every leading "." becomes "_" (".." is "__");
 * - an empty name is "_";
 * - a name over 255 bytes is cut at a character's boundary, keeping its
 *   extension: what follows the last "." that is not its first byte
 *   (nor one of its leading dots).  An extension that leaves no room
 *   for the name's first character before it is cut with the rest.
 */
size_t	 safename(const uint8_t *name, size_t len, char out[SAFENAME_SIZE]);

/*
 * The name to try when the safe name name is taken, for n = 2, 3, ...:
 * NAME-n.EXT, or NAME-n when it has no extension (SPEC 8: "the next free
 * NAME-2.EXT"), NAME cut at a character's boundary so that the whole
 * fits in SAFENAME_MAX bytes (when even one character of NAME would
 * not fit beside EXT, the extension is cut with the rest instead).
 * Writes out as a C string and returns its length.
 */
size_t	 safename_numbered(const char *name, unsigned int n,
	    char out[SAFENAME_SIZE]);

#endif
