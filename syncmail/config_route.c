/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Where the config sends messages (SPEC 8): a pull's DEST and its "route"
 * lines.  Everything a route could get wrong is found here, at file:line,
 * before anything runs: a regex that does not compile, a %N the regex
 * does not capture, a field name that cannot be one, "discard" where
 * nothing can be discarded, an attachment-types pattern that is no type.
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "syncmail/config_int.h"

/* A route's regex is the user's; a longer one is more likely a paste error. */
#define ROUTE_REGEX_MAX		1024

/*
 * Checks the %-tokens of a route's path: %1 to %9 within the ngroups the
 * regex has, and %%; anything else after a % is an error (a typo that
 * would otherwise name a folder).  Sets *templated.
 */
static int
route_tokens(struct parser *p, const char *path, int ngroups,
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
		if (*s - '0' > ngroups)
			return config_error(p, "\"route\": %%%c, but the regex "
			    "captures %d group%s", *s, ngroups,
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
 * The DEST of a pull or a route (kw, for messages: the nv words in v)
 * into d.  In a route (ngroups: the groups its regex captures; -1 for a
 * pull) a path may hold %N.  0, or -1 with the error set and d holding
 * nothing.
 */
static int
parse_dest(struct parser *p, const char *kw, char **v, int nv, int ngroups,
    struct dest *d)
{
	const char *path;

	memset(d, 0, sizeof(*d));
	if (strcmp(v[0], "discard") == 0) {
		if (ngroups == -1)
			return config_error(p, "\"discard\" is a route's "
			    "destination, not a pull's: every message of a "
			    "pull would be deleted unread");
		if (nv != 1)
			return config_error(p, "\"%s\": \"discard\" takes "
			    "no value", kw);
		d->kind = DEST_DISCARD;
		return 0;
	}
	if (strcmp(v[0], "pipe") == 0) {
		if (nv != 2)
			return config_error(p, "\"%s\": \"pipe\" takes one "
			    "command (in double quotes when it has spaces)",
			    kw);
		d->kind = DEST_PIPE;
		if ((d->command = strdup(v[1])) == NULL)
			return config_nomem(p);
		return 0;
	}
	if (strcmp(v[0], "attachments") == 0) {
		if (nv != 2 && nv != 3)
			return config_error(p, "\"%s\": \"attachments\" takes "
			    "DIR and perhaps MAILDIR", kw);
		d->kind = DEST_ATTACH;
		if (ngroups >= 0 && (route_tokens(p, v[1], ngroups,
		    &d->templated) == -1 || (nv == 3 && route_tokens(p, v[2],
		    ngroups, &d->maildir_templated) == -1)))
			return -1;
		if (config_path(p, kw, v[1], &d->path) == -1 ||
		    (nv == 3 && config_path(p, kw, v[2], &d->maildir) == -1)) {
			config_dest_free(d);
			return -1;
		}
		return 0;
	}
	if (strcmp(v[0], "maildir") == 0) {
		if (nv != 2)
			return config_error(p, "\"%s\": \"maildir\" takes "
			    "one path", kw);
		path = v[1];
	} else if (nv != 1)
		return config_error(p, "\"%s\" takes %s DEST, not %d values "
		    "(a value with spaces goes in double quotes)", kw,
		    ngroups == -1 ? "REMOTE" : "HEADER REGEX",
		    nv + (ngroups == -1 ? 1 : 2));
	else
		path = v[0];
	d->kind = DEST_MAILDIR;
	if (ngroups >= 0 && route_tokens(p, path, ngroups, &d->templated) == -1)
		return -1;
	return config_path(p, kw, path, &d->path);
}

int
config_pull_dest(struct parser *p, char **v, int nv, struct dest *d,
    char **local)
{
	const char *staging = NULL;

	*local = NULL;
	if (parse_dest(p, "pull", v, nv, -1, d) == -1)
		return -1;
	switch (d->kind) {
	case DEST_MAILDIR:
		/* the pull's Maildir is its local, not a second copy */
		*local = d->path;
		d->path = NULL;
		return 0;
	case DEST_ATTACH:
		if (d->maildir != NULL) {
			if ((*local = strdup(d->maildir)) == NULL) {
				config_dest_free(d);
				return config_nomem(p);
			}
			return 0;
		}
		staging = PULL_STAGING;
		break;
	default:
		staging = PULL_STAGING;
		break;
	}
	if (config_path(p, "pull", staging, local) == -1) {
		config_dest_free(d);
		return -1;
	}
	return 0;
}

void
config_dest_free(struct dest *d)
{
	free(d->path);
	free(d->maildir);
	free(d->command);
	memset(d, 0, sizeof(*d));
}

int
config_attachment_type(struct parser *p, struct account *a,
    const char *pattern)
{
	const char *s, *slash = strchr(pattern, '/');
	char **v, *t;

	if (slash == NULL || slash == pattern || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || strlen(pattern) > 127)
		return config_error(p, "\"attachment-types\": \"%.80s\" is "
		    "not a type/subtype pattern (\"application/pdf\", "
		    "\"image/*\")", pattern);
	for (s = pattern; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			return config_error(p, "\"attachment-types\": "
			    "\"%.80s\" holds a byte a type cannot have",
			    pattern);
	if ((v = reallocarray(a->attachment_types, a->nattachment_types + 2,
	    sizeof(*v))) == NULL)
		return config_nomem(p);
	a->attachment_types = v;
	if ((t = strdup(pattern)) == NULL) {
		v[a->nattachment_types] = NULL;
		return config_nomem(p);
	}
	for (s = t; *s != '\0'; s++)
		t[s - t] = (char)tolower((unsigned char)*s);
	v[a->nattachment_types++] = t;
	v[a->nattachment_types] = NULL;
	return 0;
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
	if (parse_dest(p, "route", v + 2, nv - 2, (int)rt.re.re_nsub,
	    &rt.dest) == -1)
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
	config_dest_free(&rt.dest);
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
		config_dest_free(&pl->routes[i].dest);
	}
	free(pl->routes);
	pl->routes = NULL;
	pl->nroutes = 0;
}
