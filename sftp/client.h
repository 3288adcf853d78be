/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Our SFTP v3 client over any byte stream (SPEC section 7): a libssh2
 * channel in use, a socketpair to a local sftp-server in tests.  Requests
 * are queued and many may be in flight at once; replies come back as they
 * arrive, in any order, each with the request it answers.  The client owns
 * the request ids: a caller names a request by a tag of its own (an index
 * into its table), never by id.
 */
#ifndef SYNCMAIL_CLIENT_H
#define SYNCMAIL_CLIENT_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include "sftp/proto.h"
#include "sftp/session.h"

/*
 * The bytes under the client.  read and write move what they can without
 * waiting: the count (> 0), 0 when they would block, or -1 with err set
 * (read also at the end of the stream).  wait blocks until the stream
 * can move data (0: readable, or writable when writing is set) or wakefd
 * (-1: none) is readable (1), or fails with err set (-1) when the
 * stream's timeout or deadline passes.
 */
struct sftp_stream {
	void	*ctx;
	ssize_t	(*read)(void *ctx, void *buf, size_t len, struct error *err);
	ssize_t	(*write)(void *ctx, const void *buf, size_t len,
		    struct error *err);
	int	(*wait)(void *ctx, int wakefd, int writing, struct error *err);
	void	(*close)(void *ctx);
};

/*
 * A request in flight, as sftp_reply gives it back with its answer: the
 * SSH_FXP_* type sent, the caller's tag, and for a READ the range asked.
 */
struct sftp_req {
	uint32_t	 id;
	uint8_t		 type;
	uint8_t		 used;
	size_t		 tag;
	uint64_t	 off;
	uint32_t	 len;
};

struct sftp {
	struct sftp_stream st;
	int		 wakefd;	/* ends a wait when readable, or -1 */
	const char	*account;	/* for -vv */
	struct proto_buf out;		/* queued requests not yet written */
	uint8_t		*in;		/* received bytes not yet parsed */
	size_t		 inlen;
	size_t		 inoff;		/* start of the unparsed part */
	size_t		 consumed;	/* size of the packet last returned */
	uint32_t	 next_id;
	uint32_t	 version;	/* 0 until the server's VERSION is read */
	struct timespec	 init_sent;	/* when the INIT was queued */
	long		 rtt_ms;	/* INIT to VERSION; -1 before */
	struct sftp_req	*reqs;		/* in flight, at id & (nslots - 1) */
	size_t		 nslots;	/* a power of two, over twice ninflight */
	size_t		 ninflight;
	size_t		 nunwaited;	/* of them, tagged SFTP_UNWAITED */
	int		 broken;	/* the stream failed or lied: no more */
};

/*
 * Opens the "sftp" subsystem on a new channel of s and queues our INIT;
 * the server's VERSION is read (and checked) by the first sftp_reply,
 * before any answer, so that the first requests share its round trip.
 * Returns 0, or -1 with err set (ERR_TRANSIENT).  sftp_close either way.
 */
int	 sftp_open(struct sftp *, struct session *s, struct error *err);

/*
 * The same over fd, a non-blocking socket or pipe end that the caller
 * owns and closes after sftp_close: for tests against a local
 * sftp-server.  A wait fails after timeout seconds without data moving.
 */
int	 sftp_open_fd(struct sftp *, int fd, int timeout, struct error *err);

/*
 * The same over a stream of the caller's (the whole-client fuzz target's
 * scripted server); its close is called by sftp_close.
 */
int	 sftp_open_stream(struct sftp *, const struct sftp_stream *st,
	    const char *account, struct error *err);

/*
 * The tag of a request whose answer nobody waits for (the CLOSE of a
 * listing): sftp_reply reads that answer and goes on to the next.
 */
#define SFTP_UNWAITED	((size_t)-1)

/* A descriptor whose readability ends sftp_pump's wait (-1: none). */
void	 sftp_set_wakefd(struct sftp *, int fd);

/*
 * Queue a request (sent by sftp_pump) under the caller's tag, which
 * sftp_reply gives back with the answer.  Each returns 0, or -1 with err
 * set when the request does not fit in a packet or memory ran out.
 * sftp_send_open opens for reading.
 */
int	 sftp_send_opendir(struct sftp *, const char *path, size_t tag,
	    struct error *err);
int	 sftp_send_readdir(struct sftp *, const uint8_t *handle, size_t len,
	    size_t tag, struct error *err);
int	 sftp_send_open(struct sftp *, const char *path, size_t tag,
	    struct error *err);
int	 sftp_send_read(struct sftp *, const uint8_t *handle, size_t len,
	    uint64_t off, uint32_t count, size_t tag, struct error *err);
int	 sftp_send_close(struct sftp *, const uint8_t *handle, size_t len,
	    size_t tag, struct error *err);
int	 sftp_send_lstat(struct sftp *, const char *path, size_t tag,
	    struct error *err);
int	 sftp_send_remove(struct sftp *, const char *path, size_t tag,
	    struct error *err);

/*
 * The milliseconds from our INIT to the server's VERSION: the round trip
 * of the connection (and the SFTP server's start), -1 before the VERSION.
 */
long	 sftp_rtt(const struct sftp *);

/*
 * How many requests await their answer, but for those nobody waits for
 * (SFTP_UNWAITED): a caller done when this is 0 does not wait for them.
 */
size_t	 sftp_inflight(const struct sftp *);

/*
 * Moves data: writes queued requests and reads replies, without waiting.
 * If wait is set and nothing could move, waits on the socket first (within
 * the session's timeout and deadline).  Returns 0, or -1 with err set when
 * the connection failed, closed or timed out.
 */
int	 sftp_pump(struct sftp *, int wait, struct error *err);

/*
 * Returns 1 and decodes the next complete reply into *r (valid until the
 * next call) and the request it answers into *q, which is then no longer
 * in flight; 0 when no complete reply has arrived; -1 with err set when
 * the server sent a malformed packet or answered a request not in flight.
 */
int	 sftp_reply(struct sftp *, struct proto_reply *r, struct sftp_req *q,
	    struct error *err);

/*
 * Reads the answers to every request still in flight, discarding them,
 * and closes the handles those answers open, so that the next user of
 * the connection gets only answers to its own requests.  Errors are not
 * reported: a connection that fails meanwhile is marked broken, and its
 * next use fails.
 */
void	 sftp_drain(struct sftp *);

/* Whether requests are still waiting to be written. */
int	 sftp_pending_output(const struct sftp *);

/* Frees the stream and buffers; safe on a zeroed struct. */
void	 sftp_close(struct sftp *);

#endif
