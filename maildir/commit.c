/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat/compat.h"
#include "maildir/commit.h"
#include "maildir/names.h"
#include "util/fault.h"

/*
 * Step 1: the files' bytes and their names in tmp/ on disk.  One syncfs
 * costs about what a few fsyncs do and covers the whole batch, tmp/
 * itself included, but only on the file systems where it is known to
 * flush anything (compat_syncfs_flushes): elsewhere, FUSE above all, it
 * may return 0 having written nothing, and a power cut would leave the
 * recorded and renamed messages empty.  There each file is flushed, then
 * tmp/.  Since Linux 5.8 syncfs reports write-back errors of the file
 * system, which fail the batch.
 */
static int
sync_tmp(const struct maildir *md, struct commit_item *items, size_t n,
    struct error *err)
{
	size_t i;
	int fd;

	if (n >= COMMIT_SYNCFS_MIN && (compat_syncfs_flushes(md->fd) ||
	    fault_syncfs_forced())) {
		if (compat_syncfs(md->fd) == -1)
			return error_errno(err, ERR_MAILBOX, "%s: syncfs",
			    md->path);
		return 0;
	}
	for (i = 0; i < n; i++) {
		fd = openat(md->tmpfd, items[i].tmpname, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1)
			return error_errno(err, ERR_MAILBOX, "%s/tmp/%s",
			    md->path, items[i].tmpname);
		if (fsync(fd) == -1) {
			error_errno(err, ERR_MAILBOX, "%s/tmp/%s: fsync",
			    md->path, items[i].tmpname);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return maildir_sync(md, md->tmpfd, "tmp", err);
}

/*
 * The items whose move failed, still alone in tmp/ (one link: never
 * moved, as recovery reads it), are forgotten by the record, durably,
 * and only then their tmp files go: a recorded name without its tmp file
 * would read as "delivered".  If the record cannot be flushed the files
 * stay, and the next run's recovery removes them.  Best effort: the
 * items have failed already and keep their own errors.
 */
static void
unrecord_failed(const struct maildir *md, struct record *rec,
    const struct commit_item *items, size_t n)
{
	struct error ignored;
	struct stat st;
	char *drop;
	size_t i, ndrop = 0;

	if ((drop = calloc(n, 1)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (items[i].result != -1 ||
		    fstatat(md->tmpfd, items[i].tmpname, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_nlink != 1)
			continue;
		/* A filter's quarantine of the original stays noted. */
		if (record_drop_delivery(rec, items[i].name, &ignored) == -1)
			goto out;
		drop[i] = 1;
		ndrop++;
	}
	if (ndrop == 0 || record_sync(rec, &ignored) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (drop[i])
			deliver_discard(md, items[i].tmpname);
out:
	free(drop);
}

/*
 * Decides item's place in new/ (deliver_resolve); on failure its result
 * is -1 and its error set.  0 or -1.
 */
static int
resolve_item(const struct maildir *md, struct commit_item *item,
    struct error *one)
{
	if (item->to == NULL) {
		item->result = DELIVER_DISCARD;
		return 0;
	}
	item->result = deliver_resolve(md, item->to, item->tmpname,
	    item->name, item->tolocal, item->final, item->clash, one);
	if (item->result == -1) {
		item->error = strdup(one->msg);
		return -1;
	}
	if (item->result == DELIVER_DUPLICATE)
		strlcpy(item->final, item->clash + 4, sizeof(item->final));
	return 0;
}

/*
 * The name the record must keep beside the item's own: the local file it
 * went to, when that file's unique name is not the message's (a fresh
 * name after a clash), else NULL.
 */
static const char *
elsewhere(const struct commit_item *item)
{
	size_t len = names_unique_len(item->name);

	if (item->result == DELIVER_DISCARD)
		return NULL;
	if (names_unique_len(item->final) == len &&
	    memcmp(item->name, item->final, len) == 0)
		return NULL;
	return item->final;
}

/*
 * Flushes the new/ of every Maildir the batch moved into, each once (a
 * batch goes mostly to one or a few); md is the pull's own.  0, or -1
 * with err set.
 */
static int
sync_new(const struct maildir *md, const struct commit_item *items, size_t n,
    struct error *err)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (items[i].to == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (items[j].to == items[i].to)
				break;
		if (j < i || (items[i].to != md && fault_skip("route-new")))
			continue;
		if (maildir_sync(items[i].to, items[i].to->newfd, "new",
		    err) == -1)
			return -1;
	}
	return 0;
}

int
commit_batch(const struct maildir *md, struct record *rec,
    struct commit_item *items, size_t n, struct error *err)
{
	struct error one;
	size_t i;
	int failed = 0;

	for (i = 0; i < n; i++) {
		items[i].result = -1;
		items[i].final[0] = items[i].clash[0] = '\0';
		items[i].error = NULL;
		items[i].have_sha256 = items[i].want_sha256 &&
		    deliver_sha256(md, items[i].tmpname, items[i].sha256) == 0;
	}
	if (sync_tmp(md, items, n, err) == -1) {
		/*
		 * Nothing of the batch is recorded yet, so its files are
		 * simply partial files of ours: they go now (SPEC 5), and
		 * the messages stay on the server.
		 */
		for (i = 0; i < n; i++)
			deliver_discard(md, items[i].tmpname);
		return -1;
	}
	fault_point("tmp-synced");
	/*
	 * Where each message goes is decided before it is recorded, so the
	 * record names the file it makes: the next run's recovery checks
	 * that file, and a delivery under a fresh unique name (a clash) is
	 * found there, not mistaken for the other message holding the name.
	 */
	for (i = 0; i < n; i++) {
		if (resolve_item(md, &items[i], &one) == -1) {
			/* Not recorded: simply a partial file of ours. */
			deliver_discard(md, items[i].tmpname);
			continue;
		}
		if (record_add(rec, items[i].name, items[i].size,
		    items[i].tmpname, elsewhere(&items[i]), items[i].dest,
		    err) == -1)
			return -1;
	}
	if (record_sync(rec, err) == -1)
		return -1;
	fault_point("recorded");
	for (i = 0; i < n; i++) {
		/*
		 * A discarded message's tmp file gone is its "done", as a
		 * move's is: the record then lets its remote copy go.
		 */
		if (items[i].result == DELIVER_DUPLICATE ||
		    items[i].result == DELIVER_DISCARD)
			deliver_discard(md, items[i].tmpname);
		else if (items[i].result == DELIVER_NEW &&
		    deliver_move(md, items[i].to, items[i].tmpname,
		    items[i].final, items[i].tolocal, &one) == -1) {
			items[i].result = -1;
			failed = 1;
			items[i].error = strdup(one.msg);
		} else if (items[i].result == -1)
			failed = 1;
		fault_point("renamed");
	}
	if (sync_new(md, items, n, err) == -1)
		return -1;
	fault_point("new-synced");
	/*
	 * The renames also removed the names in tmp/, and until tmp/ is
	 * flushed a power cut may bring them back as second links to the
	 * files in new/.  Recovery reads such a link as "moved", but only
	 * while the copy in new/ is there: once the user has deleted it,
	 * the tmp file stands alone and reads as "never moved", and the
	 * message would come back.  So tmp/ goes to disk too before any
	 * remote copy may go (with keep, before the run calls it done).
	 * The order matters: tmp/ first could lose both names.  Where the
	 * file system commits a rename whole (compat_journaled), the
	 * flush of new/ already did, and this would cost an fsync a batch
	 * for nothing.
	 */
	if (!compat_journaled(md->fd) &&
	    maildir_sync(md, md->tmpfd, "tmp", err) == -1)
		return -1;
	fault_point("tmp-resynced");
	if (failed)
		unrecord_failed(md, rec, items, n);
	return 0;
}
