/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A mail parser's confinement on OpenBSD: unveil(2) and pledge(2).  See
 * compat/confine.h.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <unistd.h>

#include "compat/confine.h"

/*
 * unveil takes paths, and the caller has a descriptor: the working
 * directory becomes the directory, and "." is unveiled.  /usr is read
 * (iconv's tables, glib's data).  pledge without "inet", "unix", "dns",
 * "proc" or "exec": no socket, no other program; "wpath cpath" are
 * bounded by unveil.
 */
int
confine_parser(int dirfd, struct error *err)
{
	if (fchdir(dirfd) == -1)
		return error_errno(err, ERR_MAILBOX, "fchdir");
	if (unveil(".", "rwc") == -1 || unveil("/usr", "r") == -1 ||
	    unveil(NULL, NULL) == -1)
		return error_errno(err, ERR_MAILBOX, "unveil");
	if (pledge("stdio rpath wpath cpath", NULL) == -1)
		return error_errno(err, ERR_MAILBOX, "pledge");
	return CONFINE_FILES | CONFINE_NET | CONFINE_EXEC;
}

/*
 * OpenBSD has no RLIMIT_AS; RLIMIT_DATA counts malloc's memory, mmap'd
 * or not, and a fork's inherited data is its parent's, small here
 * (OpenBSD's malloc reserves no arenas ahead).  getrusage cannot say
 * what is used now, so the parent's current limit is not added to.
 */
int
confine_memory(size_t bytes)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = (rlim_t)bytes;
	return setrlimit(RLIMIT_DATA, &rl) == -1 ? -1 : 1;
}
