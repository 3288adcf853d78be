/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * OpenSSH's client config, read for one host (ssh_config(5)).  The rules
 * follow ssh's own: lines before the first Host apply to every host; a
 * Host or Match line decides whether the lines up to the next one apply;
 * for each keyword the first value that applies wins; an Included file
 * starts in the state of the line that includes it and cannot change
 * that state for the lines after the Include.  Every line's keyword is
 * looked up, applying or not, as ssh refuses a file with one it does not
 * know.
 */
#include <sys/types.h>
#include <sys/wait.h>

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

#include <openssl/evp.h>

#include "sftp/sshconfig.h"
#include "sftp/sshkw.h"
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
	const struct sshconfig_query *q;
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
			case 'k': v = t->keyalias; break;
			case 'i': v = t->uid; break;
			case 'l': v = t->localhost; break;
			case 'L': v = t->shorthost; break;
			case 'C': v = t->hash; break;
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
	tok.home = st->q->home;
	for (k = 1; k < n; k++) {
		if (sshconfig_expand(w[k], "", 1, &tok, "Include", &path,
		    st->err) == -1) {
			error_prefix(st->err, "%s:%d", st->file, st->line);
			return -1;
		}
		if (path[0] != '/') {
			if (st->q->home == NULL) {
				free(path);
				return sshconfig_error(st, "Include %s: the "
				    "home directory is not known", w[k]);
			}
			if (asprintf(&full, "%s/.ssh/%s", st->q->home,
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

/* What the %-tokens expand to, with the strings they point into. */
struct sshconfig_tokbuf {
	struct sshconfig_tokens	 t;
	char			 port[16];
	char			 uid[32];
	char			 localhost[256];
	char			 shorthost[256];
	char			 hash[2 * EVP_MAX_MD_SIZE + 1];
};

/*
 * Fills b for a connection to host (the name connected to, or for Match
 * the host name as far as the config has it) at port as user; alias is
 * the name asked for, keyalias the HostKeyAlias or NULL.  The pointers
 * are the caller's or into b.  Never fails: what cannot be known (this
 * machine's name) stays NULL, an error only where a value uses it.
 */
static void
sshconfig_tokens_fill(struct sshconfig_tokbuf *b, const char *home,
    const char *localuser, const char *alias, const char *host, int port,
    const char *user, const char *keyalias)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int i, mdlen = 0;
	char *all;

	memset(b, 0, sizeof(*b));
	b->t.home = home;
	b->t.localuser = localuser;
	b->t.alias = alias;
	b->t.host = host;
	b->t.user = user;
	b->t.keyalias = keyalias != NULL ? keyalias : alias;
	snprintf(b->port, sizeof(b->port), "%d", port);
	b->t.port = b->port;
	snprintf(b->uid, sizeof(b->uid), "%lu", (unsigned long)getuid());
	b->t.uid = b->uid;
	if (gethostname(b->localhost, sizeof(b->localhost)) == 0) {
		b->localhost[sizeof(b->localhost) - 1] = '\0';
		b->t.localhost = b->localhost;
		strlcpy(b->shorthost, b->localhost, sizeof(b->shorthost));
		b->shorthost[strcspn(b->shorthost, ".")] = '\0';
		b->t.shorthost = b->shorthost;
	}
	/* %C, ssh's name for one connection: the SHA-1 of %l%h%p%r */
	if (b->t.localhost != NULL && host != NULL && user != NULL &&
	    asprintf(&all, "%s%s%s%s", b->localhost, host, b->port,
	    user) != -1) {
		if (EVP_Digest(all, strlen(all), md, &mdlen, EVP_sha1(),
		    NULL) == 1) {
			for (i = 0; i < mdlen; i++)
				snprintf(b->hash + 2 * i, 3, "%02x", md[i]);
			b->t.hash = b->hash;
		}
		free(all);
	}
}

/*
 * Runs cmd as ssh runs a Match exec: through /bin/sh -c, stdin and
 * stdout on /dev/null, stderr ours (a user debugging the test sees it),
 * waited for.  Returns 1 when it exited 0, 0 when it did not, or -1
 * with err set when it could not run.
 */
static int
sshconfig_exec(struct sshconfig_state *st, const char *cmd)
{
	pid_t pid, r;
	int ws, fd;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return error_errno(st->err, ERR_CONFIG, "%s:%d: Match exec: "
		    "fork", st->file, st->line);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(fd, STDIN_FILENO) == -1 ||
		    dup2(fd, STDOUT_FILENO) == -1)
			_exit(127);
		/* a test of the network needs none of our descriptors */
		closefrom(STDERR_FILENO + 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while ((r = waitpid(pid, &ws, 0)) == -1 && errno == EINTR)
		;
	if (r == -1)
		return error_errno(st->err, ERR_CONFIG, "%s:%d: Match exec: "
		    "waitpid", st->file, st->line);
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

/*
 * Evaluates the criteria of a Match line (w[1] to w[n-1]) as ssh 9.2
 * does: all must hold, "!" negates one, "all" stands alone; host is the
 * HostName so far (its %h the name asked for), originalhost the name
 * asked for, user the remote user so far (syncmail.conf's first, as
 * ssh's -l), localuser ours; exec runs only when the criteria before it
 * held, and not at all inside an Include that cannot apply.  canonical
 * never holds: there is no canonicalization pass (CanonicalizeHostname
 * is refused); final would ask for a second reading, which syncmail
 * does not make, so it is an error.  Sets *matched; returns 0, or -1
 * with err set.
 */
static int
sshconfig_match(struct sshconfig_state *st, char **w, int n, int *matched)
{
	struct sshconfig_host *h = st->out;
	struct sshconfig_tokbuf b;
	struct sshconfig_tokens ht;
	const char *attr, *arg, *ruser, *luser;
	char *host = NULL, *cmd = NULL;
	int i, neg, r, result = 1, attributes = 0, all = 0, rc = -1;

	memset(&ht, 0, sizeof(ht));
	ht.host = st->q->host;
	if (h->hostname == NULL)
		host = strdup(st->q->host);
	else if (sshconfig_expand(h->hostname, "h", 0, &ht, "HostName",
	    &host, st->err) == -1) {
		error_prefix(st->err, "%s:%d: Match", st->file, st->line);
		return -1;
	}
	if (host == NULL)
		return sshconfig_error(st, "out of memory");
	luser = st->q->localuser != NULL ? st->q->localuser : "";
	ruser = st->q->user != NULL ? st->q->user : h->user != NULL ?
	    h->user : luser;
	for (i = 1; i < n; i++) {
		attr = w[i];
		if ((neg = attr[0] == '!'))
			attr++;
		if (strcasecmp(attr, "all") == 0) {
			if (attributes > 1 || i + 1 < n) {
				sshconfig_error(st, "Match: \"%s\" cannot be "
				    "combined with other criteria", w[i]);
				goto out;
			}
			if (result)
				result = !neg;
			all = 1;
			break;
		}
		attributes++;
		if (strcasecmp(attr, "canonical") == 0) {
			if (!neg)
				result = 0;
			continue;
		}
		if (strcasecmp(attr, "final") == 0) {
			sshconfig_error(st, "Match final: syncmail reads the "
			    "config once, not again for a final pass");
			goto out;
		}
		if (i + 1 >= n) {
			sshconfig_error(st, "Match %s needs an argument", attr);
			goto out;
		}
		arg = w[++i];
		if (strcasecmp(attr, "host") == 0)
			r = match_list(arg, strlen(arg), host);
		else if (strcasecmp(attr, "originalhost") == 0)
			r = match_list(arg, strlen(arg), st->q->host);
		else if (strcasecmp(attr, "user") == 0)
			r = match_list_exact(arg, strlen(arg), ruser);
		else if (strcasecmp(attr, "localuser") == 0)
			r = match_list_exact(arg, strlen(arg), luser);
		else if (strcasecmp(attr, "exec") == 0) {
			/* ssh skips it when a criterion before failed */
			if (result != 1 || st->nevermatch)
				continue;
			if (st->q->no_exec) {
				sshconfig_error(st, "Match exec is not run "
				    "here");
				goto out;
			}
			sshconfig_tokens_fill(&b, st->q->home, st->q->localuser,
			    st->q->host, host, st->q->port ? st->q->port :
			    h->port ? h->port : 22, ruser, h->host_key_alias);
			/* ssh's %k here: HostKeyAlias, else the host */
			if (h->host_key_alias == NULL)
				b.t.keyalias = host;
			if (sshconfig_expand(arg, "CdhikLlnpru", 0, &b.t,
			    "Match exec", &cmd, st->err) == -1) {
				error_prefix(st->err, "%s:%d", st->file,
				    st->line);
				goto out;
			}
			r = sshconfig_exec(st, cmd);
			free(cmd);
			cmd = NULL;
			if (r == -1)
				goto out;
		} else {
			sshconfig_error(st, "Match: unknown criterion \"%s\" "
			    "(all, canonical, exec, host, originalhost, user, "
			    "localuser)", attr);
			goto out;
		}
		if (r == neg)
			result = 0;
	}
	if (attributes == 0 && !all) {
		sshconfig_error(st, "Match needs a criterion");
		goto out;
	}
	*matched = result;
	rc = 0;
out:
	free(host);
	return rc;
}

/*
 * Whether len bytes at s are one ProxyJump hop, as ssh takes them:
 * [user@]host[:port] or ssh://[user@]host[:port], an IPv6 address in
 * brackets.  The names go into a shell command: only what host names,
 * addresses and user names are made of passes, and neither may start
 * with "-", which ssh would read as an option.  1 or 0.
 */
static int
sshconfig_hop_ok(const char *s, size_t len, char *user, size_t usize,
    char *host, size_t hsize, int *port)
{
	const char *at = NULL, *h, *end = s + len, *p;
	size_t i, hl;
	long l;

	if (len >= 6 && strncmp(s, "ssh://", 6) == 0) {
		s += 6;
		if (end > s && end[-1] == '/')
			end--;
	}
	for (p = s; p < end; p++)
		if (*p == '@')
			at = p;
	user[0] = '\0';
	if (at != NULL) {
		if (at == s || *s == '-' || (size_t)(at - s) >= usize)
			return 0;
		for (p = s; p < at; p++)
			if (!isgraph((unsigned char)*p))
				return 0;
		memcpy(user, s, at - s);
		user[at - s] = '\0';
		s = at + 1;
	}
	*port = 0;
	if (s < end && *s == '[') {
		h = s + 1;
		if ((p = memchr(h, ']', end - h)) == NULL)
			return 0;
		hl = p - h;
		p++;
	} else {
		h = s;
		if ((p = memchr(h, ':', end - h)) == NULL)
			p = end;
		hl = p - h;
	}
	if (hl == 0 || hl >= hsize || *h == '-')
		return 0;
	for (i = 0; i < hl; i++)
		if (!isalnum((unsigned char)h[i]) &&
		    strchr(h == s ? "._-" : "._-:%", h[i]) == NULL)
			return 0;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (p < end) {
		if (*p != ':' || ++p == end || end - p > 5)
			return 0;
		for (l = 0; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return 0;
			l = l * 10 + (*p - '0');
		}
		if (l < 1 || l > 65535)
			return 0;
		*port = (int)l;
	}
	return 1;
}

/* Whether every comma-separated hop of list passes sshconfig_hop_ok. */
static int
sshconfig_jump_ok(const char *list)
{
	char user[256], host[256];
	const char *s = list, *c;
	int port;

	for (;;) {
		if ((c = strchr(s, ',')) == NULL)
			c = s + strlen(s);
		if (!sshconfig_hop_ok(s, c - s, user, sizeof(user), host,
		    sizeof(host), &port))
			return 0;
		if (*c == '\0')
			return 1;
		s = c + 1;
	}
}

/*
 * A name HostKeyAlias may give: what host names are made of, as
 * hostkey.c writes it into known_hosts.  1 or 0.
 */
static int
sshconfig_alias_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) &&
		    strchr(".-_:%", s[n]) == NULL)
			return 0;
	return n > 0 && n <= 255;
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

	if (n < 2)
		return sshconfig_error(st, "%s needs a value", kw);

	if (strcasecmp(kw, "HostName") == 0)
		return sshconfig_first(st, &h->hostname, w[1]);
	if (strcasecmp(kw, "User") == 0)
		return sshconfig_first(st, &h->user, w[1]);
	if (strcasecmp(kw, "UserKnownHostsFile") == 0)
		return sshconfig_first(st, &h->known_hosts, w[1]);
	if (strcasecmp(kw, "IgnoreUnknown") == 0)
		return sshconfig_first(st, &h->ignore_unknown, w[1]);
	if (strcasecmp(kw, "HostKeyAlias") == 0) {
		if (!sshconfig_alias_ok(w[1]))
			return sshconfig_error(st, "HostKeyAlias: \"%s\" is "
			    "no host name", w[1]);
		return sshconfig_first(st, &h->host_key_alias, w[1]);
	}
	if (strcasecmp(kw, "IdentityFile") == 0 ||
	    strcasecmp(kw, "IdentityFile2") == 0)
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
	if (strcasecmp(kw, "IdentitiesOnly") == 0) {
		int yes;

		/* ssh's flag values */
		if (strcasecmp(w[1], "yes") == 0 ||
		    strcasecmp(w[1], "true") == 0)
			yes = 1;
		else if (strcasecmp(w[1], "no") == 0 ||
		    strcasecmp(w[1], "false") == 0)
			yes = 0;
		else
			return sshconfig_error(st, "IdentitiesOnly: unknown "
			    "value (yes or no)");
		if (!h->identities_only_set) {
			h->identities_only_set = 1;
			h->identities_only = yes;
		}
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
	if (strcasecmp(kw, "ProxyJump") == 0) {
		if (n > 2)
			return sshconfig_error(st, "ProxyJump takes one "
			    "comma-separated list of hosts");
		if (strcasecmp(w[1], "none") != 0 && !sshconfig_jump_ok(w[1]))
			return sshconfig_error(st, "ProxyJump: bad host list "
			    "\"%s\" (want [user@]host[:port] or "
			    "ssh://[user@]host[:port], comma-separated)", w[1]);
		/* the first of ProxyJump and ProxyCommand wins, as in ssh */
		if (h->proxy_set)
			return 0;
		h->proxy_set = 1;
		if (strcasecmp(w[1], "none") == 0)
			return 0;
		if ((h->proxy_jump = strdup(w[1])) == NULL)
			return sshconfig_error(st, "out of memory");
		return 0;
	}
	/* sshkw.c marks no other keyword SSHKW_APPLY */
	if (strcasecmp(kw, "ProxyCommand") != 0)
		return sshconfig_error(st, "%s: not read", kw);
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
 * A keyword ssh knows that would make it connect otherwise, in a line
 * that applies: an error, unless its value is one that means what
 * syncmail does anyway and ssh takes it (the keyword's first applying
 * value; a later one changes nothing in ssh either).
 */
static int
sshconfig_refuse(struct sshconfig_state *st, const struct sshkw *kw,
    char **w, int n)
{
	const char *const *v;

	if (kw->slot >= 0) {
		if (st->out->slots & (1u << kw->slot))
			return 0;
		st->out->slots |= 1u << kw->slot;
		for (v = kw->harmless; n >= 2 && v != NULL && *v != NULL; v++)
			if (match_glob(*v, strlen(*v), w[1], strlen(w[1])))
				return 0;
	}
	return sshconfig_error(st, "%s would make ssh connect otherwise, and "
	    "syncmail does not apply it: keep it out of the blocks that "
	    "apply to %s, or give the account an ssh-config of its own",
	    w[0], st->q->host);
}

/*
 * Parses len bytes of text line by line, st->file and st->line naming
 * where for messages: a Host or Match line sets whether the lines after
 * it apply (never inside an inactive Include), Include reads its files
 * in a copy of st, every keyword is looked up (one ssh does not know is
 * an error unless IgnoreUnknown, as far as it is set, lists it), and
 * applying keyword lines fill st->out with copies of their values or
 * are refused.  Returns 0, or -1 with err set (ERR_CONFIG, "FILE:LINE:
 * what"); st->out keeps what the lines before set, for
 * sshconfig_host_free.
 */
static int
sshconfig_text(struct sshconfig_state *st, const char *text, size_t len)
{
	char *w[SSHCONFIG_MAX_WORDS], *buf = NULL;
	const char *line, *rest, *ign;
	const struct sshkw *kw;
	struct lex lx;
	size_t linelen, restlen;
	int n, m = 0, rc = -1;

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
		if ((kw = sshkw_find(w[0])) == NULL) {
			ign = st->out->ignore_unknown;
			if (ign != NULL && match_list(ign, strlen(ign), w[0]))
				continue;
			sshconfig_error(st, "unknown keyword \"%s\": ssh "
			    "refuses it too (IgnoreUnknown before it would "
			    "skip it)", w[0]);
			goto out;
		}
		if (strcasecmp(w[0], "Host") == 0) {
			if (n < 2) {
				sshconfig_error(st, "Host needs a pattern");
				goto out;
			}
			st->active = !st->nevermatch &&
			    match_words(w + 1, n - 1, st->q->host);
		} else if (strcasecmp(w[0], "Match") == 0) {
			if (sshconfig_match(st, w, n, &m) == -1)
				goto out;
			st->active = !st->nevermatch && m;
		} else if (strcasecmp(w[0], "Include") == 0) {
			if (sshconfig_include(st, w, n) == -1)
				goto out;
		} else if (!st->active || kw->use == SSHKW_IGNORE)
			continue;
		else if (kw->use == SSHKW_REFUSE) {
			if (sshconfig_refuse(st, kw, w, n) == -1)
				goto out;
		} else if (sshconfig_keyword(st, w, n, rest, restlen) == -1)
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
    const struct sshconfig_query *q, int depth,
    struct sshconfig_host *out, struct error *err)
{
	struct sshconfig_state st;

	memset(&st, 0, sizeof(st));
	st.file = file;
	st.q = q;
	st.depth = depth;
	st.active = 1;
	st.out = out;
	st.err = err;
	return sshconfig_text(&st, text, len);
}

int
sshconfig_load(const char *path, const struct sshconfig_query *q,
    int must_exist, struct sshconfig_host *out, struct error *err)
{
	struct sshconfig_state st;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.q = q;
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
	free(h->proxy_jump);
	free(h->host_key_alias);
	free(h->ignore_unknown);
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

/* Writes s to f in single quotes, as /bin/sh reads it back unchanged. */
static void
sshconfig_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/*
 * The proxy command ssh 9.2 itself runs for a ProxyJump list (already
 * checked by sshconfig_jump_ok): the last hop is the destination of
 * "ssh -W [%h]:%p", the hops before it its -J, its user and port -l
 * and -p; and -F names the config file read here, so that the jump ssh
 * reads each hop's Host block as we read the account's (ssh passes its
 * own -F on so).  The target, host and port, is quoted in, not left to
 * a %h that a HostName with a quote in it would break out of.  Into a
 * new string *out (the caller's).  Returns 0, or -1 when out of memory.
 */
static int
sshconfig_jump_command(const char *list, const char *config,
    const char *target, int tport, char **out)
{
	char user[256], host[256], *extra = NULL, *w;
	const char *last;
	size_t len = 0;
	FILE *f;
	int port;

	*out = NULL;
	last = strrchr(list, ',');
	if (last != NULL && (extra = strndup(list, last - list)) == NULL)
		return -1;
	last = last != NULL ? last + 1 : list;
	if (!sshconfig_hop_ok(last, strlen(last), user, sizeof(user), host,
	    sizeof(host), &port) || (f = open_memstream(out, &len)) == NULL) {
		free(extra);
		return -1;
	}
	fputs("ssh", f);
	if (config != NULL) {
		fputs(" -F ", f);
		sshconfig_quote(f, config);
	}
	if (user[0] != '\0') {
		fputs(" -l ", f);
		sshconfig_quote(f, user);
	}
	if (port != 0)
		fprintf(f, " -p %d", port);
	if (extra != NULL) {
		fputs(" -J ", f);
		sshconfig_quote(f, extra);
	}
	if (asprintf(&w, "[%s]:%d", target, tport) == -1) {
		fclose(f);
		free(*out);
		*out = NULL;
		free(extra);
		return -1;
	}
	fputs(" -W ", f);
	sshconfig_quote(f, w);
	free(w);
	fputc(' ', f);
	sshconfig_quote(f, host);
	free(extra);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
sshconfig_resolve(const struct ssh_account *a, const char *home,
    const char *localuser, struct sshconfig_target *t, struct error *err)
{
	struct sshconfig_host h;
	struct sshconfig_query q;
	struct sshconfig_tokbuf tb;
	const char *proxy = NULL, *s;
	char *path;
	size_t i;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	memset(&h, 0, sizeof(h));
	memset(&q, 0, sizeof(q));
	q.host = a->host;
	q.home = home;
	q.localuser = localuser;
	q.user = a->user;
	q.port = a->port;
	q.no_exec = a->no_exec;
	if (a->ssh_config != NULL && sshconfig_load(a->ssh_config, &q,
	    a->ssh_config_given, &h, err) == -1)
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
	sshconfig_tokens_fill(&tb, home, localuser, a->host, a->host,
	    t->port, t->user, h.host_key_alias);

	if (h.hostname != NULL) {
		if (sshconfig_expand(h.hostname, "h", 0, &tb.t, "HostName",
		    &t->host, err) == -1)
			goto bad;
		sshconfig_from(t, "HostName");
	} else if ((t->host = strdup(a->host)) == NULL)
		goto nomem;
	/* %h and %C are of the host connected to */
	sshconfig_tokens_fill(&tb, home, localuser, a->host, t->host,
	    t->port, t->user, h.host_key_alias);

	if (a->nidentities > 0) {
		for (i = 0; i < a->nidentities; i++)
			if (sshconfig_target_identity(t, a->identities[i],
			    home, err) == -1)
				goto out;
	} else if (h.nidentities > 0) {
		for (i = 0; i < h.nidentities; i++) {
			if (sshconfig_expand(h.identities[i], "CdhikLlnpru",
			    1, &tb.t, "IdentityFile", &path, err) == -1)
				goto bad;
			rc = sshconfig_target_identity(t, path, home, err);
			free(path);
			if (rc == -1)
				goto out;
			rc = -1;
		}
		sshconfig_from(t, "IdentityFile");
	}
	/* it limits syncmail.conf's identities when those are given */
	if (h.identities_only) {
		t->identities_only = 1;
		sshconfig_from(t, "IdentitiesOnly");
	}

	if (!a->known_hosts_given && h.known_hosts != NULL) {
		if (sshconfig_expand(h.known_hosts, "CdhikLlnpru", 1, &tb.t,
		    "UserKnownHostsFile", &t->known_hosts, err) == -1)
			goto bad;
		sshconfig_from(t, "UserKnownHostsFile");
	} else if (a->known_hosts == NULL) {
		error_set(err, ERR_CONFIG, "no known_hosts file");
		goto out;
	} else if ((t->known_hosts = strdup(a->known_hosts)) == NULL)
		goto nomem;

	if (h.host_key_alias != NULL) {
		if ((t->host_key_alias = strdup(h.host_key_alias)) == NULL)
			goto nomem;
		sshconfig_from(t, "HostKeyAlias");
	}

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
	} else if (h.proxy_jump != NULL) {
		if (sshconfig_jump_command(h.proxy_jump, a->ssh_config,
		    t->host, t->port, &t->proxy_command) == -1)
			goto nomem;
		sshconfig_from(t, "ProxyJump");
	}
	if (proxy != NULL && sshconfig_expand(proxy, "hnpr", 0, &tb.t,
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
	free(t->host_key_alias);
	free(t->proxy_command);
	memset(t, 0, sizeof(*t));
}
