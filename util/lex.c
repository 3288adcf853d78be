/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The lexer of util/lex.h: lines, blanks and comments, words with double
 * quotes, and plain fields.  It only finds things; what a line means and
 * what to say about a bad one is each reader's.
 */
#include <limits.h>
#include <string.h>

#include "util/lex.h"

void
lex_init(struct lex *lx, const char *text, size_t len)
{
	lx->s = text;
	lx->end = text + len;
	lx->line = 0;
}

int
lex_line(struct lex *lx, const char **line, size_t *len)
{
	const char *nl;

	if (lx->s >= lx->end)
		return 0;
	if (lx->line < INT_MAX)
		lx->line++;
	if ((nl = memchr(lx->s, '\n', lx->end - lx->s)) == NULL)
		nl = lx->end;
	*line = lx->s;
	*len = nl - lx->s;
	/* past the end only when the last line had no newline */
	lx->s = nl + 1;
	return 1;
}

int
lex_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

size_t
lex_skip(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && lex_blank((unsigned char)s[i]))
		i++;
	return i;
}

size_t
lex_trim(const char *s, size_t len)
{
	while (len > 0 && lex_blank((unsigned char)s[len - 1]))
		len--;
	return len;
}

int
lex_empty(const char *s, size_t len)
{
	size_t i = lex_skip(s, len);

	return i == len || s[i] == '#';
}

const char *
lex_field(const char **s, const char *end, size_t *len)
{
	const char *f, *e;

	f = *s + lex_skip(*s, end - *s);
	if (f == end)
		return NULL;
	for (e = f; e < end && !lex_blank((unsigned char)*e); e++)
		;
	*s = e;
	*len = e - f;
	return f;
}

/*
 * Whether lex_words refuses c: control bytes are never meant in a config,
 * and printed back in a message they could drive a terminal.
 */
static int
lex_control(unsigned char c, int quoted)
{
	return (c < 0x20 && !(lex_blank(c) && !quoted)) || c == 0x7f;
}

int
lex_words(const char *s, size_t len, int flags, char *buf, char **w,
    int max, int *n, size_t *at)
{
	char *o = buf;
	size_t i = 0, open = 0;
	int quoted;
	unsigned char c;

	*n = 0;
	for (;;) {
		i += lex_skip(s + i, len - i);
		if (i == len || s[i] == '#')
			return 0;
		if (*n < max)
			w[*n] = o;
		(*n)++;
		for (quoted = 0; i < len; i++) {
			c = s[i];
			if ((flags & LEX_NO_CONTROL) &&
			    lex_control(c, quoted)) {
				*at = i;
				*o = '\0';
				return LEX_CONTROL;
			}
			if (quoted) {
				if (c == '"')
					quoted = 0;
				else if (c == '\\' && i + 1 < len &&
				    (s[i + 1] == '"' || s[i + 1] == '\\'))
					*o++ = s[++i];
				else
					*o++ = c;
			} else if (lex_blank(c))
				break;
			else if (c == '#' && (flags & LEX_HASH_ENDS))
				i = len - 1;	/* ends the word and the line */
			else if (c == '"') {
				quoted = 1;
				open = i;
			} else
				*o++ = c;
		}
		*o++ = '\0';
		if (quoted) {
			*at = open;
			return LEX_QUOTE;
		}
	}
}
