/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The proxy command child.  It runs in a process group of its own, for
 * two reasons: a terminal's ^C reaches only syncmail, which finishes the
 * messages in flight over the proxy before it stops (SPEC 5); and
 * "sh -c 'a | b'" may leave grandchildren, which one kill of the group
 * reaches.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sftp/proxy.h"

int
proxy_start(struct proxy *p, const char *command, struct error *err)
{
	int sv[2];
	pid_t pid;

	p->pid = -1;
	p->fd = -1;
	p->status = 0;
	p->reaped = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return error_errno(err, ERR_TRANSIENT, "proxy command: "
		    "socketpair");
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return error_errno(err, ERR_TRANSIENT, "proxy command: fork");
	}
	if (pid == 0) {
		/* Only async-signal-safe calls here: we may hold locks. */
		struct sigaction sa;

		setpgid(0, 0);
		/* Our handlers and ignored signals are not the command's. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		sigaction(SIGXFSZ, &sa, NULL);
		if (dup2(sv[1], STDIN_FILENO) == -1 ||
		    dup2(sv[1], STDOUT_FILENO) == -1)
			_exit(127);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	/* Also here, so that a kill of the group cannot miss a fresh child. */
	setpgid(pid, pid);
	close(sv[1]);
	p->pid = pid;
	p->fd = sv[0];
	if (fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK) == -1)
		return error_errno(err, ERR_TRANSIENT, "proxy command: fcntl");
	return 0;
}

static void
proxy_describe(int ws, char *buf, size_t size)
{
	if (WIFEXITED(ws))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(ws));
	else
		snprintf(buf, size, "ended (wait status %d)", ws);
}

/* Reaps the child if it has exited; waits up to ms for that. */
static int
proxy_reap(struct proxy *p, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t r;
	int ws;

	if (p->reaped)
		return 1;
	if (p->pid <= 0)
		return 0;
	for (;;) {
		r = waitpid(p->pid, &ws, WNOHANG);
		if (r == p->pid || (r == -1 && errno == ECHILD)) {
			p->status = r == p->pid ? ws : 0;
			p->reaped = 1;
			return 1;
		}
		if (r == -1 && errno != EINTR)
			return 0;
		if (ms <= 0)
			return 0;
		nanosleep(&ts, NULL);
		ms -= 10;
	}
}

int
proxy_exited(struct proxy *p, int ms, char *buf, size_t size)
{
	if (!proxy_reap(p, ms))
		return 0;
	proxy_describe(p->status, buf, size);
	return 1;
}

void
proxy_stop(struct proxy *p, int grace_ms)
{
	/* zeroed or never started: nothing of ours to close */
	if (p->pid <= 0)
		return;
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
	if (!proxy_reap(p, grace_ms)) {
		kill(-p->pid, SIGTERM);
		if (!proxy_reap(p, 1000)) {
			kill(-p->pid, SIGKILL);
			while (waitpid(p->pid, NULL, 0) == -1 && errno == EINTR)
				;
			p->reaped = 1;
		}
	}
	/* whatever the group's other members were doing, it is over too */
	kill(-p->pid, SIGKILL);
	p->pid = -1;
}
