/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * One "pull REMOTE LOCAL" of an account: list REMOTE/new once, move each
 * listed message into LOCAL exactly once (SPEC section 4).
 */
#ifndef SYNCMAIL_PULL_H
#define SYNCMAIL_PULL_H

#include <signal.h>
#include <stdint.h>

#include "exec/runner.h"
#include "maildir/maildir.h"
#include "maildir/record.h"
#include "sftp/client.h"
#include "syncmail/config.h"
#include "syncmail/mlog.h"
#include "util/error.h"

struct pull_job {
	const struct account *acct;
	const struct pull *pull;
	struct maildir	*md;	/* opened (fds -1 in a dry run if missing) */
	struct record	*rec;	/* opened and locked */
	int		 dryrun;
	struct mlog	*log;	/* the account's log (mlog.h) */
	struct runner	*runner; /* runs a route's pipe (exec/runner.h), or NULL */
	/* First signal: start nothing new, finish what is in flight. */
	const volatile sig_atomic_t *stop;
	/* Second signal: stop at once, a running command too. */
	const volatile sig_atomic_t *abort;
};

struct pull_stats {
	uint64_t	 moved;
	uint64_t	 bytes;
};

/*
 * Runs the pull over c.  Problems with single messages are printed as
 * warnings and make the result STATUS_PARTIAL; otherwise STATUS_OK.
 * Returns -1 with err set when the account cannot go on (network,
 * timeout, signal, protocol violation), or of kind ERR_MAILBOX when
 * only this pull failed (a remote Maildir that cannot be listed, a local
 * error): then no request of it is left in flight on c, which serves the
 * account's next pull.  What was committed stays committed and the
 * record tells the next run the rest.
 */
int	 pull_run(const struct pull_job *, struct sftp *c,
	    struct pull_stats *st, struct error *err);

#endif
