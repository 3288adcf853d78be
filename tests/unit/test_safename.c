/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for mail/safename.c: SPEC 8's "name made safe" (separators,
 * control bytes, invalid UTF-8, leading dots, empty names, the 255-byte
 * cut that keeps the extension and never splits a character) and the
 * NAME-2.EXT names tried when one is taken.
 */
#include <stdint.h>
#include <string.h>

#include "mail/safename.h"
#include "check.h"

static char out[SAFENAME_SIZE];

static const char *
safe(const char *s, size_t len)
{
	size_t n = safename((const uint8_t *)s, len, out);

	return n == strlen(out) ? out : "(bad length)";
}

#define S(s)	safe((s), strlen(s))

/* n euro signs, three bytes each, at dst. */
static void
euros(char *dst, size_t n)
{
	while (n-- > 0) {
		memcpy(dst, "\xe2\x82\xac", 3);
		dst += 3;
	}
}

static const char *
numbered(const char *s, unsigned int n)
{
	size_t len = safename_numbered(s, n, out);

	return len == strlen(out) ? out : "(bad length)";
}

int
main(void)
{
	char name[400], want[400];

	CHECK_STR(S("report.pdf"), "report.pdf");
	CHECK_STR(S("../../x"), "___.._x");
	CHECK_STR(S("a/../b"), "a_.._b");
	CHECK_STR(S(".bashrc"), "_bashrc");
	CHECK_STR(S("...x.tar"), "___x.tar");
	CHECK_STR(S("a/b"), "a_b");
	CHECK_STR(S("a\\b"), "a_b");
	CHECK_STR(S(".."), "__");
	CHECK_STR(S("."), "_");
	CHECK_STR(S(""), "_");
	CHECK_STR(safe(NULL, 0), "_");
	CHECK_STR(S("a\tb\x1b[31m\x7f"), "a_b_[31m_");
	CHECK_STR(safe("a\0b", 3), "a_b");
	CHECK_STR(safe("\0", 1), "_");
	/* Valid UTF-8 stays; each byte of an invalid sequence is "_". */
	CHECK_STR(S("r\xc3\xa9sum\xc3\xa9.pdf"), "r\xc3\xa9sum\xc3\xa9.pdf");
	CHECK_STR(S("caf\xe9.txt"), "caf_.txt");
	CHECK_STR(S("\xc0\xaf\xed\xa0\x80\xff"), "______");
	CHECK_STR(S("\xe6\x97"), "__");
	CHECK_STR(S("\xf0\x9f\x93\x8e clip"), "\xf0\x9f\x93\x8e clip");

	/* 300 bytes with an extension: cut before it, extension kept. */
	memset(name, 'a', 296);
	strcpy(name + 296, ".pdf");
	memset(want, 'a', 251);
	strcpy(want + 251, ".pdf");
	CHECK_STR(S(name), want);
	/* Without one: the first 255 bytes. */
	memset(name, 'b', 300);
	name[300] = '\0';
	memset(want, 'b', 255);
	want[255] = '\0';
	CHECK_STR(S(name), want);
	/* Exactly 255 bytes: as it is. */
	CHECK_STR(safe(name, 255), want);
	/* A leading dot is no extension's: cut like the rest. */
	name[0] = '.';
	want[0] = '_';
	CHECK_STR(S(name), want);
	/* Leading dots up to the cut, then a long extension: its dot stays. */
	memset(name, '.', 20);
	memset(name + 20, 'c', 30);
	name[50] = '.';
	memset(name + 51, 'e', 249);
	name[300] = '\0';
	memset(want, '_', 5);
	want[5] = '.';
	memset(want + 6, 'e', 249);
	want[255] = '\0';
	CHECK_STR(S(name), want);
	/* An extension too long to keep is cut with the rest. */
	memset(name, 'b', 300);
	memset(want, 'b', 255);
	want[255] = '\0';
	name[0] = 'x';
	name[1] = '.';
	want[0] = 'x';
	want[1] = '.';
	CHECK_STR(S(name), want);
	/* The cut never splits a character: 3-byte ones, before .txt. */
	euros(name, 100);
	strcpy(name + 300, ".txt");
	euros(want, 83);
	strcpy(want + 249, ".txt");
	CHECK_STR(S(name), want);
	CHECK(strlen(out) == 253);
	/* Nor without an extension: 85 of them are exactly 255 bytes. */
	name[300] = '\0';
	want[255] = '\0';
	euros(want, 85);
	CHECK_STR(S(name), want);
	memcpy(name, "ab", 2);	/* now 2 + 99 * 3 + 1 stray bytes */
	memcpy(want, "ab", 2);
	want[2] = '_';
	euros(want + 3, 84);
	want[255] = '\0';
	CHECK_STR(S(name), want);
	/* Invalid bytes in a long name are cut as "_" too. */
	memset(name, '\xff', 300);
	strcpy(name + 300, ".\xff");
	memset(want, '_', 253);
	strcpy(want + 253, "._");
	CHECK_STR(S(name), want);

	/* The next free names. */
	CHECK_STR(numbered("report.pdf", 2), "report-2.pdf");
	CHECK_STR(numbered("report.pdf", 10), "report-10.pdf");
	CHECK_STR(numbered("a.tar.gz", 3), "a.tar-3.gz");
	CHECK_STR(numbered("README", 2), "README-2");
	CHECK_STR(numbered("_bashrc", 2), "_bashrc-2");
	CHECK_STR(numbered(".x", 2), ".x-2");
	/* At 255 bytes the name is cut, at a boundary, the extension kept. */
	memset(name, 'a', 251);
	strcpy(name + 251, ".pdf");
	memset(want, 'a', 249);
	strcpy(want + 249, "-2.pdf");
	CHECK_STR(numbered(name, 2), want);
	euros(name, 83);
	strcpy(name + 249, ".txt");
	euros(want, 82);
	strcpy(want + 246, "-12.txt");
	CHECK_STR(numbered(name, 12), want);
	CHECK(strlen(out) == 253);
	/* An extension that leaves no room goes with the cut. */
	name[0] = 'x';
	name[1] = '.';
	memset(name + 2, 'e', 253);
	name[255] = '\0';
	memcpy(want, name, 253);
	strcpy(want + 253, "-2");
	CHECK_STR(numbered(name, 2), want);

	return check_done();
}
