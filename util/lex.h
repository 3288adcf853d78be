/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The lexer the three readers share: syncmail.conf (syncmail/config.c),
 * ssh_config (sftp/sshconfig.c) and known_hosts (sftp/hostkey.c).  All
 * three are line-based text where a blank is a space, a tab or a carriage
 * return (so a file written with CRLF reads as one with LF), and a line
 * whose first non-blank byte is "#" is a comment.  Where they differ (how
 * "#" inside a word and control bytes are taken), a flag of lex_words
 * says which.  Nothing here allocates or reports: each reader turns a
 * LEX_* result into its own message.
 */
#ifndef SYNCMAIL_LEX_H
#define SYNCMAIL_LEX_H

#include <stddef.h>

/* Lines of a buffer, numbered from 1. */
struct lex {
	const char	*s;		/* the rest of the text */
	const char	*end;
	int		 line;		/* of the line lex_line gave last */
};

/* lex_words flags. */
#define LEX_HASH_ENDS	0x01	/* "#" ends the line inside a word too */
/*
 * Control bytes are refused: 0x7f and those below 0x20 but a tab or '\r'
 * that separates words (inside quotes they are refused too).
 */
#define LEX_NO_CONTROL	0x02

/* lex_words results besides 0. */
#define LEX_QUOTE	(-1)	/* a double quote is not closed */
#define LEX_CONTROL	(-2)	/* a control byte, refused by LEX_NO_CONTROL */

/* Starts reading len bytes of text, which need not end in a NUL. */
void	 lex_init(struct lex *, const char *text, size_t len);

/*
 * The next line, without its "\n", in *line and *len: returns 1, or 0 at
 * the end.  The line may hold any byte, NUL included.  A last line
 * without a newline counts; a newline at the end makes no empty line
 * after it.  The number stops at INT_MAX rather than wrap.
 */
int	 lex_line(struct lex *, const char **line, size_t *len);

/* Whether c is a blank: ' ', '\t' or '\r'. */
int	 lex_blank(int c);

/* How many blanks s (len bytes) starts with. */
size_t	 lex_skip(const char *s, size_t len);

/* len less the blanks s ends with. */
size_t	 lex_trim(const char *s, size_t len);

/* Whether s (len bytes) is blank or a comment: nothing to read in it. */
int	 lex_empty(const char *s, size_t len);

/*
 * The next field of s, a run of bytes up to a blank or end: returns it
 * with its length in *len and moves *s past it, or returns NULL when
 * only blanks are left.  For known_hosts, whose fields have no quoting.
 */
const char *lex_field(const char **s, const char *end, size_t *len);

/*
 * Splits s (len bytes, no newline) into words separated by blanks, as
 * both config files do: a "double quoted" part of a word may hold blanks
 * and "#", and in it \" and \\ stand for " and \ (any other backslash is
 * itself); a word that starts with "#" ends the line.  The unquoted words
 * go into buf, which needs len + 1 bytes (unquoting only shrinks a word,
 * and a word's NUL takes the place of what ended it); up to max pointers
 * to them into w, and how many words there are, also past max, into *n.
 * flags: LEX_HASH_ENDS, LEX_NO_CONTROL.
 *
 * Returns 0; LEX_QUOTE for an unclosed quote, with *at the offset of its
 * opening '"'; LEX_CONTROL with *at the offset of the refused byte.  At
 * an error *n and w hold the words up to it.
 */
int	 lex_words(const char *s, size_t len, int flags, char *buf,
	    char **w, int max, int *n, size_t *at);

#endif
