/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What syncmail/config.c, which reads the file, and syncmail/config_check.c,
 * which checks the whole of it once read, share: the parser's state and
 * the helpers that report into it.  Internal to those two files; the rest
 * of the program sees config.h.
 */
#ifndef SYNCMAIL_CONFIG_INT_H
#define SYNCMAIL_CONFIG_INT_H

#include "syncmail/config.h"
#include "util/error.h"

#define TIMEOUT_DEFAULT		30
#define TIMEOUT_MAX		86400
#define DEADLINE_DEFAULT	3600
#define DEADLINE_MAX		604800
#define COMMAND_TIMEOUT_DEFAULT	300
#define COMMAND_TIMEOUT_MAX	86400
#define WATCH_INTERVAL_DEFAULT	10
#define WATCH_INTERVAL_MAX	86400

enum keyword {
	KW_ACCOUNT,
	KW_HOST,
	KW_PORT,
	KW_USER,
	KW_IDENTITY,
	KW_KNOWN_HOSTS,
	KW_HOSTKEY_CHECK,
	KW_PULL,
	KW_KEEP,
	KW_MAX_SIZE,
	KW_MAX_MESSAGES,
	KW_TIMEOUT,
	KW_DEADLINE,
	KW_SSH_CONFIG,
	KW_PROXY_COMMAND,
	KW_LOG,
	KW_ROUTE,
	KW_COMMAND_TIMEOUT,
	KW_WATCH_INTERVAL,
	KW_ATTACHMENT_TYPES,
	KW_FILTER,
	KW_QUARANTINE,
	KW_COUNT
};

#define SET(kw)		(1u << (kw))

struct parser {
	const char	*name;		/* file name for messages */
	const char	*home;
	const char	*localuser;
	struct error	*err;
	int		 line;		/* line being read, or named by a check */
	char		*words;		/* scratch for one line's unquoted words */
	struct config	 cfg;		/* handed to the caller only on success */
	struct account	 defaults;	/* keywords before the first account */
	unsigned int	 dset;		/* SET() bits given in the defaults */
	unsigned int	*set;		/* SET() bits given in each account */
	int		 seen[KW_COUNT]; /* line of each keyword in this section */
};

/*
 * Each sets the error, with the file name and p->line where there is a
 * line to blame, and returns -1.
 */
int	 config_error(struct parser *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 config_nomem(struct parser *p);

/* Replaces *dst with a copy of src; -1 (out of memory) leaves it. */
int	 config_strdup(struct parser *p, char **dst, const char *src);

/* Appends a copy of path to a's identities. */
int	 config_identity_add(struct parser *p, struct account *a,
	    const char *path);

/*
 * value with a leading "~/" expanded, which must then be absolute, into
 * *out (the caller's to free); kw names it in messages.
 */
int	 config_path(struct parser *p, const char *kw, const char *value,
	    char **out);

/*
 * A "route HEADER REGEX DEST..." line (nv values in v), for the last pull
 * of the account being read (syncmail/config_route.c).  0, or -1 with the
 * error set.
 */
int	 config_route(struct parser *p, char **v, int nv);

/*
 * A pull's DEST, the nv words in v (SPEC 8): "PATH", "maildir PATH",
 * "pipe COMMAND" or "attachments DIR [MAILDIR]", into d, and the Maildir
 * that holds its downloads into *local.  0, or -1 with the error set and
 * nothing held.
 */
int	 config_pull_dest(struct parser *p, char **v, int nv, struct dest *d,
	    char **local);
/* Frees what a struct dest holds and zeroes it. */
void	 config_dest_free(struct dest *d);
/* Adds pattern, checked and in lower case, to a's attachment-types. */
int	 config_attachment_type(struct parser *p, struct account *a,
	    const char *pattern);

/*
 * A "filter COMMAND" or "quarantine MAILDIR" line, for the last pull of
 * the account being read (syncmail/config_filter.c); config_filter_check
 * checks a pull's two once the file is read.  0, or -1 with the error
 * set.  config_filter_free frees what they hold.
 */
int	 config_filter(struct parser *p, const char *command);
int	 config_quarantine(struct parser *p, const char *path);
int	 config_filter_check(struct parser *p, const struct pull *pl);
void	 config_filter_free(struct pull *pl);

/* Frees what a pull's routes hold, and the array. */
void	 config_routes_free(struct pull *);

/*
 * After the last line: gives the accounts what they inherit and checks
 * what needs every account (syncmail/config_check.c).  Returns 0 or -1 with
 * the error set.
 */
int	 config_check(struct parser *p);

#endif
