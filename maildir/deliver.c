/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "compat/compat.h"
#include "maildir/deliver.h"
#include "maildir/names.h"

int
deliver_create(const struct maildir *md, const char *tmpname,
    struct error *err)
{
	int fd;

	fd = openat(md->tmpfd, tmpname, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return error_errno(err, ERR_MAILBOX, "%s/tmp/%s: open",
		    md->path, tmpname);
	return fd;
}

int
deliver_close(const struct maildir *md, int fd, const char *tmpname,
    uint32_t atime, uint32_t mtime, struct error *err)
{
	struct timespec ts[2];

	ts[0].tv_sec = atime;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = mtime;
	ts[1].tv_nsec = 0;
	if (futimens(fd, ts) == -1) {
		error_errno(err, ERR_MAILBOX, "%s/tmp/%s: futimens",
		    md->path, tmpname);
		close(fd);
		return -1;
	}
	if (close(fd) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/tmp/%s: close",
		    md->path, tmpname);
	return 0;
}

/* Returns 1 if the two files hold the same bytes, 0 if not, -1 on error. */
static int
same_bytes(int dira, const char *a, int dirb, const char *b)
{
	char bufa[65536], bufb[65536];
	struct stat sa, sb;
	ssize_t na, nb;
	int fa, fb, same = -1;

	fa = openat(dira, a, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	fb = openat(dirb, b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fa == -1 || fb == -1 || fstat(fa, &sa) == -1 ||
	    fstat(fb, &sb) == -1)
		goto out;
	if (sa.st_size != sb.st_size) {
		same = 0;
		goto out;
	}
	for (;;) {
		na = read(fa, bufa, sizeof(bufa));
		if (na <= 0) {
			same = na == 0;
			break;
		}
		for (nb = 0; nb < na;) {
			ssize_t n = read(fb, bufb + nb, na - nb);

			if (n <= 0)
				goto out;
			nb += n;
		}
		if (memcmp(bufa, bufb, na) != 0) {
			same = 0;
			break;
		}
	}
out:
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	return same;
}

int
deliver_same_tmp(const struct maildir *md, const char *a, const char *b)
{
	return same_bytes(md->tmpfd, a, md->tmpfd, b);
}

/* Compares from's tmp/tmpname with md's file "sub/NAME" given in local. */
static int
same_as_local(const struct maildir *from, const struct maildir *md,
    const char *tmpname, const char *local, struct error *err)
{
	int dirfd = strncmp(local, "cur/", 4) == 0 ? md->curfd : md->newfd;
	int rc;

	rc = same_bytes(from->tmpfd, tmpname, dirfd, local + 4);
	if (rc == -1 && errno == ENOENT)
		return 2;	/* the user removed it since we looked */
	if (rc == -1)
		return error_errno(err, ERR_MAILBOX, "%s: comparing with "
		    "%s", md->path, local);
	return rc;
}

int
deliver_resolve(const struct maildir *from, const struct maildir *md,
    const char *tmpname, const char *name, struct localset *set, char *final,
    char *clash, struct error *err)
{
	char local[300];
	unsigned int tries;
	int same, found;

	clash[0] = '\0';
	strlcpy(final, name, 256);
	for (tries = 0; tries < 16; tries++) {
		found = localset_find(set, md, final, local, sizeof(local), err);
		if (found == -1)
			return -1;
		if (!found) {
			struct stat st;

			/* The set knows the wanted unique names; a fresh one
			 * may still be taken in new/ under exactly its name. */
			if (fstatat(md->newfd, final, &st,
			    AT_SYMLINK_NOFOLLOW) == -1) {
				if (errno == ENOENT)
					return DELIVER_NEW;
				return error_errno(err, ERR_MAILBOX,
				    "%s/new/%s", md->path, final);
			}
			snprintf(local, sizeof(local), "new/%s", final);
		}
		/* The unique name is taken: same message, or a clash? */
		if ((same = same_as_local(from, md, tmpname, local,
		    err)) == -1)
			return -1;
		if (same == 2) {
			/* Moved or deleted since we looked: look again. */
			localset_stale(set);
			continue;
		}
		strlcpy(clash, local, 256);
		if (same)
			return DELIVER_DUPLICATE;
		if (names_fresh(name, tries, final, 256) == -1)
			return error_set(err, ERR_MAILBOX, "%s: no fresh "
			    "name for %s", md->path, name);
	}
	return error_set(err, ERR_MAILBOX, "%s: no free name for %s",
	    md->path, name);
}

int
deliver_move(const struct maildir *from, const struct maildir *md,
    const char *tmpname, const char *final, struct localset *set,
    struct error *err)
{
	char local[300];

	if (compat_rename_noreplace(from->tmpfd, tmpname, md->newfd,
	    final) == -1) {
		if (errno == EEXIST)
			return error_set(err, ERR_MAILBOX, "%s: new/%s "
			    "appeared while delivering tmp/%s; it stays on the "
			    "server for the next run", md->path, final, tmpname);
		if (errno == EXDEV && from != md)
			return error_set(err, ERR_MAILBOX, "%s is on another "
			    "file system than %s: a route's Maildir must be on "
			    "the file system of its pull's (the move into new/ "
			    "is one rename)", md->path, from->path);
		if (from != md)
			return error_errno(err, ERR_MAILBOX, "rename %s/tmp/%s "
			    "to %s/new/%s", from->path, tmpname, md->path,
			    final);
		return error_errno(err, ERR_MAILBOX, "%s: rename tmp/%s "
		    "to new/%s", md->path, tmpname, final);
	}
	snprintf(local, sizeof(local), "new/%s", final);
	return localset_add(set, local, err);
}

int
deliver_open_durable(const struct maildir *md, const char *tmpname,
    struct error *err)
{
	int fd;

	if ((fd = openat(md->tmpfd, tmpname, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/tmp/%s", md->path,
		    tmpname);
	if (fsync(fd) == -1) {
		error_errno(err, ERR_MAILBOX, "%s/tmp/%s: fsync", md->path,
		    tmpname);
		close(fd);
		return -1;
	}
	if (maildir_sync(md, md->tmpfd, "tmp", err) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read back from the page cache it was just written to, by the thread
 * that calls it (the committer's, off the transfer's way).
 */
int
deliver_sha256(const struct maildir *md, const char *tmpname, uint8_t *out)
{
	unsigned char buf[65536];
	unsigned int len;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = openat(md->tmpfd, tmpname, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			goto out;
	if (n == 0 && EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

void
deliver_discard(const struct maildir *md, const char *tmpname)
{
	(void)unlinkat(md->tmpfd, tmpname, 0);
}
