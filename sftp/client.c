/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The SFTP client: requests queued under ids of its own and written to
 * the stream, replies read from it, framed, and matched to the request
 * in flight they answer.  What a request means is the caller's business:
 * it gets its tag back with the answer.  The streams are in stream.c.
 */
#include <stdlib.h>
#include <string.h>

#include "sftp/client.h"
#include "sftp/stream.h"
#include "util/note.h"

#define SFTP_READBUF	(PROTO_MAX_PACKET + 4 + 65536)
#define SFTP_SLOTS	2048	/* the table's first size, a power of two */

static int	sftp_packet(struct sftp *, struct proto_reply *,
		    struct error *);

/*
 * Queues the INIT of a stream just opened, without waiting for the
 * VERSION that answers it: the first requests (the listing's) go out
 * behind it, in the same round trip.  SFTP servers take requests in
 * order (OpenSSH's refuses any before the INIT, not after it), and we
 * speak version 3, which is what a server speaking a later one falls
 * back to for us; one that speaks an earlier one fails at its VERSION,
 * read first by sftp_reply, before any of those requests' answers is
 * believed.  0 or -1 with err.
 */
static int
sftp_start(struct sftp *c, struct error *err)
{
	if (proto_init(&c->out) == -1)
		return error_set(err, ERR_TRANSIENT, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &c->init_sent);
	return 0;
}

/*
 * The server's answer to our INIT, which must come before any other:
 * r is the first packet.  0, or -1 with err set (and c broken).
 */
static int
sftp_version(struct sftp *c, const struct proto_reply *r, struct error *err)
{
	struct timespec now;

	c->broken = 1;
	if (r->type != SSH_FXP_VERSION)
		return error_set(err, ERR_TRANSIENT, "SFTP server answered "
		    "request %u, expected its version", r->id);
	if (r->version < 3)
		return error_set(err, ERR_TRANSIENT, "SFTP server speaks "
		    "version %u, we need 3", r->version);
	c->broken = 0;
	c->version = r->version;
	clock_gettime(CLOCK_MONOTONIC, &now);
	c->rtt_ms = (now.tv_sec - c->init_sent.tv_sec) * 1000 +
	    (now.tv_nsec - c->init_sent.tv_nsec) / 1000000;
	note(2, c->account, "SFTP version %u (%ld ms), %ld ms after our INIT",
	    c->version, note_clock(), c->rtt_ms);
	return 0;
}

/* The state every client starts from.  0 or -1 with err. */
static int
sftp_init(struct sftp *c, const char *account, struct error *err)
{
	memset(c, 0, sizeof(*c));
	c->wakefd = -1;
	c->account = account;
	c->next_id = 1;
	c->rtt_ms = -1;
	c->nslots = SFTP_SLOTS;
	if ((c->in = malloc(SFTP_READBUF)) == NULL ||
	    (c->reqs = calloc(c->nslots, sizeof(*c->reqs))) == NULL)
		return error_errno(err, ERR_TRANSIENT, "malloc");
	return 0;
}

int
sftp_open(struct sftp *c, struct session *s, struct error *err)
{
	if (sftp_init(c, s->account, err) == -1 ||
	    stream_channel_open(&c->st, s, err) == -1)
		return -1;
	return sftp_start(c, err);
}

int
sftp_open_fd(struct sftp *c, int fd, int timeout, struct error *err)
{
	if (sftp_init(c, "test", err) == -1 ||
	    stream_fd_open(&c->st, fd, timeout, err) == -1)
		return -1;
	return sftp_start(c, err);
}

int
sftp_open_stream(struct sftp *c, const struct sftp_stream *st,
    const char *account, struct error *err)
{
	if (sftp_init(c, account, err) == -1)
		return -1;
	c->st = *st;
	return sftp_start(c, err);
}

void
sftp_set_wakefd(struct sftp *c, int fd)
{
	c->wakefd = fd;
}

/* ---- requests in flight ------------------------------------------------ */

/*
 * Doubles the table of requests in flight, so that it stays at most half
 * full and a free slot is always near.  0 or -1 with err.
 */
static int
sftp_grow(struct sftp *c, struct error *err)
{
	struct sftp_req *old = c->reqs, *t;
	size_t i, n = c->nslots * 2;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		return error_errno(err, ERR_TRANSIENT, "calloc");
	for (i = 0; i < c->nslots; i++)
		if (old[i].used)
			t[old[i].id & (n - 1)] = old[i];
	free(old);
	c->reqs = t;
	c->nslots = n;
	return 0;
}

/*
 * A free slot for the next request, under an id whose slot is free (ids
 * wrap around; 0 is where the VERSION lands and is never used).  NULL
 * with err set when memory ran out.
 */
static struct sftp_req *
sftp_slot(struct sftp *c, struct error *err)
{
	struct sftp_req *q;
	uint32_t id;

	if (c->ninflight * 2 >= c->nslots && sftp_grow(c, err) == -1)
		return NULL;
	do {
		if ((id = c->next_id++) == 0)
			id = c->next_id++;
		q = &c->reqs[id & (c->nslots - 1)];
	} while (q->used);
	memset(q, 0, sizeof(*q));
	q->id = id;
	return q;
}

/*
 * Queues a request of type (SSH_FXP_*) with the arguments its type takes
 * and files it as in flight under tag.  0 or -1 with err set.
 */
static int
sftp_send(struct sftp *c, int type, const char *path, const uint8_t *handle,
    size_t hlen, uint64_t off, uint32_t count, size_t tag, struct error *err)
{
	struct sftp_req *q;
	int rc;

	if ((q = sftp_slot(c, err)) == NULL)
		return -1;
	switch (type) {
	case SSH_FXP_OPENDIR:
		rc = proto_opendir(&c->out, q->id, path);
		break;
	case SSH_FXP_READDIR:
		rc = proto_readdir(&c->out, q->id, handle, hlen);
		break;
	case SSH_FXP_OPEN:
		rc = proto_open(&c->out, q->id, path, SSH_FXF_READ);
		break;
	case SSH_FXP_READ:
		rc = proto_read(&c->out, q->id, handle, hlen, off, count);
		break;
	case SSH_FXP_CLOSE:
		rc = proto_close(&c->out, q->id, handle, hlen);
		break;
	case SSH_FXP_LSTAT:
		rc = proto_lstat(&c->out, q->id, path);
		break;
	default:
		rc = proto_remove(&c->out, q->id, path);
		break;
	}
	if (rc == -1)
		return error_set(err, ERR_TRANSIENT, "SFTP request too long "
		    "or out of memory");
	q->used = 1;
	q->type = type;
	q->tag = tag;
	q->off = off;
	q->len = count;
	c->ninflight++;
	if (tag == SFTP_UNWAITED)
		c->nunwaited++;
	return 0;
}

int
sftp_send_opendir(struct sftp *c, const char *path, size_t tag,
    struct error *err)
{
	return sftp_send(c, SSH_FXP_OPENDIR, path, NULL, 0, 0, 0, tag, err);
}

int
sftp_send_readdir(struct sftp *c, const uint8_t *handle, size_t len,
    size_t tag, struct error *err)
{
	return sftp_send(c, SSH_FXP_READDIR, NULL, handle, len, 0, 0, tag,
	    err);
}

int
sftp_send_open(struct sftp *c, const char *path, size_t tag,
    struct error *err)
{
	return sftp_send(c, SSH_FXP_OPEN, path, NULL, 0, 0, 0, tag, err);
}

int
sftp_send_read(struct sftp *c, const uint8_t *handle, size_t len,
    uint64_t off, uint32_t count, size_t tag, struct error *err)
{
	return sftp_send(c, SSH_FXP_READ, NULL, handle, len, off, count, tag,
	    err);
}

int
sftp_send_close(struct sftp *c, const uint8_t *handle, size_t len,
    size_t tag, struct error *err)
{
	return sftp_send(c, SSH_FXP_CLOSE, NULL, handle, len, 0, 0, tag, err);
}

int
sftp_send_lstat(struct sftp *c, const char *path, size_t tag,
    struct error *err)
{
	return sftp_send(c, SSH_FXP_LSTAT, path, NULL, 0, 0, 0, tag, err);
}

int
sftp_send_remove(struct sftp *c, const char *path, size_t tag,
    struct error *err)
{
	return sftp_send(c, SSH_FXP_REMOVE, path, NULL, 0, 0, 0, tag, err);
}

long
sftp_rtt(const struct sftp *c)
{
	return c->rtt_ms;
}

size_t
sftp_inflight(const struct sftp *c)
{
	return c->ninflight - c->nunwaited;
}

int
sftp_pending_output(const struct sftp *c)
{
	return c->out.len > 0;
}

/* ---- moving bytes ------------------------------------------------------ */

/* Returns 1 if bytes went out, 0 if none could, -1 on error. */
static int
flush_out(struct sftp *c, struct error *err)
{
	ssize_t n;
	size_t done = 0;

	while (done < c->out.len) {
		n = c->st.write(c->st.ctx, c->out.data + done,
		    c->out.len - done, err);
		if (n == -1) {
			proto_buf_consume(&c->out, done);
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	proto_buf_consume(&c->out, done);
	return done > 0;
}

/* Returns 1 if bytes arrived, 0 if none, -1 on error or EOF. */
static int
fill_in(struct sftp *c, struct error *err)
{
	ssize_t n;
	int got = 0;

	/* Keep unparsed bytes at the front so a whole packet fits. */
	if (c->inoff > 0) {
		memmove(c->in, c->in + c->inoff, c->inlen - c->inoff);
		c->inlen -= c->inoff;
		c->inoff = 0;
	}
	while (c->inlen < SFTP_READBUF) {
		n = c->st.read(c->st.ctx, c->in + c->inlen,
		    SFTP_READBUF - c->inlen, err);
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		c->inlen += n;
		got = 1;
	}
	return got;
}

int
sftp_pump(struct sftp *c, int wait, struct error *err)
{
	int wrote, got;

	if (c->broken)
		return error_set(err, ERR_TRANSIENT, "the SFTP connection "
		    "failed earlier");
	for (;;) {
		if ((wrote = flush_out(c, err)) == -1 ||
		    (got = fill_in(c, err)) == -1) {
			c->broken = 1;
			return -1;
		}
		if (wrote || got || !wait)
			return 0;
		switch (c->st.wait(c->st.ctx, c->wakefd, c->out.len > 0, err)) {
		case -1:
			c->broken = 1;
			return -1;
		case 1:
			return 0;	/* the caller has local news */
		}
	}
}

/* The next whole packet decoded into *r: 1, 0 if none yet, -1 with err. */
static int
sftp_packet(struct sftp *c, struct proto_reply *r, struct error *err)
{
	long n;

	c->inoff += c->consumed;
	c->consumed = 0;
	n = proto_frame(c->in + c->inoff, c->inlen - c->inoff);
	if (n == 0)
		return 0;
	if (n == -1) {
		c->broken = 1;
		return error_set(err, ERR_TRANSIENT, "SFTP server sent a "
		    "packet of impossible length");
	}
	if (proto_parse(c->in + c->inoff + 4, (size_t)n - 4, r) == -1) {
		c->broken = 1;
		return error_set(err, ERR_TRANSIENT, "SFTP server sent a "
		    "malformed packet (type %u)", c->in[c->inoff + 4]);
	}
	c->consumed = (size_t)n;
	return 1;
}

int
sftp_reply(struct sftp *c, struct proto_reply *r, struct sftp_req *q,
    struct error *err)
{
	struct sftp_req *slot;
	int rc;

	for (;;) {
		if ((rc = sftp_packet(c, r, err)) != 1)
			return rc;
		if (c->version == 0) {
			if (sftp_version(c, r, err) == -1)
				return -1;
			continue;
		}
		slot = &c->reqs[r->id & (c->nslots - 1)];
		if (r->type == SSH_FXP_VERSION || !slot->used ||
		    slot->id != r->id) {
			/* Nothing said after this can be matched to its request. */
			c->broken = 1;
			return error_set(err, ERR_TRANSIENT, "the SFTP server "
			    "answered request %u, which is not in flight",
			    r->id);
		}
		slot->used = 0;
		c->ninflight--;
		if (slot->tag == SFTP_UNWAITED) {
			c->nunwaited--;
			continue;
		}
		*q = *slot;
		return 1;
	}
}

void
sftp_drain(struct sftp *c)
{
	struct proto_reply r;
	struct sftp_req q;
	struct error ignored;
	int rc;

	while (c->ninflight > 0 && !c->broken) {
		if ((rc = sftp_reply(c, &r, &q, &ignored)) == 0) {
			if (sftp_pump(c, 1, &ignored) == -1)
				return;
			continue;
		}
		if (rc == -1)
			return;
		/* An OPEN or OPENDIR answered after all: its handle goes. */
		if ((q.type == SSH_FXP_OPEN || q.type == SSH_FXP_OPENDIR) &&
		    r.type == SSH_FXP_HANDLE &&
		    sftp_send_close(c, r.handle, r.handlelen, 0,
		    &ignored) == -1) {
			c->broken = 1;	/* out of memory: a handle would leak */
			return;
		}
	}
}

void
sftp_close(struct sftp *c)
{
	if (c->st.close != NULL)
		c->st.close(c->st.ctx);
	c->st.close = NULL;
	c->st.ctx = NULL;
	proto_buf_free(&c->out);
	free(c->in);
	c->in = NULL;
	free(c->reqs);
	c->reqs = NULL;
}
