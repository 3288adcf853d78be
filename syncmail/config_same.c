/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Whether two readings of an account say the same (config.h): watch mode
 * keeps watching an account that a SIGHUP's config left as it was, and
 * restarts one that changed (SPEC 9).  Every field that changes what the
 * account does counts; where it was written (file, line) does not.
 */
#include <string.h>

#include "syncmail/config.h"

/* Two strings, either may be NULL: 1 when both are NULL or equal. */
static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return 0;
	return 1;
}

static int
same_dest(const struct dest *a, const struct dest *b)
{
	return a->kind == b->kind && same_str(a->path, b->path) &&
	    same_str(a->maildir, b->maildir) &&
	    a->templated == b->templated &&
	    a->maildir_templated == b->maildir_templated &&
	    same_str(a->command, b->command);
}

static int
same_pull(const struct pull *a, const struct pull *b)
{
	size_t i;

	if (!same_str(a->remote, b->remote) || !same_str(a->local, b->local) ||
	    !same_dest(&a->dest, &b->dest) || a->nroutes != b->nroutes ||
	    !same_str(a->filter, b->filter) ||
	    !same_str(a->quarantine, b->quarantine))
		return 0;
	for (i = 0; i < a->nroutes; i++)
		if (!same_str(a->routes[i].header, b->routes[i].header) ||
		    !same_str(a->routes[i].regex, b->routes[i].regex) ||
		    !same_dest(&a->routes[i].dest, &b->routes[i].dest))
			return 0;
	return 1;
}

int
config_account_same(const struct account *a, const struct account *b)
{
	size_t i;

	if (!same_str(a->name, b->name) || !same_str(a->host, b->host) ||
	    a->port != b->port || !same_str(a->user, b->user) ||
	    !same_strv(a->identities, a->nidentities, b->identities,
	    b->nidentities) ||
	    !same_str(a->known_hosts, b->known_hosts) ||
	    a->hostkey_check != b->hostkey_check ||
	    a->known_hosts_given != b->known_hosts_given ||
	    a->hostkey_check_given != b->hostkey_check_given ||
	    !same_str(a->ssh_config, b->ssh_config) ||
	    a->ssh_config_given != b->ssh_config_given ||
	    !same_str(a->proxy_command, b->proxy_command) ||
	    a->npulls != b->npulls || a->keep != b->keep ||
	    a->max_size != b->max_size || a->max_messages != b->max_messages ||
	    a->timeout != b->timeout || a->deadline != b->deadline ||
	    a->command_timeout != b->command_timeout ||
	    a->watch_interval != b->watch_interval ||
	    a->server_notify != b->server_notify ||
	    !same_strv(a->attachment_types, a->nattachment_types,
	    b->attachment_types, b->nattachment_types) ||
	    a->log_syslog != b->log_syslog ||
	    !same_str(a->log_file, b->log_file))
		return 0;
	for (i = 0; i < a->npulls; i++)
		if (!same_pull(&a->pulls[i], &b->pulls[i]))
			return 0;
	return 1;
}
