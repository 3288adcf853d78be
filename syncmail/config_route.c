/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Where the config sends messages (SPEC 8): a pull's DEST and its "route"
 * lines.  Everything a route could get wrong is found here, at file:line,
 * before anything runs: a regex that does not compile, a %N the regex
 * does not capture, a field name that cannot be one, "discard" where
 * nothing can be discarded.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "syncmail/config_int.h"

/* A route's regex is the user's; a longer one is more likely a paste error. */
#define ROUTE_REGEX_MAX		1024

/*
 * The words of SPEC 8's destinations that this version does not build
 * yet: refused by name, never taken for a path or ignored.
 */
static const char *const dests_later[] = { "attachments", NULL };

/* Whether w names a destination this version refuses; then the error. */
static int
dest_later(struct parser *p, const char *w)
{
	size_t i;

	for (i = 0; dests_later[i] != NULL; i++)
		if (strcmp(w, dests_later[i]) == 0)
			return config_error(p, "destination \"%s\" is not "
			    "supported by this version of syncmail", w);
	return 0;
}

int
config_pull_dest(struct parser *p, char **v, int nv, char **local)
{
	if (dest_later(p, v[0]) == -1)
		return -1;
	if (strcmp(v[0], "pipe") == 0)
		return config_error(p, "\"pipe\" as a pull's DEST is not "
		    "supported by this version of syncmail: a route may send "
		    "messages to a command");
	if (strcmp(v[0], "discard") == 0)
		return config_error(p, "\"discard\" is a route's destination, "
		    "not a pull's: every message of a pull would be deleted "
		    "unread");
	if (strcmp(v[0], "maildir") == 0) {
		if (nv != 2)
			return config_error(p, "\"pull\": \"maildir\" takes "
			    "one path");
		return config_path(p, "pull", v[1], local);
	}
	if (nv != 1)
		return config_error(p, "\"pull\" takes REMOTE DEST, not %d "
		    "values (a value with spaces goes in double quotes)",
		    nv + 1);
	return config_path(p, "pull", v[0], local);
}

/*
 * Checks the %-tokens of a route's path: %1 to %9 within the ngroups the
 * regex has, and %%; anything else after a % is an error (a typo that
 * would otherwise name a folder).  Sets *templated.
 */
static int
route_tokens(struct parser *p, const char *path, size_t ngroups,
    int *templated)
{
	const char *s;

	*templated = 0;
	for (s = path; *s != '\0'; s++) {
		if (*s != '%')
			continue;
		s++;
		if (*s == '%')
			continue;
		if (*s < '1' || *s > '9')
			return config_error(p, "\"route\": \"%%%c\" in a path: "
			    "only %%1 to %%9 and %%%% are known", *s == '\0' ?
			    ' ' : *s);
		if ((size_t)(*s - '0') > ngroups)
			return config_error(p, "\"route\": %%%c, but the regex "
			    "captures %zu group%s", *s, ngroups,
			    ngroups == 1 ? "" : "s");
		*templated = 1;
	}
	return 0;
}

/* Whether name can be a header field's name (RFC 5322: printable, no colon). */
static int
field_name_ok(const char *name)
{
	const unsigned char *s;

	for (s = (const unsigned char *)name; *s != '\0'; s++)
		if (*s < 33 || *s > 126 || *s == ':')
			return 0;
	return s != (const unsigned char *)name;
}

/*
 * The DEST of a route (the nv words in v) into d, checked against the
 * regex's ngroups.  0, or -1 with the error set and d holding nothing.
 */
static int
route_dest(struct parser *p, char **v, int nv, size_t ngroups,
    struct dest *d)
{
	const char *path;

	memset(d, 0, sizeof(*d));
	if (dest_later(p, v[0]) == -1)
		return -1;
	if (strcmp(v[0], "discard") == 0) {
		if (nv != 1)
			return config_error(p, "\"route\": \"discard\" takes "
			    "no value");
		d->kind = DEST_DISCARD;
		return 0;
	}
	if (strcmp(v[0], "pipe") == 0) {
		if (nv != 2)
			return config_error(p, "\"route\": \"pipe\" takes one "
			    "command (in double quotes when it has spaces)");
		d->kind = DEST_PIPE;
		if ((d->command = strdup(v[1])) == NULL)
			return config_nomem(p);
		return 0;
	}
	if (strcmp(v[0], "maildir") == 0) {
		if (nv != 2)
			return config_error(p, "\"route\": \"maildir\" takes "
			    "one path");
		path = v[1];
	} else if (nv != 1)
		return config_error(p, "\"route\" takes HEADER REGEX DEST, "
		    "not %d values (a value with spaces goes in double "
		    "quotes)", nv + 2);
	else
		path = v[0];
	d->kind = DEST_MAILDIR;
	if (route_tokens(p, path, ngroups, &d->templated) == -1)
		return -1;
	return config_path(p, "route", path, &d->path);
}

int
config_route(struct parser *p, char **v, int nv)
{
	struct account *a = &p->cfg.accounts[p->cfg.naccounts - 1];
	struct pull *pl;
	struct route *r, rt;
	char buf[256];
	int rc;

	if (a->npulls == 0)
		return config_error(p, "\"route\" must follow a \"pull\" line "
		    "of its account: the routes belong to that pull");
	pl = &a->pulls[a->npulls - 1];
	if (!field_name_ok(v[0]))
		return config_error(p, "\"route\": \"%.80s\" is not a "
		    "header field name", v[0]);
	if (strlen(v[1]) > ROUTE_REGEX_MAX)
		return config_error(p, "\"route\": the regex is longer than "
		    "%d bytes", ROUTE_REGEX_MAX);
	memset(&rt, 0, sizeof(rt));
	if ((rc = regcomp(&rt.re, v[1], REG_EXTENDED | REG_ICASE)) != 0) {
		regerror(rc, &rt.re, buf, sizeof(buf));
		regfree(&rt.re);
		return config_error(p, "\"route\": invalid regex \"%.200s\": %s",
		    v[1], buf);
	}
	if (route_dest(p, v + 2, nv - 2, rt.re.re_nsub, &rt.dest) == -1)
		goto fail;
	rt.line = p->line;
	if ((rt.header = strdup(v[0])) == NULL ||
	    (rt.regex = strdup(v[1])) == NULL ||
	    (r = reallocarray(pl->routes, pl->nroutes + 1,
	    sizeof(*r))) == NULL) {
		config_nomem(p);
		goto fail;
	}
	pl->routes = r;
	pl->routes[pl->nroutes++] = rt;
	return 0;
fail:
	regfree(&rt.re);
	free(rt.header);
	free(rt.regex);
	free(rt.dest.path);
	free(rt.dest.command);
	return -1;
}

void
config_routes_free(struct pull *pl)
{
	size_t i;

	for (i = 0; i < pl->nroutes; i++) {
		regfree(&pl->routes[i].re);
		free(pl->routes[i].header);
		free(pl->routes[i].regex);
		free(pl->routes[i].dest.path);
		free(pl->routes[i].dest.command);
	}
	free(pl->routes);
	pl->routes = NULL;
	pl->nroutes = 0;
}
