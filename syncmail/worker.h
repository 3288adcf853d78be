/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The commit worker: a thread that runs commit_batch (fsyncs, the record,
 * the moves into new/) while the network loop goes on downloading the
 * next batch.  fsync and file creation cost as much as the network work
 * at 0 ms; on two cores the two overlap.
 *
 * One batch at a time.  The worker writes a byte to a pipe when it is
 * done, so the network loop's poll wakes up (session->wakefd).
 */
#ifndef SYNCMAIL_WORKER_H
#define SYNCMAIL_WORKER_H

#include <pthread.h>

#include "maildir/commit.h"

struct worker {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 pipe[2];	/* [0] is the wake fd for poll */
	int		 started;
	/* What to commit; set by worker_submit, read by the thread. */
	const struct maildir *md;
	struct record	*rec;
	struct localset	*local;
	struct commit_item *items;
	size_t		 nitems;
	/* 0 idle, 1 submitted, 2 done (results ready); under lock */
	int		 state;
	int		 quit;
	int		 rc;		/* commit_batch's return */
	struct error	 err;
};

/* Starts the thread.  0, or -1 with err set.  worker_stop either way. */
int	 worker_start(struct worker *, const struct maildir *,
	    struct record *, struct localset *local, struct error *err);

/* Hands a batch over; the worker must be idle.  items stay the caller's. */
void	 worker_submit(struct worker *, struct commit_item *, size_t n);

/* Whether a batch is submitted and not yet collected. */
int	 worker_busy(struct worker *);

/*
 * Collects a finished batch: returns 1 with *rc and err filled (err only
 * when *rc is -1), 0 when none is finished.  With wait set, waits for
 * the batch in progress.
 */
int	 worker_collect(struct worker *, int wait, int *rc, struct error *err);

/* Waits for any batch in progress, then ends the thread; safe if never started. */
void	 worker_stop(struct worker *);

#endif
