/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for util/lex.c, the lexer of the three readers: lines with
 * their numbers (no newline at the end, NUL bytes, CRLF), blanks and
 * comments, plain fields as known_hosts has them, and words with double
 * quotes as both config files split them: escapes, an unclosed quote, a
 * backslash at the end, "#" with and without LEX_HASH_ENDS, control bytes
 * under LEX_NO_CONTROL, more words than pointers, a line of a megabyte,
 * and that no split writes past the len + 1 bytes it is given.
 */
#include <stdlib.h>
#include <string.h>

#include "util/lex.h"
#include "check.h"

#define WMAX	8
#define CANARY	'\xa5'

static char	*w[WMAX];
static int	 nw;
static size_t	 at;
static char	*buf;

/*
 * lex_words over len bytes of s into a buffer of exactly len + 1 bytes
 * and one canary byte after it, which must come back untouched.
 */
static int
words_len(const char *s, size_t len, int flags)
{
	int rc;

	free(buf);
	if ((buf = malloc(len + 2)) == NULL)
		abort();
	buf[len + 1] = CANARY;
	at = (size_t)-1;
	rc = lex_words(s, len, flags, buf, w, WMAX, &nw, &at);
	CHECK(buf[len + 1] == CANARY);
	return rc;
}

static int
words(const char *s, int flags)
{
	return words_len(s, strlen(s), flags);
}

static void
test_lines(void)
{
	struct lex lx;
	const char *l;
	size_t len;

	lex_init(&lx, "", 0);
	CHECK(lex_line(&lx, &l, &len) == 0);
	CHECK(lx.line == 0);

	/* a newline at the end makes no empty line after it */
	lex_init(&lx, "a\nbc\n", 5);
	CHECK(lex_line(&lx, &l, &len) == 1 && lx.line == 1 && len == 1 &&
	    l[0] == 'a');
	CHECK(lex_line(&lx, &l, &len) == 1 && lx.line == 2 && len == 2 &&
	    memcmp(l, "bc", 2) == 0);
	CHECK(lex_line(&lx, &l, &len) == 0);
	CHECK(lex_line(&lx, &l, &len) == 0);

	/* a last line without one counts */
	lex_init(&lx, "a\nb", 3);
	CHECK(lex_line(&lx, &l, &len) == 1);
	CHECK(lex_line(&lx, &l, &len) == 1 && lx.line == 2 && len == 1 &&
	    l[0] == 'b');
	CHECK(lex_line(&lx, &l, &len) == 0);

	/* empty lines are lines; only len bytes are read */
	lex_init(&lx, "\n\nzzz", 2);
	CHECK(lex_line(&lx, &l, &len) == 1 && len == 0);
	CHECK(lex_line(&lx, &l, &len) == 1 && len == 0 && lx.line == 2);
	CHECK(lex_line(&lx, &l, &len) == 0);

	/* NUL bytes stay in the line; "\r" of CRLF too, as a blank */
	lex_init(&lx, "a\0b\r\nc", 6);
	CHECK(lex_line(&lx, &l, &len) == 1 && len == 4 &&
	    memcmp(l, "a\0b\r", 4) == 0);
	CHECK(lex_line(&lx, &l, &len) == 1 && len == 1 && l[0] == 'c');
	CHECK(lex_line(&lx, &l, &len) == 0);
}

static void
test_blanks(void)
{
	CHECK(lex_blank(' ') && lex_blank('\t') && lex_blank('\r'));
	CHECK(!lex_blank('\n') && !lex_blank('\0') && !lex_blank('\v') &&
	    !lex_blank('\f') && !lex_blank('a') && !lex_blank(0xa0));
	CHECK(lex_skip(" \t\r x ", 6) == 4);
	CHECK(lex_skip("   ", 2) == 2);
	CHECK(lex_skip("x", 1) == 0);
	CHECK(lex_skip("", 0) == 0);
	CHECK(lex_trim(" x \t\r", 5) == 2);
	CHECK(lex_trim("  ", 2) == 0);
	CHECK(lex_trim("x", 1) == 1);

	CHECK(lex_empty("", 0));
	CHECK(lex_empty(" \t\r", 3));
	CHECK(lex_empty("#", 1));
	CHECK(lex_empty("  # a comment", 13));
	CHECK(lex_empty("\r", 1));
	CHECK(!lex_empty(" a # b", 6));
	CHECK(!lex_empty("a#", 2));
	/* a NUL is no blank: the reader decides what it means */
	CHECK(!lex_empty("\0#", 2));
}

static void
test_fields(void)
{
	const char *s, *end, *f;
	size_t len;

	s = " host\tssh-ed25519  AAAA comment here\r";
	end = s + strlen(s);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 4 &&
	    memcmp(f, "host", 4) == 0);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 11 &&
	    memcmp(f, "ssh-ed25519", 11) == 0);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 4);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 7);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 4 &&
	    memcmp(f, "here", 4) == 0);
	CHECK(lex_field(&s, end, &len) == NULL);
	CHECK(lex_field(&s, end, &len) == NULL);

	s = "   ";
	CHECK(lex_field(&s, s + 3, &len) == NULL);
	s = "";
	CHECK(lex_field(&s, s, &len) == NULL);

	/* no quoting, and anything but a blank is part of a field */
	s = "\"a b\" x\ny\x01z";
	end = s + strlen(s);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 2 &&
	    memcmp(f, "\"a", 2) == 0);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 2);
	CHECK((f = lex_field(&s, end, &len)) != NULL && len == 5 &&
	    memcmp(f, "x\ny\x01z", 5) == 0);
	CHECK(lex_field(&s, end, &len) == NULL);

	/* only up to end */
	s = "abc def";
	CHECK((f = lex_field(&s, s + 2, &len)) != NULL && len == 2);
}

static void
test_words(void)
{
	CHECK(words("", 0) == 0 && nw == 0);
	CHECK(words(" \t\r ", 0) == 0 && nw == 0);
	CHECK(words("  host   mail.example.org  ", 0) == 0 && nw == 2);
	CHECK_STR(w[0], "host");
	CHECK_STR(w[1], "mail.example.org");

	/* quotes join parts of a word and keep blanks and "#" */
	CHECK(words("a\"b c\"d e", 0) == 0 && nw == 2);
	CHECK_STR(w[0], "ab cd");
	CHECK_STR(w[1], "e");
	CHECK(words("\"a # b\"", LEX_HASH_ENDS) == 0 && nw == 1);
	CHECK_STR(w[0], "a # b");
	CHECK(words("\"\" x", 0) == 0 && nw == 2);
	CHECK_STR(w[0], "");
	CHECK_STR(w[1], "x");

	/* in quotes \" and \\ escape; any other backslash is itself */
	CHECK(words("\"a\\\"b\\\\c\\d\"", 0) == 0 && nw == 1);
	CHECK_STR(w[0], "a\"b\\c\\d");
	/* outside quotes a backslash is itself and escapes nothing */
	CHECK(words("a\\\"b c\"", 0) == 0 && nw == 1);
	CHECK_STR(w[0], "a\\b c");
	CHECK(words("a\\", 0) == 0 && nw == 1);
	CHECK_STR(w[0], "a\\");

	/* an unclosed quote, also behind a backslash at the end */
	CHECK(words("x \"open", 0) == LEX_QUOTE && at == 2);
	CHECK(words("x \"abc\\", 0) == LEX_QUOTE && at == 2);
	CHECK(words("x \"abc\\\"", 0) == LEX_QUOTE && at == 2);
	CHECK(words("\"a\"\"", 0) == LEX_QUOTE && at == 3);
	CHECK(words("x \"open", LEX_HASH_ENDS | LEX_NO_CONTROL) == LEX_QUOTE);

	/* a word that starts with "#" ends the line, in both modes */
	CHECK(words("a #b c", 0) == 0 && nw == 1);
	CHECK(words("a #b c", LEX_HASH_ENDS) == 0 && nw == 1);
	CHECK(words("# x \"", 0) == 0 && nw == 0);
	/* inside a word only with LEX_HASH_ENDS */
	CHECK(words("a#b c", 0) == 0 && nw == 2);
	CHECK_STR(w[0], "a#b");
	CHECK(words("a#b c \"", LEX_HASH_ENDS) == 0 && nw == 1);
	CHECK_STR(w[0], "a");
	CHECK(words("\"a\"#b c", LEX_HASH_ENDS) == 0 && nw == 1);
	CHECK_STR(w[0], "a");

	/* more words than pointers: counted, the first ones stored */
	CHECK(words("a b c d e f g h i j", 0) == 0 && nw == 10);
	CHECK_STR(w[0], "a");
	CHECK_STR(w[WMAX - 1], "h");
	free(buf);
	buf = malloc(16);
	CHECK(lex_words("a b c", 5, 0, buf, w, 0, &nw, &at) == 0 && nw == 3);
}

static void
test_control(void)
{
	/* blanks separate words; CRLF reads as LF */
	CHECK(words("host\th\r", LEX_NO_CONTROL) == 0 && nw == 2);
	CHECK_STR(w[1], "h");
	CHECK(words("pull \"a b\"\r", LEX_NO_CONTROL) == 0 && nw == 2);
	CHECK_STR(w[1], "a b");

	CHECK(words("a \x01", LEX_NO_CONTROL) == LEX_CONTROL && at == 2);
	CHECK(words("a\x1b[0m", LEX_NO_CONTROL) == LEX_CONTROL && at == 1);
	CHECK(words("a \x7f", LEX_NO_CONTROL) == LEX_CONTROL && at == 2);
	CHECK(words("\"a\tb\"", LEX_NO_CONTROL) == LEX_CONTROL && at == 2);
	CHECK(words("\"a\rb\"", LEX_NO_CONTROL) == LEX_CONTROL && at == 2);
	/* found before the quote is seen to be open */
	CHECK(words("\"a\x01", LEX_NO_CONTROL) == LEX_CONTROL && at == 2);
	/* past the pointers too */
	CHECK(words("a b c d e f g h i \x02", LEX_NO_CONTROL) == LEX_CONTROL &&
	    at == 18);
	/* not in a comment */
	CHECK(words("a # \x01\x7f", LEX_NO_CONTROL) == 0 && nw == 1);
	CHECK(words("a#\x01", LEX_NO_CONTROL | LEX_HASH_ENDS) == 0 && nw == 1);
	/* bytes above 0x7f are text */
	CHECK(words("caf\xc3\xa9", LEX_NO_CONTROL) == 0 && nw == 1);
	CHECK_STR(w[0], "caf\xc3\xa9");

	/* without the flag a control byte is part of a word */
	CHECK(words("a\x01 b", 0) == 0 && nw == 2);
	CHECK_STR(w[0], "a\x01");
}

static void
test_nul(void)
{
	/* a NUL is a control byte, also where it ends a C string */
	CHECK(words_len("a\0b c", 5, LEX_NO_CONTROL) == LEX_CONTROL &&
	    at == 1);
	CHECK(words_len("\0", 1, LEX_NO_CONTROL) == LEX_CONTROL && at == 0);
	CHECK(words_len("\"a\0\"", 4, LEX_NO_CONTROL) == LEX_CONTROL &&
	    at == 2);
	/* without the flag it is kept, and the words after it are read */
	CHECK(words_len("a\0b c", 5, 0) == 0 && nw == 2);
	CHECK(memcmp(w[0], "a\0b", 4) == 0);
	CHECK_STR(w[1], "c");
	/* len, not a NUL, ends the line */
	CHECK(words_len("ab cd", 4, 0) == 0 && nw == 2);
	CHECK_STR(w[1], "c");
}

static void
test_long(void)
{
	size_t n = 1024 * 1024, i;
	char *s;

	if ((s = malloc(n)) == NULL)
		abort();
	/* one word of a megabyte */
	memset(s, 'x', n);
	CHECK(words_len(s, n, LEX_NO_CONTROL) == 0 && nw == 1);
	CHECK(strlen(w[0]) == n);
	/* half a million words */
	for (i = 0; i < n; i++)
		s[i] = i % 2 ? ' ' : 'x';
	CHECK(words_len(s, n, LEX_NO_CONTROL) == 0 && nw == (int)(n / 2));
	/* a quote opened at the start and never closed */
	s[0] = '"';
	CHECK(words_len(s, n, 0) == LEX_QUOTE && at == 0);
	/* a quote that spans it all */
	memset(s, 'y', n);
	s[0] = '"';
	s[n - 1] = '"';
	CHECK(words_len(s, n, 0) == 0 && nw == 1);
	CHECK(strlen(w[0]) == n - 2);
	free(s);
}

int
main(void)
{
	test_lines();
	test_blanks();
	test_fields();
	test_words();
	test_control();
	test_nul();
	test_long();
	free(buf);
	return check_done();
}
