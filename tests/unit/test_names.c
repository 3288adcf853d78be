/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for maildir/names.c (which remote names we accept, how they
 * are shown, fresh unique names) and maildir/nameset.c (the hash set of
 * names).  The set is also checked against a plain array model through a
 * long deterministic run of random puts, gets and deletes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/names.h"
#include "maildir/nameset.h"
#include "tests/unit/check.h"

/* xorshift64*: the same sequence on every run. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static void
shuffle(unsigned int *a, size_t n)
{
	size_t i, j;
	unsigned int t;

	for (i = n; i > 1; i--) {
		j = rng() % i;
		t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* True if why is a reason and mentions word. */
static int
reason(const char *why, const char *word)
{
	return why != NULL && strstr(why, word) != NULL;
}

static void
test_invalid(void)
{
	char name[300], buf[64];
	unsigned int c;
	int bad;

	/* Empty: with and without a string behind it. */
	CHECK(reason(names_invalid("", 0), "empty"));
	CHECK(reason(names_invalid("abc", 0), "empty"));

	/* 255 bytes is the longest name. */
	memset(name, 'a', sizeof(name));
	CHECK(names_invalid(name, 255) == NULL);
	CHECK(reason(names_invalid(name, 256), "255"));
	CHECK(reason(names_invalid(name, 299), "255"));
	CHECK(names_invalid(name, 1) == NULL);
	memcpy(name, "1700000000.M1P2.host:2,S", 24);
	CHECK(names_invalid(name, 255) == NULL);

	/* Dot files, including . and .., but dots elsewhere are fine. */
	CHECK(reason(names_invalid(".", 1), "dot"));
	CHECK(reason(names_invalid("..", 2), "dot"));
	CHECK(reason(names_invalid(".hidden", 7), "dot"));
	CHECK(reason(names_invalid(".1700000000.M1P2.h", 18), "dot"));
	CHECK(names_invalid("a.", 2) == NULL);
	CHECK(names_invalid("a..b", 4) == NULL);
	CHECK(names_invalid("1700000000.M1P2.h", 17) == NULL);

	/* Slashes anywhere. */
	CHECK(reason(names_invalid("/", 1), "slash"));
	CHECK(reason(names_invalid("a/b", 3), "slash"));
	CHECK(reason(names_invalid("/etc", 4), "slash"));
	CHECK(reason(names_invalid("ab/", 3), "slash"));
	CHECK(reason(names_invalid("../x", 4), "dot") ||
	    reason(names_invalid("../x", 4), "slash"));
	CHECK(names_invalid("a\\b", 3) == NULL);

	/* Every control byte, at the start, in the middle and at the end. */
	bad = 0;
	for (c = 0x01; c <= 0x7f; c++) {
		if (c >= 0x20 && c != 0x7f)
			continue;
		snprintf(buf, sizeof(buf), "%cabc", c);
		if (!reason(names_invalid(buf, 4), "control"))
			bad++;
		snprintf(buf, sizeof(buf), "ab%ccd", c);
		if (!reason(names_invalid(buf, 5), "control"))
			bad++;
		snprintf(buf, sizeof(buf), "abc%c", c);
		if (!reason(names_invalid(buf, 4), "control"))
			bad++;
	}
	CHECK(bad == 0);
	CHECK(reason(names_invalid("new\nline", 8), "control"));
	CHECK(reason(names_invalid("a\rb", 3), "control"));
	CHECK(reason(names_invalid("\x1b[31mred", 8), "control"));

	/* A NUL inside the given length, or as its last byte. */
	CHECK(reason(names_invalid("ab\0cd", 5), "NUL") ||
	    reason(names_invalid("ab\0cd", 5), "control"));
	CHECK(names_invalid("abc\0", 4) != NULL);
	CHECK(names_invalid("\0abc", 4) != NULL);
	/* Only the given length counts. */
	CHECK(names_invalid("abc\ndef", 3) == NULL);

	/* Every other byte is allowed in the middle of a name. */
	bad = 0;
	for (c = 0x20; c <= 0xff; c++) {
		if (c == '/' || c == 0x7f)
			continue;
		buf[0] = 'a';
		buf[1] = (char)c;
		buf[2] = 'b';
		if (names_invalid(buf, 3) != NULL)
			bad++;
	}
	CHECK(bad == 0);

	/* Real names: info part, spaces, UTF-8. */
	CHECK(names_invalid("1700000000.M1P2.host:2,S", 24) == NULL);
	CHECK(names_invalid("1700000000.M1P2.host:2,FRS", 26) == NULL);
	CHECK(names_invalid("1700000000.M1P2.host:2,", 23) == NULL);
	CHECK(names_invalid("with some spaces", 16) == NULL);
	CHECK(names_invalid(" leading space", 14) == NULL);
	CHECK(names_invalid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7",
	    14) == NULL);
	CHECK(names_invalid("-", 1) == NULL);
	CHECK(names_invalid("~", 1) == NULL);
}

static void
test_unique_len(void)
{
	CHECK(names_unique_len("1700000000.M1P2.host:2,S") == 20);
	CHECK(names_unique_len("1700000000.M1P2.host") == 20);
	CHECK(names_unique_len(":2,S") == 0);
	CHECK(names_unique_len("") == 0);
	CHECK(names_unique_len("a:b:c") == 1);
	CHECK(names_unique_len("abc:") == 3);
	/* Only the colon ends it: commas and dots belong to the name. */
	CHECK(names_unique_len("a,b.c:2,S") == 5);
}

/* The full \xNN escaping of name, into out (big enough). */
static void
escape(const char *name, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c < 0x20 || c >= 0x7f || c == '\\') {
			*out++ = '\\';
			*out++ = 'x';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		} else
			*out++ = c;
	}
	*out = '\0';
}

/*
 * True if out is the escaping of some prefix of name, cut between whole
 * escapes, perhaps followed by "..." when the prefix is not all of it.
 */
static int
escaped_prefix(const char *name, size_t len, const char *out)
{
	char want[4 * 300 + 1];
	size_t i, n;

	for (i = 0; i <= len; i++) {
		escape(name, i, want);
		n = strlen(want);
		if (strcmp(out, want) == 0)
			return 1;
		if (i < len && strncmp(out, want, n) == 0 &&
		    strcmp(out + n, "...") == 0)
			return 1;
	}
	return 0;
}

static void
test_printable(void)
{
	char out[2048], all[256], want[1100];
	size_t i, size, full;
	unsigned int k;
	int bad, badfit, badcanary, badsafe;
	static const struct {
		const char	*name;
		size_t		 len;
	} cases[] = {
		{ "plain name:2,S", 14 },
		{ "\x1b[2J\x1b[H", 8 },
		{ "back\\slash", 10 },
		{ "nul\0inside", 10 },
		{ "caf\xc3\xa9", 5 },
		{ "\x7f\x80\xff", 3 },
		{ "tab\there\r\n", 11 },
		{ "", 0 },
	};

	names_printable("abc:2,S", 7, out, sizeof(out));
	CHECK_STR(out, "abc:2,S");
	names_printable("a\x01" "b", 3, out, sizeof(out));
	CHECK_STR(out, "a\\x01b");
	names_printable("\x1b[31mred", 8, out, sizeof(out));
	CHECK_STR(out, "\\x1b[31mred");
	names_printable("a\nb", 3, out, sizeof(out));
	CHECK_STR(out, "a\\x0ab");
	names_printable("\x7f", 1, out, sizeof(out));
	CHECK_STR(out, "\\x7f");
	names_printable("\x80\xff", 2, out, sizeof(out));
	CHECK_STR(out, "\\x80\\xff");
	names_printable("caf\xc3\xa9", 5, out, sizeof(out));
	CHECK_STR(out, "caf\\xc3\\xa9");
	/* A backslash is escaped too, so \x41 in a name cannot pass for A. */
	names_printable("\\x41", 4, out, sizeof(out));
	CHECK_STR(out, "\\x5cx41");
	/* The length rules, not the NUL. */
	names_printable("ab\0cd", 5, out, sizeof(out));
	CHECK_STR(out, "ab\\x00cd");
	names_printable("abcdef", 3, out, sizeof(out));
	CHECK_STR(out, "abc");
	names_printable("", 0, out, sizeof(out));
	CHECK_STR(out, "");
	names_printable("~ !", 3, out, sizeof(out));
	CHECK_STR(out, "~ !");

	/* All 256 bytes: only printable ASCII comes out. */
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	names_printable(all, 256, out, sizeof(out));
	escape(all, 256, want);
	CHECK_STR(out, want);
	bad = 0;
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 ||
		    (unsigned char)out[i] >= 0x7f)
			bad++;
	CHECK(bad == 0);
	CHECK(strlen(out) == 95 - 1 + 4 * (256 - 95 + 1));

	/* Small buffers: no byte written past outsize, always terminated. */
	bad = badfit = badcanary = badsafe = 0;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]) + 1; k++) {
		const char *name = k < sizeof(cases) / sizeof(cases[0]) ?
		    cases[k].name : all;
		size_t len = k < sizeof(cases) / sizeof(cases[0]) ?
		    cases[k].len : 256;

		escape(name, len, want);
		full = strlen(want);
		for (size = 0; size < full + 12; size++) {
			char *o;

			/* An exact heap block: overflow shows under ASan. */
			if ((o = malloc(size + 8)) == NULL) {
				perror("malloc");
				exit(2);
			}
			memset(o, '#', size + 8);
			names_printable(name, len, o, size);
			for (i = size; i < size + 8; i++)
				if (o[i] != '#')
					badcanary++;
			if (size == 0) {
				if (o[0] != '#')
					badcanary++;
				free(o);
				continue;
			}
			if (memchr(o, '\0', size) == NULL) {
				badcanary++;
				free(o);
				continue;
			}
			if (!escaped_prefix(name, len, o)) {
				printf("printable case %u size %zu: \"%s\"\n",
				    k, size, o);
				bad++;
			}
			/* With room to spare, the whole name is shown. */
			if (size >= full + 5 && strcmp(o, want) != 0)
				badfit++;
			for (i = 0; o[i] != '\0'; i++)
				if ((unsigned char)o[i] < 0x20 ||
				    (unsigned char)o[i] >= 0x7f)
					badsafe++;
			free(o);
		}
	}
	CHECK(badcanary == 0);
	CHECK(bad == 0);
	CHECK(badfit == 0);
	CHECK(badsafe == 0);
	/* A one-byte buffer holds the empty string. */
	out[0] = 'x';
	names_printable("abc", 3, out, 1);
	CHECK(out[0] == '\0');
}

static void
test_fresh(void)
{
	char out[512], out2[512], want[64], *small;
	struct nameset seen = { NULL, 0, 0 };
	char big[300];
	unsigned int n;
	int bad;

	CHECK(names_fresh("1700000000.M1P2.host:2,S", 1, out,
	    sizeof(out)) == 0);
	CHECK(names_invalid(out, strlen(out)) == NULL);
	CHECK(strchr(out, ':') != NULL);
	CHECK_STR(strchr(out, ':'), ":2,S");
	CHECK(out[0] >= '1' && out[0] <= '9');
	CHECK(strstr(out, ".M") != NULL);
	snprintf(want, sizeof(want), "P%ldQ1.", (long)getpid());
	CHECK(strstr(out, want) != NULL);
	/* The unique part is new: not the old one. */
	CHECK(strncmp(out, "1700000000.M1P2.host", 20) != 0 ||
	    names_unique_len(out) != 20);

	CHECK(names_fresh("1700000000.M1P2.host:2,FRS", 2, out2,
	    sizeof(out2)) == 0);
	CHECK_STR(strchr(out2, ':'), ":2,FRS");
	CHECK(names_invalid(out2, strlen(out2)) == NULL);
	snprintf(want, sizeof(want), "P%ldQ2.", (long)getpid());
	CHECK(strstr(out2, want) != NULL);
	CHECK(names_unique_len(out) != names_unique_len(out2) ||
	    memcmp(out, out2, names_unique_len(out)) != 0);

	/* No info part: none added. */
	CHECK(names_fresh("1700000000.M1P2.host", 3, out, sizeof(out)) == 0);
	CHECK(strchr(out, ':') == NULL);
	CHECK(names_invalid(out, strlen(out)) == NULL);
	/* An empty info part kept as is. */
	CHECK(names_fresh("x:2,", 4, out, sizeof(out)) == 0);
	CHECK_STR(strchr(out, ':'), ":2,");

	/* A thousand n, a thousand different unique parts, all valid. */
	bad = 0;
	for (n = 0; n < 1000; n++) {
		if (names_fresh("1.M1P1.h:2,S", n, out, sizeof(out)) != 0 ||
		    names_invalid(out, strlen(out)) != NULL ||
		    strchr(out, ':') == NULL ||
		    strcmp(strchr(out, ':'), ":2,S") != 0) {
			bad++;
			continue;
		}
		if (nameset_put(&seen, out, names_unique_len(out), NULL,
		    n) == NULL)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(seen.count == 1000);
	nameset_free(&seen);
	/* Even the largest n. */
	CHECK(names_fresh("a:2,S", 0xffffffffu, out, sizeof(out)) == 0);
	CHECK(strstr(out, "Q4294967295.") != NULL);
	CHECK(names_invalid(out, strlen(out)) == NULL);

	/* Too long for the buffer, or for a name: -1, nothing overrun. */
	if ((small = malloc(16)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(small, '#', 16);
	CHECK(names_fresh("1.M1P1.h:2,S", 1, small, 10) == -1);
	CHECK(memchr(small, '\0', 10) != NULL);
	CHECK(small[10] == '#' && small[15] == '#');
	free(small);
	CHECK(names_fresh("1.M1P1.h:2,S", 1, out, 1) == -1);
	memset(big, 'S', sizeof(big));
	memcpy(big, "1.M1P1.h:2,", 11);
	big[sizeof(big) - 1] = '\0';
	CHECK(names_fresh(big, 1, out, sizeof(out)) == -1);
	/* An info part that leaves room stays whole. */
	big[100] = '\0';
	CHECK(names_fresh(big, 1, out, sizeof(out)) == 0);
	CHECK_STR(strchr(out, ':'), big + 8);
	CHECK(strlen(out) <= 255);
}

static void
test_set_basic(void)
{
	struct nameset s = { NULL, 0, 0 };
	struct nameset_entry *e;
	char val[16];
	size_t pos;

	/* An empty set. */
	CHECK(nameset_get(&s, "a", 1) == NULL);
	nameset_del(&s, "a", 1);
	pos = 0;
	CHECK(nameset_next(&s, &pos) == NULL);
	nameset_free(&s);
	CHECK(s.count == 0);

	/* Value is copied: changing the caller's string changes nothing. */
	strlcpy(val, "first", sizeof(val));
	e = nameset_put(&s, "a", 1, val, 7);
	CHECK(e != NULL);
	CHECK(e != NULL && e->value != val);
	strlcpy(val, "XXXXX", sizeof(val));
	e = nameset_get(&s, "a", 1);
	CHECK(e != NULL && e->num == 7);
	CHECK_STR(e != NULL ? e->value : NULL, "first");
	CHECK_STR(e != NULL ? e->key : NULL, "a");
	CHECK(s.count == 1);

	/* Replacing: same key, new value and num, count unchanged. */
	e = nameset_put(&s, "a", 1, "second", 8);
	CHECK(e != NULL && e->num == 8);
	CHECK(s.count == 1);
	e = nameset_get(&s, "a", 1);
	CHECK_STR(e != NULL ? e->value : NULL, "second");
	e = nameset_put(&s, "a", 1, NULL, 9);
	CHECK(e != NULL && e->value == NULL && e->num == 9);
	e = nameset_put(&s, "a", 1, "third", UINT64_MAX);
	e = nameset_get(&s, "a", 1);
	CHECK(e != NULL && e->num == UINT64_MAX);
	CHECK_STR(e != NULL ? e->value : NULL, "third");
	/* Replacing with its own value. */
	e = nameset_put(&s, "a", 1, e->value, 10);
	CHECK_STR(e != NULL ? e->value : NULL, "third");
	CHECK(s.count == 1);

	/* Keys are exactly keylen bytes: prefixes are other keys. */
	CHECK(nameset_put(&s, "abc:2,S", 3, "v", 1) != NULL);
	CHECK(s.count == 2);
	CHECK(nameset_get(&s, "abc", 3) != NULL);
	CHECK(nameset_get(&s, "abc:2,S", 3) != NULL);
	CHECK(nameset_get(&s, "abc:2,S", 7) == NULL);
	CHECK(nameset_get(&s, "ab", 2) == NULL);
	CHECK(nameset_get(&s, "abcd", 4) == NULL);
	e = nameset_get(&s, "abc", 3);
	CHECK_STR(e != NULL ? e->key : NULL, "abc");
	/* The empty key is a key like any other. */
	CHECK(nameset_get(&s, "", 0) == NULL);
	CHECK(nameset_put(&s, "", 0, "empty", 3) != NULL);
	CHECK(nameset_get(&s, "", 0) != NULL);
	CHECK(s.count == 3);

	/* Deleting: gone, others stay, twice is harmless. */
	nameset_del(&s, "a", 1);
	CHECK(nameset_get(&s, "a", 1) == NULL);
	CHECK(s.count == 2);
	nameset_del(&s, "a", 1);
	CHECK(s.count == 2);
	nameset_del(&s, "zzz", 3);
	CHECK(s.count == 2);
	CHECK(nameset_get(&s, "abc", 3) != NULL);
	CHECK(nameset_get(&s, "", 0) != NULL);
	/* And back again. */
	CHECK(nameset_put(&s, "a", 1, "again", 11) != NULL);
	e = nameset_get(&s, "a", 1);
	CHECK(e != NULL && e->num == 11);
	CHECK(s.count == 3);

	nameset_free(&s);
	CHECK(s.count == 0 && s.slots == NULL && s.cap == 0);
	CHECK(nameset_get(&s, "a", 1) == NULL);
	/* Usable again after free. */
	CHECK(nameset_put(&s, "b", 1, NULL, 1) != NULL);
	CHECK(nameset_get(&s, "b", 1) != NULL);
	nameset_free(&s);
	nameset_free(&s);
}

#define MANY	20000

static void
key_of(unsigned int i, char *buf, size_t size)
{
	snprintf(buf, size, "%u.M%uP%u.host:2,S", 1700000000 + i, i * 7, i);
}

static void
test_set_many(void)
{
	struct nameset s = { NULL, 0, 0 };
	struct nameset_entry *e;
	static unsigned int order[MANY];
	static unsigned char gone[MANY], visits[MANY];
	char key[64], val[64];
	size_t pos, ulen;
	unsigned int i, k, visited;
	int bad, badval, badmiss, badfound, badvisit;

	bad = 0;
	for (i = 0; i < MANY; i++) {
		key_of(i, key, sizeof(key));
		snprintf(val, sizeof(val), "tmp/%u", i);
		ulen = names_unique_len(key);
		if (nameset_put(&s, key, ulen, val, i) == NULL)
			bad++;
		if (s.count != i + 1)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(s.count == MANY);
	/* Power-of-two capacity, under half full. */
	CHECK(s.cap >= 2 * s.count && (s.cap & (s.cap - 1)) == 0);

	badval = badmiss = 0;
	for (i = 0; i < MANY; i++) {
		key_of(i, key, sizeof(key));
		e = nameset_get(&s, key, names_unique_len(key));
		snprintf(val, sizeof(val), "tmp/%u", i);
		if (e == NULL)
			badmiss++;
		else if (e->num != i || e->value == NULL ||
		    strcmp(e->value, val) != 0)
			badval++;
	}
	CHECK(badmiss == 0);
	CHECK(badval == 0);
	/* Keys never put are not found: near misses and whole names. */
	badfound = 0;
	for (i = 0; i < 2000; i++) {
		key_of(MANY + i, key, sizeof(key));
		if (nameset_get(&s, key, names_unique_len(key)) != NULL)
			badfound++;
		key_of(i, key, sizeof(key));
		if (nameset_get(&s, key, strlen(key)) != NULL)
			badfound++;
		if (nameset_get(&s, key, names_unique_len(key) - 1) != NULL)
			badfound++;
	}
	CHECK(badfound == 0);

	/* Replace every tenth value: count stays, new values are seen. */
	bad = 0;
	for (i = 0; i < MANY; i += 10) {
		key_of(i, key, sizeof(key));
		if (nameset_put(&s, key, names_unique_len(key), "new",
		    i + 1) == NULL)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(s.count == MANY);
	bad = 0;
	for (i = 0; i < MANY; i++) {
		key_of(i, key, sizeof(key));
		e = nameset_get(&s, key, names_unique_len(key));
		if (e == NULL || e->num != (i % 10 == 0 ? i + 1 : i))
			bad++;
		else if (i % 10 == 0 && strcmp(e->value, "new") != 0)
			bad++;
	}
	CHECK(bad == 0);

	/* Iteration visits every key exactly once. */
	memset(visits, 0, sizeof(visits));
	visited = 0;
	badvisit = 0;
	pos = 0;
	while ((e = nameset_next(&s, &pos)) != NULL) {
		unsigned long t;

		visited++;
		t = strtoul(e->key, NULL, 10) - 1700000000UL;
		if (t >= MANY)
			badvisit++;
		else
			visits[t]++;
	}
	CHECK(visited == MANY);
	for (i = 0; i < MANY; i++)
		if (visits[i] != 1)
			badvisit++;
	CHECK(badvisit == 0);
	/* At the end it stays at the end. */
	CHECK(nameset_next(&s, &pos) == NULL);

	/* Delete three quarters in random order; the rest stay findable. */
	for (i = 0; i < MANY; i++)
		order[i] = i;
	shuffle(order, MANY);
	memset(gone, 0, sizeof(gone));
	bad = badmiss = badfound = 0;
	for (k = 0; k < MANY * 3 / 4; k++) {
		i = order[k];
		key_of(i, key, sizeof(key));
		nameset_del(&s, key, names_unique_len(key));
		gone[i] = 1;
		if (nameset_get(&s, key, names_unique_len(key)) != NULL)
			badfound++;
		if (s.count != MANY - k - 1)
			bad++;
		/* Now and then, look for every key. */
		if (k % 1500 == 0 || k + 1 == MANY * 3 / 4) {
			for (i = 0; i < MANY; i++) {
				key_of(i, key, sizeof(key));
				e = nameset_get(&s, key,
				    names_unique_len(key));
				if (gone[i] && e != NULL)
					badfound++;
				if (!gone[i] && (e == NULL ||
				    e->num != (i % 10 == 0 ? i + 1 : i)))
					badmiss++;
			}
		}
	}
	CHECK(bad == 0);
	CHECK(badmiss == 0);
	CHECK(badfound == 0);
	CHECK(s.count == MANY - MANY * 3 / 4);

	/* Iteration after deletes: exactly the survivors. */
	memset(visits, 0, sizeof(visits));
	visited = 0;
	badvisit = 0;
	pos = 0;
	while ((e = nameset_next(&s, &pos)) != NULL) {
		unsigned long t = strtoul(e->key, NULL, 10) - 1700000000UL;

		visited++;
		if (t >= MANY || gone[t])
			badvisit++;
		else
			visits[t]++;
	}
	CHECK(visited == s.count);
	for (i = 0; i < MANY; i++)
		if (!gone[i] && visits[i] != 1)
			badvisit++;
	CHECK(badvisit == 0);

	/* Delete the rest; the set is empty and still usable. */
	for (k = MANY * 3 / 4; k < MANY; k++) {
		key_of(order[k], key, sizeof(key));
		nameset_del(&s, key, names_unique_len(key));
	}
	CHECK(s.count == 0);
	pos = 0;
	CHECK(nameset_next(&s, &pos) == NULL);
	key_of(5, key, sizeof(key));
	CHECK(nameset_get(&s, key, names_unique_len(key)) == NULL);
	CHECK(nameset_put(&s, key, names_unique_len(key), "x", 5) != NULL);
	CHECK(nameset_get(&s, key, names_unique_len(key)) != NULL);
	CHECK(s.count == 1);
	nameset_free(&s);
}

/* The set's hash, only to build colliding keys below. */
static size_t
fnv(const char *key, size_t len)
{
	return (size_t)names_hash(key, len);
}

/*
 * Long probe clusters in the first 64-slot table, one of them wrapping
 * past the last slot to the first: deletions from their middle must not
 * hide the keys behind.  If the hash ever changes the clusters get
 * shorter, and the checks still hold.
 */
static void
test_set_clusters(void)
{
	struct nameset s = { NULL, 0, 0 };
	static const size_t homes[] = { 5, 6, 62, 63 };
	char keys[31][16];
	unsigned int order[31], i, k, round, nk = 0;
	unsigned char gone[31];
	int bad = 0, setup = 0;
	size_t pos;

	for (i = 0; nk < 31 && i < 1000000; i++) {
		char key[16];
		size_t h;

		snprintf(key, sizeof(key), "c%u", i);
		h = fnv(key, strlen(key)) & 63;
		for (k = 0; k < 4; k++)
			if (h == homes[k] && (k < 2 ? nk < 16 : nk >= 16))
				break;
		if (k < 4)
			strlcpy(keys[nk++], key, sizeof(keys[0]));
	}
	CHECK(nk == 31);

	for (round = 0; round < 50; round++) {
		for (i = 0; i < nk; i++)
			if (nameset_put(&s, keys[i], strlen(keys[i]), NULL,
			    i) == NULL)
				setup++;
		/* 31 keys still fit the first table: clusters stay long. */
		if (round == 0 && s.cap != 64)
			setup++;
		for (i = 0; i < nk; i++)
			order[i] = i;
		shuffle(order, nk);
		memset(gone, 0, sizeof(gone));
		for (k = 0; k < nk; k++) {
			struct nameset_entry *e;

			nameset_del(&s, keys[order[k]],
			    strlen(keys[order[k]]));
			gone[order[k]] = 1;
			for (i = 0; i < nk; i++) {
				e = nameset_get(&s, keys[i], strlen(keys[i]));
				if (gone[i] ? e != NULL :
				    e == NULL || e->num != i)
					bad++;
			}
			if (s.count != nk - k - 1)
				bad++;
		}
		pos = 0;
		if (nameset_next(&s, &pos) != NULL)
			bad++;
	}
	CHECK(setup == 0);
	CHECK(bad == 0);
	nameset_free(&s);
}

/*
 * Random puts, replaces, gets and deletes over a small key space, checked
 * against an array after every step and in full now and then.
 */
#define MODEL_KEYS	3000

static void
test_set_model(void)
{
	struct nameset s = { NULL, 0, 0 };
	struct nameset_entry *e;
	static int present[MODEL_KEYS];
	static uint64_t num[MODEL_KEYS];
	static unsigned char visits[MODEL_KEYS];
	char key[32], val[32];
	size_t count = 0, pos;
	unsigned long step, steps;
	unsigned int i, visited;
	int bad = 0, badfull = 0, oom = 0;

	steps = getenv("SYNCMAIL_QUICK") != NULL ? 30000 : 200000;
	for (step = 0; step < steps; step++) {
		uint32_t op = rng() % 10;

		/* Few keys early, so the set grows while it also shrinks. */
		i = rng() % (step < steps / 4 ? MODEL_KEYS / 4 : MODEL_KEYS);
		snprintf(key, sizeof(key), "k%u", i);
		if (op < 5) {
			snprintf(val, sizeof(val), "v%lu", step);
			if (nameset_put(&s, key, strlen(key),
			    op == 0 ? NULL : val, step) == NULL) {
				oom++;
				continue;
			}
			if (!present[i])
				count++;
			present[i] = 1;
			num[i] = step;
		} else if (op < 8) {
			nameset_del(&s, key, strlen(key));
			if (present[i])
				count--;
			present[i] = 0;
		}
		e = nameset_get(&s, key, strlen(key));
		if (present[i] ? e == NULL || e->num != num[i] : e != NULL)
			bad++;
		if (s.count != count)
			bad++;
		if (step % 20000 != 19999)
			continue;
		for (i = 0; i < MODEL_KEYS; i++) {
			snprintf(key, sizeof(key), "k%u", i);
			e = nameset_get(&s, key, strlen(key));
			if (present[i] ? e == NULL || e->num != num[i] :
			    e != NULL)
				badfull++;
		}
		memset(visits, 0, sizeof(visits));
		visited = 0;
		pos = 0;
		while ((e = nameset_next(&s, &pos)) != NULL) {
			unsigned long t = strtoul(e->key + 1, NULL, 10);

			visited++;
			if (t >= MODEL_KEYS || !present[t] ||
			    visits[t]++ != 0 || e->num != num[t])
				badfull++;
		}
		if (visited != count)
			badfull++;
	}
	CHECK(oom == 0);
	CHECK(bad == 0);
	CHECK(badfull == 0);
	nameset_free(&s);
}

int
main(void)
{
	test_invalid();
	test_unique_len();
	test_printable();
	test_fresh();
	test_set_basic();
	test_set_many();
	test_set_clusters();
	test_set_model();
	return check_done();
}
