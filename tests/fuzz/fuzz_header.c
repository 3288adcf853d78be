/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Fuzz target for mail/header.c and mail/safename.c: any bytes, as a
 * message a sender wrote.  Every field is read and its value decoded
 * into a large buffer and a small one; each value must be valid UTF-8
 * without NUL within its buffer, the small one a prefix of the large
 * one, and its name, value and raw field made safe must follow SPEC 8's
 * rules.  The UTF-8 check here decodes code points, independently of
 * mail/utf8.c's table.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header.h"
#include "mail/safename.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether the n bytes of s are valid UTF-8 (RFC 3629) without NUL. */
static int
valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			k = 2;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			k = 3;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			k = 4;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (i + k > n)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k;
	}
	return 1;
}

/* SPEC 8's rules for a name made safe, checked on out made from in. */
static void
check_safe(const uint8_t *in, size_t len, const char *out, size_t olen)
{
	size_t i, lead = 0, dot = 0, ext;

	if (olen == 0 || olen > SAFENAME_MAX || strlen(out) != olen ||
	    out[0] == '.' || !valid_utf8((const uint8_t *)out, olen))
		abort();
	for (i = 0; i < olen; i++)
		if (out[i] == '/' || out[i] == '\\' ||
		    (unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	/* Short names keep their length, each byte itself or "_". */
	if (len > 0 && len <= SAFENAME_MAX) {
		if (olen != len)
			abort();
		for (i = 0; i < len; i++)
			if (out[i] != (char)in[i] && out[i] != '_')
				abort();
		return;
	}
	/* Long ones keep their extension, when it can be kept. */
	while (lead < len && in[lead] == '.')
		lead++;
	for (i = len; i > lead; i--)
		if (in[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	ext = len - dot;
	/* At least 4 bytes are left before it: a character always fits. */
	if (dot == 0 || ext >= SAFENAME_MAX - 4)
		return;
	if (olen < ext || out[olen - ext] != '.')
		abort();
	for (i = 1; i < ext; i++)
		if (out[olen - ext + i] != (char)in[dot + i] &&
		    out[olen - ext + i] != '_')
			abort();
}

static void
check_names(const uint8_t *in, size_t len, unsigned int n)
{
	char out[SAFENAME_SIZE], next[SAFENAME_SIZE];
	size_t olen, nlen;

	olen = safename(in, len, out);
	check_safe(in, len, out, olen);
	nlen = safename_numbered(out, n, next);
	if (nlen == 0 || nlen > SAFENAME_MAX || strlen(next) != nlen ||
	    next[0] == '.' || !valid_utf8((const uint8_t *)next, nlen))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char big[HEADER_VALUE_SIZE];
	char small[64];
	struct header h;
	struct header_field f;
	struct error err;
	uint8_t *msg;
	size_t blen, slen, ssize = 1 + len % sizeof(small);
	int bcut, scut, subjects = 0;

	/* Exactly len bytes, so a read past the end is ASan's. */
	if ((msg = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(msg, data, len);
	memset(&err, 0, sizeof(err));
	if (header_find(msg, len, &h, &err) == -1) {
		if (err.msg[0] == '\0' || len <= HEADER_MAX)
			abort();
		free(msg);
		return 0;
	}
	if (h.len > len || h.body > len || h.len > h.body ||
	    h.len > HEADER_MAX)
		abort();
	while (header_next(&h, &f)) {
		if (f.namelen == 0 || f.name < msg || f.raw < f.name ||
		    f.raw + f.rawlen > msg + h.len ||
		    memchr(f.name, ':', f.namelen) != NULL ||
		    header_is(&f, ""))
			abort();
		/* The name, lowered, names the field. */
		if (f.namelen < sizeof(small)) {
			for (slen = 0; slen < f.namelen; slen++)
				small[slen] = (char)(f.name[slen] >= 'A' &&
				    f.name[slen] <= 'Z' ? f.name[slen] + 32 :
				    f.name[slen]);
			small[slen] = '\0';
			if (!header_is(&f, small))
				abort();
		}
		bcut = header_value(&f, big, sizeof(big));
		blen = strlen(big);
		scut = header_value(&f, small, ssize);
		slen = strlen(small);
		if (blen >= sizeof(big) || slen >= ssize ||
		    !valid_utf8((uint8_t *)big, blen) ||
		    !valid_utf8((uint8_t *)small, slen) ||
		    slen > blen || memcmp(small, big, slen) != 0 ||
		    (!scut && (bcut || slen != blen)))
			abort();
		check_names(f.name, f.namelen, 2 + (unsigned int)blen);
		check_names((uint8_t *)big, blen, 10 + (unsigned int)slen);
		check_names(f.raw, f.rawlen, (unsigned int)len);
		if (header_is(&f, "subject"))
			subjects++;
	}
	/* header_next_value finds the same fields, with the same values. */
	header_find(msg, len, &h, &err);
	while (header_next_value(&h, "Subject", big, sizeof(big)))
		if (subjects-- == 0 || !valid_utf8((uint8_t *)big, strlen(big)))
			abort();
	if (subjects != 0 || big[0] != '\0')
		abort();
	check_names(msg, len, 2);
	free(msg);
	return 0;
}
