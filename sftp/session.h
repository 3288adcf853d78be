/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The SSH connection of one account: TCP connect or proxy command,
 * handshake, host key check against known_hosts, public key
 * authentication (agent, then key files).  libssh2 runs non-blocking;
 * every wait goes through session_wait, which enforces the account's
 * timeout and deadline.  sftp/auth.c, sftp/hostcheck.c and sftp/kex.c
 * do their steps on this struct.
 */
#ifndef SYNCMAIL_SESSION_H
#define SYNCMAIL_SESSION_H

#include <signal.h>
#include <time.h>

#include <libssh2.h>

#include "sftp/proxy.h"
#include "sftp/sshconfig.h"
#include "util/error.h"

struct session {
	const char	*account;	/* name, for messages */
	char		*host;
	int		 port;
	char		*user;
	int		 fd;		/* TCP socket, or our end of the proxy's */
	struct proxy	 proxy;		/* pid -1: no proxy command */
	char		*proxy_command;	/* for messages */
	LIBSSH2_SESSION	*ssh;
	int		 timeout;	/* seconds without progress */
	struct timespec	 deadline;	/* monotonic: end of the account's run */
	struct timespec	 last_progress;
	/* Set by a second signal: give up waiting at once. */
	const volatile sig_atomic_t *abort;
	/* Also ends a wait when readable (-1: none): a local worker's news. */
	int		 wakefd;
	/*
	 * The server's first bytes, its version line and KEXINIT, kept
	 * during the handshake to name what is missing when no algorithm
	 * is in common (NULL after it).
	 */
	unsigned char	*peek;
	size_t		 peeklen;
};

/*
 * Connects and authenticates for account a, to the host, port and user
 * of t (a's values completed by ~/.ssh/config), directly or through t's
 * proxy command.  deadline is the monotonic time the account's run must
 * end by.  Returns 0 with s ready for session_channel, or -1 with err set:
 * ERR_DENIED for host key and authentication failures, ERR_NOALGO
 * when the server offers no key exchange, host key type, cipher, MAC or
 * compression that libssh2 has (the message names which, with both
 * lists), ERR_NOHOST when the resolver says the host name does not
 * exist, ERR_TRANSIENT for network failures (any other resolver
 * failure too) and timeouts.  s must be closed with session_close
 * either way.
 */
int	 session_open(struct session *s, const struct ssh_account *a,
	    const struct sshconfig_target *t, const struct timespec *deadline,
	    const volatile sig_atomic_t *abort, struct error *err);

/*
 * Waits until the socket is ready in the direction libssh2 last blocked
 * on (returns 0), or s->wakefd is readable (returns 1).  Returns -1 with
 * err set when the timeout passes with no progress, the deadline passes,
 * or abort was set.
 */
int	 session_wait(struct session *s, struct error *err);

/*
 * Calls a libssh2 function on s until it stops saying EAGAIN, waiting
 * with session_wait in between.  rc ends as the call's last answer:
 * still LIBSSH2_ERROR_EAGAIN when a wait failed, with err set.
 */
#define SESSION_RETRY(s, call, rc, err) do {				\
	while (((rc) = (call)) == LIBSSH2_ERROR_EAGAIN)			\
		if (session_wait((s), (err)) == -1)			\
			break;						\
} while (0)

/* Notes that data moved, resetting the no-progress timeout. */
void	 session_progress(struct session *s);

/* Fills err, of kind, from libssh2's last error after what; returns -1. */
int	 session_error(struct session *s, struct error *err, int kind,
	    const char *what);

/*
 * Ends the connection at once, without a goodbye: for one known or
 * likely dead, so that what is closed and freed after it (the SFTP
 * channel, session_close) finds the stream at its end instead of
 * waiting for answers that never come.  libssh2 frees a session and its
 * channels only when their closing completes: over a silent connection
 * it gives up after its timeout and keeps the memory.
 */
void	 session_shutdown(struct session *s);

/*
 * Disconnects, stops the proxy command (killed if it does not leave on
 * its own at once) and frees; safe on a half-opened or zeroed session.
 */
void	 session_close(struct session *s);

#endif
