/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/types.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

#include <errno.h>
#include <unistd.h>

#include "compat/compat.h"

#ifdef __linux__
/*
 * The file systems whose syncfs(2) is known to write every dirty file's
 * data and every directory change to disk: their sync_fs commits the
 * journal (or the tree, for btrfs) after the kernel wrote the dirty
 * pages of every inode back.  On others the call may flush nothing at
 * all: FUSE does not forward it (libfuse has no syncfs operation), so
 * on gocryptfs, sshfs or mergerfs syncfs returns 0 with the data still
 * in the file system's own cache.  A file system not in this list gets
 * an fsync per file instead.
 */
static const unsigned long syncfs_known[] = {
	0xEF53UL,	/* ext2, ext3, ext4 */
	0x58465342UL,	/* xfs */
	0x9123683EUL,	/* btrfs */
};
#endif

int
compat_syncfs_flushes(int fd)
{
	return compat_journaled(fd);
}

/*
 * The same list: their journal (or log tree) commits a rename as one
 * change, so an fsync of the directory a file moved into also makes its
 * removal from the other directory durable.
 */
int
compat_journaled(int fd)
{
#ifdef __linux__
	struct statfs sf;
	size_t i;

	if (fstatfs(fd, &sf) == -1)
		return 0;
	for (i = 0; i < sizeof(syncfs_known) / sizeof(syncfs_known[0]); i++)
		if ((unsigned long)sf.f_type == syncfs_known[i])
			return 1;
#else
	(void)fd;
#endif
	return 0;
}

int
compat_syncfs(int fd)
{
#ifdef __linux__
	return syncfs(fd);
#else
	(void)fd;
	errno = ENOSYS;
	return -1;
#endif
}
