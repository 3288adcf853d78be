/*
 * The sandbox of SPEC 6: once the config is read and the accounts are
 * chosen, the file system shrinks to what those accounts need (their
 * local Maildirs, key files, known_hosts files and ~/.ssh), with
 * pledge(2) and unveil(2) on OpenBSD and Landlock on Linux.
 */
#ifndef SYNCMAIL_SANDBOX_H
#define SYNCMAIL_SANDBOX_H

#include <stddef.h>

#include "config.h"
#include "util/error.h"

struct sandbox_options {
	const char	*home;		/* the user's home directory */
	const char	*localuser;	/* the default remote user */
	int		 dryrun;	/* -n: the Maildirs are only read */
	int		 forks;		/* accounts run in child processes (-j) */
};

/*
 * Restricts this process, and every process and thread it creates
 * later, to what the nsel accounts in sel need.  Call it once, before any
 * thread is started (Landlock binds only the calling thread and what it
 * creates afterwards) and before any account runs.  Missing Maildirs are
 * created here, as the account would create them (not in a dry run).
 * Where the platform has no sandbox, Landlock is missing or too old, or a
 * selected account runs a proxy command, it runs without one and says so
 * at -v: never silently.  Returns 0, or -1 with err set when a sandbox
 * the platform promises cannot be entered (OpenBSD): the caller exits.
 */
int	 sandbox_enter(struct account *const *sel, size_t nsel,
	    const struct sandbox_options *o, struct error *err);

#endif
