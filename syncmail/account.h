/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * One account's run (SPEC section 4): lock, connect, every pull, report.
 * Its steps are also what watch mode (syncmail/watch.c) repeats, holding
 * the lock and the connection between looks.
 */
#ifndef SYNCMAIL_ACCOUNT_H
#define SYNCMAIL_ACCOUNT_H

#include <signal.h>

#include "exec/runner.h"
#include "sftp/client.h"
#include "sftp/session.h"
#include "sftp/sshconfig.h"
#include "syncmail/config.h"
#include "syncmail/mlog.h"
#include "syncmail/pull.h"
#include "util/error.h"

/*
 * A selected account and where it connects: its syncmail.conf entry
 * completed by its ssh config.  Each is resolved once, before the
 * sandbox closes and before any account runs (SPEC 6): the sandbox
 * allows the files t names, and the account connects with that same t,
 * so nothing of the ssh config is read inside the sandbox.
 */
struct account_target {
	const struct account	*acct;
	int			 resolved;	/* t is filled */
	struct sshconfig_target	 t;
	struct error		 err;		/* else why not */
	/*
	 * The process that runs its routes' pipes (exec/runner.h), started
	 * before the sandbox when a route has one; pid -1 otherwise.
	 */
	struct runner		 runner;
};

struct run_options {
	int		 dryrun;
	/* First signal: finish what is in flight, start nothing new. */
	const volatile sig_atomic_t *stop;
	/* Second signal: stop at once. */
	const volatile sig_atomic_t *abort;
	int		 watch;		/* -w: after the first run, watch (SPEC 9) */
};

struct account_local;

/*
 * An account while it runs: its Maildirs, opened and locked, its log,
 * and its connection when connected is set.  The steps below fill it;
 * account_close empties it.
 */
struct account_live {
	const struct account_target *at;
	const struct run_options *o;
	struct account_local *loc;	/* one per pull */
	struct mlog	 log;
	struct session	 s;
	struct sftp	 c;
	int		 connected;
};

/*
 * Sets at->acct to a and reads a's ssh config for it: home and localuser
 * are the user's (localuser is the default remote user).  A config that
 * cannot be read or refuses the account is no failure here: its error is
 * kept in at->err.  A config error (ERR_CONFIG) main() reports at once,
 * stopping every account with 78 (SPEC 2); any other account_run reports
 * when the account runs, failing that account alone.  Free with
 * account_target_free.
 */
void	 account_resolve(struct account_target *at, const struct account *a,
	    const char *home, const char *localuser);

/* Frees what at holds; at itself is the caller's, and may be zeroed. */
void	 account_target_free(struct account_target *at);

/* Whether a pull of a, or one of its routes, has a DEST of kind: 1 or 0. */
int	 account_dests(const struct account *a, enum dest_kind kind);

/*
 * Whether a runs commands (a pipe, a pull's filter), which need the
 * runner: 1 or 0.
 */
int	 account_pipes(const struct account *a);

/*
 * Opens at's Maildirs and takes their locks, then its log: nothing
 * touches the network yet.  Returns 0, or -1 with err set (ERR_TRANSIENT
 * for a lock held, the config error of an ssh config that did not
 * resolve); account_close either way.
 */
int	 account_open(struct account_live *, const struct account_target *at,
	    const struct run_options *o, struct error *err);

/*
 * Connects and opens the SFTP channel, for a run of at most seconds.
 * Returns 0, or -1 with err set (session_open's kinds); the half-made
 * connection is closed again.
 */
int	 account_connect(struct account_live *, int seconds, struct error *err);

/* Closes the connection, if any; the Maildirs stay locked. */
void	 account_disconnect(struct account_live *);

/*
 * The same for a connection that failed or is likely dead: ended at
 * once (session_shutdown), so that nothing waits for it or stays
 * allocated.
 */
void	 account_drop(struct account_live *);

/*
 * Runs the account's pull number i over its connection, adding to st.
 * Returns pull_run's status, or -1 with err set (ERR_MAILBOX: only this
 * pull failed, the connection serves the next).
 */
int	 account_pull(struct account_live *, size_t i, struct pull_stats *st,
	    struct error *err);

/*
 * Disconnects, closes each record (releasing the locks) and Maildir,
 * then the log.  Returns status, made at least STATUS_PARTIAL when a
 * record could not be written; with st, the run that began at start
 * (monotonic) is logged with that status first (mlog_run).  Fine after
 * a failed account_open.
 */
int	 account_close(struct account_live *, int status,
	    const struct pull_stats *st, const struct timespec *start);

/*
 * Runs the account of at, resolved by account_resolve, and reports its
 * problems on stderr.  Returns its exit status: STATUS_OK,
 * STATUS_PARTIAL, STATUS_TEMPFAIL, STATUS_NOHOST, STATUS_NOPERM,
 * STATUS_PROTOCOL, or STATUS_CONFIG for an ssh config that did not
 * resolve.
 */
int	 account_run(const struct account_target *at,
	    const struct run_options *o);

#endif
