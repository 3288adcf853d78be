/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for util/match.c: "*" and "?" globs ignoring ASCII case,
 * negated lists (Host lines and known_hosts' comma lists), and the
 * patterns that took exponential time before: many stars against a long
 * name that almost matches must take milliseconds.
 */
#include <string.h>
#include <time.h>

#include "util/match.h"
#include "check.h"

#define G(p, s)	match_glob((p), strlen(p), (s), strlen(s))
#define L(l, s)	match_list((l), strlen(l), (s))
#define E(l, s)	match_list_exact((l), strlen(l), (s))

/* CPU seconds that n matches of pattern against s take. */
static double
cpu_seconds(const char *pattern, const char *s, int n, int *matched)
{
	clock_t start = clock();
	int i;

	*matched = 0;
	for (i = 0; i < n; i++)
		*matched |= G(pattern, s);
	return (double)(clock() - start) / CLOCKS_PER_SEC;
}

int
main(void)
{
	char *words[] = { "*.example.org", "!bad.example.org" };
	char *neg_only[] = { "!bad" };
	char name[61], worst[2048];
	double secs;
	int matched;
	size_t i;

	CHECK(G("", ""));
	CHECK(!G("", "a"));
	CHECK(G("*", ""));
	CHECK(G("*", "anything"));
	CHECK(G("a*b*c", "aXXbYYc"));
	CHECK(!G("a*b*c", "aXXbYY"));
	CHECK(G("a*b*c", "abcbc"));
	CHECK(G("m?il", "mail"));
	CHECK(!G("m?il", "mil"));
	CHECK(G("MAIL.Example.ORG", "mail.example.org"));
	CHECK(G("**x", "x"));
	CHECK(G("*x*", "axb"));
	CHECK(!G("*x*", "ab"));
	CHECK(G("?*", "a"));
	CHECK(!G("?*", ""));
	/* Only plen bytes of the pattern count: known_hosts fields. */
	CHECK(match_glob("mail,other", 4, "mail", 4));
	CHECK(!match_glob("mail,other", 4, "mailx", 5));

	CHECK(match_words(words, 2, "a.example.org"));
	CHECK(!match_words(words, 2, "bad.example.org"));
	CHECK(!match_words(words, 2, "example.org"));
	CHECK(!match_words(neg_only, 1, "good"));	/* no positive match */
	CHECK(!match_words(neg_only, 1, "bad"));

	CHECK(L("mail,[mail]:2222", "mail"));
	CHECK(L("mail,[mail]:2222", "[mail]:2222"));
	CHECK(!L("mail,[mail]:2222", "[mail]:22"));
	CHECK(L("*.example.org,!bad.example.org", "a.example.org"));
	CHECK(!L("*.example.org,!bad.example.org", "bad.example.org"));
	CHECK(!L("!bad.example.org,*.example.org", "bad.example.org"));
	CHECK(!L("", "mail"));

	/*
	 * The pathological cases: a 60-byte name of 'a's (no 'b'), against
	 * the patterns that took 20 s and over 11 minutes when every star
	 * tried every tail.  A thousand matches must take well under a
	 * second of CPU time.
	 */
	memset(name, 'a', 60);
	name[60] = '\0';
	secs = cpu_seconds("*a*a*a*a*a*a*a*b", name, 1000, &matched);
	CHECK(!matched);
	CHECK(secs < 0.5);
	secs = cpu_seconds("*a*a*a*a*a*a*a*a*a*a*b", name, 1000, &matched);
	CHECK(!matched);
	CHECK(secs < 0.5);
	printf("1000 matches of *a*a*a*a*a*a*a*a*a*a*b: %.3f s CPU\n", secs);
	/* User names keep their case (ssh's Match user), else as L. */
	CHECK(E("alice,bob", "bob"));
	CHECK(!E("alice,bob", "Bob"));
	CHECK(E("a*,!admin", "alice"));
	CHECK(!E("a*,!admin", "admin"));
	CHECK(E("A?ICE", "ALICE") && !E("A?ICE", "alice"));

	/* A pattern of 1000 stars and a's against the same name. */
	for (i = 0; i + 2 < sizeof(worst) && i < 2000; i += 2) {
		worst[i] = '*';
		worst[i + 1] = 'a';
	}
	worst[i] = 'b';
	worst[i + 1] = '\0';
	secs = cpu_seconds(worst, name, 10, &matched);
	CHECK(!matched);
	CHECK(secs < 0.5);
	/* And a match at the very end still found. */
	name[59] = 'b';
	CHECK(G("*a*a*a*a*a*a*a*a*a*a*b", name));
	return check_done();
}
