/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * OpenSSH's client config (ssh_config(5)), read for one host: the values
 * that syncmail.conf leaves unset come from the user's ~/.ssh/config, so
 * SSH is configured once for every tool (SPEC section 3).
 *
 * Applied: HostName, Port, User, IdentityFile, IdentitiesOnly,
 * UserKnownHostsFile, HostKeyAlias, StrictHostKeyChecking, ProxyCommand
 * and ProxyJump, with Host, Match, Include and IgnoreUnknown.  A keyword
 * ssh does not know is an error anywhere; one that would make ssh
 * connect otherwise is an error where it applies (sftp/sshkw.c); the
 * others are ignored.
 */
#ifndef SYNCMAIL_SSHCONFIG_H
#define SYNCMAIL_SSHCONFIG_H

#include <stddef.h>

#include "util/error.h"

/* host-key-check: what an unknown host key gets. */
enum hostkey_check {
	HOSTKEY_CHECK_YES = 0,
	HOSTKEY_CHECK_ACCEPT_NEW
};

/*
 * What the program's config says about reaching one account's server,
 * before ~/.ssh/config completes it: the program fills it in (the
 * pointers stay its own).  Unset values are NULL, 0 or empty, and the
 * _given flags say whether the config set the two that have defaults.
 */
struct ssh_account {
	const char	*name;		/* the account, for messages */
	const char	*file;		/* the config file, for messages */
	const char	*host;
	int		 port;		/* 0: unset */
	const char	*user;		/* NULL: unset */
	char *const	*identities;	/* NULL-terminated, may be empty */
	size_t		 nidentities;
	const char	*known_hosts;
	int		 known_hosts_given;
	enum hostkey_check hostkey_check;
	int		 hostkey_check_given;
	const char	*ssh_config;	/* NULL: none */
	int		 ssh_config_given; /* it must exist */
	const char	*proxy_command;	/* NULL: unset */
	int		 timeout;	/* seconds */
	int		 no_exec;	/* Match exec is an error (the fuzzer) */
};

enum sshconfig_check {
	SSHCONFIG_CHECK_UNSET = 0,
	SSHCONFIG_CHECK_YES,		/* "yes" or "ask": no terminal to ask on */
	SSHCONFIG_CHECK_ACCEPT_NEW,
	SSHCONFIG_CHECK_NO		/* "no" or "off": refused by the caller */
};

/*
 * What the config says for one host, as written (tokens not expanded):
 * for each keyword the first value that applies wins, as in ssh, except
 * IdentityFile, whose values all apply, in order.
 */
struct sshconfig_host {
	char		 *hostname;	/* NULL: unset */
	int		  port;		/* 0: unset */
	char		 *user;
	char		**identities;
	size_t		  nidentities;
	int		  identities_only_set; /* IdentitiesOnly seen */
	int		  identities_only; /* its value: 1 yes, 0 no */
	char		 *known_hosts;	/* first file of UserKnownHostsFile */
	enum sshconfig_check check;
	char		 *check_where;	/* "FILE:LINE" of StrictHostKeyChecking */
	/*
	 * ProxyCommand or ProxyJump seen ("none" included): as in ssh the
	 * first of the two wins, the other is then ignored.
	 */
	int		  proxy_set;
	char		 *proxy_command; /* NULL for "none" or a ProxyJump */
	char		 *proxy_jump;	/* the hops, validated; NULL: none */
	char		 *host_key_alias;
	char		 *ignore_unknown; /* IgnoreUnknown's pattern list */
	unsigned	  slots;	/* sshkw slots whose first value was seen */
};

/*
 * Who asks, for Host and Match: the account's host as written (Host,
 * Match originalhost, %n) and what syncmail.conf already says, which
 * comes first as ssh's command line does (Match user sees its user).
 */
struct sshconfig_query {
	const char	*host;
	const char	*home;		/* "~", %d, relative Include */
	const char	*localuser;	/* Match localuser, %u; NULL: unknown */
	const char	*user;		/* NULL: unset */
	int		 port;		/* 0: unset */
	int		 no_exec;	/* Match exec is an error, not run */
};

/* What %-tokens expand to; NULL members expand to nothing allowed. */
struct sshconfig_tokens {
	const char	*home;		/* %d, and a leading "~" */
	const char	*localuser;	/* %u */
	const char	*host;		/* %h: the host connected to */
	const char	*alias;		/* %n: the name the config was read for */
	const char	*port;		/* %p */
	const char	*user;		/* %r: the remote user */
	const char	*keyalias;	/* %k: HostKeyAlias, else %n */
	const char	*uid;		/* %i */
	const char	*localhost;	/* %l: this host's name */
	const char	*shorthost;	/* %L: up to its first dot */
	const char	*hash;		/* %C: SHA-1 of %l%h%p%r, in hex */
};

/*
 * Reads the config file at path for q.  A missing file is no error
 * unless must_exist.  q->home is the user's home directory: "~" and
 * relative Include paths (taken from ~/.ssh) need it.  Match exec
 * commands run here, unless q->no_exec.  Fills *out (free with
 * sshconfig_host_free, also after an error).  Returns 0, or -1 with err
 * set to "FILE:LINE: what", kind ERR_CONFIG.
 */
int	 sshconfig_load(const char *path, const struct sshconfig_query *q,
	    int must_exist, struct sshconfig_host *out, struct error *err);

/*
 * Parses len bytes of config text named file (for messages) for q,
 * adding to *out what applies and is not set yet.  depth counts Include
 * levels.  Pure but for Include, which reads files through
 * sshconfig_load's rules, and Match exec.  Returns 0 or -1 with err set.
 */
int	 sshconfig_parse(const char *text, size_t len, const char *file,
	    const struct sshconfig_query *q, int depth,
	    struct sshconfig_host *out, struct error *err);

/*
 * Splits one line as ssh does: the keyword, an optional "=", then words;
 * a "double quoted" part of a word may hold blanks (\" and \\ escape in
 * it); a word starting with "#" ends the line.  The unquoted words go
 * into buf (strlen(line) + 1 bytes); at most max pointers to them
 * (keyword first) into w, their count into *n.  *rest and *restlen give
 * the raw text after the keyword and its separator, trailing blanks cut:
 * ProxyCommand takes it whole.  Returns 0, or -1 for an unterminated
 * quote.
 */
int	 sshconfig_split(const char *line, char *buf, char **w, int max,
	    int *n, const char **rest, size_t *restlen);

/*
 * Expands the %-tokens of s that are in allowed ("%%" always), and a
 * leading "~" or "~/" when tilde is set, into a new string *out (the
 * caller's to free).  Returns 0, or -1 with err set (ERR_CONFIG,
 * prefixed by what) for an unknown or unavailable token.
 */
int	 sshconfig_expand(const char *s, const char *allowed, int tilde,
	    const struct sshconfig_tokens *t, const char *what, char **out,
	    struct error *err);

/* Frees what *h holds and empties it; the struct itself is the caller's. */
void	 sshconfig_host_free(struct sshconfig_host *h);

/*
 * Where and how one account connects: syncmail.conf's values, then the
 * ssh config's for what it left unset, then the defaults; tokens expanded.
 */
struct sshconfig_target {
	char		 *alias;	/* the account's host, as written */
	char		 *host;		/* HostName: connected to, in known_hosts */
	int		  port;
	char		 *user;
	char		**identities;	/* empty: the default key files */
	size_t		  nidentities;
	/*
	 * IdentitiesOnly yes: only the keys of identities (or the default
	 * files) are offered, not the agent's others.  Only the ssh config
	 * sets it: syncmail.conf has no such keyword.
	 */
	int		  identities_only;
	char		 *known_hosts;
	/* HostKeyAlias: the name known_hosts is searched for, on any port */
	char		 *host_key_alias; /* NULL: host and port */
	enum hostkey_check check;
	/* ProxyJump becomes "ssh ... -W", as ssh itself runs it */
	char		 *proxy_command; /* NULL: a direct TCP connection */
	/* for -v: which values came from the ssh config */
	char		  from[192];
};

/*
 * Fills *t for account a (free with sshconfig_target_free, also after an
 * error).  home and localuser are the user's.  Returns 0, or -1 with err
 * set: ERR_CONFIG for a bad ssh config or a "StrictHostKeyChecking no"
 * that would apply.
 */
int	 sshconfig_resolve(const struct ssh_account *a, const char *home,
	    const char *localuser, struct sshconfig_target *t,
	    struct error *err);

/* Frees what *t holds and empties it; t may be NULL or zeroed. */
void	 sshconfig_target_free(struct sshconfig_target *t);

#endif
