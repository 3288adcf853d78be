/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The configuration file (SPEC section 3, syncmail.conf(5)).  The parser is
 * pure: config_parse() works on a buffer so unit tests and the fuzz target
 * can drive it; config_load() reads the file.
 */
#ifndef SYNCMAIL_CONFIG_H
#define SYNCMAIL_CONFIG_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "sftp/sshconfig.h"
#include "util/error.h"

/* Where a message goes (SPEC 8, Destinations). */
enum dest_kind {
	DEST_MAILDIR,
	DEST_DISCARD,		/* deleted on the server; in routes only */
	DEST_PIPE,		/* on a command's stdin */
	DEST_ATTACH		/* its attachments saved in a directory */
};

struct dest {
	enum dest_kind	 kind;
	/*
	 * DEST_MAILDIR: the Maildir; DEST_ATTACH: DIR.  Absolute, "~/"
	 * expanded; in a route it may hold %1 to %9 (the groups the
	 * route's regex captured) and %%.  A pull's DEST_MAILDIR has none:
	 * its Maildir is the pull's local.
	 */
	char		*path;
	char		*maildir;	/* DEST_ATTACH: MAILDIR, or NULL */
	int		 templated;	/* path holds a %N */
	int		 maildir_templated;	/* maildir holds a %N */
	char		*command;	/* DEST_PIPE: run under /bin/sh -c */
};

/* "route HEADER REGEX DEST" (SPEC 8, Routes). */
struct route {
	char		*header;	/* a field name, any case */
	char		*regex;		/* as written, for messages */
	regex_t		 re;		/* REG_EXTENDED | REG_ICASE */
	struct dest	 dest;
	int		 line;
};

/* The staging Maildir of a pull whose DEST is no Maildir. */
#define PULL_STAGING	"~/.local/state/syncmail/staging"

struct pull {
	char		*remote;	/* as written: relative to login dir unless absolute */
	/*
	 * The pull's Maildir, absolute, "~/" expanded: its record and tmp/
	 * hold every download, whatever the DEST.  For DEST_MAILDIR the
	 * DEST itself; for "attachments DIR MAILDIR" MAILDIR; for a pipe
	 * or attachments without a Maildir the staging Maildir
	 * (PULL_STAGING), where nothing stays once the pull is done.
	 */
	char		*local;
	struct dest	 dest;		/* what the config says of DEST */
	struct route	*routes;	/* in config order: the first match decides */
	size_t		 nroutes;
	/*
	 * "filter COMMAND" (run by /bin/sh -c) and "quarantine MAILDIR"
	 * (absolute, "~/" expanded), SPEC 8; NULL when not given.
	 */
	char		*filter;
	char		*quarantine;
	int		 filter_line, quarantine_line;
	int		 line;		/* line of the "pull" keyword */
};

struct account {
	char		*name;
	char		*host;
	int		 port;		/* 0 when unset: 22 or ssh-config decides */
	char		*user;		/* NULL when unset: the local user */
	char		**identities;	/* "~/" expanded; NULL-terminated, may be empty */
	size_t		 nidentities;
	char		*known_hosts;	/* "~/" expanded; default ~/.ssh/known_hosts */
	enum hostkey_check hostkey_check;
	/*
	 * Whether this file set known-hosts and host-key-check: if not,
	 * ssh-config may (identities, port and user are unset when empty).
	 */
	int		 known_hosts_given;
	int		 hostkey_check_given;
	char		*ssh_config;	/* OpenSSH client config; NULL: none */
	int		 ssh_config_given; /* named here: it must exist */
	char		*proxy_command;	/* as written (%-tokens); NULL: unset */
	struct pull	*pulls;
	size_t		 npulls;
	int		 keep;		/* 1: copy, leave on the server */
	uint64_t	 max_size;	/* bytes; 0: no limit */
	uint64_t	 max_messages;	/* per pull per run; 0: no limit */
	int		 timeout;	/* seconds, default 30 */
	int		 deadline;	/* seconds, default 3600 */
	int		 command_timeout; /* seconds a pipe or filter command
					    may run per message */
	int		 watch_interval; /* -w: seconds between looks, default 10 */
	/*
	 * attachment-types: the patterns an attachment's "type/subtype"
	 * must match one of (util/match.h), lower case, NULL-terminated;
	 * none given: every type.
	 */
	char		**attachment_types;
	size_t		 nattachment_types;
	int		 log_syslog;	/* log: one line per message to syslog */
	char		*log_file;	/* log: ...or appended to this file */
	char		*file;		/* config file name, for messages */
	int		 line;		/* line of the "account" keyword */
};

struct config {
	struct account	*accounts;
	size_t		 naccounts;
};

/*
 * Parses len bytes of text (need not be NUL-terminated) read from file
 * "name" (used in messages only).  home replaces a leading "~/" and
 * localuser is the default user.  On success fills *cfg (free with
 * config_free) and returns 0; on error returns -1 with err set to
 * "name:LINE: what" ("name: what" when no line is to blame: no account,
 * too large) and kind ERR_CONFIG, and *cfg is left empty.
 */
int	 config_parse(const char *text, size_t len, const char *name,
	    const char *home, const char *localuser, struct config *cfg,
	    struct error *err);

/* Reads and parses the file at path; as config_parse. */
int	 config_load(const char *path, const char *home,
	    const char *localuser, struct config *cfg, struct error *err);

/* Fills out with what a says about connecting, for sftp/; a keeps it. */
void	 config_ssh(const struct account *a, struct ssh_account *out);

/* Returns the account named name, or NULL. */
struct account *config_account(struct config *, const char *name);

/* Frees everything config_parse allocated; the struct itself is the caller's. */
void	 config_free(struct config *);

#endif
