/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * One message's way into a local Maildir (SPEC 4, steps 4 and 6): a new
 * file in tmp/, made durable, then moved into new/ without ever replacing
 * a file there.
 */
#ifndef SYNCMAIL_DELIVER_H
#define SYNCMAIL_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "maildir/localset.h"
#include "maildir/maildir.h"
#include "util/error.h"

/*
 * Creates tmp/tmpname with O_EXCL, mode 0600.  Returns the fd (the
 * caller's to pass to deliver_close), or -1 with err set.
 */
int	 deliver_create(const struct maildir *, const char *tmpname,
	    struct error *err);

/*
 * Sets the file's times (from the server) and closes fd, whatever the
 * outcome.  The file is flushed to disk later, with its batch
 * (commit_batch).  Returns 0 or -1 with err set.
 */
int	 deliver_close(const struct maildir *, int fd, const char *tmpname,
	    uint32_t atime, uint32_t mtime, struct error *err);

enum deliver_result {
	DELIVER_NEW,		/* moved into new/ as *final */
	DELIVER_DUPLICATE,	/* same bytes already local: tmp file removed */
	DELIVER_DISCARD		/* a route's discard: tmp file removed */
};

/*
 * Decides where from's tmp/tmpname goes in md's new/ (from and md are one
 * Maildir, or the pull's and a route's: SPEC 8), before anything is
 * recorded, so that the record can name the file a delivery makes (SPEC 4).  If a
 * message with the same unique name as name is already local (known from
 * set, or found in new/) and holds the same bytes: DELIVER_DUPLICATE,
 * with its local name ("new/NAME" or "cur/NAME") in clash.  Else
 * DELIVER_NEW with the name to move to in final: name itself when it is
 * free, or a fresh unique name when another message holds it (then in
 * clash).  final and clash have room for 256 bytes.  Returns the result,
 * or -1 with err set.
 */
int	 deliver_resolve(const struct maildir *from, const struct maildir *md,
	    const char *tmpname, const char *name, struct localset *set,
	    char *final, char *clash, struct error *err);

/*
 * Moves from's tmp/tmpname into md's new/final, never replacing a file: a
 * file that took the name since deliver_resolve is an error (the tmp file
 * is then still there), as is an md on another file system (one rename
 * is what makes the move atomic).  The caller flushes new/ afterwards.
 * 0, or -1 with err.
 */
int	 deliver_move(const struct maildir *from, const struct maildir *md,
	    const char *tmpname, const char *final, struct localset *set,
	    struct error *err);

/*
 * Opens tmp/tmpname for reading once it and its name are on disk: the
 * file and tmp/ flushed, as a record line naming it needs (a pipe,
 * attachments, a quarantine).  The descriptor, or -1 with err set.
 */
int	 deliver_open_durable(const struct maildir *, const char *tmpname,
	    struct error *err);

/*
 * The SHA-256 of tmp/tmpname into out, for the log.  Returns 0, or -1
 * (the log then says the hash is unknown).
 */
int	 deliver_sha256(const struct maildir *, const char *tmpname,
	    uint8_t *out);

/*
 * Whether tmp/a and tmp/b hold the same bytes (a filter that changed
 * nothing): 1, 0, or -1 when either cannot be read.
 */
int	 deliver_same_tmp(const struct maildir *, const char *a,
	    const char *b);

/* Removes tmp/tmpname, if there. */
void	 deliver_discard(const struct maildir *, const char *tmpname);

#endif
