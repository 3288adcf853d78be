/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The command runner: a helper process, forked before the sandbox is
 * entered, that runs `pipe` and `filter` commands (exec/command.h) for
 * the sandboxed engine.  Landlock forbids exec in the engine, and the
 * process that reads the network must stay confined while the commands
 * run with the user's rights (SPEC 6 and 8), so the two are apart: the
 * runner never touches the network and only runs what the engine asks.
 *
 * They talk over a SOCK_SEQPACKET socketpair, one packet a request and
 * one a reply, served one at a time: a fixed header (sizes, output bound,
 * timeout), the command and its environment strings, with the message's
 * descriptor and for a filter the output's passed by SCM_RIGHTS.  The
 * runner ends when the engine's end closes, also when the engine is
 * killed: a command still running is then stopped (SIGTERM to its process
 * group, SIGKILL 5 s later) before the runner exits.
 */
#ifndef SYNCMAIL_RUNNER_H
#define SYNCMAIL_RUNNER_H

#include <sys/types.h>

#include "exec/command.h"
#include "util/error.h"

/* The largest request: header, command and environment strings. */
#define RUNNER_MAX_REQUEST	65536
/* The most environment strings a request may carry. */
#define RUNNER_MAX_ENV		256

struct runner {
	pid_t	 pid;		/* the runner process; -1: none */
	int	 fd;		/* our end of the socketpair; -1: closed */
	int	 busy;		/* a request sent, its reply not received */
};

/*
 * Forks the runner.  Call it before the sandbox and before any thread
 * starts.  In the child: its own process group (a terminal's ^C reaches
 * syncmail, which decides; not the runner), every descriptor closed but
 * the socket and 0, 1 and 2, every signal back to its default but
 * SIGPIPE (ignored) and SIGTERM, SIGHUP and SIGINT (they stop the command
 * and end the runner), and SIGTERM when its parent dies (Linux).
 * Returns 0, or -1 with err set (ERR_TRANSIENT) and r stopped.  r must be
 * passed to runner_stop once.
 */
int	 runner_start(struct runner *r, struct error *err);

/*
 * Runs spec on the runner (spec->watch_fd is not sent: the runner
 * watches its socket) and waits for the command's end; requests are
 * served one at a time.  Returns as command_run does (0 for COMMAND_OK to
 * COMMAND_OUTPUT_LIMIT, -1 with err set otherwise), and -1 with
 * COMMAND_UNKNOWN when the runner went away with the request sent: the
 * command may have run.  A request too large for the protocol is
 * COMMAND_NOT_STARTED.  A signal does not end the wait; poll runner_fd()
 * first (with runner_send and runner_receive) for a wait that may end.
 */
int	 runner_run(struct runner *r, const struct command_spec *spec,
	    struct command_result *res, struct error *err);

/* runner_run in two halves: the request sent (-1: not sent, not run)... */
int	 runner_send(struct runner *r, const struct command_spec *spec,
	    struct error *err);
/* ...and the reply read, once runner_fd() is readable or blocking. */
int	 runner_receive(struct runner *r, struct command_result *res,
	    struct error *err);

/* The descriptor that becomes readable when the reply is there. */
int	 runner_fd(const struct runner *r);

/*
 * Closes this process's end without waiting for the runner.  The runner
 * only sees its engine go when no process holds that end any more: after
 * a fork, each process that does not talk to the runner (the parent that
 * handed it to an account's process, the other accounts' processes)
 * detaches it.  runner_stop still reaps it in the process that forked it.
 */
void	 runner_detach(struct runner *r);

/*
 * Closes our end, so that the runner stops its command, if any, and
 * exits; waits for it when it is our child.  Safe on a zeroed, never
 * started or already stopped runner.
 */
void	 runner_stop(struct runner *r);

#endif
