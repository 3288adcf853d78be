/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * OpenSSH's client config, read for one host (ssh_config(5)).  The rules
 * follow ssh's own: lines before the first Host apply to every host; a
 * Host line's patterns decide whether the lines up to the next Host or
 * Match apply; for each keyword the first value that applies wins; an
 * Included file starts in the state of the line that includes it and
 * cannot change that state for the lines after the Include.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sftp/sshconfig.h"
#include "util/lex.h"
#include "util/match.h"
#include "util/readfile.h"

/* As for syncmail.conf: far above any real file, bounds a wrong one. */
#define SSHCONFIG_MAX_SIZE	(1024 * 1024)
/* ssh's own limit on nested Include. */
#define SSHCONFIG_MAX_DEPTH	16
/* Host may list many patterns; more than this on one line is refused. */
#define SSHCONFIG_MAX_WORDS	256

struct sshconfig_state {
	const char		*file;
	const char		*host;
	const char		*home;
	int			 depth;
	int			 line;
	int			 active;	/* the current lines apply */
	int			 nevermatch;	/* inside an inactive Include */
	struct sshconfig_host	*out;
	struct error		*err;
};

static int
sshconfig_error(struct sshconfig_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
sshconfig_error(struct sshconfig_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vat(st->err, ERR_CONFIG, st->file, st->line, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * sshconfig_split on len bytes: the keyword ends at a blank or "=", has
 * no quoting, and is kept as written; the words after it are split as
 * ssh does, where a "#" inside a word is part of it.
 */
static int
sshconfig_words(const char *line, size_t len, char *buf, char **w, int max,
    int *n, const char **rest, size_t *restlen)
{
	const char *s = line, *end = line + len, *kw, *eq;
	size_t kwlen, at;
	int rc;

	*n = 0;
	*rest = "";
	*restlen = 0;
	if (lex_empty(line, len))
		return 0;
	kw = lex_field(&s, end, &kwlen);
	if ((eq = memchr(kw, '=', kwlen)) != NULL) {
		kwlen = eq - kw;
		s = eq;
	}
	if (max > 0)
		w[0] = buf;
	memcpy(buf, kw, kwlen);
	buf[kwlen] = '\0';
	s += lex_skip(s, end - s);
	if (s < end && *s == '=') {
		s++;
		s += lex_skip(s, end - s);
	}
	*rest = s;
	*restlen = lex_trim(s, end - s);
	rc = lex_words(s, end - s, 0, buf + kwlen + 1, w + 1,
	    max > 0 ? max - 1 : 0, n, &at);
	(*n)++;
	return rc == 0 ? 0 : -1;
}

int
sshconfig_split(const char *line, char *buf, char **w, int max, int *n,
    const char **rest, size_t *restlen)
{
	return sshconfig_words(line, strlen(line), buf, w, max, n, rest,
	    restlen);
}

int
sshconfig_expand(const char *s, const char *allowed, int tilde,
    const struct sshconfig_tokens *t, const char *what, char **out,
    struct error *err)
{
	const char *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = -1;

	*out = NULL;
	if ((f = open_memstream(&buf, &len)) == NULL)
		return error_errno(err, ERR_CONFIG, "%s", what);
	if (tilde && s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		/* "~user/" is not supported: cron jobs run as one user */
		if (t->home == NULL) {
			error_set(err, ERR_CONFIG, "%s: \"~\": the home "
			    "directory is not known", what);
			goto out;
		}
		fputs(t->home, f);
		s++;
	}
	for (; *s != '\0'; s++) {
		if (*s != '%') {
			fputc(*s, f);
			continue;
		}
		s++;
		if (*s == '%') {
			fputc('%', f);
			continue;
		}
		v = NULL;
		if (*s != '\0' && strchr(allowed, *s) != NULL) {
			switch (*s) {
			case 'd': v = t->home; break;
			case 'u': v = t->localuser; break;
			case 'h': v = t->host; break;
			case 'n': v = t->alias; break;
			case 'p': v = t->port; break;
			case 'r': v = t->user; break;
			}
		}
		if (v == NULL) {
			if (*s == '\0')
				error_set(err, ERR_CONFIG, "%s: \"%%\" at the "
				    "end (write \"%%%%\" for a %%)", what);
			else if (isprint((unsigned char)*s))
				error_set(err, ERR_CONFIG, "%s: unknown token "
				    "\"%%%c\" (known: %%%% and %%%s)", what, *s,
				    allowed);
			else
				error_set(err, ERR_CONFIG, "%s: unknown "
				    "token", what);
			goto out;
		}
		fputs(v, f);
	}
	rc = 0;
out:
	if (fclose(f) != 0 && rc == 0)
		rc = error_errno(err, ERR_CONFIG, "%s", what);
	if (rc == 0)
		*out = buf;
	else
		free(buf);
	return rc;
}

/* Sets *dst to a copy of v unless an earlier line set it. */
static int
sshconfig_first(struct sshconfig_state *st, char **dst, const char *v)
{
	if (*dst != NULL)
		return 0;
	if ((*dst = strdup(v)) == NULL)
		return sshconfig_error(st, "out of memory");
	return 0;
}

/*
 * Appends a copy of v to the host's identities: unlike the other
 * keywords every IdentityFile that applies counts, in order, as ssh
 * tries them all.  Returns 0, or -1 with err set ("FILE:LINE: out of
 * memory"); the list stays whole, freed by sshconfig_host_free.
 */
static int
sshconfig_identity(struct sshconfig_state *st, const char *v)
{
	struct sshconfig_host *h = st->out;
	char **n;

	if ((n = reallocarray(h->identities, h->nidentities + 1,
	    sizeof(*n))) == NULL)
		return sshconfig_error(st, "out of memory");
	h->identities = n;
	if ((n[h->nidentities] = strdup(v)) == NULL)
		return sshconfig_error(st, "out of memory");
	h->nidentities++;
	return 0;
}

static int	sshconfig_file(struct sshconfig_state *, const char *, int);
static int	sshconfig_text(struct sshconfig_state *, const char *, size_t);

/*
 * Include: each word may be a glob; relative names are in ~/.ssh, as ssh
 * takes them in a user's config.  Files are read in sorted order; a
 * pattern that matches nothing is no error (ssh does the same).
 */
static int
sshconfig_include(struct sshconfig_state *st, char **w, int n)
{
	struct sshconfig_state sub;
	struct sshconfig_tokens tok;
	glob_t g;
	char *path = NULL, *full = NULL;
	size_t i;
	int k, rc, ret = -1;

	if (n < 2)
		return sshconfig_error(st, "Include needs a file name");
	if (st->depth >= SSHCONFIG_MAX_DEPTH)
		return sshconfig_error(st, "Include nested more than %d deep",
		    SSHCONFIG_MAX_DEPTH);
	memset(&tok, 0, sizeof(tok));
	tok.home = st->home;
	for (k = 1; k < n; k++) {
		if (sshconfig_expand(w[k], "", 1, &tok, "Include", &path,
		    st->err) == -1) {
			error_prefix(st->err, "%s:%d", st->file, st->line);
			return -1;
		}
		if (path[0] != '/') {
			if (st->home == NULL) {
				free(path);
				return sshconfig_error(st, "Include %s: the "
				    "home directory is not known", w[k]);
			}
			if (asprintf(&full, "%s/.ssh/%s", st->home,
			    path) == -1) {
				free(path);
				return sshconfig_error(st, "out of memory");
			}
			free(path);
			path = full;
			full = NULL;
		}
		memset(&g, 0, sizeof(g));
		rc = glob(path, 0, NULL, &g);
		free(path);
		path = NULL;
		if (rc == GLOB_NOMATCH)
			continue;
		if (rc != 0) {
			globfree(&g);
			return sshconfig_error(st, "Include %s: cannot "
			    "expand", w[k]);
		}
		for (i = 0; i < g.gl_pathc; i++) {
			sub = *st;
			sub.depth = st->depth + 1;
			sub.nevermatch = st->nevermatch || !st->active;
			if (sshconfig_file(&sub, g.gl_pathv[i], 1) == -1) {
				globfree(&g);
				goto out;
			}
		}
		globfree(&g);
	}
	ret = 0;
out:
	return ret;
}

/* One keyword line of an applying section: first value wins. */
static int
sshconfig_keyword(struct sshconfig_state *st, char **w, int n,
    const char *rest, size_t restlen)
{
	struct sshconfig_host *h = st->out;
	const char *kw = w[0];
	char *end;
	long l;

	if (strcasecmp(kw, "HostName") != 0 &&
	    strcasecmp(kw, "Port") != 0 &&
	    strcasecmp(kw, "User") != 0 &&
	    strcasecmp(kw, "IdentityFile") != 0 &&
	    strcasecmp(kw, "UserKnownHostsFile") != 0 &&
	    strcasecmp(kw, "StrictHostKeyChecking") != 0 &&
	    strcasecmp(kw, "ProxyCommand") != 0)
		return 0;	/* not ours: ignored, as the SPEC says */
	if (n < 2)
		return sshconfig_error(st, "%s needs a value", kw);

	if (strcasecmp(kw, "HostName") == 0)
		return sshconfig_first(st, &h->hostname, w[1]);
	if (strcasecmp(kw, "User") == 0)
		return sshconfig_first(st, &h->user, w[1]);
	if (strcasecmp(kw, "UserKnownHostsFile") == 0)
		return sshconfig_first(st, &h->known_hosts, w[1]);
	if (strcasecmp(kw, "IdentityFile") == 0)
		return sshconfig_identity(st, w[1]);
	if (strcasecmp(kw, "Port") == 0) {
		errno = 0;
		l = strtol(w[1], &end, 10);
		if (errno != 0 || *end != '\0' || end == w[1] || l < 1 ||
		    l > 65535 || !isdigit((unsigned char)w[1][0]))
			return sshconfig_error(st, "Port must be 1-65535");
		if (h->port == 0)
			h->port = (int)l;
		return 0;
	}
	if (strcasecmp(kw, "StrictHostKeyChecking") == 0) {
		enum sshconfig_check c;

		if (strcasecmp(w[1], "yes") == 0 ||
		    strcasecmp(w[1], "true") == 0 ||
		    strcasecmp(w[1], "ask") == 0)
			c = SSHCONFIG_CHECK_YES;
		else if (strcasecmp(w[1], "accept-new") == 0)
			c = SSHCONFIG_CHECK_ACCEPT_NEW;
		else if (strcasecmp(w[1], "no") == 0 ||
		    strcasecmp(w[1], "off") == 0 ||
		    strcasecmp(w[1], "false") == 0)
			c = SSHCONFIG_CHECK_NO;
		else
			return sshconfig_error(st, "StrictHostKeyChecking: "
			    "unknown value");
		if (h->check != SSHCONFIG_CHECK_UNSET)
			return 0;
		h->check = c;
		if (asprintf(&h->check_where, "%s:%d", st->file,
		    st->line) == -1) {
			h->check_where = NULL;
			return sshconfig_error(st, "out of memory");
		}
		return 0;
	}
	/* ProxyCommand: the rest of the line is the command, as in ssh. */
	if (h->proxy_set)
		return 0;
	h->proxy_set = 1;
	if (n == 2 && strcasecmp(w[1], "none") == 0)
		return 0;
	if ((h->proxy_command = strndup(rest, restlen)) == NULL)
		return sshconfig_error(st, "out of memory");
	return 0;
}

/*
 * Parses len bytes of text line by line, st->file and st->line naming
 * where for messages: a Host line sets whether the lines after it apply
 * (never inside an inactive Include), Match turns them off, Include reads
 * its files in a copy of st, and applying keyword lines fill st->out
 * with copies of their values.  Returns 0, or -1 with err set
 * (ERR_CONFIG, "FILE:LINE: what"); st->out keeps what the lines before
 * set, for sshconfig_host_free.
 */
static int
sshconfig_text(struct sshconfig_state *st, const char *text, size_t len)
{
	char *w[SSHCONFIG_MAX_WORDS], *buf = NULL;
	const char *line, *rest;
	struct lex lx;
	size_t linelen, restlen;
	int n, rc = -1;

	lex_init(&lx, text, len);
	st->line = 0;
	while (lex_line(&lx, &line, &linelen)) {
		st->line = lx.line;
		free(buf);
		if ((buf = malloc(linelen + 1)) == NULL) {
			sshconfig_error(st, "out of memory");
			goto out;
		}
		/* a NUL would end the line for ssh, and hide the rest of it */
		if (memchr(line, '\0', linelen) != NULL) {
			sshconfig_error(st, "NUL byte in line");
			goto out;
		}
		if (sshconfig_words(line, linelen, buf, w, SSHCONFIG_MAX_WORDS,
		    &n, &rest, &restlen) == -1) {
			sshconfig_error(st, "unterminated quote");
			goto out;
		}
		if (n == 0)
			continue;
		if (n > SSHCONFIG_MAX_WORDS) {
			sshconfig_error(st, "more than %d words",
			    SSHCONFIG_MAX_WORDS);
			goto out;
		}
		if (strcasecmp(w[0], "Host") == 0) {
			if (n < 2) {
				sshconfig_error(st, "Host needs a pattern");
				goto out;
			}
			st->active = !st->nevermatch &&
			    match_words(w + 1, n - 1, st->host);
		} else if (strcasecmp(w[0], "Match") == 0) {
			/* not evaluated: its lines never apply */
			st->active = 0;
		} else if (strcasecmp(w[0], "Include") == 0) {
			if (sshconfig_include(st, w, n) == -1)
				goto out;
		} else if (st->active &&
		    sshconfig_keyword(st, w, n, rest, restlen) == -1)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Reads the file at path into a state of its own and parses it. */
static int
sshconfig_file(struct sshconfig_state *st, const char *path, int must_exist)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && !must_exist)
			return 0;
		if (st->file != NULL)
			return error_errno(st->err, ERR_CONFIG, "%s:%d: "
			    "Include %s", st->file, st->line, path);
		return error_errno(st->err, ERR_CONFIG, "%s", path);
	}
	if (readfile(fd, SSHCONFIG_MAX_SIZE, &buf, &len) == -1) {
		if (errno == EFBIG)
			error_set(st->err, ERR_CONFIG, "%s: larger than %d "
			    "bytes", path, SSHCONFIG_MAX_SIZE);
		else
			error_errno(st->err, ERR_CONFIG, "%s", path);
		goto out;
	}
	st->file = path;
	rc = sshconfig_text(st, buf, len);
out:
	free(buf);
	close(fd);
	return rc;
}

int
sshconfig_parse(const char *text, size_t len, const char *file,
    const char *host, const char *home, int depth,
    struct sshconfig_host *out, struct error *err)
{
	struct sshconfig_state st;

	memset(&st, 0, sizeof(st));
	st.file = file;
	st.host = host;
	st.home = home;
	st.depth = depth;
	st.active = 1;
	st.out = out;
	st.err = err;
	return sshconfig_text(&st, text, len);
}

int
sshconfig_load(const char *path, const char *host, const char *home,
    int must_exist, struct sshconfig_host *out, struct error *err)
{
	struct sshconfig_state st;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.host = host;
	st.home = home;
	st.active = 1;
	st.out = out;
	st.err = err;
	return sshconfig_file(&st, path, must_exist);
}

void
sshconfig_host_free(struct sshconfig_host *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->hostname);
	free(h->user);
	for (i = 0; i < h->nidentities; i++)
		free(h->identities[i]);
	free(h->identities);
	free(h->known_hosts);
	free(h->check_where);
	free(h->proxy_command);
	memset(h, 0, sizeof(*h));
}

/* Appends a copy of path, made absolute from home, to t's identities. */
static int
sshconfig_target_identity(struct sshconfig_target *t, const char *path,
    const char *home, struct error *err)
{
	char **n, *full;

	/*
	 * ssh takes a relative IdentityFile from its working directory;
	 * cron's is the home directory, where a user tried it by hand.
	 */
	if (path[0] == '/')
		full = strdup(path);
	else if (home == NULL)
		return error_set(err, ERR_CONFIG, "IdentityFile %s: the "
		    "home directory is not known", path);
	else if (asprintf(&full, "%s/%s", home, path) == -1)
		full = NULL;
	if (full == NULL)
		return error_errno(err, ERR_CONFIG, "IdentityFile");
	if ((n = reallocarray(t->identities, t->nidentities + 1,
	    sizeof(*n))) == NULL) {
		free(full);
		return error_errno(err, ERR_CONFIG, "IdentityFile");
	}
	t->identities = n;
	n[t->nidentities++] = full;
	return 0;
}

static void
sshconfig_from(struct sshconfig_target *t, const char *what)
{
	if (t->from[0] != '\0')
		strlcat(t->from, " ", sizeof(t->from));
	strlcat(t->from, what, sizeof(t->from));
}

int
sshconfig_resolve(const struct ssh_account *a, const char *home,
    const char *localuser, struct sshconfig_target *t, struct error *err)
{
	struct sshconfig_host h;
	struct sshconfig_tokens tok;
	const char *proxy = NULL, *s;
	char port[16], *path;
	size_t i;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	memset(&h, 0, sizeof(h));
	if (a->ssh_config != NULL && sshconfig_load(a->ssh_config, a->host,
	    home, a->ssh_config_given, &h, err) == -1)
		goto out;

	if ((t->alias = strdup(a->host)) == NULL)
		goto nomem;
	t->port = a->port != 0 ? a->port : h.port != 0 ? h.port : 22;
	if (a->port == 0 && h.port != 0)
		sshconfig_from(t, "Port");
	s = a->user != NULL ? a->user : h.user != NULL ? h.user : localuser;
	if (a->user == NULL && h.user != NULL)
		sshconfig_from(t, "User");
	if (s == NULL) {
		error_set(err, ERR_CONFIG, "no remote user");
		goto out;
	}
	if ((t->user = strdup(s)) == NULL)
		goto nomem;
	snprintf(port, sizeof(port), "%d", t->port);
	memset(&tok, 0, sizeof(tok));
	tok.home = home;
	tok.localuser = localuser;
	tok.host = a->host;
	tok.alias = a->host;
	tok.port = port;
	tok.user = t->user;

	if (h.hostname != NULL) {
		if (sshconfig_expand(h.hostname, "h", 0, &tok, "HostName",
		    &t->host, err) == -1)
			goto bad;
		sshconfig_from(t, "HostName");
	} else if ((t->host = strdup(a->host)) == NULL)
		goto nomem;
	tok.host = t->host;

	if (a->nidentities > 0) {
		for (i = 0; i < a->nidentities; i++)
			if (sshconfig_target_identity(t, a->identities[i],
			    home, err) == -1)
				goto out;
	} else if (h.nidentities > 0) {
		for (i = 0; i < h.nidentities; i++) {
			if (sshconfig_expand(h.identities[i], "dhnpru", 1,
			    &tok, "IdentityFile", &path, err) == -1)
				goto bad;
			rc = sshconfig_target_identity(t, path, home, err);
			free(path);
			if (rc == -1)
				goto out;
			rc = -1;
		}
		sshconfig_from(t, "IdentityFile");
	}

	if (!a->known_hosts_given && h.known_hosts != NULL) {
		if (sshconfig_expand(h.known_hosts, "dhnpru", 1, &tok,
		    "UserKnownHostsFile", &t->known_hosts, err) == -1)
			goto bad;
		sshconfig_from(t, "UserKnownHostsFile");
	} else if (a->known_hosts == NULL) {
		error_set(err, ERR_CONFIG, "no known_hosts file");
		goto out;
	} else if ((t->known_hosts = strdup(a->known_hosts)) == NULL)
		goto nomem;

	t->check = a->hostkey_check;
	if (!a->hostkey_check_given) {
		switch (h.check) {
		case SSHCONFIG_CHECK_UNSET:
			break;
		case SSHCONFIG_CHECK_YES:
			t->check = HOSTKEY_CHECK_YES;
			sshconfig_from(t, "StrictHostKeyChecking");
			break;
		case SSHCONFIG_CHECK_ACCEPT_NEW:
			t->check = HOSTKEY_CHECK_ACCEPT_NEW;
			sshconfig_from(t, "StrictHostKeyChecking");
			break;
		case SSHCONFIG_CHECK_NO:
			error_set(err, ERR_CONFIG, "%s: \"StrictHostKeyChecking "
			    "no\" is refused: a server whose key is not checked "
			    "can be impersonated and the mail read; set "
			    "\"host-key-check accept-new\" (or \"yes\") for this "
			    "account in %s to override it", h.check_where,
			    a->file != NULL ? a->file : "the syncmail config");
			goto out;
		}
	}

	/* "proxy-command none" in syncmail.conf overrules the ssh config's */
	if (a->proxy_command != NULL) {
		if (strcmp(a->proxy_command, "none") != 0)
			proxy = a->proxy_command;
	} else if (h.proxy_command != NULL) {
		proxy = h.proxy_command;
		sshconfig_from(t, "ProxyCommand");
	}
	if (proxy != NULL && sshconfig_expand(proxy, "hnpr", 0, &tok,
	    "proxy command", &t->proxy_command, err) == -1)
		goto bad;
	rc = 0;
	goto out;
bad:
	if (a->ssh_config != NULL)
		error_prefix(err, "%s", a->ssh_config);
	goto out;
nomem:
	error_errno(err, ERR_CONFIG, "out of memory");
out:
	sshconfig_host_free(&h);
	return rc;
}

void
sshconfig_target_free(struct sshconfig_target *t)
{
	size_t i;

	if (t == NULL)
		return;
	free(t->alias);
	free(t->host);
	free(t->user);
	for (i = 0; i < t->nidentities; i++)
		free(t->identities[i]);
	free(t->identities);
	free(t->known_hosts);
	free(t->proxy_command);
	memset(t, 0, sizeof(*t));
}
