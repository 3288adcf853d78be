/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "compat/compat.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int
compat_rename_noreplace(int fromdir, const char *from, int todir,
    const char *to)
{
#ifdef __linux__
	if (renameat2(fromdir, from, todir, to, RENAME_NOREPLACE) == 0)
		return 0;
	/* Some file systems (older NFS, some FUSE) cannot; fall back. */
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
#endif
	if (linkat(fromdir, from, todir, to, 0) == -1)
		return -1;
	/* The message is in new/ now; a failed unlink leaves only a stray link. */
	(void)unlinkat(fromdir, from, 0);
	return 0;
}
