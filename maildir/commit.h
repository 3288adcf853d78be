/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Committing a batch of downloaded messages into a Maildir (SPEC 4, steps
 * 4 to 6), in the order that makes every crash recoverable:
 *
 *   1. the tmp files and their names in tmp/ are made durable (one
 *      syncfs for a big batch on a file system where syncfs is known to
 *      flush, else an fsync of each file and of tmp/);
 *   2. each name is appended to the write-ahead record, flushed;
 *   3. each file is moved into its Maildir's new/ without replacing
 *      anything (or, for a route's discard, removed);
 *   4. each new/ moved into is flushed, then tmp/ (the names the moves
 *      took from it).
 *
 * Only after that may the remote copies go.  A name in the record
 * whose tmp file is gone means "delivered", so step 1 must be complete
 * before step 2 begins.
 */
#ifndef SYNCMAIL_COMMIT_H
#define SYNCMAIL_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "maildir/deliver.h"
#include "maildir/localset.h"
#include "maildir/maildir.h"
#include "maildir/record.h"
#include "util/error.h"

struct commit_item {
	const char	*name;		/* remote name, delivered under it if free */
	const char	*tmpname;	/* in the pull's Maildir's tmp/ */
	uint64_t	 size;
	int		 want_sha256;	/* for the log: hash the file */
	/*
	 * Where it goes (SPEC 8): the new/ of the Maildir to, which may be
	 * the pull's own or a route's, with the set of to's local names; or,
	 * with to NULL, nowhere (a route's discard).  dest is what the
	 * record keeps of it: NULL for the pull's own Maildir, else to's
	 * path or "discard".
	 */
	const struct maildir *to;
	struct localset	*tolocal;
	const char	*dest;
	/* Results: */
	int		 result;	/* DELIVER_NEW, DELIVER_DUPLICATE, or -1 */
	int		 have_sha256;
	uint8_t		 sha256[32];	/* of the file, when have_sha256 */
	char		 final[256];	/* the name in new/ */
	char		 clash[256];	/* a local file of the same unique name */
	char		*error;		/* when result is -1; caller frees */
};

/* Batches at least this big are flushed with one syncfs(2), where it flushes. */
#define COMMIT_SYNCFS_MIN	16

/*
 * Commits the n items, whose tmp files are in md's tmp/, each to its own
 * place.  Returns 0 when every item has its result (some
 * may have failed alone: result -1 and error set; once the record has
 * durably forgotten such an item its tmp file is removed, else it is
 * left for the next run's recovery), or -1 with err set when the batch
 * as a whole failed before any move (then every result is -1 and nothing
 * was moved) or when new/ or tmp/ could not be flushed after the moves
 * (then no remote copy may go in this run: the next run decides from the
 * record).
 */
int	 commit_batch(const struct maildir *md, struct record *,
	    struct commit_item *items, size_t n, struct error *err);

#endif
