/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * One command run, as one poll loop over the pipes: the message into its
 * stdin, its stdout into the output file (a filter), its stderr into a
 * small head.  All our ends are non-blocking, so whatever the command
 * reads or writes, and in whatever order, we never wait on one pipe while
 * it waits on another.
 *
 * The shell's exit wakes the loop through SIGCHLD: it is blocked except
 * inside ppoll(), so it cannot slip in between a check and the wait.  The
 * exit is only looked at (waitid WNOWAIT) until the very end: while the
 * shell is an unreaped zombie its pid, the id of its process group, cannot
 * be given to another process, so the last kill of the group never hits
 * a stranger.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/command.h"

extern char **environ;

/* Bytes moved per read or write: a pipe's usual capacity. */
#define COMMAND_CHUNK	65536

struct run {
	const struct command_spec *spec;
	struct command_result	*res;
	struct error		*err;
	pid_t			 pid;
	int			 in_w;		/* our end of its stdin */
	int			 in_keep;	/* its stdin's read end, kept */
	int			 out_r;		/* its stdout (filter), or -1 */
	int			 err_r;		/* its stderr */
	uint64_t		 read_off;	/* of the message, read so far */
	uint64_t		 written;	/* into its stdin */
	size_t			 buf_off, buf_len;
	int			 exited;	/* the shell has exited */
	int			 stop_outcome;	/* why we stop it, or 0 */
	int			 killed;	/* SIGKILL sent */
	int64_t			 deadline;	/* ms, monotonic; 0: none */
	int64_t			 kill_at;	/* ms: SIGKILL if still there */
	char			 buf[COMMAND_CHUNK];	/* message bytes */
	char			 scratch[COMMAND_CHUNK];
};

static int64_t
command_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGCHLD only has to interrupt ppoll(); waitid() finds out the rest. */
static void
command_on_sigchld(int sig)
{
	(void)sig;
}

static void
command_close(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * Stops the command for a reason of ours (enum command_outcome): SIGTERM
 * to its process group now, SIGKILL COMMAND_KILL_GRACE seconds later
 * (command_run's loop).  The first reason counts.  Its stdin is closed: a
 * command told to stop gets no more of the message.
 */
static void
command_stop(struct run *r, int outcome)
{
	if (r->stop_outcome != 0)
		return;
	r->stop_outcome = outcome;
	r->kill_at = command_now_ms() + COMMAND_KILL_GRACE * 1000;
	kill(-r->pid, SIGTERM);
	command_close(&r->in_w);
}

/* Stops the command because of a failure of ours, which err then says. */
static void
command_fail(struct run *r, int kind, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
command_fail(struct run *r, int kind, int with_errno, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->stop_outcome != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (with_errno)
		error_errno(r->err, kind, "command: %s", msg);
	else
		error_set(r->err, kind, "command: %s", msg);
	command_stop(r, COMMAND_ABORTED);
}

/*
 * The environment of the command: ours with spec's strings added, a name
 * of ours that spec also sets left out.  Only the array is allocated (the
 * strings are environ's and spec's); the caller frees it.  NULL with err
 * set on a string without "NAME=" or out of memory.
 */
static char **
command_env(const struct command_spec *spec, struct error *err)
{
	char **envp;
	size_t n = 0, i, j, k = 0, len;

	for (i = 0; i < spec->nenv; i++) {
		const char *eq = strchr(spec->env[i], '=');

		if (eq == NULL || eq == spec->env[i])
			return error_set(err, ERR_MAILBOX, "command: "
			    "environment string without NAME=: \"%.64s\"",
			    spec->env[i]), NULL;
	}
	while (environ != NULL && environ[n] != NULL)
		n++;
	if ((envp = calloc(n + spec->nenv + 1, sizeof(*envp))) == NULL)
		return error_errno(err, ERR_TRANSIENT, "command: "
		    "environment"), NULL;
	for (i = 0; i < n; i++) {
		for (j = 0; j < spec->nenv; j++) {
			len = (size_t)(strchr(spec->env[j], '=') -
			    spec->env[j]) + 1;
			if (strncmp(environ[i], spec->env[j], len) == 0)
				break;
		}
		if (j == spec->nenv)
			envp[k++] = environ[i];
	}
	for (j = 0; j < spec->nenv; j++)
		envp[k++] = (char *)spec->env[j];
	envp[k] = NULL;
	return envp;
}

/*
 * In the child, between fork and exec: only async-signal-safe calls.
 * Every signal back to its default and none blocked (ignored signals and
 * the mask would survive the exec), its own process group, the three
 * pipes on 0, 1 and 2; everything else of ours is close-on-exec.
 */
static void __attribute__((noreturn))
command_child(const char *command, char **envp, int in_r, int out_w,
    int err_w)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in_r, STDIN_FILENO) == -1 ||
	    dup2(out_w, STDOUT_FILENO) == -1 ||
	    dup2(err_w, STDERR_FILENO) == -1)
		_exit(127);
	execve("/bin/sh", (char *[]){ "sh", "-c", (char *)command, NULL },
	    envp);
	_exit(127);
}

/* Whether the shell has exited, without reaping it (see the top). */
static void
command_check_exit(struct run *r)
{
	siginfo_t si;

	if (r->exited)
		return;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT)
	    == -1) {
		if (errno == EINTR)
			return;
		/* Not ours to wait for any more: nothing to wait on. */
		r->exited = 1;
		command_fail(r, ERR_TRANSIENT, 1, "wait");
		return;
	}
	if (si.si_pid == 0)
		return;
	r->exited = 1;
}

/*
 * The shell has exited: what of the message it left unread is what is
 * still in the pipe plus what we never wrote.  Then its stdin is done.
 */
static void
command_count_unread(struct run *r)
{
	int avail = 0;

	if (r->in_keep == -1)
		return;
	if (ioctl(r->in_keep, FIONREAD, &avail) == -1 || avail < 0) {
		avail = 0;
		command_fail(r, ERR_TRANSIENT, 1, "FIONREAD on its input");
	}
	r->res->unread = (uint64_t)avail + (r->spec->in_size - r->written);
	command_close(&r->in_w);
	command_close(&r->in_keep);
}

/* Writes the message into its stdin until the pipe is full or all is in. */
static void
command_feed(struct run *r)
{
	const struct command_spec *s = r->spec;
	ssize_t n;

	while (r->in_w != -1) {
		if (r->buf_off == r->buf_len) {
			uint64_t left = s->in_size - r->read_off;
			size_t want = left < sizeof(r->buf) ? (size_t)left :
			    sizeof(r->buf);

			if (want == 0) {
				/* all given: the command may now see EOF */
				command_close(&r->in_w);
				return;
			}
			n = pread(s->in_fd, r->buf, want, (off_t)r->read_off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				command_fail(r, ERR_MAILBOX, 1,
				    "read the message");
				return;
			}
			if (n == 0) {
				command_fail(r, ERR_MAILBOX, 0, "the message's "
				    "file ends at byte %" PRIu64 " of %" PRIu64,
				    r->read_off, s->in_size);
				return;
			}
			r->read_off += (uint64_t)n;
			r->buf_off = 0;
			r->buf_len = (size_t)n;
		}
		n = write(r->in_w, r->buf + r->buf_off, r->buf_len - r->buf_off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EPIPE) {
				/*
				 * No reader left (only if our kept end is
				 * gone): the rest counts as unread.
				 */
				command_close(&r->in_w);
				return;
			}
			command_fail(r, ERR_TRANSIENT, 1, "write its input");
			return;
		}
		r->buf_off += (size_t)n;
		r->written += (uint64_t)n;
	}
}

/*
 * Reads what its stdout has (a filter): kept in out_fd up to out_limit,
 * counted past it.  Once we are stopping it, only drained.
 */
static void
command_take_output(struct run *r)
{
	const struct command_spec *s = r->spec;
	ssize_t n, w;
	size_t done;
	uint64_t at;

	while (r->out_r != -1) {
		n = read(r->out_r, r->scratch, sizeof(r->scratch));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				command_fail(r, ERR_TRANSIENT, 1,
				    "read its output");
			return;
		}
		if (n == 0) {
			command_close(&r->out_r);
			return;
		}
		at = r->res->out_bytes;
		r->res->out_bytes += (uint64_t)n;
		if (r->stop_outcome != 0)
			continue;
		if (r->res->out_bytes > s->out_limit) {
			command_stop(r, COMMAND_OUTPUT_LIMIT);
			continue;
		}
		for (done = 0; done < (size_t)n; done += (size_t)w) {
			w = pwrite(s->out_fd, r->scratch + done, (size_t)n - done,
			    (off_t)(at + done));
			if (w == -1 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				command_fail(r, ERR_MAILBOX, 1,
				    "write the filtered message");
				break;
			}
		}
	}
}

/* Reads what its stderr has: the first COMMAND_STDERR_MAX bytes kept. */
static void
command_take_stderr(struct run *r)
{
	struct command_result *res = r->res;
	ssize_t n;
	size_t keep;

	while (r->err_r != -1) {
		n = read(r->err_r, r->scratch, sizeof(r->scratch));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			/* an error reading it loses only the warning's text */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				command_close(&r->err_r);
			return;
		}
		if (n == 0) {
			command_close(&r->err_r);
			return;
		}
		keep = COMMAND_STDERR_MAX - res->stderr_len;
		if ((size_t)n > keep)
			res->stderr_cut = 1;
		else
			keep = (size_t)n;
		memcpy(res->stderr_head + res->stderr_len, r->scratch, keep);
		res->stderr_len += keep;
		res->stderr_head[res->stderr_len] = '\0';
	}
}

/*
 * Whether the run is over: the shell has exited and, for a filter that
 * we are not stopping, its output is closed (a grandchild may still hold
 * it and write; the timeout bounds that).  Stderr is not waited for: what
 * the shell wrote before it exited is in the pipe, and read at the end.
 */
static int
command_over(const struct run *r)
{
	return r->exited && (r->stop_outcome != 0 || r->out_r == -1);
}

/* The loop of command_run, from the fork to the shell's end. */
static void
command_loop(struct run *r, const sigset_t *poll_mask)
{
	const struct command_spec *s = r->spec;
	struct pollfd pfd[4];
	struct timespec ts, *tsp;
	siginfo_t si;
	int watch = s->watch_fd, n, i_in, i_out, i_err, i_watch;
	int64_t now, wake;

	for (;;) {
		command_check_exit(r);
		if (r->exited)
			command_count_unread(r);
		if (command_over(r))
			return;
		now = command_now_ms();
		if (r->stop_outcome == 0 && r->deadline != 0 &&
		    now >= r->deadline)
			command_stop(r, COMMAND_TIMEOUT);
		if (r->stop_outcome != 0 && !r->killed && now >= r->kill_at) {
			kill(-r->pid, SIGKILL);
			r->killed = 1;
		}
		wake = -1;
		if (r->stop_outcome == 0 && r->deadline != 0)
			wake = r->deadline;
		else if (r->stop_outcome != 0 && !r->killed)
			wake = r->kill_at;

		n = 0;
		i_in = i_out = i_err = i_watch = -1;
		if (r->in_w != -1 && !r->exited) {
			pfd[i_in = n++] = (struct pollfd){ r->in_w, POLLOUT, 0 };
		}
		if (r->out_r != -1)
			pfd[i_out = n++] = (struct pollfd){ r->out_r, POLLIN, 0 };
		if (r->err_r != -1)
			pfd[i_err = n++] = (struct pollfd){ r->err_r, POLLIN, 0 };
		if (watch != -1)
			pfd[i_watch = n++] = (struct pollfd){ watch, POLLIN, 0 };
		tsp = NULL;
		if (wake != -1) {
			int64_t ms = wake > now ? wake - now : 0;

			ts.tv_sec = (time_t)(ms / 1000);
			ts.tv_nsec = (long)(ms % 1000) * 1000000;
			tsp = &ts;
		}
		if (ppoll(pfd, (nfds_t)n, tsp, poll_mask) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			command_fail(r, ERR_TRANSIENT, 1, "poll");
			/* without poll, only the kill and the wait are left */
			if (!r->killed) {
				kill(-r->pid, SIGKILL);
				r->killed = 1;
			}
			while (waitid(P_PID, (id_t)r->pid, &si,
			    WEXITED | WNOWAIT) == -1 && errno == EINTR)
				;
			r->exited = 1;
			continue;
		}
		if (i_in != -1 && pfd[i_in].revents != 0)
			command_feed(r);
		if (i_out != -1 && pfd[i_out].revents != 0)
			command_take_output(r);
		if (i_err != -1 && pfd[i_err].revents != 0)
			command_take_stderr(r);
		if (i_watch != -1 && pfd[i_watch].revents != 0) {
			watch = -1;
			if (r->stop_outcome == 0)
				error_set(r->err, ERR_TRANSIENT, "command: "
				    "stopped: whoever asked for it went "
				    "away");
			command_stop(r, COMMAND_ABORTED);
		}
	}
}

/* What the wait status and our own reasons make of the run. */
static void
command_decide(struct run *r, int ws)
{
	struct command_result *res = r->res;

	if (WIFEXITED(ws))
		res->status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		res->signal = WTERMSIG(ws);
	if (r->stop_outcome != 0)
		res->outcome = r->stop_outcome;
	else if (WIFSIGNALED(ws))
		res->outcome = COMMAND_SIGNALED;
	else if (res->status == 75)
		res->outcome = COMMAND_TEMPFAIL;
	else if (res->status != 0)
		res->outcome = COMMAND_FAILED;
	else if (res->unread > 0)
		res->outcome = COMMAND_SHORT_READ;
	else
		res->outcome = COMMAND_OK;
}

/*
 * Makes the pipes and forks.  Returns 0 with r's descriptors and pid set,
 * or -1 with err set and nothing left open.
 */
static int
command_start(struct run *r, char **envp)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int null_fd = -1;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		error_errno(r->err, ERR_TRANSIENT, "command: pipe");
		goto fail;
	}
	if (r->spec->out_fd != -1) {
		if (pipe2(out, O_CLOEXEC) == -1) {
			error_errno(r->err, ERR_TRANSIENT, "command: pipe");
			goto fail;
		}
	} else if ((null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1) {
		error_errno(r->err, ERR_TRANSIENT, "command: /dev/null");
		goto fail;
	}
	if ((r->pid = fork()) == -1) {
		error_errno(r->err, ERR_TRANSIENT, "command: fork");
		goto fail;
	}
	if (r->pid == 0)
		command_child(r->spec->command, envp, in[0],
		    null_fd != -1 ? null_fd : out[1], errp[1]);
	/* Also here, so that a kill of the group cannot miss a fresh child. */
	setpgid(r->pid, r->pid);
	r->res->pid = r->pid;
	r->in_keep = in[0];
	r->in_w = in[1];
	r->out_r = out[0];
	r->err_r = errp[0];
	command_close(&out[1]);
	command_close(&errp[1]);
	command_close(&null_fd);
	if (fcntl(r->in_w, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(r->err_r, F_SETFL, O_NONBLOCK) == -1 ||
	    (r->out_r != -1 && fcntl(r->out_r, F_SETFL, O_NONBLOCK) == -1))
		command_fail(r, ERR_TRANSIENT, 1, "fcntl");
	return 0;
fail:
	command_close(&in[0]);
	command_close(&in[1]);
	command_close(&out[0]);
	command_close(&out[1]);
	command_close(&errp[0]);
	command_close(&errp[1]);
	command_close(&null_fd);
	return -1;
}

int
command_run(const struct command_spec *spec, struct command_result *res,
    struct error *err)
{
	struct sigaction sa, old_chld, old_pipe;
	sigset_t block, old_mask, poll_mask;
	struct run *r;
	char **envp;
	int ws = 0, rc = -1;

	memset(res, 0, sizeof(*res));
	res->outcome = COMMAND_NOT_STARTED;
	res->status = -1;
	res->pid = -1;
	if (spec->in_fd < 0 || spec->command == NULL)
		return error_set(err, ERR_MAILBOX, "command: nothing to run "
		    "or no input");
	if ((envp = command_env(spec, err)) == NULL)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		free(envp);
		return error_errno(err, ERR_TRANSIENT, "command");
	}
	r->spec = spec;
	r->res = res;
	r->err = err;
	r->in_w = r->in_keep = r->out_r = r->err_r = -1;
	if (spec->timeout != 0)
		r->deadline = command_now_ms() + (int64_t)spec->timeout * 1000;

	/*
	 * SIGPIPE ignored: out_fd may be anything the caller gave.  SIGCHLD
	 * blocked but caught, for ppoll (see the top).
	 */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	sa.sa_handler = command_on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &old_chld);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	poll_mask = old_mask;
	sigdelset(&poll_mask, SIGCHLD);

	if (command_start(r, envp) == -1)
		goto out;
	if (spec->in_size == 0)
		command_close(&r->in_w);
	command_loop(r, &poll_mask);
	/* what the shell wrote before it went is still in the pipes */
	command_take_stderr(r);
	command_take_output(r);
	/* strays of its group: the command's work ends with its outcome */
	kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &ws, 0) == -1 && errno == EINTR)
		;
	command_count_unread(r);
	command_decide(r, ws);
	rc = res->outcome == COMMAND_ABORTED ? -1 : 0;
out:
	command_close(&r->in_w);
	command_close(&r->in_keep);
	command_close(&r->out_r);
	command_close(&r->err_r);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(r);
	free(envp);
	return rc;
}

const char *
command_outcome_name(int outcome)
{
	switch (outcome) {
	case COMMAND_OK:		return "ok";
	case COMMAND_TEMPFAIL:		return "temporary failure";
	case COMMAND_FAILED:		return "failed";
	case COMMAND_SIGNALED:		return "killed by a signal";
	case COMMAND_SHORT_READ:	return "short read";
	case COMMAND_TIMEOUT:		return "timeout";
	case COMMAND_OUTPUT_LIMIT:	return "output limit";
	case COMMAND_ABORTED:		return "stopped";
	case COMMAND_NOT_STARTED:	return "not started";
	case COMMAND_UNKNOWN:		return "unknown";
	}
	return "?";
}

void
command_describe(const struct command_result *res, unsigned timeout,
    char *buf, size_t size)
{
	switch (res->outcome) {
	case COMMAND_OK:
		snprintf(buf, size, "exited with status 0");
		break;
	case COMMAND_TEMPFAIL:
	case COMMAND_FAILED:
		snprintf(buf, size, "exited with status %d", res->status);
		break;
	case COMMAND_SIGNALED:
		snprintf(buf, size, "killed by signal %d", res->signal);
		break;
	case COMMAND_SHORT_READ:
		snprintf(buf, size, "exited 0 with %" PRIu64 " bytes of the "
		    "message unread", res->unread);
		break;
	case COMMAND_TIMEOUT:
		snprintf(buf, size, "ran past its timeout of %u s", timeout);
		break;
	case COMMAND_OUTPUT_LIMIT:
		snprintf(buf, size, "wrote more than its output limit");
		break;
	default:
		snprintf(buf, size, "%s", command_outcome_name(res->outcome));
		break;
	}
}
