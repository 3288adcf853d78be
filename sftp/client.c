/*
 * The SFTP client's byte handling: requests queued and written to the
 * stream, replies read from it and framed into packets.  What a request
 * means is the caller's business.  The two streams, a libssh2 channel and
 * a plain descriptor, are at the end of the file.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util/note.h"

/*
 * The channel's receive window.  libssh2 holds up to this much unread
 * data for us, so it bounds memory; it also bounds the bytes the server
 * can send before we answer with a window adjust, so it must cover the
 * bandwidth-delay product of the links we care about.
 */
#define SFTP_WINDOW	(2 * 1024 * 1024)
#define SFTP_READBUF	(PROTO_MAX_PACKET + 4 + 65536)

static int	channel_open(struct sftp_stream *, struct session *,
		    struct error *);
static int	fd_stream_open(struct sftp_stream *, int, int,
		    struct error *);

/* Exchanges versions over the stream just opened.  0 or -1 with err. */
static int
sftp_start(struct sftp *c, struct error *err)
{
	struct proto_reply r;

	if (proto_init(&c->out) == -1)
		return error_set(err, STATUS_TEMPFAIL, "out of memory");
	if (sftp_wait(c, 0, &r, err) == -1)
		return -1;
	c->version = r.version;
	if (c->version < 3)
		return error_set(err, STATUS_TEMPFAIL, "SFTP server speaks "
		    "version %u, we need 3", c->version);
	note(2, c->account, "SFTP version %u", c->version);
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
	if ((c->in = malloc(SFTP_READBUF)) == NULL)
		return error_errno(err, STATUS_TEMPFAIL, "malloc");
	return 0;
}

int
sftp_open(struct sftp *c, struct session *s, struct error *err)
{
	if (sftp_init(c, s->account, err) == -1 ||
	    channel_open(&c->st, s, err) == -1)
		return -1;
	return sftp_start(c, err);
}

int
sftp_open_fd(struct sftp *c, int fd, int timeout, struct error *err)
{
	if (sftp_init(c, "test", err) == -1 ||
	    fd_stream_open(&c->st, fd, timeout, err) == -1)
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

	for (;;) {
		if ((wrote = flush_out(c, err)) == -1)
			return -1;
		if ((got = fill_in(c, err)) == -1)
			return -1;
		if (wrote || got || !wait)
			return 0;
		switch (c->st.wait(c->st.ctx, c->wakefd, c->out.len > 0, err)) {
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
	if (c->st.close != NULL)
		c->st.close(c->st.ctx);
	c->st.close = NULL;
	c->st.ctx = NULL;
	proto_buf_free(&c->out);
	free(c->in);
	c->in = NULL;
}

/* ---- the libssh2 channel ------------------------------------------------ */

struct channel {
	struct session	*s;
	LIBSSH2_CHANNEL	*chan;
};

static ssize_t
channel_read(void *ctx, void *buf, size_t len, struct error *err)
{
	struct channel *ch = ctx;
	ssize_t n;

	n = libssh2_channel_read(ch->chan, buf, len);
	if (n == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (n < 0)
		return session_error(ch->s, err, STATUS_TEMPFAIL, "SFTP read");
	if (n == 0) {
		if (libssh2_channel_eof(ch->chan))
			return error_set(err, STATUS_TEMPFAIL,
			    "the SFTP server closed the connection");
		return 0;
	}
	session_progress(ch->s);
	return n;
}

static ssize_t
channel_write(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct channel *ch = ctx;
	ssize_t n;

	n = libssh2_channel_write(ch->chan, buf, len);
	if (n == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (n < 0)
		return session_error(ch->s, err, STATUS_TEMPFAIL, "SFTP write");
	if (n > 0)
		session_progress(ch->s);
	return n;
}

static int
channel_wait(void *ctx, int wakefd, int writing, struct error *err)
{
	struct channel *ch = ctx;

	(void)writing;	/* libssh2 knows which way it blocked */
	ch->s->wakefd = wakefd;
	return session_wait(ch->s, err);
}

static void
channel_close(void *ctx)
{
	struct channel *ch = ctx;

	if (ch == NULL)
		return;
	if (ch->chan != NULL) {
		/* Blocking (bounded by session_close's timeout) so it frees. */
		libssh2_session_set_timeout(ch->s->ssh, 1000);
		libssh2_session_set_blocking(ch->s->ssh, 1);
		libssh2_channel_free(ch->chan);
	}
	ch->s->wakefd = -1;
	free(ch);
}

/* Opens the sftp subsystem on a new channel of s as st.  0 or -1. */
static int
channel_open(struct sftp_stream *st, struct session *s, struct error *err)
{
	struct channel *ch;
	int rc;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return error_errno(err, STATUS_TEMPFAIL, "calloc");
	ch->s = s;
	st->ctx = ch;
	st->read = channel_read;
	st->write = channel_write;
	st->wait = channel_wait;
	st->close = channel_close;
	for (;;) {
		ch->chan = libssh2_channel_open_ex(s->ssh, "session",
		    sizeof("session") - 1, SFTP_WINDOW,
		    LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0);
		if (ch->chan != NULL)
			break;
		if (libssh2_session_last_errno(s->ssh) != LIBSSH2_ERROR_EAGAIN)
			return session_error(s, err, STATUS_TEMPFAIL,
			    "opening an SSH channel");
		if (session_wait(s, err) == -1)
			return -1;
	}
	while ((rc = libssh2_channel_process_startup(ch->chan, "subsystem",
	    sizeof("subsystem") - 1, "sftp", sizeof("sftp") - 1)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (session_wait(s, err) == -1)
			return -1;
	if (rc != 0)
		return session_error(s, err, STATUS_TEMPFAIL,
		    "starting the sftp subsystem");
	/* The server's stderr is not ours to read; never let it fill the window. */
	libssh2_channel_handle_extended_data2(ch->chan,
	    LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE);
	session_progress(s);
	return 0;
}

/* ---- a plain descriptor (tests) ----------------------------------------- */

struct fd_stream {
	int		 fd;
	int		 timeout;	/* seconds without data moving */
};

static ssize_t
fd_read(void *ctx, void *buf, size_t len, struct error *err)
{
	struct fd_stream *fs = ctx;
	ssize_t n;

	if ((n = read(fs->fd, buf, len)) > 0)
		return n;
	if (n == 0)
		return error_set(err, STATUS_TEMPFAIL,
		    "the SFTP server closed the connection");
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return error_errno(err, STATUS_TEMPFAIL, "SFTP read");
}

static ssize_t
fd_write(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct fd_stream *fs = ctx;
	ssize_t n;

	if ((n = write(fs->fd, buf, len)) >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return error_errno(err, STATUS_TEMPFAIL, "SFTP write");
}

static int
fd_wait(void *ctx, int wakefd, int writing, struct error *err)
{
	struct fd_stream *fs = ctx;
	struct pollfd pfd[2];
	int n;

	pfd[0].fd = fs->fd;
	pfd[0].events = POLLIN | (writing ? POLLOUT : 0);
	pfd[1].fd = wakefd;
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	do
		n = poll(pfd, wakefd != -1 ? 2 : 1, fs->timeout * 1000);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return error_errno(err, STATUS_TEMPFAIL, "poll");
	if (n == 0)
		return error_set(err, STATUS_TEMPFAIL, "no progress for %d "
		    "seconds", fs->timeout);
	return (pfd[1].revents & POLLIN) && !pfd[0].revents ? 1 : 0;
}

static void
fd_close(void *ctx)
{
	free(ctx);
}

static int
fd_stream_open(struct sftp_stream *st, int fd, int timeout,
    struct error *err)
{
	struct fd_stream *fs;

	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return error_errno(err, STATUS_TEMPFAIL, "calloc");
	fs->fd = fd;
	fs->timeout = timeout;
	st->ctx = fs;
	st->read = fd_read;
	st->write = fd_write;
	st->wait = fd_wait;
	st->close = fd_close;
	return 0;
}
