/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * server-notify's remote watcher (notify.h).  The command, run by the
 * user's shell on the server:
 *
 *	echo syncmail-notify; inotifywait -q -m -e moved_to -e close_write
 *	    -- 'DIR' ... & read x; kill $!
 *
 * The word first: a server that runs another command in its place
 * (ForceCommand internal-sftp waits for an SFTP INIT and says nothing)
 * never sends it.  Then inotifywait in the background, one line per
 * file renamed into or written in a new/; the shell waits on its stdin,
 * the channel, which ends when we close the channel or the connection
 * goes, and then kills inotifywait, which would otherwise watch on
 * until its next event found no reader.  Its stderr says why it could
 * not start ("inotifywait: not found", a directory it cannot watch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftp/notify.h"

#define NOTIFY_WORD	"syncmail-notify"

/* Appends s, single-quoted for a POSIX shell, to buf (size). */
static void
notify_quote(char *buf, size_t size, const char *s)
{
	strlcat(buf, "'", size);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			strlcat(buf, "'\\''", size);
		else {
			char c[2] = { *s, '\0' };

			strlcat(buf, c, size);
		}
	}
	strlcat(buf, "'", size);
}

int
notify_open(struct notify *n, struct session *s, char *const *dirs,
    size_t nd, struct error *err)
{
	char cmd[16384];
	size_t i;
	int rc;

	memset(n, 0, sizeof(*n));
	n->s = s;
	strlcpy(cmd, "echo " NOTIFY_WORD "; inotifywait -q -m -e moved_to "
	    "-e close_write --", sizeof(cmd));
	for (i = 0; i < nd; i++) {
		strlcat(cmd, " ", sizeof(cmd));
		notify_quote(cmd, sizeof(cmd), dirs[i]);
	}
	if (strlcat(cmd, " & read x; kill $!", sizeof(cmd)) >= sizeof(cmd))
		return error_set(err, ERR_MAILBOX, "the directories' names "
		    "are too long for one command");
	for (;;) {
		n->chan = libssh2_channel_open_session(s->ssh);
		if (n->chan != NULL)
			break;
		if (libssh2_session_last_errno(s->ssh) != LIBSSH2_ERROR_EAGAIN) {
			session_error(s, err, ERR_MAILBOX,
			    "opening a second SSH channel");
			return -1;
		}
		if (session_wait(s, err) == -1) {
			err->kind = ERR_MAILBOX;
			return -1;
		}
	}
	while ((rc = libssh2_channel_exec(n->chan, cmd)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (session_wait(s, err) == -1) {
			err->kind = ERR_MAILBOX;
			notify_close(n);
			return -1;
		}
	if (rc != 0) {
		session_error(s, err, ERR_MAILBOX, "the server refused the "
		    "command");
		notify_close(n);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &n->opened);
	return 0;
}

/*
 * The first line, the shell's word, read from buf (len bytes): returns
 * how many bytes of buf it took, with n->ready set once it is whole, or
 * -1 with err set when the line is another.
 */
static ssize_t
notify_first(struct notify *n, const char *buf, size_t len,
    struct error *err)
{
	const char *nl = memchr(buf, '\n', len);
	size_t take = nl != NULL ? (size_t)(nl - buf) + 1 : len;
	size_t i;

	for (i = 0; i < take; i++) {
		if (buf[i] == '\n') {
			n->first[n->firstlen] = '\0';
			if (strcmp(n->first, NOTIFY_WORD) != 0)
				return error_set(err, ERR_MAILBOX, "the server "
				    "ran another command (it said \"%s\")",
				    n->first);
			n->ready = 1;
			break;
		}
		if (n->firstlen + 1 >= sizeof(n->first)) {
			n->first[n->firstlen] = '\0';
			return error_set(err, ERR_MAILBOX, "the server ran "
			    "another command (it said \"%s...\")", n->first);
		}
		n->first[n->firstlen++] = buf[i];
	}
	return (ssize_t)take;
}

/*
 * A read of the channel failed with rc: ERR_TRANSIENT when the
 * connection itself went (the socket), ERR_MAILBOX for the channel.
 */
static int
notify_failed(struct notify *n, ssize_t rc, struct error *err)
{
	int kind = ERR_MAILBOX;

	if (rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND ||
	    rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
	    rc == LIBSSH2_ERROR_SOCKET_TIMEOUT || rc == LIBSSH2_ERROR_TIMEOUT)
		kind = ERR_TRANSIENT;
	return session_error(n->s, err, kind, "reading");
}

int
notify_poll(struct notify *n, int timeout, struct error *err)
{
	struct timespec now;
	char buf[4096], *nl;
	ssize_t r, used;
	int status, event = 0;

	if (n->chan == NULL)
		return error_set(err, ERR_MAILBOX, "not started");
	for (;;) {
		r = libssh2_channel_read_stderr(n->chan, buf, sizeof(buf) - 1);
		if (r > 0) {
			buf[r] = '\0';
			if ((nl = strchr(buf, '\n')) != NULL)
				*nl = '\0';
			return error_set(err, ERR_MAILBOX, "%s", buf);
		}
		if (r != LIBSSH2_ERROR_EAGAIN && r < 0)
			return notify_failed(n, r, err);
		r = libssh2_channel_read(n->chan, buf, sizeof(buf));
		if (r == LIBSSH2_ERROR_EAGAIN || r == 0)
			break;
		if (r < 0)
			return notify_failed(n, r, err);
		used = 0;
		if (!n->ready && (used = notify_first(n, buf, (size_t)r,
		    err)) == -1)
			return -1;
		/* Any line after the word is an event: what it names is the look's to find. */
		if (used < r)
			event = 1;
	}
	if (libssh2_channel_eof(n->chan)) {
		status = libssh2_channel_get_exit_status(n->chan);
		return error_set(err, ERR_MAILBOX, "the command ended (exit "
		    "status %d)", status);
	}
	if (!n->ready) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - n->opened.tv_sec > timeout)
			return error_set(err, ERR_MAILBOX, "the server said "
			    "nothing in %d s: it runs no command for us "
			    "(ForceCommand internal-sftp?)", timeout);
	}
	return event;
}

void
notify_close(struct notify *n)
{
	long timeout;
	int blocking;

	if (n->chan == NULL)
		return;
	/*
	 * As the SFTP channel's close: blocking, bounded to a second, or
	 * libssh2 may answer EAGAIN and keep the memory.  Then back as it
	 * was: the SFTP channel may go on.
	 */
	blocking = libssh2_session_get_blocking(n->s->ssh);
	timeout = libssh2_session_get_timeout(n->s->ssh);
	libssh2_session_set_timeout(n->s->ssh, 1000);
	libssh2_session_set_blocking(n->s->ssh, 1);
	libssh2_channel_free(n->chan);
	libssh2_session_set_timeout(n->s->ssh, timeout);
	libssh2_session_set_blocking(n->s->ssh, blocking);
	n->chan = NULL;
}
