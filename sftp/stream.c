/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The streams under the SFTP client: a libssh2 channel, and a plain
 * descriptor for the tests.  Each moves what it can without blocking and
 * waits only in its wait function, within the session's timeouts.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "sftp/stream.h"
#include "util/note.h"

/*
 * The channel's receive window.  libssh2 holds up to this much unread
 * data for us, so it bounds memory; it also bounds the bytes the server
 * can send before we answer with a window adjust, so it must cover the
 * bandwidth-delay product of the links we care about.
 */
#define SFTP_WINDOW	(2 * 1024 * 1024)

/* ---- the libssh2 channel ------------------------------------------------ */

struct channel {
	struct session	*s;
	LIBSSH2_CHANNEL	*chan;
};

/*
 * The stream's read (client.h): what the channel holds, up to len bytes;
 * 0 when libssh2 would block, or -1 with err set (ERR_TRANSIENT) for a
 * session error or the server's end of the channel.  Data counts as
 * progress for the session's no-progress timeout.
 */
static ssize_t
channel_read(void *ctx, void *buf, size_t len, struct error *err)
{
	struct channel *ch = ctx;
	ssize_t n;

	n = libssh2_channel_read(ch->chan, buf, len);
	if (n == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (n < 0)
		return session_error(ch->s, err, ERR_TRANSIENT, "SFTP read");
	if (n == 0) {
		if (libssh2_channel_eof(ch->chan))
			return error_set(err, ERR_TRANSIENT,
			    "the SFTP server closed the connection");
		return 0;
	}
	session_progress(ch->s);
	return n;
}

/*
 * The stream's write: as many of len bytes as the channel's window takes,
 * 0 when libssh2 would block, or -1 with err set (ERR_TRANSIENT).
 */
static ssize_t
channel_write(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct channel *ch = ctx;
	ssize_t n;

	n = libssh2_channel_write(ch->chan, buf, len);
	if (n == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (n < 0)
		return session_error(ch->s, err, ERR_TRANSIENT, "SFTP write");
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

/*
 * The stream's close: frees ch and unhooks the wake fd from the
 * session; ctx may be NULL.  The channel itself is left to its session,
 * which frees it in session_close (the one goodbye for both: closing
 * the channel alone costs a round trip waiting for the server's CLOSE),
 * so the session must be closed next.
 */
static void
channel_close(void *ctx)
{
	struct channel *ch = ctx;

	if (ch == NULL)
		return;
	ch->s->wakefd = -1;
	free(ch);
}

int
stream_channel_open(struct sftp_stream *st, struct session *s,
    struct error *err)
{
	struct channel *ch;
	int rc;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return error_errno(err, ERR_TRANSIENT, "calloc");
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
			return session_error(s, err, ERR_TRANSIENT,
			    "opening an SSH channel");
		if (session_wait(s, err) == -1)
			return -1;
	}
	note(2, s->account, "SSH channel open (%ld ms)", note_clock());
	while ((rc = libssh2_channel_process_startup(ch->chan, "subsystem",
	    sizeof("subsystem") - 1, "sftp", sizeof("sftp") - 1)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (session_wait(s, err) == -1)
			return -1;
	if (rc != 0)
		return session_error(s, err, ERR_TRANSIENT,
		    "starting the sftp subsystem");
	/* The server's stderr is not ours to read; never let it fill the window. */
	libssh2_channel_handle_extended_data2(ch->chan,
	    LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE);
	session_progress(s);
	note(2, s->account, "sftp subsystem started (%ld ms)", note_clock());
	return 0;
}

/* ---- a plain descriptor (tests) ----------------------------------------- */

struct fd_stream {
	int		 fd;
	int		 timeout;	/* seconds without data moving */
};

/*
 * The stream's read over a plain descriptor: the bytes read, 0 when none
 * are ready (or a signal came), -1 with err set (ERR_TRANSIENT) at end
 * of file or on an error.
 */
static ssize_t
fd_read(void *ctx, void *buf, size_t len, struct error *err)
{
	struct fd_stream *fs = ctx;
	ssize_t n;

	if ((n = read(fs->fd, buf, len)) > 0)
		return n;
	if (n == 0)
		return error_set(err, ERR_TRANSIENT,
		    "the SFTP server closed the connection");
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return error_errno(err, ERR_TRANSIENT, "SFTP read");
}

/* The stream's write over a plain descriptor, as fd_read. */
static ssize_t
fd_write(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct fd_stream *fs = ctx;
	ssize_t n;

	if ((n = write(fs->fd, buf, len)) >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return error_errno(err, ERR_TRANSIENT, "SFTP write");
}

/*
 * The stream's wait over a plain descriptor: polls fd (for writing too
 * when writing is set) and wakefd (-1: none).  Returns 0 when fd is ready
 * (it wins when both are), 1 when only wakefd is, or -1 with err set
 * (ERR_TRANSIENT) when poll fails or fs->timeout seconds pass idle.
 */
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
		return error_errno(err, ERR_TRANSIENT, "poll");
	if (n == 0)
		return error_set(err, ERR_TRANSIENT, "no progress for %d "
		    "seconds", fs->timeout);
	return (pfd[1].revents & POLLIN) && !pfd[0].revents ? 1 : 0;
}

static void
fd_close(void *ctx)
{
	free(ctx);
}

int
stream_fd_open(struct sftp_stream *st, int fd, int timeout,
    struct error *err)
{
	struct fd_stream *fs;

	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return error_errno(err, ERR_TRANSIENT, "calloc");
	fs->fd = fd;
	fs->timeout = timeout;
	st->ctx = fs;
	st->read = fd_read;
	st->write = fd_write;
	st->wait = fd_wait;
	st->close = fd_close;
	return 0;
}
