/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <stdio.h>
#include <string.h>

#include "mail/safename.h"
#include "mail/utf8.h"

/*
 * Writes the n bytes of s with the unsafe ones made "_" into out, whole
 * characters only, while they fit in max bytes; returns the length
 * written.  A byte maps to a byte and a valid sequence to itself, so
 * the whole of s takes exactly n bytes.
 */
static size_t
clean(const uint8_t *s, size_t n, char *out, size_t max)
{
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = utf8_seq(s + i, n - i);
		if (k == 0 || s[i] < 0x20 || s[i] == 0x7f || s[i] == '/' ||
		    s[i] == '\\')
			k = 0;
		if (o + (k ? k : 1) > max)
			break;
		if (k == 0)
			out[o++] = '_';
		else {
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k ? k : 1;
	}
	return o;
}

size_t
safename(const uint8_t *name, size_t len, char out[SAFENAME_SIZE])
{
	size_t lead = 0, dot = 0, ext = 0, o = 0, i;

	while (lead < len && name[lead] == '.')
		lead++;
	/* The extension's dot: never one of the leading dots. */
	if (len > SAFENAME_MAX)
		for (i = len; i > lead; i--)
			if (name[i - 1] == '.') {
				dot = i - 1;
				ext = len - dot;
				break;
			}
	if (ext > 0 && ext < SAFENAME_MAX)
		o = clean(name, dot, out, SAFENAME_MAX - ext);
	if (o == 0) {
		ext = 0;
		o = clean(name, len, out, SAFENAME_MAX);
	}
	/*
	 * The leading dots are the name's, not the cut's: a stem cut to
	 * dots alone must not take the extension's dot with them.
	 */
	for (i = 0; i < lead && i < o; i++)
		out[i] = '_';
	if (ext > 0)
		o += clean(name + dot, ext, out + o, ext);
	if (o == 0)
		out[o++] = '_';
	out[o] = '\0';
	return o;
}

size_t
safename_numbered(const char *name, unsigned int n, char out[SAFENAME_SIZE])
{
	const uint8_t *s = (const uint8_t *)name;
	const char *ext;
	char suffix[16];
	size_t len = strlen(name), slen, elen, stem = 0;

	slen = (size_t)snprintf(suffix, sizeof(suffix), "-%u", n);
	/* The last dot that is not the first byte (a safe name has no
	   leading dot, but the caller's name need not be one). */
	ext = strrchr(name, '.');
	if (ext == name)
		ext = NULL;
	elen = ext != NULL ? len - (size_t)(ext - name) : 0;
	if (ext != NULL && elen + slen < SAFENAME_MAX)
		stem = utf8_cut(s, len - elen, SAFENAME_MAX - slen - elen);
	if (stem == 0) {
		ext = "";
		elen = 0;
		stem = utf8_cut(s, len, SAFENAME_MAX - slen);
	}
	memcpy(out, name, stem);
	memcpy(out + stem, suffix, slen);
	memcpy(out + stem + slen, ext, elen);
	out[stem + slen + elen] = '\0';
	return stem + slen + elen;
}
