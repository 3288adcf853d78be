/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * server-notify (SPEC 9): inotifywait on the server, over an SSH exec
 * channel of its own beside the SFTP one, tells watch mode that mail
 * arrived.  Only a hint: a look still decides what to move, and where
 * the server runs no command for us, or has no inotifywait, the watch
 * polls as without it.
 */
#ifndef SYNCMAIL_NOTIFY_H
#define SYNCMAIL_NOTIFY_H

#include <stddef.h>
#include <time.h>

#include <libssh2.h>

#include "sftp/session.h"
#include "util/error.h"

struct notify {
	struct session	*s;
	LIBSSH2_CHANNEL	*chan;		/* NULL: none */
	int		 ready;		/* the server's shell answered */
	struct timespec	 opened;	/* monotonic */
	char		 first[64];	/* its first line, until complete */
	size_t		 firstlen;
};

/*
 * Opens an exec channel on s and runs there, through the user's shell,
 * inotifywait -q -m -e moved_to -e close_write on the nd directories of
 * dirs (as the server names them: relative to the login directory
 * unless absolute).  The shell says a word first, so that a server that
 * runs something else (ForceCommand internal-sftp) is told apart; it
 * kills inotifywait when the channel's input ends, so the watcher never
 * outlives the channel or the connection.  Returns 0, or -1 with err
 * set (ERR_MAILBOX: the connection may serve on) and n closed.
 */
int	 notify_open(struct notify *n, struct session *s, char *const *dirs,
	    size_t nd, struct error *err);

/*
 * Reads what the watcher sent, without waiting.  Returns 1 when it
 * reported a change (a look is due), 0 when nothing came, or -1 with
 * err set: ERR_TRANSIENT when the connection itself went (its socket
 * failed or ended), ERR_MAILBOX when the watcher failed: it wrote to
 * stderr (no inotifywait, a directory it cannot watch), it ended, the
 * channel failed, or its shell said nothing within timeout seconds of
 * notify_open.  After -1, notify_close.
 */
int	 notify_poll(struct notify *n, int timeout, struct error *err);

/*
 * Closes the channel, leaving the session as blocking as it was; fine
 * on a zeroed or closed n.  Call before the session is closed; over a
 * dead connection, after session_shutdown, so that it does not wait.
 */
void	 notify_close(struct notify *n);

#endif
