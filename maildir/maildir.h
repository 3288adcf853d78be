/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A local Maildir: its directories, held open so every later operation
 * is relative to them and cannot be redirected by a rename or symlink.
 */
#ifndef SYNCMAIL_MAILDIR_H
#define SYNCMAIL_MAILDIR_H

#include <stdint.h>

#include "util/error.h"

struct maildir {
	char	*path;
	int	 fd;		/* the Maildir itself */
	int	 tmpfd;
	int	 newfd;
	int	 curfd;
};

/*
 * Opens the Maildir at path.  With create set, the Maildir, its missing
 * parents and tmp/ new/ cur/ are created mode 0700.  Without it (dry
 * run) a missing Maildir returns 1 with every fd -1.  With create set,
 * the Maildir's path and tmp/ new/ cur/ are on disk on return, even
 * those found (maildir_mkdirs).  Returns 0 or 1, or -1 with err set
 * (ERR_MAILBOX).  Close with maildir_close.
 */
int	 maildir_open(struct maildir *, const char *path, int create,
	    struct error *err);

/*
 * mkdir -p of path with mode 0700 for what is missing, each name on the
 * path flushed to disk, also those found: a run killed before its flush
 * made them, or the user did a moment ago, and what is delivered into
 * them would go with them (a found one's parent that cannot be opened,
 * or cannot be flushed at all, is no error).  0, or -1 with err set
 * (ERR_MAILBOX).
 */
int	 maildir_mkdirs(const char *path, struct error *err);

/* Bytes free for us in the Maildir's file system.  0 or -1 with err. */
int	 maildir_avail(const struct maildir *, uint64_t *bytes,
	    struct error *err);

/*
 * Flushes the directory dirfd ("tmp" or "new" for messages) to disk, so
 * the names created or renamed in it survive a power cut.  0 or -1.
 */
int	 maildir_sync(const struct maildir *, int dirfd, const char *what,
	    struct error *err);

/*
 * Removes the files in tmp/ whose names start with prefix: partial files
 * a killed run of ours left.  Returns how many, or -1 with err set.
 */
int	 maildir_clean_tmp(const struct maildir *, const char *prefix,
	    struct error *err);

/*
 * Closes the descriptors and frees the path; the struct is the caller's.
 * Safe after a failed or partial maildir_open, and twice, but not on a
 * struct maildir_open never saw unless its fds were set to -1 first.
 */
void	 maildir_close(struct maildir *);

#endif
