/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include "mail/utf8.h"

size_t
utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	/*
	 * The second byte's range is what rules out overlong forms (E0, F0),
	 * surrogates (ED) and code points over U+10FFFF (F4), as RFC 3629's
	 * table has it; C0, C1 and F5 to FF never start a sequence.
	 */
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t
utf8_cut(const uint8_t *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	/* A continuation byte at the cut means a character would split. */
	while (max > 0 && (s[max] & 0xc0) == 0x80)
		max--;
	return max;
}
