/*
 * Our SFTP v3 client over a libssh2 channel (SPEC section 7): requests are
 * queued with an id and replies are returned as they arrive, in any
 * order, so that many requests can be in flight at once.  The caller keeps
 * its own table of what each id was for.
 */
#ifndef SYNCMAIL_CLIENT_H
#define SYNCMAIL_CLIENT_H

#include <stdint.h>

#include "proto.h"
#include "session.h"

struct sftp {
	struct session	*s;
	LIBSSH2_CHANNEL	*chan;
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

/* Frees the channel and buffers; safe on a zeroed struct. */
void	 sftp_close(struct sftp *);

#endif
