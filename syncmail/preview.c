/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The dry run of a pull with routes (SPEC 8: -n prints where each
 * message would go): each message's header section is read from the
 * server into memory, never into a file, and routed as a real run would
 * route it.  A few files at a time, each read in READ_CHUNK pieces until
 * its header section ends, HEADER_READ bytes are read, or the file does;
 * nothing is written on either side (a route's missing Maildir is not
 * created, only named).
 */
#include <stdlib.h>
#include <string.h>

#include "syncmail/engine.h"
#include "syncmail/say.h"

#define PREVIEW_FILES	32		/* files open at once */
#define PREVIEW_BYTES	(8 << 20)	/* header bytes held at once, about */

/* A message whose header section is being read. */
struct peek {
	size_t		 mi;
	uint8_t		*buf;
	size_t		 len;
	int		 used;
	int		 closing;	/* CLOSE sent */
};

struct preview {
	struct run	*r;
	struct peek	 slot[PREVIEW_FILES];
	size_t		 nopen;
	size_t		 held;		/* bytes in every buf */
};

static struct peek *
peek_of(struct preview *pv, size_t mi)
{
	size_t i;

	for (i = 0; i < PREVIEW_FILES; i++)
		if (pv->slot[i].used && pv->slot[i].mi == mi)
			return &pv->slot[i];
	return NULL;
}

static void
peek_free(struct preview *pv, struct peek *p)
{
	struct message *m = &pv->r->msgs[p->mi];

	pv->held -= p->len;
	free(p->buf);
	free(m->handle);
	m->handle = NULL;
	m->handle_open = 0;
	memset(p, 0, sizeof(*p));
	pv->nopen--;
}

/* Ends the reading of p's file: routes what was read, closes the file. */
static int
peek_done(struct preview *pv, struct peek *p, int readable, struct error *err)
{
	struct run *r = pv->r;
	struct header h;
	struct error big;

	if (readable) {
		if (header_find(p->buf, p->len, &h, &big) == -1) {
			if (route_too_large(r, p->mi, err) == -1)
				return -1;
		} else if (route_header(r, p->mi, &h, err) == -1)
			return -1;
	} else if (route_pull_dest(r, &r->msgs[p->mi], err) == -1)
		return -1;
	if (!r->msgs[p->mi].handle_open) {
		peek_free(pv, p);
		return 0;
	}
	p->closing = 1;
	return fetch_send(r, SSH_FXP_CLOSE, p->mi, 0, 0, err);
}

/* Takes one answer about p's file. */
static int
peek_reply(struct preview *pv, struct peek *p, const struct proto_reply *rep,
    const struct sftp_req *q, struct error *err)
{
	struct run *r = pv->r;
	struct message *m = &r->msgs[p->mi];
	struct header h;
	struct error big;
	uint8_t *b;

	switch (q->type) {
	case SSH_FXP_OPEN:
		if (rep->type != SSH_FXP_HANDLE)
			return peek_done(pv, p, 0, err);	/* gone: as a run */
		if ((m->handle = malloc(rep->handlelen)) == NULL)
			return error_errno(err, ERR_MAILBOX, "malloc");
		memcpy(m->handle, rep->handle, rep->handlelen);
		m->handlelen = rep->handlelen;
		m->handle_open = 1;
		return fetch_send(r, SSH_FXP_READ, p->mi, 0, READ_CHUNK, err);
	case SSH_FXP_READ:
		if (rep->type != SSH_FXP_DATA || rep->datalen == 0 ||
		    rep->datalen > q->len)
			return peek_done(pv, p, 1, err);	/* the end */
		if ((b = realloc(p->buf, p->len + rep->datalen)) == NULL)
			return error_errno(err, ERR_MAILBOX, "realloc");
		memcpy(b + p->len, rep->data, rep->datalen);
		p->buf = b;
		p->len += rep->datalen;
		pv->held += rep->datalen;
		/*
		 * Too large is known only once HEADER_READ bytes are here
		 * (route_header_whole): a reply that ends a byte short of
		 * them would read a CR LF right at the bound as more.
		 */
		(void)header_find(p->buf, p->len, &h, &big);
		if (route_header_whole(&h, p->len, m->size))
			return peek_done(pv, p, 1, err);
		return fetch_send(r, SSH_FXP_READ, p->mi, p->len, READ_CHUNK,
		    err);
	default:	/* SSH_FXP_CLOSE */
		peek_free(pv, p);
		return 0;
	}
}

/*
 * Sets the dest of every message the dry run would move, from its header
 * section as read from the server.  0, or -1 with err set (the account
 * cannot go on, or this pull cannot: ERR_MAILBOX).
 */
int
preview_routes(struct run *r, struct error *err)
{
	struct preview pv;
	struct proto_reply rep;
	struct sftp_req q;
	struct message *m;
	struct peek *p;
	size_t next = 0, i;
	int rc, ret = -1;

	memset(&pv, 0, sizeof(pv));
	pv.r = r;
	if (r->job->pull->nroutes == 0) {
		/* nothing to read: each goes to the pull's DEST */
		for (i = 0; i < r->nmsgs; i++)
			if (route_pull_dest(r, &r->msgs[i], err) == -1)
				return -1;
		return 0;
	}
	for (;;) {
		while (pv.nopen < PREVIEW_FILES && next < r->nmsgs &&
		    pv.held < PREVIEW_BYTES) {
			m = &r->msgs[next];
			if (m->state != MSG_WAIT || m->earlier) {
				next++;
				continue;
			}
			for (i = 0; pv.slot[i].used; i++)
				;
			pv.slot[i].used = 1;
			pv.slot[i].mi = next;
			pv.nopen++;
			if (fetch_send(r, SSH_FXP_OPEN, next++, 0, 0, err) == -1)
				goto out;
		}
		if (pv.nopen == 0)
			break;
		if (sftp_pump(r->c, 1, err) == -1)
			goto out;
		while ((rc = sftp_reply(r->c, &rep, &q, err)) == 1) {
			if ((p = peek_of(&pv, q.tag)) == NULL)
				continue;
			if (peek_reply(&pv, p, &rep, &q, err) == -1)
				goto out;
		}
		if (rc == -1)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; i < PREVIEW_FILES; i++)
		if (pv.slot[i].used) {
			struct error ignored;

			/* pull_run drains the answers, and frees the handle */
			(void)fetch_close_handle(r, pv.slot[i].mi, &ignored);
			free(pv.slot[i].buf);
			pv.slot[i].buf = NULL;
		}
	return ret;
}
