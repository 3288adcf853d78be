/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The configuration file: SPEC section 3 and syncmail.conf(5).
 *
 * One pass over one buffer.  Each line is split into words by util/lex.c
 * (quotes and escapes removed), and the words go into the current
 * section: the defaults before the first "account", then each account.
 * Only once the whole file is read are the defaults copied into the
 * accounts that did not set a keyword themselves, because an account may
 * set a keyword after the defaults did and must still win.  That, and
 * the checks that need every account (unique names, required keywords,
 * one pull per mailbox), are syncmail/config_check.c's, run last.
 * Nothing survives an error: the caller sees an empty config.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syncmail/config_int.h"
#include "util/lex.h"
#include "util/readfile.h"

/*
 * Far above any real config.  Bounds memory and time when -c names the
 * wrong file (a mailbox, a disk image), and keeps line numbers in an int.
 */
#define CONFIG_MAX_SIZE		(1024 * 1024)

/* Account names become parts of file names (locks, records) and messages. */
#define CONFIG_NAME_MAX		64

/*
 * A keyword, at most five values (a route to "attachments DIR MAILDIR"),
 * and one more to notice that there are too many.
 */
#define CONFIG_MAX_WORDS	7

static const struct {
	const char	*name;
	int		 nvalues;	/* the fewest values */
	int		 repeat;	/* may be given more than once per section */
	int		 maxvalues;	/* the most, when more than nvalues */
} keywords[KW_COUNT] = {
	[KW_ACCOUNT] =		{ "account",		1, 0, 0 },
	[KW_HOST] =		{ "host",		1, 0, 0 },
	[KW_PORT] =		{ "port",		1, 0, 0 },
	[KW_USER] =		{ "user",		1, 0, 0 },
	[KW_IDENTITY] =		{ "identity",		1, 1, 0 },
	[KW_KNOWN_HOSTS] =	{ "known-hosts",	1, 0, 0 },
	[KW_HOSTKEY_CHECK] =	{ "host-key-check",	1, 0, 0 },
	[KW_PULL] =		{ "pull",		2, 1, 4 },
	[KW_KEEP] =		{ "keep",		1, 0, 0 },
	[KW_MAX_SIZE] =		{ "max-size",		1, 0, 0 },
	[KW_MAX_MESSAGES] =	{ "max-messages",	1, 0, 0 },
	[KW_TIMEOUT] =		{ "timeout",		1, 0, 0 },
	[KW_DEADLINE] =		{ "deadline",		1, 0, 0 },
	[KW_SSH_CONFIG] =	{ "ssh-config",		1, 0, 0 },
	[KW_PROXY_COMMAND] =	{ "proxy-command",	1, 0, 0 },
	[KW_LOG] =		{ "log",		1, 0, 0 },
	[KW_ROUTE] =		{ "route",		3, 1, 4 },
	[KW_COMMAND_TIMEOUT] =	{ "command-timeout",	1, 0, 0 },
	[KW_WATCH_INTERVAL] =	{ "watch-interval",	1, 0, 0 },
	[KW_ATTACHMENT_TYPES] =	{ "attachment-types",	1, 1, 6 },
	/* once per pull: config_filter.c checks that */
	[KW_FILTER] =		{ "filter",		1, 1, 0 },
	[KW_QUARANTINE] =	{ "quarantine",		1, 1, 0 },
	[KW_SERVER_NOTIFY] =	{ "server-notify",	1, 0, 0 },
};

/*
 * Keywords of SPEC 3 that this version does not implement yet: named as
 * such, so that nobody mistakes them for a typo, and never accepted and
 * ignored (a setting that silently does nothing would do what the
 * user meant to stop).
 */
static const char *const keywords_later[] = {
	NULL
};

int
config_error(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vat(p->err, ERR_CONFIG, p->name, p->line, fmt, ap);
	va_end(ap);
	return -1;
}

int
config_nomem(struct parser *p)
{
	return error_set(p->err, ERR_CONFIG, "%s: out of memory", p->name);
}

/*
 * Returns value, or its first bytes and "..." in buf, so that one long
 * value cannot push the rest of a message out of the fixed error buffer.
 */
static const char *
config_short(const char *value, char *buf, size_t size)
{
	if (strlen(value) < size)
		return value;
	snprintf(buf, size, "%.*s...", (int)size - 4, value);
	return buf;
}

/*
 * Frees the strings and arrays of a, an account or the defaults section,
 * and zeroes it; the struct itself is the caller's.  Nothing is shared
 * between sections (config_check copies what an account inherits), so
 * each is cleared on its own.
 */
static void
config_account_clear(struct account *a)
{
	size_t i;

	free(a->name);
	free(a->host);
	free(a->user);
	if (a->identities != NULL) {
		for (i = 0; i < a->nidentities; i++)
			free(a->identities[i]);
		free(a->identities);
	}
	if (a->attachment_types != NULL) {
		for (i = 0; i < a->nattachment_types; i++)
			free(a->attachment_types[i]);
		free(a->attachment_types);
	}
	free(a->known_hosts);
	free(a->ssh_config);
	free(a->proxy_command);
	free(a->log_file);
	for (i = 0; i < a->npulls; i++) {
		free(a->pulls[i].remote);
		free(a->pulls[i].local);
		config_dest_free(&a->pulls[i].dest);
		config_routes_free(&a->pulls[i]);
		config_filter_free(&a->pulls[i]);
	}
	free(a->pulls);
	free(a->file);
	memset(a, 0, sizeof(*a));
}

/*
 * Frees every account and its strings and leaves cfg empty, so calling it
 * twice, or on a config that config_parse left empty, is fine.
 */
void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->naccounts; i++)
		config_account_clear(&cfg->accounts[i]);
	free(cfg->accounts);
	cfg->accounts = NULL;
	cfg->naccounts = 0;
}

/*
 * Returns the account named name, or NULL; the pointer is valid until
 * config_free.
 */
struct account *
config_account(struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

int
config_strdup(struct parser *p, char **dst, const char *src)
{
	char *s;

	if ((s = strdup(src)) == NULL)
		return config_nomem(p);
	free(*dst);
	*dst = s;
	return 0;
}

/* identities stays NULL-terminated so the SSH code may walk it either way. */
int
config_identity_add(struct parser *p, struct account *a, const char *path)
{
	char **v;

	v = reallocarray(a->identities, a->nidentities + 2, sizeof(*v));
	if (v == NULL)
		return config_nomem(p);
	a->identities = v;
	if ((v[a->nidentities] = strdup(path)) == NULL) {
		v[a->nidentities] = NULL;
		return config_nomem(p);
	}
	v[++a->nidentities] = NULL;
	return 0;
}

/*
 * Expands a leading "~/" into the home directory and insists on an
 * absolute result: cron starts us in an unknown directory, and the
 * sandbox unveils these paths by name.  *out is the caller's to free.
 */
int
config_path(struct parser *p, const char *kw, const char *value, char **out)
{
	char buf[80];
	size_t hlen;

	*out = NULL;
	if (strncmp(value, "~/", 2) == 0) {
		if (p->home == NULL || p->home[0] == '\0')
			return config_error(p, "\"%s\": cannot expand \"~/\": "
			    "the home directory is not known", kw);
		/* "/home/a/" and "/" must not give "//" */
		hlen = strlen(p->home);
		while (hlen > 0 && p->home[hlen - 1] == '/')
			hlen--;
		if (asprintf(out, "%.*s%s", (int)hlen, p->home,
		    value + 1) == -1) {
			*out = NULL;
			return config_nomem(p);
		}
	} else if ((*out = strdup(value)) == NULL)
		return config_nomem(p);
	if ((*out)[0] != '/') {
		free(*out);
		*out = NULL;
		return config_error(p, "\"%s\": \"%s\" is not an absolute path",
		    kw, config_short(value, buf, sizeof(buf)));
	}
	return 0;
}

/*
 * Parses a decimal number of digits only: no sign, no spaces, no 0x.
 * Returns -1 on anything else or above max.
 */
static int
config_number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	unsigned int d;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		d = *s - '0';
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

/* A whole number from min to max for keyword kw. */
static int
config_range(struct parser *p, const char *kw, const char *value,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[80];

	if (config_number(value, UINT64_MAX, out) == -1 || *out < min ||
	    *out > max)
		return config_error(p, "\"%s\" must be %llu-%llu, not \"%s\"",
		    kw, (unsigned long long)min, (unsigned long long)max,
		    config_short(value, buf, sizeof(buf)));
	return 0;
}

/* Bytes with an optional K, M or G (powers of 1024), or "none". */
static int
config_size(struct parser *p, const char *value, uint64_t *out)
{
	char buf[80], *digits;
	size_t len;
	int shift = 0, rc;

	*out = 0;
	if (strcmp(value, "none") == 0)
		return 0;
	len = strlen(value);
	switch (value[len - 1]) {
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	}
	if ((digits = strndup(value, shift ? len - 1 : len)) == NULL)
		return config_nomem(p);
	rc = config_number(digits, UINT64_MAX >> shift, out);
	free(digits);
	if (rc == -1 || *out == 0)
		return config_error(p, "\"max-size\" must be a positive number "
		    "of bytes with an optional K, M or G, or \"none\", "
		    "not \"%s\"", config_short(value, buf, sizeof(buf)));
	*out <<= shift;
	return 0;
}

/*
 * A proxy command's %-tokens are expanded only when the account runs,
 * after ~/.ssh/config is read; a typo is caught here, with its line.
 */
static int
config_tokens(struct parser *p, const char *cmd)
{
	const char *s;

	for (s = cmd; (s = strchr(s, '%')) != NULL; s += 2) {
		if (s[1] != '\0' && strchr("%hnpr", s[1]) != NULL)
			continue;
		if (s[1] == '\0')
			return config_error(p, "\"proxy-command\": \"%%\" at "
			    "the end (write \"%%%%\" for a %%)");
		return config_error(p, "\"proxy-command\": unknown token "
		    "\"%%%c\" (known: %%h %%p %%r %%n %%%%)", s[1]);
	}
	return 0;
}

/*
 * Letters, digits, ".", "_" and "-" only, not first "." or "-": the name
 * is typed on command lines and may name files, where "..", "-v" or a
 * slash would mean something else.
 */
static int
config_account_name(struct parser *p, const char *name)
{
	char buf[80];
	size_t i, len = strlen(name);

	for (i = 0; i < len; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '_' || ((name[i] == '.' || name[i] == '-') &&
		    i > 0))
			continue;
		return config_error(p, "account name \"%s\" may have only "
		    "letters, digits, \".\", \"_\" and \"-\", and may not "
		    "start with \".\" or \"-\"",
		    config_short(name, buf, sizeof(buf)));
	}
	if (len > CONFIG_NAME_MAX)
		return config_error(p, "account name \"%s\" is longer than "
		    "%d bytes", config_short(name, buf, sizeof(buf)),
		    CONFIG_NAME_MAX);
	return 0;
}

/*
 * An "account" line: checks name and starts a new section, an empty
 * account at the end of p->cfg whose keywords are counted afresh
 * (p->seen).  Moving the array invalidates pointers to earlier accounts.
 * Returns 0, or -1 with err set (ERR_CONFIG); an account already counted
 * is freed with the rest by config_parse.
 */
static int
config_account_new(struct parser *p, const char *name)
{
	struct account *a;
	unsigned int *set;
	size_t n = p->cfg.naccounts;

	if (config_account_name(p, name) == -1)
		return -1;
	if ((set = reallocarray(p->set, n + 1, sizeof(*set))) == NULL)
		return config_nomem(p);
	p->set = set;
	if ((a = reallocarray(p->cfg.accounts, n + 1, sizeof(*a))) == NULL)
		return config_nomem(p);
	p->cfg.accounts = a;
	a = &a[n];
	memset(a, 0, sizeof(*a));
	set[n] = 0;
	/* counted before it is filled, so an error frees what is there */
	p->cfg.naccounts++;
	a->line = p->line;
	memset(p->seen, 0, sizeof(p->seen));
	if ((a->identities = calloc(1, sizeof(*a->identities))) == NULL)
		return config_nomem(p);
	if (config_strdup(p, &a->name, name) == -1 ||
	    config_strdup(p, &a->file, p->name) == -1)
		return -1;
	return 0;
}

/*
 * A "pull REMOTE DEST" line of account a (nv values in v): DEST is a
 * Maildir (config_pull_dest); REMOTE is kept as written.  Returns 0, or
 * -1 with err set (ERR_CONFIG) and a's pulls as they were.
 */
static int
config_pull(struct parser *p, struct account *a, char **v, int nv)
{
	struct pull *pl;
	struct dest d;
	char *local;

	if (config_pull_dest(p, v + 1, nv - 1, &d, &local) == -1)
		return -1;
	if ((pl = reallocarray(a->pulls, a->npulls + 1, sizeof(*pl))) ==
	    NULL) {
		free(local);
		config_dest_free(&d);
		return config_nomem(p);
	}
	a->pulls = pl;
	pl = &pl[a->npulls];
	memset(pl, 0, sizeof(*pl));
	pl->local = local;
	pl->dest = d;
	pl->line = p->line;
	if ((pl->remote = strdup(v[0])) == NULL) {
		free(local);
		config_dest_free(&pl->dest);
		return config_nomem(p);
	}
	a->npulls++;
	return 0;
}

/* Stores the nv values v of keyword kw into the current section. */
static int
config_keyword(struct parser *p, enum keyword kw, char **v, int nv)
{
	struct account *a;
	unsigned int *set;
	uint64_t n;
	char buf[80], *path;
	int rc;

	if (kw == KW_ACCOUNT)
		return config_account_new(p, v[0]);
	if (p->cfg.naccounts == 0) {
		if (kw == KW_PULL || kw == KW_ROUTE || kw == KW_FILTER ||
		    kw == KW_QUARANTINE)
			return config_error(p, "\"%s\" must follow an "
			    "\"account\" line", keywords[kw].name);
		a = &p->defaults;
		set = &p->dset;
	} else {
		a = &p->cfg.accounts[p->cfg.naccounts - 1];
		set = &p->set[p->cfg.naccounts - 1];
	}
	/*
	 * Two values for one setting is most likely a paste gone wrong;
	 * either choice would silently ignore a line the user wrote.
	 */
	if (!keywords[kw].repeat && p->seen[kw] != 0)
		return config_error(p, "\"%s\" given twice (first at line %d)",
		    keywords[kw].name, p->seen[kw]);
	if (p->seen[kw] == 0)
		p->seen[kw] = p->line;
	*set |= SET(kw);

	switch (kw) {
	case KW_HOST:
		return config_strdup(p, &a->host, v[0]);
	case KW_USER:
		return config_strdup(p, &a->user, v[0]);
	case KW_PORT:
		if (config_range(p, "port", v[0], 1, 65535, &n) == -1)
			return -1;
		a->port = (int)n;
		return 0;
	case KW_IDENTITY:
		if (config_path(p, "identity", v[0], &path) == -1)
			return -1;
		rc = config_identity_add(p, a, path);
		free(path);
		return rc;
	case KW_KNOWN_HOSTS:
		if (config_path(p, "known-hosts", v[0], &path) == -1)
			return -1;
		free(a->known_hosts);
		a->known_hosts = path;
		a->known_hosts_given = 1;
		return 0;
	case KW_SSH_CONFIG:
		a->ssh_config_given = 1;
		free(a->ssh_config);
		a->ssh_config = NULL;
		if (strcmp(v[0], "none") == 0)
			return 0;
		return config_path(p, "ssh-config", v[0], &a->ssh_config);
	case KW_PROXY_COMMAND:
		if (config_tokens(p, v[0]) == -1)
			return -1;
		return config_strdup(p, &a->proxy_command, v[0]);
	case KW_HOSTKEY_CHECK:
		a->hostkey_check_given = 1;
		if (strcmp(v[0], "yes") == 0)
			a->hostkey_check = HOSTKEY_CHECK_YES;
		else if (strcmp(v[0], "accept-new") == 0)
			a->hostkey_check = HOSTKEY_CHECK_ACCEPT_NEW;
		else if (strcmp(v[0], "no") == 0)
			return config_error(p, "\"host-key-check no\" is "
			    "refused: a server whose key is not checked can "
			    "be impersonated and the mail read; use "
			    "\"accept-new\" to trust a new host's key once");
		else
			return config_error(p, "\"host-key-check\" must be "
			    "\"yes\" or \"accept-new\", not \"%s\"",
			    config_short(v[0], buf, sizeof(buf)));
		return 0;
	case KW_PULL:
		return config_pull(p, a, v, nv);
	case KW_ROUTE:
		return config_route(p, v, nv);
	case KW_FILTER:
		return config_filter(p, v[0]);
	case KW_QUARANTINE:
		return config_quarantine(p, v[0]);
	case KW_KEEP:
		if (strcmp(v[0], "yes") == 0)
			a->keep = 1;
		else if (strcmp(v[0], "no") == 0)
			a->keep = 0;
		else
			return config_error(p, "\"keep\" must be \"yes\" or "
			    "\"no\", not \"%s\"",
			    config_short(v[0], buf, sizeof(buf)));
		return 0;
	case KW_MAX_SIZE:
		return config_size(p, v[0], &a->max_size);
	case KW_MAX_MESSAGES:
		if (strcmp(v[0], "none") == 0) {
			a->max_messages = 0;
			return 0;
		}
		return config_range(p, "max-messages", v[0], 1, UINT64_MAX,
		    &a->max_messages);
	case KW_LOG:
		free(a->log_file);
		a->log_file = NULL;
		a->log_syslog = 0;
		if (strcmp(v[0], "syslog") == 0) {
			a->log_syslog = 1;
			return 0;
		}
		if (strcmp(v[0], "off") == 0)
			return 0;
		return config_path(p, "log", v[0], &a->log_file);
	case KW_TIMEOUT:
		if (config_range(p, "timeout", v[0], 1, TIMEOUT_MAX, &n) == -1)
			return -1;
		a->timeout = (int)n;
		return 0;
	case KW_DEADLINE:
		if (config_range(p, "deadline", v[0], 1, DEADLINE_MAX,
		    &n) == -1)
			return -1;
		a->deadline = (int)n;
		return 0;
	case KW_ATTACHMENT_TYPES:
		for (rc = 0; rc < nv; rc++)
			if (config_attachment_type(p, a, v[rc]) == -1)
				return -1;
		return 0;
	case KW_COMMAND_TIMEOUT:
		if (config_range(p, "command-timeout", v[0], 1,
		    COMMAND_TIMEOUT_MAX, &n) == -1)
			return -1;
		a->command_timeout = (int)n;
		return 0;
	case KW_WATCH_INTERVAL:
		if (config_range(p, "watch-interval", v[0], 1,
		    WATCH_INTERVAL_MAX, &n) == -1)
			return -1;
		a->watch_interval = (int)n;
		return 0;
	case KW_SERVER_NOTIFY:
		if (strcmp(v[0], "yes") == 0)
			a->server_notify = 1;
		else if (strcmp(v[0], "no") == 0)
			a->server_notify = 0;
		else
			return config_error(p, "\"server-notify\" must be "
			    "\"yes\" or \"no\", not \"%s\"",
			    config_short(v[0], buf, sizeof(buf)));
		return 0;
	default:
		/* the unsupported ones never get here */
		return config_error(p, "\"%s\": internal error",
		    keywords[kw].name);
	}
}

/*
 * Splits line s (n bytes, no newline) into words in p->words, which has
 * room for the whole text: up to CONFIG_MAX_WORDS pointers in w and the
 * true count in *nw.  A "#" ends the line even inside a word.  Control
 * bytes (NUL included) are refused anywhere but in a comment: they are
 * never meant, and printed back in a message they could drive a terminal.
 */
static int
config_split(struct parser *p, const char *s, size_t n, char **w, int *nw)
{
	size_t at;

	switch (lex_words(s, n, LEX_HASH_ENDS | LEX_NO_CONTROL, p->words, w,
	    CONFIG_MAX_WORDS, nw, &at)) {
	case LEX_CONTROL:
		return config_error(p, "control character 0x%02x",
		    (unsigned char)s[at]);
	case LEX_QUOTE:
		return config_error(p, "unterminated quote");
	}
	return 0;
}

/* Reads one non-empty line: finds the keyword and checks its values. */
static int
config_line(struct parser *p, char **w, int nw)
{
	char buf[80];
	int kw, i, nv = nw - 1, most;

	for (kw = 0; kw < KW_COUNT; kw++)
		if (strcmp(w[0], keywords[kw].name) == 0)
			break;
	if (kw == KW_COUNT) {
		for (i = 0; keywords_later[i] != NULL; i++)
			if (strcmp(w[0], keywords_later[i]) == 0)
				return config_error(p, "\"%s\" is not "
				    "supported by this version of syncmail",
				    w[0]);
		return config_error(p, "unknown keyword \"%s\"",
		    config_short(w[0], buf, sizeof(buf)));
	}
	if (nv < keywords[kw].nvalues) {
		if (kw == KW_PULL)
			return config_error(p, "\"pull\" needs two values: "
			    "REMOTE DEST");
		if (kw == KW_ROUTE)
			return config_error(p, "\"route\" needs three "
			    "values: HEADER REGEX DEST");
		return config_error(p, "\"%s\" needs a value",
		    keywords[kw].name);
	}
	most = keywords[kw].maxvalues > keywords[kw].nvalues ?
	    keywords[kw].maxvalues : keywords[kw].nvalues;
	/* Of a route, config_route says what is wrong with its DEST. */
	if (nv > most && kw != KW_ROUTE) {
		if (kw == KW_PULL)
			return config_error(p, "\"pull\" takes REMOTE DEST, "
			    "not %d values (a value with spaces goes in "
			    "double quotes)", nv);
		return config_error(p, "\"%s\" takes %s, not %d (a value "
		    "with spaces goes in double quotes)", keywords[kw].name,
		    keywords[kw].nvalues == 1 ? "one value" : "two values",
		    nv);
	}
	for (i = 1; i < nw; i++)
		if (w[i][0] == '\0')
			return config_error(p, "\"%s\": empty value",
			    keywords[kw].name);
	return config_keyword(p, kw, &w[1], nv);
}

/*
 * Parses len bytes of text (need not be NUL-terminated, may hold any
 * bytes) read from file "name" (used in messages only).  home replaces a
 * leading "~/" and localuser is the default user (either may be NULL;
 * then "~/" is an error and the duplicate-mailbox check takes an unset
 * user as "").  On success fills *cfg (free with config_free) and returns
 * 0; on error returns -1 with err set to "name:LINE: what" (or "name:
 * what" for the whole file) and kind ERR_CONFIG, and *cfg is empty.
 */
int
config_parse(const char *text, size_t len, const char *name,
    const char *home, const char *localuser, struct config *cfg,
    struct error *err)
{
	struct parser p;
	char *w[CONFIG_MAX_WORDS];
	struct lex lx;
	const char *line;
	size_t linelen;
	int nw, rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.home = home;
	p.localuser = localuser;
	p.err = err;
	if (len > CONFIG_MAX_SIZE) {
		error_set(err, ERR_CONFIG, "%s: larger than %d bytes",
		    name, CONFIG_MAX_SIZE);
		goto out;
	}
	if ((p.words = malloc(len + 1)) == NULL) {
		config_nomem(&p);
		goto out;
	}
	/* a UTF-8 byte order mark, as some Windows editors write */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		lex_init(&lx, text + 3, len - 3);
	else
		lex_init(&lx, text, len);
	while (lex_line(&lx, &line, &linelen)) {
		p.line = lx.line;
		if (config_split(&p, line, linelen, w, &nw) == -1)
			goto out;
		if (nw > 0 && config_line(&p, w, nw) == -1)
			goto out;
	}
	if (config_check(&p) == -1)
		goto out;
	*cfg = p.cfg;
	memset(&p.cfg, 0, sizeof(p.cfg));
	rc = 0;
out:
	config_free(&p.cfg);
	config_account_clear(&p.defaults);
	free(p.set);
	free(p.words);
	return rc;
}

/*
 * Reads the file at path and parses it as config_parse, naming it path in
 * messages.  A file that cannot be read is a config error too: nothing
 * has been attempted yet.
 */
int
config_load(const char *path, const char *home, const char *localuser,
    struct config *cfg, struct error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_errno(err, ERR_CONFIG, "%s", path);
	if (readfile(fd, CONFIG_MAX_SIZE, &buf, &len) == -1) {
		if (errno == EFBIG)
			error_set(err, ERR_CONFIG, "%s: larger than %d "
			    "bytes", path, CONFIG_MAX_SIZE);
		else
			error_errno(err, ERR_CONFIG, "%s", path);
		goto out;
	}
	rc = config_parse(buf, len, path, home, localuser, cfg, err);
out:
	free(buf);
	close(fd);
	return rc;
}

void
config_ssh(const struct account *a, struct ssh_account *out)
{
	memset(out, 0, sizeof(*out));
	out->name = a->name;
	out->file = a->file;
	out->host = a->host;
	out->port = a->port;
	out->user = a->user;
	out->identities = a->identities;
	out->nidentities = a->nidentities;
	out->known_hosts = a->known_hosts;
	out->known_hosts_given = a->known_hosts_given;
	out->hostkey_check = a->hostkey_check;
	out->hostkey_check_given = a->hostkey_check_given;
	out->ssh_config = a->ssh_config;
	out->ssh_config_given = a->ssh_config_given;
	out->proxy_command = a->proxy_command;
	out->timeout = a->timeout;
}
