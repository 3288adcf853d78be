/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The sandbox of SPEC 6: once the config is read and the accounts are
 * chosen, the file system shrinks to what those accounts need (their
 * local Maildirs, key files, known_hosts files and ~/.ssh), with
 * pledge(2) and unveil(2) on OpenBSD and Landlock on Linux.
 */
#ifndef SYNCMAIL_SANDBOX_H
#define SYNCMAIL_SANDBOX_H

#include <stddef.h>

#include "syncmail/account.h"
#include "util/error.h"

struct sandbox_options {
	const char	*home;		/* the user's home directory */
	int		 dryrun;	/* -n: the Maildirs are only read */
	int		 forks;		/* accounts run in child processes (-j) */
};

/*
 * Restricts this process, and every process and thread it creates
 * later, to what the nsel accounts in sel need, as their targets say
 * (account_resolve; an account whose ssh config did not resolve needs
 * nothing, as it will fail before it touches anything).  Call it once,
 * after every selected account is resolved, before any thread is
 * started (Landlock binds only the calling thread and what it creates
 * afterwards) and before any account runs.  Missing Maildirs are
 * created here, as the account would create them (not in a dry run).
 * Where the platform has no sandbox, Landlock is missing or too old, or a
 * selected account runs a proxy command, it runs without one and says so
 * at -v: never silently.  Returns 0, or -1 with err set when a sandbox
 * the platform promises cannot be entered (OpenBSD): the caller exits.
 */
int	 sandbox_enter(const struct account_target *sel, size_t nsel,
	    const struct sandbox_options *o, struct error *err);

#endif
