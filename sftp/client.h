/*
 * Our SFTP v3 client over any byte stream (SPEC section 7): a libssh2
 * channel in use, a socketpair to a local sftp-server in tests.  Requests
 * are queued with an id and replies are returned as they arrive, in any
 * order, so that many requests can be in flight at once.  The caller keeps
 * its own table of what each id was for.
 */
#ifndef SYNCMAIL_CLIENT_H
#define SYNCMAIL_CLIENT_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include "proto.h"
#include "session.h"

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
	uint32_t	 version;
};

/*
 * Opens the "sftp" subsystem on a new channel of s and exchanges versions.
 * Returns 0, or -1 with err set (STATUS_TEMPFAIL).  sftp_close either way.
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

/* A descriptor whose readability ends sftp_pump's wait (-1: none). */
void	 sftp_set_wakefd(struct sftp *, int fd);

/* The id for the next request. */
uint32_t sftp_id(struct sftp *);

/*
 * Returns the request buffer to append proto_* requests to; they are sent
 * by sftp_pump.
 */
struct proto_buf *sftp_out(struct sftp *);

/*
 * Moves data: writes queued requests and reads replies, without waiting.
 * If wait is set and nothing could move, waits on the socket first (within
 * the session's timeout and deadline).  Returns 0, or -1 with err set when
 * the connection failed, closed or timed out.
 */
int	 sftp_pump(struct sftp *, int wait, struct error *err);

/*
 * Returns 1 and decodes the next complete reply into *r (valid until the
 * next call), 0 when no complete reply has arrived, -1 with err set when
 * the server sent a malformed packet.
 */
int	 sftp_reply(struct sftp *, struct proto_reply *r, struct error *err);

/*
 * Sends what is queued and waits for the reply to id, for the simple
 * one-request-at-a-time exchanges.  A reply to another id is a protocol
 * error here.  Returns 0 or -1 with err set.
 */
int	 sftp_wait(struct sftp *, uint32_t id, struct proto_reply *r,
	    struct error *err);

/* Whether requests are still waiting to be written. */
int	 sftp_pending_output(const struct sftp *);

/* Frees the stream and buffers; safe on a zeroed struct. */
void	 sftp_close(struct sftp *);

#endif
