/*
 * The SFTP channel: bytes in and out of a libssh2 channel, framed into
 * packets.  What a request means is the caller's business.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "msg.h"

/*
 * The channel's receive window.  libssh2 holds up to this much unread
 * data for us, so it bounds memory; it also bounds the bytes the server
 * can send before we answer with a window adjust, so it must cover the
 * bandwidth-delay product of the links we care about.
 */
#define SFTP_WINDOW	(2 * 1024 * 1024)
#define SFTP_READBUF	(PROTO_MAX_PACKET + 4 + 65536)

int
sftp_open(struct sftp *c, struct session *s, struct error *err)
{
	struct proto_reply r;
	int rc;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->next_id = 1;
	if ((c->in = malloc(SFTP_READBUF)) == NULL)
		return error_errno(err, STATUS_TEMPFAIL, "malloc");
	for (;;) {
		c->chan = libssh2_channel_open_ex(s->ssh, "session",
		    sizeof("session") - 1, SFTP_WINDOW,
		    LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0);
		if (c->chan != NULL)
			break;
		if (libssh2_session_last_errno(s->ssh) != LIBSSH2_ERROR_EAGAIN)
			return session_error(s, err, STATUS_TEMPFAIL,
			    "opening an SSH channel");
		if (session_wait(s, err) == -1)
			return -1;
	}
	while ((rc = libssh2_channel_process_startup(c->chan, "subsystem",
	    sizeof("subsystem") - 1, "sftp", sizeof("sftp") - 1)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (session_wait(s, err) == -1)
			return -1;
	if (rc != 0)
		return session_error(s, err, STATUS_TEMPFAIL,
		    "starting the sftp subsystem");
	/* The server's stderr is not ours to read; never let it fill the window. */
	libssh2_channel_handle_extended_data2(c->chan,
	    LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE);
	session_progress(s);

	if (proto_init(&c->out) == -1)
		return error_set(err, STATUS_TEMPFAIL, "out of memory");
	if (sftp_wait(c, 0, &r, err) == -1)
		return -1;
	c->version = r.version;
	if (c->version < 3)
		return error_set(err, STATUS_TEMPFAIL, "SFTP server speaks "
		    "version %u, we need 3", c->version);
	msg_info(2, s->account, "SFTP version %u", c->version);
	return 0;
}

uint32_t
sftp_id(struct sftp *c)
{
	uint32_t id = c->next_id++;

	/* Id 0 is where the VERSION reply lands: never use it for a request. */
	if (c->next_id == 0)
		c->next_id = 1;
	return id;
}

struct proto_buf *
sftp_out(struct sftp *c)
{
	return &c->out;
}

int
sftp_pending_output(const struct sftp *c)
{
	return c->out.len > 0;
}

/* Returns bytes written (0: would block) or -1. */
static int
flush_out(struct sftp *c, struct error *err)
{
	ssize_t n;
	size_t done = 0;

	while (done < c->out.len) {
		n = libssh2_channel_write(c->chan,
		    (const char *)c->out.data + done, c->out.len - done);
		if (n == LIBSSH2_ERROR_EAGAIN)
			break;
		if (n < 0) {
			proto_buf_consume(&c->out, done);
			return session_error(c->s, err, STATUS_TEMPFAIL,
			    "SFTP write");
		}
		done += n;
	}
	proto_buf_consume(&c->out, done);
	if (done > 0)
		session_progress(c->s);
	return (int)(done > 0);
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
		n = libssh2_channel_read(c->chan, (char *)c->in + c->inlen,
		    SFTP_READBUF - c->inlen);
		if (n == LIBSSH2_ERROR_EAGAIN)
			break;
		if (n < 0)
			return session_error(c->s, err, STATUS_TEMPFAIL,
			    "SFTP read");
		if (n == 0) {
			if (libssh2_channel_eof(c->chan))
				return error_set(err, STATUS_TEMPFAIL,
				    "the SFTP server closed the connection");
			break;
		}
		c->inlen += n;
		got = 1;
	}
	if (got)
		session_progress(c->s);
	return got;
}

int
sftp_pump(struct sftp *c, int wait, struct error *err)
{
	int wrote, got;

	for (;;) {
		if ((wrote = flush_out(c, err)) == -1)
			return -1;
		if ((got = fill_in(c, err)) == -1)
			return -1;
		if (wrote || got || !wait)
			return 0;
		switch (session_wait(c->s, err)) {
		case -1:
			return -1;
		case 1:
			return 0;	/* the caller has local news */
		}
	}
}

int
sftp_reply(struct sftp *c, struct proto_reply *r, struct error *err)
{
	long n;

	c->inoff += c->consumed;
	c->consumed = 0;
	n = proto_frame(c->in + c->inoff, c->inlen - c->inoff);
	if (n == 0)
		return 0;
	if (n == -1)
		return error_set(err, STATUS_TEMPFAIL, "SFTP server sent a "
		    "packet of impossible length");
	if (proto_parse(c->in + c->inoff + 4, (size_t)n - 4, r) == -1)
		return error_set(err, STATUS_TEMPFAIL, "SFTP server sent a "
		    "malformed packet (type %u)", c->in[c->inoff + 4]);
	c->consumed = (size_t)n;
	return 1;
}

int
sftp_wait(struct sftp *c, uint32_t id, struct proto_reply *r,
    struct error *err)
{
	int rc;

	for (;;) {
		if ((rc = sftp_reply(c, r, err)) == -1)
			return -1;
		if (rc == 1) {
			if (r->id != id || (id == 0) !=
			    (r->type == SSH_FXP_VERSION))
				return error_set(err, STATUS_TEMPFAIL,
				    "SFTP server answered request %u, "
				    "expected %u", r->id, id);
			return 0;
		}
		if (sftp_pump(c, 1, err) == -1)
			return -1;
	}
}

void
sftp_close(struct sftp *c)
{
	if (c->chan != NULL) {
		/* Blocking (bounded by session_close's timeout) so it frees. */
		libssh2_session_set_timeout(c->s->ssh, 1000);
		libssh2_session_set_blocking(c->s->ssh, 1);
		libssh2_channel_free(c->chan);
		c->chan = NULL;
	}
	proto_buf_free(&c->out);
	free(c->in);
	c->in = NULL;
}
