/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/maildir.h"
#include "maildir/names.h"
#include "util/fault.h"

/*
 * After a failed fsync of a directory that was there already: whether
 * it failed to write (else the file system has no such flush).
 */
static int
flush_failed(void)
{
	return errno != EINVAL && errno != EROFS;
}

/*
 * Flushes the directory holding the last component of path (path is
 * cut at its last '/' in place and restored), so that a directory just
 * created in it survives a power cut: POSIX makes a new name durable only
 * with an fsync of its directory, and a Maildir whose new/ vanished
 * would take the record and every message with it.  A directory found
 * there (made is 0) is flushed too: a run killed between its mkdir and
 * this flush made it, or the user did a moment ago, and messages
 * delivered into it would vanish with it.  For one found, a directory
 * above that we may not open (a 0711 home, or outside the sandbox) is
 * not one a run of ours made, and a file system that cannot flush a
 * directory (EINVAL) or is read-only (EROFS) has nothing to flush:
 * neither is an error; a failing flush (EIO) is.
 */
static int
sync_parent(char *path, int made, struct error *err)
{
	char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL || fault_skip("mkdir"))
		return 0;
	if (slash == path)
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else {
		*slash = '\0';
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd == -1) {
		if (made)
			rc = error_errno(err, ERR_MAILBOX, "%s: fsync",
			    slash == path ? "/" : path);
	} else {
		if (fsync(fd) == -1 && (made || flush_failed()))
			rc = error_errno(err, ERR_MAILBOX, "%s: fsync",
			    slash == path ? "/" : path);
		close(fd);
	}
	*slash = '/';
	return rc;
}

/* Makes the directory path (0700), or finds it.  1 made, 0 found, -1. */
static int
make_dir(const char *path, struct error *err)
{
	if (mkdir(path, 0700) == 0) {
		fault_point("dir-made");
		return 1;
	}
	if (errno != EEXIST)
		return error_errno(err, ERR_MAILBOX, "%s: mkdir", path);
	return 0;
}

int
maildir_mkdirs(const char *path, struct error *err)
{
	char buf[4096];
	size_t i;
	int made;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return error_set(err, ERR_MAILBOX, "%s: path too long", path);
	for (i = 1; buf[i] != '\0'; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if ((made = make_dir(buf, err)) == -1 ||
		    sync_parent(buf, made, err) == -1)
			return -1;
		buf[i] = '/';
	}
	if ((made = make_dir(buf, err)) == -1)
		return -1;
	return sync_parent(buf, made, err);
}

/*
 * Opens md's subdirectory sub ("tmp", "new" or "cur") relative to md->fd,
 * creating it first (mode 0700) when create is set, and then sets *made
 * if it made it (maildir_open flushes md once for all three).  Returns
 * the new descriptor, the caller's to close, or -1 with err set
 * (ERR_MAILBOX) and errno left as the failing call set it: maildir_open
 * takes ENOENT in a dry run for a Maildir not made yet, not for an
 * error.
 */
static int
open_sub(struct maildir *md, const char *sub, int create, int *made,
    struct error *err)
{
	struct stat st;
	int fd;

	if (create) {
		if (mkdirat(md->fd, sub, 0700) == 0) {
			fault_point("dir-made");
			*made = 1;
		} else if (errno != EEXIST)
			return error_errno(err, ERR_MAILBOX, "%s/%s: mkdir",
			    md->path, sub);
	}
	/*
	 * Never through a symbolic link: messages written there would land
	 * outside the Maildir (SPEC 6).  Say what is in the way, as
	 * "Not a directory" alone reads wrong for a link to one.
	 */
	fd = openat(md->fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && (errno == ENOTDIR || errno == ELOOP) &&
	    fstatat(md->fd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return error_set(err, ERR_MAILBOX, "%s/%s: is a "
			    "symbolic link, not a directory; syncmail does not "
			    "follow links inside a Maildir", md->path, sub);
		if (!S_ISDIR(st.st_mode))
			return error_set(err, ERR_MAILBOX, "%s/%s: is not "
			    "a directory", md->path, sub);
	}
	if (fd == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s: open",
		    md->path, sub);
	return fd;
}

int
maildir_open(struct maildir *md, const char *path, int create,
    struct error *err)
{
	int made = 0;

	md->fd = md->tmpfd = md->newfd = md->curfd = -1;
	if ((md->path = strdup(path)) == NULL)
		return error_errno(err, ERR_MAILBOX, "strdup");
	if (create && maildir_mkdirs(path, err) == -1)
		return -1;
	md->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->fd == -1) {
		if (!create && errno == ENOENT)
			return 1;
		return error_errno(err, ERR_MAILBOX, "%s", path);
	}
	if ((md->tmpfd = open_sub(md, "tmp", create, &made, err)) == -1 ||
	    (md->newfd = open_sub(md, "new", create, &made, err)) == -1 ||
	    (md->curfd = open_sub(md, "cur", create, &made, err)) == -1) {
		if (!create && errno == ENOENT) {
			maildir_close(md);
			if ((md->path = strdup(path)) == NULL)
				return error_errno(err, ERR_MAILBOX, "strdup");
			return 1;
		}
		return -1;
	}
	/* tmp/ new/ and cur/ on disk, made now or found (sync_parent). */
	if (create && !fault_skip("mkdir") && fsync(md->fd) == -1 &&
	    (made || flush_failed()))
		return error_errno(err, ERR_MAILBOX, "%s: fsync", md->path);
	return 0;
}

int
maildir_avail(const struct maildir *md, uint64_t *bytes, struct error *err)
{
	struct statvfs sv;

	if (fstatvfs(md->fd, &sv) == -1)
		return error_errno(err, ERR_MAILBOX, "%s: statvfs", md->path);
	*bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int
maildir_sync(const struct maildir *md, int dirfd, const char *what,
    struct error *err)
{
	if (fsync(dirfd) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s: fsync",
		    md->path, what);
	return 0;
}

int
maildir_clean_tmp(const struct maildir *md, const char *prefix,
    struct error *err)
{
	struct dirent *de;
	size_t plen = strlen(prefix);
	DIR *d;
	int fd, n = 0;

	if ((fd = dup(md->tmpfd)) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/tmp", md->path);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return error_errno(err, ERR_MAILBOX, "%s/tmp", md->path);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		if (unlinkat(md->tmpfd, de->d_name, 0) == -1) {
			error_errno(err, ERR_MAILBOX, "%s/tmp/%s: unlink",
			    md->path, de->d_name);
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	return n;
}

void
maildir_close(struct maildir *md)
{
	if (md->curfd != -1)
		close(md->curfd);
	if (md->newfd != -1)
		close(md->newfd);
	if (md->tmpfd != -1)
		close(md->tmpfd);
	if (md->fd != -1)
		close(md->fd);
	md->fd = md->tmpfd = md->newfd = md->curfd = -1;
	free(md->path);
	md->path = NULL;
}
