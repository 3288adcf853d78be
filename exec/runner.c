/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The runner process and the engine's side of its protocol.
 *
 * SOCK_SEQPACKET keeps each request and each reply one packet, so
 * neither side has to frame a stream, a descriptor passed with a request
 * arrives with that request, and a short or oversized packet is seen as
 * such (MSG_TRUNC) instead of shifting the next one.  Both ends are the
 * same program (the runner is forked, not executed), so the packets are
 * fixed structs in host order; still, the runner checks every length and
 * count in a request against the packet's size and its own bounds, and
 * the engine every field of a reply: the runner must not do something
 * else than asked because of a bug on either side.
 *
 * The engine's death is the end of the runner: EOF on the socket.  While
 * a command runs the socket is command_run's watch_fd, so the command is
 * stopped then too (the engine never sends during a request, so the
 * socket being readable can only mean that).  A signal that ends the
 * runner (SIGTERM from an admin, or from the kernel when its parent dies)
 * only shuts the socket down, which makes that same path run.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat/compat.h"
#include "exec/runner.h"

/* "SMR" and the protocol's version: a packet of this build. */
#define RUNNER_MAGIC		0x534d5201U
#define RUNNER_REQUEST_MAGIC	RUNNER_MAGIC
#define RUNNER_REPLY_MAGIC	(RUNNER_MAGIC ^ 0xff000000U)

/* The socket's number in the runner, where runner_main puts it. */
#define RUNNER_SOCK_FD		3

struct runner_request {
	uint32_t	 magic;
	uint32_t	 command_len;	/* without its NUL */
	uint32_t	 nenv;
	uint32_t	 env_len;	/* the strings, each with its NUL */
	uint64_t	 in_size;
	uint64_t	 out_limit;
	uint32_t	 timeout;
	uint32_t	 has_out;	/* 1: two descriptors, the second the
					   output */
	/* then the command, its NUL, and the environment strings */
};

struct runner_reply {
	uint32_t	 magic;
	int32_t		 outcome;
	int32_t		 status;
	int32_t		 signal;
	int32_t		 pid;
	uint32_t	 stderr_len;
	uint32_t	 stderr_cut;
	int32_t		 err_kind;
	uint64_t	 unread;
	uint64_t	 out_bytes;
	char		 stderr_head[COMMAND_STDERR_MAX];
	char		 err_msg[sizeof(((struct error *)0)->msg)];
};

static int runner_sock = -1;

/*
 * SIGTERM, SIGHUP, SIGINT and the parent's death: shutdown() is
 * async-signal-safe, and an EOF on the socket is the one way the runner
 * stops (see the top).
 */
static void
runner_on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (runner_sock != -1)
		shutdown(runner_sock, SHUT_RDWR);
	errno = saved;
}

static void
runner_close_fds(int *fds, int nfds)
{
	int i;

	for (i = 0; i < nfds; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

/*
 * Reads the request in buf (n bytes) into spec, with env pointing into
 * buf (an array of RUNNER_MAX_ENV pointers).  Returns 0, or -1 with err
 * set on anything that does not add up.
 */
static int
runner_parse(char *buf, size_t n, int nfds, struct command_spec *spec,
    const char **env, struct error *err)
{
	struct runner_request h;
	char *p, *end;
	size_t i;

	if (n < sizeof(h))
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "short request (%zu bytes)", n);
	memcpy(&h, buf, sizeof(h));
	if (h.magic != RUNNER_REQUEST_MAGIC)
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "not a request");
	if (h.nenv > RUNNER_MAX_ENV || h.command_len == 0 ||
	    (uint64_t)h.command_len + 1 + h.env_len != n - sizeof(h) ||
	    h.has_out > 1 || nfds != 1 + (int)h.has_out)
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "request's sizes do not add up");
	p = buf + sizeof(h);
	if (memchr(p, '\0', h.command_len) != NULL || p[h.command_len] != '\0')
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "command with a NUL byte");
	spec->command = p;
	p += h.command_len + 1;
	end = buf + n;
	for (i = 0; i < h.nenv; i++) {
		char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			return error_set(err, ERR_TRANSIENT, "command runner: "
			    "environment string without its end");
		env[i] = p;
		p = nul + 1;
	}
	if (p != end)
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "bytes after the environment");
	spec->env = env;
	spec->nenv = h.nenv;
	spec->in_size = h.in_size;
	spec->out_limit = h.out_limit;
	spec->timeout = h.timeout;
	return 0;
}

/* Sends the reply for res (and err, when the run failed). */
static int
runner_reply(int sock, const struct command_result *res, int rc,
    const struct error *err)
{
	struct runner_reply *rep;
	ssize_t n;

	/* on the heap: two kilobytes, zeroed, so no stack byte leaves */
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return -1;
	rep->magic = RUNNER_REPLY_MAGIC;
	rep->outcome = res->outcome;
	rep->status = res->status;
	rep->signal = res->signal;
	rep->pid = (int32_t)res->pid;
	rep->stderr_len = (uint32_t)res->stderr_len;
	rep->stderr_cut = (uint32_t)res->stderr_cut;
	rep->unread = res->unread;
	rep->out_bytes = res->out_bytes;
	memcpy(rep->stderr_head, res->stderr_head, res->stderr_len);
	if (rc == -1) {
		rep->err_kind = err->kind;
		strlcpy(rep->err_msg, err->msg, sizeof(rep->err_msg));
	}
	do
		n = send(sock, rep, sizeof(*rep), MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	free(rep);
	return n == (ssize_t)sizeof(*rep) ? 0 : -1;
}

/*
 * Serves requests until the socket's EOF or an error on it.  buf holds
 * RUNNER_MAX_REQUEST + 1 bytes: one more than a request may have, so that
 * a larger one shows.
 */
static void
runner_serve(int sock, char *buf, const char **env)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct command_spec spec;
	struct command_result res;
	struct error err;
	struct cmsghdr *c;
	struct msghdr msg;
	struct iovec iov;
	int fds[2], nfds, i, rc;
	size_t nc;
	ssize_t n;

	for (;;) {
		iov.iov_base = buf;
		iov.iov_len = RUNNER_MAX_REQUEST + 1;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		/* the descriptors first, so that every path closes them */
		nfds = 0;
		fds[0] = fds[1] = -1;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			nc = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < (int)nc; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(fd));
				if (nfds < 2)
					fds[nfds++] = fd;
				else
					close(fd);
			}
		}
		memset(&spec, 0, sizeof(spec));
		memset(&res, 0, sizeof(res));
		error_clear(&err);
		res.outcome = COMMAND_NOT_STARTED;
		res.status = -1;
		res.pid = -1;
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			rc = error_set(&err, ERR_TRANSIENT, "command runner: "
			    "request over %d bytes or descriptors",
			    RUNNER_MAX_REQUEST);
		} else if ((rc = runner_parse(buf, (size_t)n, nfds, &spec,
		    env, &err)) == 0) {
			spec.in_fd = fds[0];
			spec.out_fd = fds[1];
			spec.watch_fd = sock;
			rc = command_run(&spec, &res, &err);
		}
		runner_close_fds(fds, 2);
		if (runner_reply(sock, &res, rc, &err) == -1)
			return;
	}
}

/*
 * The runner process, from the fork on; never returns.  See runner_start
 * for what it sets up, and why in the header.
 */
static void __attribute__((noreturn))
runner_main(int sock, pid_t parent)
{
	struct sigaction sa;
	sigset_t none;
	const char **env;
	char *buf;
	int sig;

	setpgid(0, 0);
	if (sock != RUNNER_SOCK_FD) {
		if (dup2(sock, RUNNER_SOCK_FD) == -1)
			_exit(1);
		close(sock);
		sock = RUNNER_SOCK_FD;
	}
	/* the engine's other descriptors (other runners' sockets too) */
	closefrom(RUNNER_SOCK_FD + 1);
	/* not for the commands: only the engine may hold the other end */
	if (fcntl(sock, F_SETFD, FD_CLOEXEC) == -1)
		_exit(1);
	runner_sock = sock;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	sa.sa_handler = runner_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/*
	 * A second guard beside the EOF: a process that forked after us
	 * and kept the engine's end open by mistake must not make us
	 * outlive syncmail.  Checked after it is set, in case the parent
	 * went before.
	 */
	compat_parent_death_signal(SIGTERM);
	if (getppid() != parent)
		_exit(0);

	buf = malloc(RUNNER_MAX_REQUEST + 1);
	env = calloc(RUNNER_MAX_ENV, sizeof(*env));
	if (buf != NULL && env != NULL)
		runner_serve(sock, buf, env);
	free(buf);
	free(env);
	close(sock);
	_exit(0);
}

int
runner_start(struct runner *r, struct error *err)
{
	int sv[2];
	pid_t parent = getpid();

	r->pid = -1;
	r->fd = -1;
	r->busy = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return error_errno(err, ERR_TRANSIENT, "command runner: "
		    "socketpair");
	fflush(NULL);
	if ((r->pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return error_errno(err, ERR_TRANSIENT, "command runner: fork");
	}
	if (r->pid == 0) {
		close(sv[0]);
		runner_main(sv[1], parent);
	}
	close(sv[1]);
	r->fd = sv[0];
	return 0;
}

int
runner_send(struct runner *r, const struct command_spec *spec,
    struct error *err)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct runner_request h;
	struct msghdr msg;
	struct iovec iov;
	size_t clen, elen = 0, i, off;
	char *buf;
	int fds[2], nfds;
	ssize_t n;

	if (r->fd == -1 || r->busy)
		return error_set(err, ERR_TRANSIENT, "command runner: %s",
		    r->fd == -1 ? "not running" : "a request is in flight");
	if (spec->command == NULL || spec->in_fd < 0 ||
	    spec->nenv > RUNNER_MAX_ENV)
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "no command, no input or over %d environment strings",
		    RUNNER_MAX_ENV);
	clen = strlen(spec->command);
	for (i = 0; i < spec->nenv; i++) {
		elen += strlen(spec->env[i]) + 1;
		if (elen > RUNNER_MAX_REQUEST)
			break;
	}
	if (clen == 0 || clen > RUNNER_MAX_REQUEST ||
	    elen > RUNNER_MAX_REQUEST ||
	    sizeof(h) + clen + 1 + elen > RUNNER_MAX_REQUEST)
		return error_set(err, ERR_TRANSIENT, "command runner: the "
		    "command and its environment are empty or over %d bytes",
		    RUNNER_MAX_REQUEST);
	memset(&h, 0, sizeof(h));
	h.magic = RUNNER_REQUEST_MAGIC;
	h.command_len = (uint32_t)clen;
	h.nenv = (uint32_t)spec->nenv;
	h.env_len = (uint32_t)elen;
	h.in_size = spec->in_size;
	h.out_limit = spec->out_limit;
	h.timeout = spec->timeout;
	h.has_out = spec->out_fd != -1;
	if ((buf = malloc(sizeof(h) + clen + 1 + elen)) == NULL)
		return error_errno(err, ERR_TRANSIENT, "command runner");
	memcpy(buf, &h, sizeof(h));
	off = sizeof(h);
	memcpy(buf + off, spec->command, clen + 1);
	off += clen + 1;
	for (i = 0; i < spec->nenv; i++) {
		size_t len = strlen(spec->env[i]) + 1;

		memcpy(buf + off, spec->env[i], len);
		off += len;
	}

	nfds = 0;
	fds[nfds++] = spec->in_fd;
	if (spec->out_fd != -1)
		fds[nfds++] = spec->out_fd;
	memset(&cm, 0, sizeof(cm));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = off;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.b;
	msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(&cm.h), fds, (size_t)nfds * sizeof(int));
	do
		n = sendmsg(r->fd, &msg, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	free(buf);
	if (n == -1)
		return error_errno(err, ERR_TRANSIENT, "command runner: send");
	if ((size_t)n != off)
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "request sent short");
	r->busy = 1;
	return 0;
}

int
runner_receive(struct runner *r, struct command_result *res,
    struct error *err)
{
	struct runner_reply *rep;
	ssize_t n;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->outcome = COMMAND_UNKNOWN;
	res->status = -1;
	res->pid = -1;
	if (r->fd == -1 || !r->busy)
		return error_set(err, ERR_TRANSIENT, "command runner: "
		    "no request in flight");
	/* one byte more than a reply, so that a larger packet shows */
	if ((rep = malloc(sizeof(*rep) + 1)) == NULL)
		return error_errno(err, ERR_TRANSIENT, "command runner");
	do
		n = recv(r->fd, rep, sizeof(*rep) + 1, 0);
	while (n == -1 && errno == EINTR);
	r->busy = 0;
	if (n == -1) {
		error_errno(err, ERR_TRANSIENT, "command runner: receive");
		goto out;
	}
	if (n == 0) {
		error_set(err, ERR_TRANSIENT, "command runner: gone with the "
		    "command's outcome unknown");
		goto out;
	}
	if ((size_t)n != sizeof(*rep) || rep->magic != RUNNER_REPLY_MAGIC ||
	    rep->outcome < COMMAND_OK || rep->outcome >= COMMAND_UNKNOWN ||
	    rep->stderr_len > COMMAND_STDERR_MAX) {
		error_set(err, ERR_TRANSIENT, "command runner: malformed "
		    "reply of %zd bytes", n);
		goto out;
	}
	res->outcome = rep->outcome;
	res->status = rep->status;
	res->signal = rep->signal;
	res->pid = (pid_t)rep->pid;
	res->unread = rep->unread;
	res->out_bytes = rep->out_bytes;
	res->stderr_len = rep->stderr_len;
	res->stderr_cut = rep->stderr_cut != 0;
	memcpy(res->stderr_head, rep->stderr_head, rep->stderr_len);
	res->stderr_head[res->stderr_len] = '\0';
	if (res->outcome >= COMMAND_ABORTED) {
		rep->err_msg[sizeof(rep->err_msg) - 1] = '\0';
		error_set(err, rep->err_kind, "%s", rep->err_msg);
		goto out;
	}
	rc = 0;
out:
	free(rep);
	return rc;
}

int
runner_run(struct runner *r, const struct command_spec *spec,
    struct command_result *res, struct error *err)
{
	if (runner_send(r, spec, err) == -1) {
		memset(res, 0, sizeof(*res));
		res->outcome = COMMAND_NOT_STARTED;
		res->status = -1;
		res->pid = -1;
		return -1;
	}
	return runner_receive(r, res, err);
}

int
runner_fd(const struct runner *r)
{
	return r->fd;
}

void
runner_detach(struct runner *r)
{
	if (r->pid > 0 && r->fd != -1) {
		close(r->fd);
		r->fd = -1;
	}
	r->busy = 0;
}

void
runner_stop(struct runner *r)
{
	/* zeroed or never started: nothing of ours to close */
	if (r->pid <= 0)
		return;
	runner_detach(r);
	while (waitpid(r->pid, NULL, 0) == -1 && errno == EINTR)
		;
	r->pid = -1;
}
