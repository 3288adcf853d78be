/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "util/match.h"

/*
 * Iterative, with one backtrack point: on a mismatch after a "*", the
 * star takes one more byte and matching goes on from there.  Only the
 * last star needs retrying (whatever an earlier star could absorb, the
 * last one can too), so a pattern of many stars costs O(n*m) steps; the
 * recursive "try every tail" it replaces took 20 s for "*a*a*a*a*a*a*a*b"
 * against 60 bytes.
 */
static int
match_glob_fold(const char *p, size_t plen, const char *s, size_t slen,
    int fold)
{
	size_t si = 0, pi = 0, star = SIZE_MAX, mark = 0;

	while (si < slen) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && (p[pi] == '?' || p[pi] == s[si] ||
		    (fold && tolower((unsigned char)p[pi]) ==
		    tolower((unsigned char)s[si])))) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else
			return 0;
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

int
match_glob(const char *p, size_t plen, const char *s, size_t slen)
{
	return match_glob_fold(p, plen, s, slen, 1);
}

/*
 * One pattern of a list, "!" stripped: 1 for a match, -1 for a negated
 * match, 0 for none.
 */
static int
match_one(const char *p, size_t plen, const char *s, size_t slen, int fold)
{
	int neg = plen > 0 && p[0] == '!';

	if (!match_glob_fold(p + neg, plen - neg, s, slen, fold))
		return 0;
	return neg ? -1 : 1;
}

int
match_words(char *const *patterns, size_t n, const char *s)
{
	size_t i, slen = strlen(s);
	int positive = 0, m;

	for (i = 0; i < n; i++) {
		if ((m = match_one(patterns[i], strlen(patterns[i]), s,
		    slen, 1)) == -1)
			return 0;
		if (m == 1)
			positive = 1;
	}
	return positive;
}

/* Every pattern is tried: a negation later in the list still rules out. */
static int
match_list_fold(const char *list, size_t len, const char *s, int fold)
{
	size_t i = 0, j, slen = strlen(s);
	int positive = 0, m;

	while (i <= len) {
		for (j = i; j < len && list[j] != ','; j++)
			;
		if ((m = match_one(list + i, j - i, s, slen, fold)) == -1)
			return 0;
		if (m == 1)
			positive = 1;
		i = j + 1;
	}
	return positive;
}

int
match_list(const char *list, size_t len, const char *s)
{
	return match_list_fold(list, len, s, 1);
}

int
match_list_exact(const char *list, size_t len, const char *s)
{
	return match_list_fold(list, len, s, 0);
}
