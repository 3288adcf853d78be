/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The checks that need the whole config file, run once its last line is
 * read (syncmail/config.c reads them): unique account names, what each
 * account inherits from the defaults and the built-in defaults, the
 * keywords every account needs, and one pull per remote mailbox.  The
 * searches for repeats sort copies, so that a hostile or huge file stays
 * O(n log n); each reports the first repeat in the file, as a check from
 * top to bottom would.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "syncmail/config_int.h"

/* A pull reduced to what names one mailbox, for the duplicate check. */
struct mailbox {
	const char	*host;
	int		 port;
	const char	*user;
	char		*remote;
	int		 line;
};

static int
config_check_name_cmp(const void *a, const void *b)
{
	const struct account *x = *(const struct account * const *)a;
	const struct account *y = *(const struct account * const *)b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

/*
 * Unique account names.  Among all repeats the one reported is the first
 * in the file, as a top-to-bottom check would find it.
 */
static int
config_check_names(struct parser *p)
{
	struct account **v, *first = NULL, *dup = NULL;
	size_t i, n = p->cfg.naccounts;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		return config_nomem(p);
	for (i = 0; i < n; i++)
		v[i] = &p->cfg.accounts[i];
	qsort(v, n, sizeof(*v), config_check_name_cmp);
	/* within a run of one name, sorted by line, only the second counts */
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0 &&
		    (i == 1 || strcmp(v[i - 2]->name, v[i]->name) != 0) &&
		    (dup == NULL || v[i]->line < dup->line)) {
			first = v[i - 1];
			dup = v[i];
		}
	free(v);
	if (dup == NULL)
		return 0;
	p->line = dup->line;
	return config_error(p, "duplicate account \"%s\" (first at line %d)",
	    dup->name, first->line);
}

/*
 * Gives account a, whose own keywords are in set, what the defaults set
 * and it did not, then the built-in defaults for what neither set.
 */
static int
config_check_inherit(struct parser *p, struct account *a, unsigned int set)
{
	const struct account *d = &p->defaults;
	unsigned int from = p->dset & ~set;
	size_t i;

	p->line = a->line;
	if ((from & SET(KW_HOST)) && config_strdup(p, &a->host, d->host) == -1)
		return -1;
	if ((from & SET(KW_USER)) && config_strdup(p, &a->user, d->user) == -1)
		return -1;
	if ((from & SET(KW_KNOWN_HOSTS)) &&
	    config_strdup(p, &a->known_hosts, d->known_hosts) == -1)
		return -1;
	if (from & SET(KW_KNOWN_HOSTS))
		a->known_hosts_given = 1;
	if (from & SET(KW_SSH_CONFIG)) {
		a->ssh_config_given = 1;
		if (d->ssh_config != NULL &&
		    config_strdup(p, &a->ssh_config, d->ssh_config) == -1)
			return -1;
	}
	if ((from & SET(KW_PROXY_COMMAND)) &&
	    config_strdup(p, &a->proxy_command, d->proxy_command) == -1)
		return -1;
	/* an account's own identities replace the default list, as a whole */
	if (from & SET(KW_IDENTITY))
		for (i = 0; i < d->nidentities; i++)
			if (config_identity_add(p, a, d->identities[i]) == -1)
				return -1;
	/* so do its attachment-types */
	if (from & SET(KW_ATTACHMENT_TYPES))
		for (i = 0; i < d->nattachment_types; i++)
			if (config_attachment_type(p, a,
			    d->attachment_types[i]) == -1)
				return -1;
	if (from & SET(KW_PORT))
		a->port = d->port;
	if (from & SET(KW_HOSTKEY_CHECK)) {
		a->hostkey_check = d->hostkey_check;
		a->hostkey_check_given = 1;
	}
	if (from & SET(KW_KEEP))
		a->keep = d->keep;
	if (from & SET(KW_MAX_SIZE))
		a->max_size = d->max_size;
	if (from & SET(KW_MAX_MESSAGES))
		a->max_messages = d->max_messages;
	if (from & SET(KW_TIMEOUT))
		a->timeout = d->timeout;
	if (from & SET(KW_DEADLINE))
		a->deadline = d->deadline;
	if (from & SET(KW_COMMAND_TIMEOUT))
		a->command_timeout = d->command_timeout;
	if (from & SET(KW_WATCH_INTERVAL))
		a->watch_interval = d->watch_interval;
	if (from & SET(KW_LOG)) {
		a->log_syslog = d->log_syslog;
		if (d->log_file != NULL &&
		    config_strdup(p, &a->log_file, d->log_file) == -1)
			return -1;
	}

	if (a->known_hosts == NULL &&
	    config_path(p, "known-hosts", "~/.ssh/known_hosts",
	    &a->known_hosts) == -1)
		return -1;
	/* ~/.ssh/config is read if it exists, unless "ssh-config none" */
	if (!a->ssh_config_given && p->home != NULL && p->home[0] != '\0' &&
	    config_path(p, "ssh-config", "~/.ssh/config", &a->ssh_config) == -1)
		return -1;
	if (a->timeout == 0)
		a->timeout = TIMEOUT_DEFAULT;
	if (a->deadline == 0)
		a->deadline = DEADLINE_DEFAULT;
	if (a->command_timeout == 0)
		a->command_timeout = COMMAND_TIMEOUT_DEFAULT;
	if (a->watch_interval == 0)
		a->watch_interval = WATCH_INTERVAL_DEFAULT;

	if (a->host == NULL)
		return config_error(p, "account \"%s\" has no host", a->name);
	if (a->npulls == 0)
		return config_error(p, "account \"%s\" has no pull", a->name);
	return 0;
}

/*
 * The remote Maildir as the server will resolve it, as far as can be
 * told without asking: "./Maildir/" and "Maildir" are one directory.
 */
static char *
config_check_mailbox_path(const char *remote)
{
	size_t n;

	while (remote[0] == '.' && remote[1] == '/') {
		remote += 2;
		while (*remote == '/')
			remote++;
	}
	n = strlen(remote);
	while (n > 1 && remote[n - 1] == '/')
		n--;
	if (n == 0)
		return strdup(".");
	return strndup(remote, n);
}

/* Orders by mailbox, then line; 0 only for the same mailbox and line. */
static int
config_check_mailbox_cmp(const void *a, const void *b)
{
	const struct mailbox *x = a, *y = b;
	int c;

	/* host names are case-insensitive; the rest is compared as bytes */
	if ((c = strcasecmp(x->host, y->host)) != 0)
		return c;
	if (x->port != y->port)
		return (x->port > y->port) - (x->port < y->port);
	if ((c = strcmp(x->user, y->user)) != 0)
		return c;
	if ((c = strcmp(x->remote, y->remote)) != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

static int
config_check_mailbox_same(const struct mailbox *x, const struct mailbox *y)
{
	return strcasecmp(x->host, y->host) == 0 && x->port == y->port &&
	    strcmp(x->user, y->user) == 0 && strcmp(x->remote, y->remote) == 0;
}

/*
 * Two pulls of one remote Maildir would race: both list a message, one
 * deletes it after delivery, the other delivers it again or fails.  The
 * pull reported is the first in the file that repeats an earlier one.
 */
static int
config_check_mailboxes(struct parser *p)
{
	struct mailbox *v, *first = NULL, *dup = NULL;
	struct account *a;
	size_t i, j, n = 0, k = 0;
	int rc = -1;

	for (i = 0; i < p->cfg.naccounts; i++)
		n += p->cfg.accounts[i].npulls;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return config_nomem(p);
	for (i = 0; i < p->cfg.naccounts; i++) {
		a = &p->cfg.accounts[i];
		for (j = 0; j < a->npulls; j++, k++) {
			v[k].host = a->host;
			v[k].port = a->port != 0 ? a->port : 22;
			v[k].user = a->user != NULL ? a->user :
			    p->localuser != NULL ? p->localuser : "";
			v[k].line = a->pulls[j].line;
			v[k].remote = config_check_mailbox_path(a->pulls[j].remote);
			if (v[k].remote == NULL) {
				config_nomem(p);
				goto out;
			}
		}
	}
	qsort(v, n, sizeof(*v), config_check_mailbox_cmp);
	/* within a run of one mailbox, sorted by line, only the second counts */
	for (i = 1; i < n; i++)
		if (config_check_mailbox_same(&v[i - 1], &v[i]) &&
		    (i == 1 || !config_check_mailbox_same(&v[i - 2], &v[i])) &&
		    (dup == NULL || v[i].line < dup->line)) {
			first = &v[i - 1];
			dup = &v[i];
		}
	if (dup == NULL) {
		rc = 0;
		goto out;
	}
	p->line = dup->line;
	if (dup->port == 22)
		config_error(p, "two pulls of the same mailbox %s@%s:%s "
		    "(lines %d and %d)", dup->user, dup->host, dup->remote,
		    first->line, dup->line);
	else
		config_error(p, "two pulls of the same mailbox %s@[%s]:%d:%s "
		    "(lines %d and %d)", dup->user, dup->host, dup->port,
		    dup->remote, first->line, dup->line);
out:
	for (i = 0; i < n; i++)
		free(v[i].remote);
	free(v);
	return rc;
}

/*
 * The mailboxes are compared only once every account has what it
 * inherits: a pull's host, port and user may come from the defaults.
 */
int
config_check(struct parser *p)
{
	size_t i, j;

	if (p->cfg.naccounts == 0)
		return error_set(p->err, ERR_CONFIG, "%s: no account",
		    p->name);
	if (config_check_names(p) == -1)
		return -1;
	for (i = 0; i < p->cfg.naccounts; i++) {
		if (config_check_inherit(p, &p->cfg.accounts[i],
		    p->set[i]) == -1)
			return -1;
		for (j = 0; j < p->cfg.accounts[i].npulls; j++)
			if (config_filter_check(p,
			    &p->cfg.accounts[i].pulls[j]) == -1)
				return -1;
	}
	return config_check_mailboxes(p);
}
