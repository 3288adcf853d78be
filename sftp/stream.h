/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The byte streams an SFTP client runs over (struct sftp_stream in
 * client.h): a channel of an SSH session, or a plain descriptor for the
 * tests against a local sftp-server.
 */
#ifndef SYNCMAIL_STREAM_H
#define SYNCMAIL_STREAM_H

#include "sftp/client.h"
#include "sftp/session.h"
#include "util/error.h"

/*
 * Opens the "sftp" subsystem on a new channel of s as st, with a receive
 * window that bounds the bytes in flight to us.  Returns 0, or -1 with err
 * set; st->close frees what was made either way, but for the channel,
 * which goes with its session: session_close must follow.
 */
int	 stream_channel_open(struct sftp_stream *st, struct session *s,
	    struct error *err);

/*
 * fd, non-blocking and the caller's to close, as st; a wait fails after
 * timeout seconds without data moving.  Returns 0, or -1 with err set.
 */
int	 stream_fd_open(struct sftp_stream *st, int fd, int timeout,
	    struct error *err);

#endif
