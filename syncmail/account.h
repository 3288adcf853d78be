/*
 * One account's run (SPEC section 4): lock, connect, every pull, report.
 */
#ifndef SYNCMAIL_ACCOUNT_H
#define SYNCMAIL_ACCOUNT_H

#include <signal.h>

#include "config.h"

struct run_options {
	int		 dryrun;
	const char	*localuser;	/* default remote user */
	/* First signal: finish what is in flight, start nothing new. */
	const volatile sig_atomic_t *stop;
	/* Second signal: stop at once. */
	const volatile sig_atomic_t *abort;
};

/*
 * Runs account a and reports its problems on stderr.  Returns its exit
 * status: STATUS_OK, STATUS_PARTIAL, STATUS_TEMPFAIL or STATUS_NOPERM.
 */
int	 account_run(const struct account *a, const struct run_options *o);

#endif
