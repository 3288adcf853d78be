/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The SSH connection of one account, on libssh2 in non-blocking mode so
 * that every wait is ours and bounded (libssh2's blocking calls have no
 * timeout unless one is set, and would not see our signals): the
 * transport (TCP, or a proxy command's socketpair), the waits and their
 * timeouts, and the steps of session_open in order.  The steps' own
 * work lives beside it: sftp/kex.c names what a failed key exchange
 * lacked, sftp/hostcheck.c judges the host key, sftp/auth.c logs in.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sftp/auth.h"
#include "sftp/hostcheck.h"
#include "sftp/hostkey.h"
#include "sftp/kex.h"
#include "sftp/session.h"
#include "util/note.h"

static long
ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000 +
	    (t->tv_nsec - now.tv_nsec) / 1000000;
}

void
session_progress(struct session *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->last_progress);
}

/*
 * How long a wait may last: until the no-progress timeout or the deadline,
 * whichever comes first.  Returns -1 with err set if one has passed.
 */
static int
wait_budget(struct session *s, long *ms, struct error *err)
{
	struct timespec until = s->last_progress;
	long left, dl;

	if (s->abort != NULL && *s->abort)
		return error_set(err, ERR_TRANSIENT, "stopped by signal");
	until.tv_sec += s->timeout;
	left = ms_until(&until);
	dl = ms_until(&s->deadline);
	if (dl <= 0)
		return error_set(err, ERR_TRANSIENT,
		    "deadline passed: the rest waits for the next run");
	if (left <= 0)
		return error_set(err, ERR_TRANSIENT,
		    "%s:%d: no progress for %d seconds", s->host, s->port,
		    s->timeout);
	*ms = left < dl ? left : dl;
	return 0;
}

/* Waits for fd to be ready for events, or wakefd, within the budget. */
static int
wait_fd(struct session *s, int fd, short events, struct error *err)
{
	struct pollfd pfd[2];
	long ms = 0;
	int n;

	for (;;) {
		if (wait_budget(s, &ms, err) == -1)
			return -1;
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		pfd[1].fd = s->wakefd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, s->wakefd != -1 ? 2 : 1,
		    ms > 1000 ? 1000 : (int)ms);
		if (n > 0)
			return (pfd[1].revents & POLLIN) && !pfd[0].revents ?
			    1 : 0;
		if (n == -1 && errno != EINTR)
			return error_errno(err, ERR_TRANSIENT, "poll");
	}
}

int
session_wait(struct session *s, struct error *err)
{
	int dir = libssh2_session_block_directions(s->ssh);
	short events = 0;

	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		events |= POLLOUT;
	if (events == 0)
		events = POLLIN;
	return wait_fd(s, s->fd, events, err);
}

int
session_error(struct session *s, struct error *err, int kind,
    const char *what)
{
	char *msg = NULL;
	int len;

	if (s->ssh == NULL ||
	    libssh2_session_last_error(s->ssh, &msg, &len, 0) == 0 ||
	    msg == NULL)
		msg = "unknown error";
	return error_set(err, kind, "%s: %s", what, msg);
}

/* Non-blocking connect to one address, bounded by the timeout. */
static int
connect_one(struct session *s, const struct addrinfo *ai, struct error *err)
{
	socklen_t len = sizeof(int);
	int fd, soerr = 0, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return error_errno(err, ERR_TRANSIENT, "socket");
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			error_errno(err, ERR_TRANSIENT, "connect to %s port %d",
			    s->host, s->port);
			close(fd);
			return -1;
		}
		if (wait_fd(s, fd, POLLOUT, err) == -1) {
			error_prefix(err, "connect to %s port %d", s->host,
			    s->port);
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			soerr = errno;
		if (soerr != 0) {
			errno = soerr;
			error_errno(err, ERR_TRANSIENT, "connect to %s port %d",
			    s->host, s->port);
			close(fd);
			return -1;
		}
	}
	/* SFTP is request/reply: Nagle would add latency to every batch. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * What a getaddrinfo failure means: the resolver's answer that the name
 * does not exist (EAI_NONAME; EAI_NODATA, where the libc has it: the
 * name exists with no address) is a typo that no later run mends
 * (ERR_NOHOST); any other (EAI_AGAIN: no answer, no network; EAI_FAIL,
 * EAI_SYSTEM) may pass (ERR_TRANSIENT).
 */
static int
gai_kind(int rc)
{
	switch (rc) {
	case EAI_NONAME:
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
	case EAI_NODATA:
#endif
		return ERR_NOHOST;
	default:
		return ERR_TRANSIENT;
	}
}

/*
 * Connects to s->host, port s->port, trying each of its addresses in
 * turn, and sets s->fd.  Returns 0, or -1 with err set from the last
 * address tried (ERR_TRANSIENT), or for a name that does not resolve
 * (gai_kind).
 */
static int
tcp_connect(struct session *s, struct error *err)
{
	struct addrinfo hints, *res, *ai;
	char port[16];
	int rc, fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->port);
	if ((rc = getaddrinfo(s->host, port, &hints, &res)) != 0)
		return error_set(err, gai_kind(rc), "%s: %s", s->host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = connect_one(s, ai, err)) != -1)
			break;
		if (s->abort != NULL && *s->abort)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	s->fd = fd;
	return 0;
}

/*
 * The transport: a TCP connection, or the proxy command's socketpair.
 * A proxy that dies at once (a typo, a jump host refusing us) shows
 * only as a closed connection; its exit status says why.
 */
static int
transport_open(struct session *s, struct error *err)
{
	if (s->proxy_command == NULL)
		return tcp_connect(s, err);
	note(2, s->account, "proxy command: %s", s->proxy_command);
	if (proxy_start(&s->proxy, s->proxy_command, err) == -1)
		return -1;
	/* the session owns the descriptor from here on */
	s->fd = s->proxy.fd;
	s->proxy.fd = -1;
	return 0;
}

/* Adds the proxy command's fate, if it has ended, to err's message. */
static void
proxy_blame(struct session *s, struct error *err)
{
	char how[64];

	/* its end of the socket closes just before it can be reaped */
	if (s->proxy.pid > 0 && proxy_exited(&s->proxy, 500, how, sizeof(how)))
		error_prefix(err, "proxy command \"%s\" %s", s->proxy_command,
		    how);
}

int
session_open(struct session *s, const struct ssh_account *a,
    const struct sshconfig_target *t, const struct timespec *deadline,
    const volatile sig_atomic_t *abort, struct error *err)
{
	struct hostkey_set set;
	const char *algs;
	int rc, ret = -1;

	memset(&set, 0, sizeof(set));
	s->fd = -1;
	s->wakefd = -1;
	s->ssh = NULL;
	s->proxy.pid = -1;
	s->proxy.fd = -1;
	s->proxy_command = NULL;
	s->peek = NULL;
	s->peeklen = 0;
	s->account = a->name;
	s->timeout = a->timeout;
	s->deadline = *deadline;
	s->abort = abort;
	s->port = t->port;
	if ((s->host = strdup(t->host)) == NULL ||
	    (s->user = strdup(t->user)) == NULL ||
	    (t->proxy_command != NULL && (s->proxy_command =
	    strdup(t->proxy_command)) == NULL))
		return error_errno(err, ERR_TRANSIENT, "strdup");
	session_progress(s);
	note(2, s->account, "connecting to %s port %d as %s%s%s%s",
	    s->host, s->port, s->user, t->from[0] ? " (from " : "", t->from,
	    t->from[0] ? " in the ssh config)" : "");

	/*
	 * HostKeyAlias: ssh looks the bare alias up, whatever the port, so
	 * that one key is known under one name however it is reached.
	 */
	if (hostkey_load(t->known_hosts, t->host_key_alias != NULL ?
	    t->host_key_alias : s->host, t->host_key_alias != NULL ? 22 :
	    s->port, &set, err) == -1)
		goto out;
	if (set.skipped > 0)
		note(1, s->account, "%s: %d lines skipped (unknown key "
		    "types, markers or unparseable)", set.path, set.skipped);

	if (transport_open(s, err) == -1)
		goto out;
	note(2, s->account, "connected (%ld ms)", note_clock());
	if ((s->ssh = libssh2_session_init_ex(NULL, NULL, NULL, s)) == NULL) {
		error_set(err, ERR_TRANSIENT, "libssh2_session_init failed");
		goto out;
	}
	/* s is the callbacks' abstract pointer: kex.c's receives with it */
	kex_peek_start(s);
	libssh2_session_set_blocking(s->ssh, 0);
	/*
	 * Ask only for the key types known_hosts holds for this host, so
	 * a host known by its ed25519 key does not look unknown because
	 * ECDSA was negotiated.
	 */
	algs = hostkey_algorithms(&set);
	if (algs[0] != '\0' && libssh2_session_method_pref(s->ssh,
	    LIBSSH2_METHOD_HOSTKEY, algs) != 0) {
		session_error(s, err, ERR_TRANSIENT, "host key algorithms");
		goto out;
	}
	session_progress(s);
	SESSION_RETRY(s, libssh2_session_handshake(s->ssh, s->fd), rc, err);
	if (rc == LIBSSH2_ERROR_EAGAIN) {
		error_prefix(err, "SSH handshake with %s port %d", s->host,
		    s->port);
		proxy_blame(s, err);
		goto out;
	}
	if (rc != 0) {
		if (rc == LIBSSH2_ERROR_KEX_FAILURE)
			kex_failure(s, &set, algs, err);
		else
			session_error(s, err, ERR_TRANSIENT, "SSH handshake");
		error_prefix(err, "%s port %d", s->host, s->port);
		proxy_blame(s, err);
		goto out;
	}
	kex_peek_stop(s);
	session_progress(s);
	note(2, s->account, "SSH banner, key exchange and service request "
	    "done (%ld ms)", note_clock());
	if (hostcheck_verify(s, &set, t->check, err) == -1)
		goto out;
	if (auth_user(s, t, err) == -1)
		goto out;
	session_progress(s);
	note(2, s->account, "authenticated (%ld ms)", note_clock());
	ret = 0;
out:
	kex_peek_stop(s);
	hostkey_set_free(&set);
	return ret;
}

void
session_shutdown(struct session *s)
{
	if (s->fd != -1)
		(void)shutdown(s->fd, SHUT_RDWR);
}

void
session_close(struct session *s)
{
	if (s->ssh != NULL) {
		/*
		 * libssh2 frees only in blocking mode (else it may answer
		 * EAGAIN and keep the memory), and the network may be gone:
		 * bound the polite goodbye to a second.
		 */
		libssh2_session_set_timeout(s->ssh, 1000);
		libssh2_session_set_blocking(s->ssh, 1);
		libssh2_session_disconnect(s->ssh, "bye");
		/*
		 * The DISCONNECT ends the channel too.  libssh2 would
		 * close it first, and wait a round trip for the server's
		 * CLOSE: with our side shut, its EOF and CLOSE fail to go
		 * out and it frees at once.
		 */
		if (s->fd != -1)
			shutdown(s->fd, SHUT_WR);
		libssh2_session_free(s->ssh);
		s->ssh = NULL;
	}
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
	}
	/* A proxy sees the connection close and leaves; else it is killed. */
	if (s->proxy_command != NULL)
		proxy_stop(&s->proxy, 300);
	free(s->host);
	free(s->user);
	free(s->proxy_command);
	s->host = s->user = s->proxy_command = NULL;
}
