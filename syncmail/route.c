/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Where each message of a pull goes (SPEC 8, Routes): its header
 * section, read back from its file in tmp/ once it is downloaded, is
 * matched against the pull's routes in order; the first match decides,
 * and none means the pull's own DEST (its Maildir, or its pipe or
 * attachments).  A route's Maildir is opened
 * (created when missing) the first time a message goes there, and its
 * new/ and cur/ are scanned for the listing's unique names as the pull's
 * own are, so a message delivered there before is recognised.
 *
 * Everything here runs in the network loop, between batches: the
 * commit thread is idle, and only takes the Maildirs opened here with
 * the batch that goes to them.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/header.h"
#include "mail/safename.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"

/* What is read of a message first: most header sections fit. */
#define HEADER_FIRST	65536

int
route_start(struct run *r, struct error *err)
{
	struct dest_maildir *d;

	if ((r->dests = calloc(1, sizeof(*r->dests))) == NULL ||
	    (d = calloc(1, sizeof(*d))) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	d->md = r->job->md;
	d->local = &r->local;
	d->path = r->job->md->path;
	r->dests[0] = d;
	r->ndests = 1;
	return 0;
}

void
route_stop(struct run *r)
{
	struct dest_maildir *d;
	size_t i;

	for (i = 1; i < r->ndests; i++) {
		d = r->dests[i];
		maildir_close(&d->own_md);
		localset_free(&d->own_local);
		free(d->path);
		free(d);
	}
	if (r->ndests > 0)
		free(r->dests[0]);
	free(r->dests);
	r->dests = NULL;
	r->ndests = 0;
	free(r->hdrbuf);
	r->hdrbuf = NULL;
	r->hdrcap = 0;
}

const struct dest *
route_pipe_dest(const struct run *r, const struct message *m)
{
	if (m->route == ROUTE_PULL)
		return &r->job->pull->dest;
	return &r->job->pull->routes[m->route].dest;
}

/* Where m goes, for messages: a Maildir's path, a command, a DIR, "discard". */
const char *
route_dest_name(const struct run *r, const struct message *m)
{
	if (m->dest == TO_DISCARD)
		return "discard";
	/* a delivery recovery found knows no route: its kind says enough */
	if (m->dest == TO_PIPE)
		return m->route == ROUTE_PULL || m->route <
		    r->job->pull->nroutes ? route_pipe_dest(r, m)->command :
		    RECORD_PIPE;
	if (m->dest == TO_SAVE)
		return m->save < r->nsaves ? r->saves[m->save].dir :
		    RECORD_ATTACH;
	return r->dests[m->dest]->path;
}

int
route_pull_dest(struct run *r, struct message *m, struct error *err)
{
	const struct dest *d = &r->job->pull->dest;

	m->dest = 0;
	free(m->matches);
	m->matches = NULL;
	m->nmatches = 0;
	if (d->kind == DEST_PIPE) {
		m->dest = TO_PIPE;
		m->route = ROUTE_PULL;
	} else if (d->kind == DEST_ATTACH) {
		if (save_dest_open(r, d->path, d->maildir != NULL ?
		    r->job->md->path : NULL, &m->save, err) == -1)
			return -1;
		m->dest = TO_SAVE;
	}
	return 0;
}

/*
 * Opens d's Maildir, creating it unless this is a dry run, and learns
 * which of the listing's unique names it holds.  Its new/ and cur/ are
 * flushed, as recover_scan does the pull's own: a run killed after its
 * move into new/ left that move in memory only.  0, or -1 with err set.
 */
static int
dest_ready(struct run *r, struct dest_maildir *d, struct error *err)
{
	size_t i;

	d->own_md.fd = d->own_md.tmpfd = d->own_md.newfd =
	    d->own_md.curfd = -1;
	if (maildir_open(&d->own_md, d->path, !r->job->dryrun, err) == -1)
		return -1;
	d->md = &d->own_md;
	d->local = &d->own_local;
	if (d->own_md.fd == -1)
		return 0;	/* dry run, missing: nothing is there yet */
	for (i = 0; i < r->nmsgs; i++)
		if (localset_want(d->local, r->msgs[i].name, err) == -1)
			return -1;
	if (localset_scan(d->local, d->md, err) == -1)
		return -1;
	if (r->job->dryrun)
		return 0;
	if (maildir_sync(d->md, d->md->newfd, "new", err) == -1 ||
	    maildir_sync(d->md, d->md->curfd, "cur", err) == -1)
		return -1;
	return 0;
}

/*
 * The index of the Maildir at path in r->dests, opened the first time.
 * 0, or -1 with err set (ERR_MAILBOX: that Maildir cannot be used; the
 * messages for it stay on the server).
 */
int
route_dest_open(struct run *r, const char *path, uint32_t *idx,
    struct error *err)
{
	struct dest_maildir *d, **p;
	size_t i;

	for (i = 0; i < r->ndests; i++)
		if (strcmp(r->dests[i]->path, path) == 0) {
			*idx = (uint32_t)i;
			return 0;
		}
	if (r->ndests >= TO_PIPE)
		return error_set(err, ERR_MAILBOX, "too many Maildirs");
	if ((p = reallocarray(r->dests, r->ndests + 1, sizeof(*p))) == NULL)
		return error_errno(err, ERR_MAILBOX, "realloc");
	r->dests = p;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	if ((d->path = strdup(path)) == NULL) {
		free(d);
		return error_errno(err, ERR_MAILBOX, "strdup");
	}
	/* Kept even when it fails, so that route_stop frees it. */
	r->dests[r->ndests++] = d;
	if (dest_ready(r, d, err) == -1)
		return -1;
	*idx = (uint32_t)(r->ndests - 1);
	return 0;
}

/*
 * A route's path with its %N replaced by the groups pm of value, each
 * made safe as a single file name, and %% by %, into out (size bytes).
 * 0, or -1 when it does not fit.
 */
static int
expand(const char *tmpl, const char *value, const regmatch_t *pm,
    char *out, size_t size)
{
	char part[SAFENAME_SIZE];
	const char *s;
	size_t len = 0, n;
	int g;

	for (s = tmpl; *s != '\0'; s++) {
		if (*s != '%' || s[1] == '\0') {
			if (len + 1 >= size)
				return -1;
			out[len++] = *s;
			continue;
		}
		s++;
		if (*s == '%') {
			if (len + 1 >= size)
				return -1;
			out[len++] = '%';
			continue;
		}
		g = *s - '0';	/* config_route let through only 1 to 9 */
		if (pm[g].rm_so == -1)
			n = safename((const uint8_t *)"", 0, part);
		else
			n = safename((const uint8_t *)value + pm[g].rm_so,
			    pm[g].rm_eo - pm[g].rm_so, part);
		if (len + n >= size)
			return -1;
		memcpy(out + len, part, n);
		len += n;
	}
	out[len] = '\0';
	return 0;
}

int
route_header_whole(const struct header *h, size_t got, uint64_t size)
{
	/*
	 * Once HEADER_READ bytes are read, header_find has said whether
	 * the section is too large; with one byte fewer, a section of
	 * exactly HEADER_MAX bytes ended by CR LF would read as larger.
	 */
	return h->len < h->body || got >= size || got >= HEADER_READ;
}

/*
 * Reads the header section of m's file in tmp/ into r->hdrbuf and finds
 * it: HEADER_FIRST bytes, then up to HEADER_READ when it does not end
 * there.  Returns 1 with h set, 0 when it is over HEADER_MAX
 * (the caller warns), -1 with err set on a read error.
 */
static int
read_header(struct run *r, struct message *m, struct header *h,
    struct error *err)
{
	char tmp[TMPPOOL_NAME];
	struct error big;
	uint64_t want;
	size_t got = 0;
	ssize_t n;
	uint8_t *p;
	int fd, rc = -1;

	run_tmpname(r, m, tmp);
	if ((fd = openat(r->job->md->tmpfd, tmp, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/tmp/%s",
		    r->job->md->path, tmp);
	for (want = HEADER_FIRST;; want = HEADER_READ) {
		if (want > m->size)
			want = m->size;
		if (r->hdrcap < want) {
			if ((p = realloc(r->hdrbuf, want)) == NULL) {
				error_errno(err, ERR_MAILBOX, "realloc");
				goto out;
			}
			r->hdrbuf = p;
			r->hdrcap = want;
		}
		while (got < want) {
			n = pread(fd, r->hdrbuf + got, want - got, got);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				error_errno(err, ERR_MAILBOX, "%s/tmp/%s: "
				    "read", r->job->md->path, tmp);
				goto out;
			}
			if (n == 0)
				break;
			got += n;
		}
		if (header_find(r->hdrbuf, got, h, &big) == -1) {
			rc = 0;
			goto out;
		}
		/* got < want: the file is shorter than listed, and ends */
		if (route_header_whole(h, got, m->size) || got < want) {
			rc = 1;
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

/*
 * Matches the routes against the header h: the first route with an
 * occurrence of its field whose value matches decides.  Returns the
 * route, with its groups in pm and the matched value in value, or NULL.
 */
static const struct route *
match_routes(const struct pull *pl, const struct header *h, char *value,
    size_t size, regmatch_t *pm, size_t npm)
{
	struct header it;
	size_t i;

	for (i = 0; i < pl->nroutes; i++) {
		it = *h;
		while (header_next_value(&it, pl->routes[i].header, value,
		    size))
			if (regexec(&pl->routes[i].re, value, npm, pm, 0) == 0)
				return &pl->routes[i];
	}
	return NULL;
}

/*
 * m goes to rt's command: notes the route and keeps the groups the regex
 * captured in value (pm), for the command's environment.  0, or -1 with
 * err set.
 */
static int
pipe_matches(struct message *m, const struct route *rt, const char *value,
    const regmatch_t *pm, const struct pull *pl, struct error *err)
{
	size_t i, n = rt->re.re_nsub < 9 ? rt->re.re_nsub : 9, len = 0;
	char *p;

	m->dest = TO_PIPE;
	m->route = (uint16_t)(rt - pl->routes);
	m->nmatches = (uint8_t)n;
	for (i = 1; i <= n; i++)
		len += (pm[i].rm_so == -1 ? 0 : pm[i].rm_eo - pm[i].rm_so) + 1;
	free(m->matches);
	if ((m->matches = p = malloc(len + 1)) == NULL)
		return error_errno(err, ERR_MAILBOX, "malloc");
	for (i = 1; i <= n; i++) {
		if (pm[i].rm_so != -1) {
			memcpy(p, value + pm[i].rm_so, pm[i].rm_eo - pm[i].rm_so);
			p += pm[i].rm_eo - pm[i].rm_so;
		}
		*p++ = '\0';
	}
	*p = '\0';
	return 0;
}

int
route_header(struct run *r, size_t mi, const struct header *h,
    struct error *err)
{
	const struct pull *pl = r->job->pull;
	const struct route *rt;
	struct message *m = &r->msgs[mi];
	regmatch_t pm[10];
	char *value, path[4096], maildir[4096];
	int rc = 0;

	m->dest = 0;
	if ((value = malloc(HEADER_VALUE_SIZE)) == NULL)
		return error_errno(err, ERR_MAILBOX, "malloc");
	rt = match_routes(pl, h, value, HEADER_VALUE_SIZE, pm, 10);
	if (rt == NULL)
		rc = route_pull_dest(r, m, err);
	else if (rt->dest.kind == DEST_DISCARD)
		m->dest = TO_DISCARD;
	else if (rt->dest.kind == DEST_PIPE)
		rc = pipe_matches(m, rt, value, pm, pl, err);
	else if (expand(rt->dest.path, value, pm, path, sizeof(path)) == -1 ||
	    (rt->dest.maildir != NULL && expand(rt->dest.maildir, value, pm,
	    maildir, sizeof(maildir)) == -1))
		rc = error_set(err, ERR_MAILBOX, "the destination of the route "
		    "at line %d is a path too long", rt->line);
	else if (rt->dest.kind == DEST_ATTACH) {
		if ((rc = save_dest_open(r, path, rt->dest.maildir != NULL ?
		    maildir : NULL, &m->save, err)) == 0)
			m->dest = TO_SAVE;
	} else if (route_dest_open(r, path, &m->dest, err) == -1)
		rc = -1;
	free(value);
	return rc;
}

int
route_too_large(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];
	char name[1100];

	if (route_pull_dest(r, m, err) == -1)
		return -1;
	printable(m->name, name, sizeof(name));
	say_warn(r->account, "%s/new/%s: header section over %d bytes, not "
	    "routed: %s %s", r->remote, name, HEADER_MAX, r->job->dryrun ?
	    "would go to" : "goes to", route_dest_name(r, m));
	return 0;
}

/*
 * Decides where the downloaded message mi goes and sets its dest.  A
 * header section over HEADER_MAX goes to the pull's own Maildir with a
 * warning (SPEC 8).  Returns 0, or -1 with err set when the message
 * cannot be routed (its file cannot be read, its route's Maildir cannot
 * be opened): it must then stay on the server.
 */
int
route_message(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];
	struct header h;
	int rc;

	m->dest = 0;
	if (r->job->pull->nroutes == 0)
		return route_pull_dest(r, m, err);
	if ((rc = read_header(r, m, &h, err)) == -1)
		return -1;
	if (rc == 0)
		return route_too_large(r, mi, err);
	return route_header(r, mi, &h, err);
}
