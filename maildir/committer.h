/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The committer: a thread that runs commit_batch (fsyncs, the record,
 * the moves into new/) while the network loop goes on downloading the
 * next batch.  fsync and file creation cost as much as the network work
 * at 0 ms; on two cores the two overlap.
 *
 * One batch at a time.  The committer writes a byte to a pipe when it is
 * done, so the network loop's poll wakes up (session->wakefd).
 */
#ifndef SYNCMAIL_COMMITTER_H
#define SYNCMAIL_COMMITTER_H

#include <pthread.h>

#include "maildir/commit.h"

struct committer {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 pipe[2];	/* [0] is the wake fd for poll */
	int		 started;
	/* What to commit; set by committer_submit, read by the thread. */
	const struct maildir *md;
	struct record	*rec;
	struct commit_item *items;
	size_t		 nitems;
	/* 0 idle, 1 submitted, 2 done (results ready); under lock */
	int		 state;
	int		 quit;
	int		 rc;		/* commit_batch's return */
	struct error	 err;
};

/* Starts the thread.  0, or -1 with err set.  committer_stop either way. */
int	 committer_start(struct committer *, const struct maildir *,
	    struct record *, struct error *err);

/* Hands a batch over; the committer must be idle.  items stay the caller's. */
void	 committer_submit(struct committer *, struct commit_item *, size_t n);

/* Whether a batch is submitted and not yet collected. */
int	 committer_busy(struct committer *);

/*
 * Collects a finished batch: returns 1 with *rc and err filled (err only
 * when *rc is -1), 0 when none is finished.  With wait set, waits for
 * the batch in progress.
 */
int	 committer_collect(struct committer *, int wait, int *rc, struct error *err);

/* Waits for any batch in progress, then ends the thread; safe if never started. */
void	 committer_stop(struct committer *);

#endif
