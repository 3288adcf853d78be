/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * One run of a `pipe` or `filter` command (SPEC 8): "/bin/sh -c COMMAND"
 * in a process group of its own, the message on its standard input, its
 * output counted (and kept, for a filter), the head of its stderr kept for
 * the warning, a timeout, and an outcome that says whether it read the
 * whole message.  It runs in the runner process (exec/runner.h), which is
 * outside the sandbox; nothing here knows about accounts or Maildirs.
 */
#ifndef SYNCMAIL_COMMAND_H
#define SYNCMAIL_COMMAND_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* How much of the command's stderr is kept for the warning. */
#define COMMAND_STDERR_MAX	1024
/* Seconds between the SIGTERM and the SIGKILL of a stopped command. */
#define COMMAND_KILL_GRACE	5

enum command_outcome {
	COMMAND_OK = 0,		/* exit 0 having read the whole input */
	COMMAND_TEMPFAIL,	/* exit 75 (EX_TEMPFAIL), read whole or not */
	COMMAND_FAILED,		/* any other exit status */
	COMMAND_SIGNALED,	/* killed by a signal we did not send */
	COMMAND_SHORT_READ,	/* exit 0 with input left unread */
	COMMAND_TIMEOUT,	/* still running (or its output still open)
				   at the timeout: stopped */
	COMMAND_OUTPUT_LIMIT,	/* wrote more than out_limit bytes: stopped */
	COMMAND_ABORTED,	/* started, then stopped because of a failure
				   on our side or a request to stop (err) */
	COMMAND_NOT_STARTED,	/* nothing ran: pipe, fork, a bad request */
	COMMAND_UNKNOWN		/* runner_run only: the runner was lost with
				   the request sent; it may have run */
};

/*
 * What to run.  The caller keeps every pointer and descriptor; none is
 * closed or freed here.
 */
struct command_spec {
	const char	 *command;	/* run by /bin/sh -c */
	const char *const *env;		/* "NAME=value" strings added to the
					   current environment (a NAME already
					   there is replaced); NULL if nenv 0 */
	size_t		  nenv;
	int		  in_fd;	/* the message: a regular file, read
					   with pread from offset 0, so that
					   its offset (shared with the
					   engine's copy) is not moved */
	uint64_t	  in_size;	/* bytes of it given to the command */
	int		  out_fd;	/* filter: the output, written with
					   pwrite from offset 0 into an empty
					   file; -1 (pipe): stdout is
					   /dev/null */
	uint64_t	  out_limit;	/* filter: more output than this is
					   COMMAND_OUTPUT_LIMIT */
	unsigned	  timeout;	/* seconds for the whole run; 0: none */
	int		  watch_fd;	/* -1, or a descriptor that must stay
					   quiet during the run: readable or
					   hung up means stop the command
					   (COMMAND_ABORTED); the runner
					   watches its socket, whose EOF is
					   the engine's death */
};

struct command_result {
	int		 outcome;	/* enum command_outcome */
	int		 status;	/* its exit status; -1 if it did not
					   exit */
	int		 signal;	/* the signal that ended it (also
					   ours), else 0 */
	pid_t		 pid;		/* the shell's pid, which is the
					   process group's id; -1 if none */
	uint64_t	 unread;	/* input bytes it left unread: still
					   in the pipe or never written */
	uint64_t	 out_bytes;	/* output bytes it wrote (those past
					   out_limit counted, not kept) */
	size_t		 stderr_len;	/* bytes in stderr_head */
	int		 stderr_cut;	/* it wrote more than was kept */
	char		 stderr_head[COMMAND_STDERR_MAX + 1];
					/* its first stderr bytes as written
					   (any byte, NUL-terminated after
					   stderr_len): the caller makes them
					   printable */
};

/*
 * Runs spec's command once and waits for it (at most the timeout, plus
 * COMMAND_KILL_GRACE, plus the time to reap it).  The input goes through a
 * pipe whose read end we keep open too: the command can never make us
 * wait (no EPIPE, no SIGPIPE on it), and once the shell has exited,
 * FIONREAD on our end plus what was never written is exactly what it left
 * unread, whatever the message's size.  The outcome is decided when the
 * shell exits (for a filter, once its output is closed as well); whatever
 * of its process group is still there then is killed: a command's work
 * must be over when its outcome counts.  A stopped command (timeout,
 * output limit, watch_fd, a failure of ours) gets SIGTERM on its process
 * group, and SIGKILL COMMAND_KILL_GRACE seconds later if its shell is
 * still there.  The child is always reaped and every descriptor opened
 * here is closed.
 *
 * Returns 0 with res filled and one of COMMAND_OK to
 * COMMAND_OUTPUT_LIMIT, or -1 with err set and res->outcome
 * COMMAND_NOT_STARTED (nothing was run) or COMMAND_ABORTED (the rest of
 * res says how far it got).  For the time of the call SIGPIPE is ignored
 * and SIGCHLD caught (both restored after), so the caller must not be
 * multi-threaded or wait for other children meanwhile: the runner process
 * is neither.
 */
int	 command_run(const struct command_spec *spec,
	    struct command_result *res, struct error *err);

/* A short name for an outcome, for messages: "exit 0", "timeout", ... */
const char *command_outcome_name(int outcome);

/*
 * Describes res in words into buf, as a warning says it: "exited with
 * status 1", "killed by signal 9", "exited 0 with 4096 bytes of the
 * message unread", "ran past its timeout of 300 s" (timeout from the
 * spec).  Always NUL-terminated.
 */
void	 command_describe(const struct command_result *res, unsigned timeout,
	    char *buf, size_t size);

#endif
