/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for mail/header.c: where the header section ends (CR LF or
 * LF, no empty line, no body, the 1 MiB bound on either side), which
 * lines are fields, values unfolded and trimmed, every occurrence of a
 * field in any case, RFC 2047 words in B and Q, UTF-8, ISO-8859-1 and
 * unknown charsets, adjacent words, NUL and 8-bit bytes, values cut to
 * their buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header.h"
#include "check.h"

static char value[HEADER_VALUE_SIZE];

/* The value of the n-th (from 0) field named name in the C string msg. */
static const char *
nth(const char *msg, const char *name, int n)
{
	struct header h;
	struct error err;

	if (header_find((const uint8_t *)msg, strlen(msg), &h, &err) == -1)
		return "(too large)";
	do {
		if (!header_next_value(&h, name, value, sizeof(value)))
			return "(none)";
	} while (n-- > 0);
	return value;
}

#define V(msg, name)	nth((msg), (name), 0)

/* How many fields msg (len bytes) has. */
static int
count(const char *msg, size_t len)
{
	struct header h;
	struct header_field f;
	struct error err;
	int n = 0;

	if (header_find((const uint8_t *)msg, len, &h, &err) == -1)
		return -1;
	while (header_next(&h, &f))
		n++;
	return n;
}

/* A header section of a field "X: aaa..." then "\n\n", size bytes before
   the empty line, and a body. */
static char *
big_header(size_t size, size_t *len)
{
	char *m;

	if ((m = malloc(size + 16)) == NULL)
		exit(1);
	memcpy(m, "X: ", 3);
	memset(m + 3, 'a', size - 4);
	m[size - 1] = '\n';
	memcpy(m + size, "\nbody\n", 6);
	*len = size + 6;
	return m;
}

static void
test_section(void)
{
	struct header_field f;
	struct header h;
	struct error err;
	char *m;
	size_t len;

	/* CR LF, LF, and the body's start. */
	CHECK(header_find((const uint8_t *)"A: 1\r\nB: 2\r\n\r\nbody", 18, &h,
	    &err) == 0 && h.len == 12 && h.body == 14);
	CHECK(header_find((const uint8_t *)"A: 1\nB: 2\n\nbody", 15, &h,
	    &err) == 0 && h.len == 10 && h.body == 11);
	/* No empty line, no body: the whole message. */
	CHECK(header_find((const uint8_t *)"A: 1\nB: 2", 9, &h, &err) == 0 &&
	    h.len == 9 && h.body == 9);
	CHECK(header_find((const uint8_t *)"A: 1\n", 5, &h, &err) == 0 &&
	    h.len == 5);
	/* Empty input, and a message that starts with its body. */
	CHECK(header_find(NULL, 0, &h, &err) == 0 && h.len == 0 &&
	    count("", 0) == 0);
	CHECK(header_find((const uint8_t *)"\r\nA: 1\n", 7, &h, &err) == 0 &&
	    h.len == 0 && h.body == 2 && count("\r\nA: 1\n", 7) == 0);
	CHECK_STR(V("Subject: x\n\nList-Id: body\n", "List-Id"), "(none)");
	CHECK_STR(V("List-Id: <a.example.org>", "list-id"), "<a.example.org>");

	/* The bound: exactly 1 MiB passes, one byte more does not. */
	m = big_header(HEADER_MAX, &len);
	CHECK(header_find((uint8_t *)m, len, &h, &err) == 0 &&
	    h.len == HEADER_MAX && h.body == HEADER_MAX + 1);
	/* Its one field's value, cut to the buffer. */
	CHECK(header_next(&h, &f) == 1 && header_value(&f, value,
	    sizeof(value)) == 1 && strlen(value) == sizeof(value) - 1);
	free(m);
	m = big_header(HEADER_MAX - 1, &len);
	CHECK(header_find((uint8_t *)m, len, &h, &err) == 0 &&
	    h.len == HEADER_MAX - 1);
	free(m);
	/*
	 * 1 MiB ended by CR LF passes too, once HEADER_READ bytes are
	 * given: with one fewer the LF is not seen (route.c reads that many).
	 */
	m = big_header(HEADER_MAX, &len);
	m[HEADER_MAX - 2] = '\r';
	memcpy(m + HEADER_MAX, "\r\nbody\n", 7);
	CHECK(header_find((uint8_t *)m, HEADER_READ, &h, &err) == 0 &&
	    h.len == HEADER_MAX && h.body == HEADER_MAX + 2);
	CHECK(header_find((uint8_t *)m, HEADER_READ - 1, &h, &err) == -1);
	free(m);
	m = big_header(HEADER_MAX + 1, &len);
	err.msg[0] = '\0';
	CHECK(header_find((uint8_t *)m, len, &h, &err) == -1 &&
	    err.kind == ERR_MAILBOX && strstr(err.msg, "header") != NULL);
	/* The same without an empty line: 1 MiB is the header, more is not. */
	CHECK(header_find((uint8_t *)m, HEADER_MAX, &h, &err) == 0 &&
	    h.len == HEADER_MAX);
	CHECK(header_find((uint8_t *)m, HEADER_MAX + 1, &h, &err) == -1);
	/* One line over the bound with no line end at all. */
	memset(m, 'a', HEADER_MAX + 1);
	CHECK(header_find((uint8_t *)m, HEADER_MAX + 1, &h, &err) == -1);
	free(m);
}

static void
test_fields(void)
{
	const char *m;
	struct header h;
	struct header_field f;
	struct error err;

	/* Folded, with display names; trimmed; CR LF. */
	m = "From: a@example.org\r\n"
	    "List-Id: Example users\r\n"
	    "\t<users.lists.example.org>  \r\n"
	    "Subject:   spaced   out\t\r\n"
	    "\r\n";
	CHECK_STR(V(m, "List-Id"), "Example users\t<users.lists.example.org>");
	CHECK_STR(V(m, "subject"), "spaced   out");
	CHECK_STR(V(m, "SUBJECT"), "spaced   out");
	/* Folded with LF, a fold right after the colon, an empty value. */
	CHECK_STR(V("List-Id:\n <a.example.org>\n\n", "list-id"),
	    "<a.example.org>");
	CHECK_STR(V("List-Id: \"My list\"\n  <a.example.org>\n", "List-Id"),
	    "\"My list\"  <a.example.org>");
	CHECK_STR(V("X-Empty:\nY: 1\n", "x-empty"), "");
	CHECK_STR(V("X-Empty:   \n   \nY: 1\n", "x-empty"), "");

	/* Every occurrence, in order. */
	m = "Received: one\nSubject: s\nreceived: two\nRECEIVED: three\n\n";
	CHECK_STR(nth(m, "Received", 0), "one");
	CHECK_STR(nth(m, "Received", 1), "two");
	CHECK_STR(nth(m, "Received", 2), "three");
	CHECK_STR(nth(m, "Received", 3), "(none)");
	CHECK_STR(V(m, "Receive"), "(none)");
	CHECK_STR(V(m, "Receivedx"), "(none)");

	/* Lines that are not fields are skipped with what continues them. */
	m = " leading continuation\n"
	    "From ann@example.com Mon Jan  1 12:34:56 2026\n"
	    "no colon\n"
	    "Bad Name: x\n"
	    " Bad-Name: still the bad line\n"
	    "Bad\x80: y\n"
	    ": no name\n"
	    "Good : obsolete space\n"
	    "Ok: 1\n\n";
	CHECK(count(m, strlen(m)) == 2);
	CHECK_STR(V(m, "Good"), "obsolete space");
	CHECK_STR(V(m, "Bad-Name"), "(none)");
	CHECK_STR(V(m, "Ok"), "1");

	/* The name as written, the raw value folded. */
	m = "X-Test:  a\r\n b\r\n\r\n";
	CHECK(header_find((const uint8_t *)m, strlen(m), &h, &err) == 0 &&
	    header_next(&h, &f) == 1 && f.namelen == 6 &&
	    memcmp(f.name, "X-Test", 6) == 0 && f.rawlen == 7 &&
	    memcmp(f.raw, "  a\r\n b", 7) == 0 && header_is(&f, "x-TEST") &&
	    !header_is(&f, "X-Tes") && header_next(&h, &f) == 0);

	/* NUL and 8-bit bytes: valid UTF-8 kept, the rest U+FFFD. */
	CHECK(count("A: x\0y\nB\0: z\nC: 1\n\n", 19) == 2);
	CHECK(header_find((const uint8_t *)"A: x\0y\n\n", 8, &h, &err) == 0 &&
	    header_next(&h, &f) == 1 && header_value(&f, value,
	    sizeof(value)) == 0);
	CHECK_STR(value, "x\xef\xbf\xbdy");
	CHECK_STR(V("Subject: caf\xc3\xa9\n", "Subject"), "caf\xc3\xa9");
	CHECK_STR(V("Subject: caf\xe9!\n", "Subject"), "caf\xef\xbf\xbd!");
	CHECK_STR(V("Subject: \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80\n", "Subject"),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* A bare CR is not a line end. */
	CHECK_STR(V("A: x\ry\nB: 2\n", "A"), "x\ry");
}

static void
test_words(void)
{
	/* B and Q, UTF-8, the charset in any case. */
	CHECK_STR(V("Subject: =?UTF-8?B?w6l0w6k=?=\n", "Subject"),
	    "\xc3\xa9t\xc3\xa9");
	CHECK_STR(V("Subject: =?utf-8?b?w6l0w6k?=\n", "Subject"),
	    "\xc3\xa9t\xc3\xa9");
	CHECK_STR(V("Subject: =?Utf-8?Q?caf=C3=A9_cr=c3=a8me?=\n", "Subject"),
	    "caf\xc3\xa9 cr\xc3\xa8me");
	/* ISO-8859-1 through iconv, in a display name. */
	CHECK_STR(V("From: =?ISO-8859-1?Q?Andr=E9?= <a@example.de>\n", "From"),
	    "Andr\xc3\xa9 <a@example.de>");
	CHECK_STR(V("From: =?iso-8859-1?b?TfxsbGVy?=\n", "From"),
	    "M\xc3\xbcller");
	/* US-ASCII, and a language suffix (RFC 2231). */
	CHECK_STR(V("Subject: =?us-ascii*en?Q?Hello_world?=\n", "Subject"),
	    "Hello world");
	CHECK_STR(V("Subject: =?UTF-8*de-CH?B?R3LDvGV6aQ==?=\n", "Subject"),
	    "Gr\xc3\xbc" "ezi");

	/* Adjacent words: the white space between goes, folded or not. */
	CHECK_STR(V("Subject: =?utf-8?q?a?= =?utf-8?q?b?=\n", "Subject"),
	    "ab");
	CHECK_STR(V("Subject: =?utf-8?q?a?=\r\n =?iso-8859-1?q?=E9?=\r\n",
	    "Subject"), "a\xc3\xa9");
	/* A character split between two words survives. */
	CHECK_STR(V("Subject: =?utf-8?q?=E6=97?= =?utf-8?q?=A5?=\n",
	    "Subject"), "\xe6\x97\xa5");
	CHECK_STR(V("Subject: =?utf-8?B?5pel?= =?UTF-8?B?5pys?=\n",
	    "Subject"), "\xe6\x97\xa5\xe6\x9c\xac");
	/* White space next to plain text stays. */
	CHECK_STR(V("Subject: Re: =?utf-8?q?x?= y =?utf-8?q?z?=\n", "Subject"),
	    "Re: x y z");
	CHECK_STR(V("Subject: =?utf-8?q?_a_?=  b\n", "Subject"), " a   b");

	/* Unknown charsets and malformed words stay as they are. */
	CHECK_STR(V("Subject: =?x-unknown?Q?hello?=\n", "Subject"),
	    "=?x-unknown?Q?hello?=");
	CHECK_STR(V("Subject: =?x-unknown?Q?a?= =?utf-8?q?b?=\n", "Subject"),
	    "=?x-unknown?Q?a?= b");
	CHECK_STR(V("Subject: =?utf-8?Q?bad=ZZ?=\n", "Subject"),
	    "=?utf-8?Q?bad=ZZ?=");
	CHECK_STR(V("Subject: =?utf-8?X?abc?=\n", "Subject"),
	    "=?utf-8?X?abc?=");
	CHECK_STR(V("Subject: =?utf-8?B?w6l0w6k*?=\n", "Subject"),
	    "=?utf-8?B?w6l0w6k*?=");
	CHECK_STR(V("Subject: =?utf-8?B?A?=\n", "Subject"), "=?utf-8?B?A?=");
	CHECK_STR(V("Subject: =?utf-8?q?no end\n", "Subject"),
	    "=?utf-8?q?no end");
	CHECK_STR(V("Subject: =??q?x?= =?a b?q?x?=\n", "Subject"),
	    "=??q?x?= =?a b?q?x?=");
	CHECK_STR(V("Subject: =?utf/8?q?x?=\n", "Subject"), "=?utf/8?q?x?=");
	/* An empty word is a word (the space on each side of it stays:
	   plain text is there); "=" alone is text. */
	CHECK_STR(V("Subject: a =?utf-8?q?" "?= b = c\n", "Subject"),
	    "a  b = c");
	CHECK_STR(V("Subject: =?utf-8?q?a?= =?utf-8?q?" "?= =?utf-8?q?b?=\n",
	    "Subject"), "ab");
	/* Bytes a charset has no character for, and NUL, become U+FFFD. */
	CHECK_STR(V("Subject: =?utf-8?q?a=FFb=00c?=\n", "Subject"),
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
	CHECK_STR(V("Subject: =?us-ascii?q?a=E9?=\n", "Subject"),
	    "a\xef\xbf\xbd");
	CHECK_STR(V("Subject: =?iso-2022-jp?b?GyRCJCIbKEI=?=\n", "Subject"),
	    "\xe3\x81\x82");
}

static void
test_bounds(void)
{
	struct header h;
	struct header_field f;
	struct error err;
	char small[8], *m;
	size_t i;

	/* Cut at a character's boundary, never inside one. */
	m = "Subject: ab\xc3\xa9\xc3\xa9\n";
	CHECK(header_find((const uint8_t *)m, strlen(m), &h, &err) == 0 &&
	    header_next(&h, &f) == 1);
	CHECK(header_value(&f, small, 4) == 1);
	CHECK_STR(small, "ab");
	CHECK(header_value(&f, small, 5) == 1);
	CHECK_STR(small, "ab\xc3\xa9");
	CHECK(header_value(&f, small, 7) == 0);
	CHECK_STR(small, "ab\xc3\xa9\xc3\xa9");
	CHECK(header_value(&f, small, 1) == 1 && small[0] == '\0');
	CHECK(header_value(&f, small, 0) == 1);

	/* A word that decodes to more than HEADER_WORD_MAX stays as it is;
	   one just within decodes. */
	if ((m = malloc(2 * HEADER_WORD_MAX)) == NULL)
		exit(1);
	strcpy(m, "S: =?utf-8?q?");
	for (i = strlen(m); i < 13 + HEADER_WORD_MAX + 1; i++)
		m[i] = 'x';
	strcpy(m + i, "?=\n");
	CHECK(header_find((uint8_t *)m, strlen(m), &h, &err) == 0 &&
	    header_next(&h, &f) == 1 && header_value(&f, value,
	    sizeof(value)) == 0 && strncmp(value, "=?utf-8?q?x", 11) == 0);
	strcpy(m + 13 + HEADER_WORD_MAX, "?=\n");
	CHECK(header_find((uint8_t *)m, strlen(m), &h, &err) == 0 &&
	    header_next(&h, &f) == 1 && header_value(&f, value,
	    sizeof(value)) == 0 && strlen(value) == HEADER_WORD_MAX &&
	    value[0] == 'x');
	/* The same in base64: 4096 bytes are 5464 digits with "==". */
	strcpy(m, "S: =?utf-8?b?");
	for (i = strlen(m); i < 13 + 5460; i += 4)
		memcpy(m + i, "eHh4", 4);
	strcpy(m + i, "eA==?=\n");
	CHECK(header_find((uint8_t *)m, strlen(m), &h, &err) == 0 &&
	    header_next(&h, &f) == 1 && header_value(&f, value,
	    sizeof(value)) == 0 && strlen(value) == HEADER_WORD_MAX &&
	    value[0] == 'x');
	strcpy(m + i, "eHg=?=\n");
	CHECK(header_find((uint8_t *)m, strlen(m), &h, &err) == 0 &&
	    header_next(&h, &f) == 1 && header_value(&f, value,
	    sizeof(value)) == 0 && strncmp(value, "=?utf-8?b?eHh4", 14) == 0);
	free(m);
}

int
main(void)
{
	test_section();
	test_fields();
	test_words();
	test_bounds();
	return check_done();
}
