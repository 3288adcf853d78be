/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Watch mode (SPEC section 9, syncmail -w): one account's first run,
 * then its looks at every pull's REMOTE/new over a kept connection,
 * holding its locks, until a signal stops it or a permanent failure.
 */
#ifndef SYNCMAIL_WATCH_H
#define SYNCMAIL_WATCH_H

#include "syncmail/account.h"

/*
 * Installs the handler of SIGUSR1 (look now), in this process and the
 * accounts' processes it forks later, so that none dies of it.  Call
 * once, before they are forked.
 */
void	 watch_signals(void);

/*
 * Whether SIGUSR1 came since the last call: main passes it on to the
 * accounts' processes.  Clears it.
 */
int	 watch_woken(void);

/*
 * Runs and then watches the account of at, resolved by account_resolve,
 * reporting its problems on stderr, until o->stop is set or the account
 * fails for good (SPEC 9: host unknown, no algorithm in common, denied,
 * its ssh config).  A network failure is no reason to stop: it is
 * reconnected, with backoff.  Returns the account's exit status, as
 * account_run's.
 */
int	 watch_account(const struct account_target *at,
	    const struct run_options *o);

#endif
