/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "maildir/committer.h"

/*
 * The worker's thread: waits under w->lock for a submitted batch (state
 * 1), runs commit_batch on it with the lock released, then stores rc and
 * err, marks it done (state 2) and wakes a waiting committer_collect (the
 * cond) and the network loop's poll (a byte on the pipe).  From submit
 * to collect the items are the thread's to use; the record it writes
 * has a lock of its own.  A batch submitted when quit is set is still
 * committed before the thread ends: committer_stop never cuts one off.
 * Returns NULL.
 */
static void *
committer_main(void *arg)
{
	struct committer *w = arg;
	struct error err;
	char byte = 1;
	int rc;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->state != 1 && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->state != 1)
			break;
		pthread_mutex_unlock(&w->lock);
		error_clear(&err);
		rc = commit_batch(w->md, w->rec, w->items, w->nitems,
		    &err);
		pthread_mutex_lock(&w->lock);
		w->rc = rc;
		w->err = err;
		w->state = 2;
		pthread_cond_broadcast(&w->cond);
		/* A full pipe already holds a wake-up: nothing is lost. */
		(void)write(w->pipe[1], &byte, 1);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int
committer_start(struct committer *w, const struct maildir *md, struct record *rec,
    struct error *err)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->pipe[0] = w->pipe[1] = -1;
	w->md = md;
	w->rec = rec;
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return error_errno(err, ERR_MAILBOX, "pipe");
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if ((rc = pthread_create(&w->thread, NULL, committer_main, w)) != 0) {
		errno = rc;
		return error_errno(err, ERR_MAILBOX, "pthread_create");
	}
	w->started = 1;
	return 0;
}

void
committer_submit(struct committer *w, struct commit_item *items, size_t n)
{
	pthread_mutex_lock(&w->lock);
	w->items = items;
	w->nitems = n;
	w->state = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int
committer_busy(struct committer *w)
{
	int busy;

	pthread_mutex_lock(&w->lock);
	busy = w->state != 0;
	pthread_mutex_unlock(&w->lock);
	return busy;
}

int
committer_collect(struct committer *w, int wait, int *rc, struct error *err)
{
	char buf[64];
	int got = 0;

	pthread_mutex_lock(&w->lock);
	while (wait && w->state == 1)
		pthread_cond_wait(&w->cond, &w->lock);
	if (w->state == 2) {
		/* Its byte was written with the result, under the lock. */
		while (read(w->pipe[0], buf, sizeof(buf)) > 0)
			;
		*rc = w->rc;
		*err = w->err;
		w->state = 0;
		got = 1;
	}
	pthread_mutex_unlock(&w->lock);
	return got;
}

void
committer_stop(struct committer *w)
{
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->quit = 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		/* The thread finishes a batch in progress before it sees quit. */
		pthread_join(w->thread, NULL);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		w->started = 0;
	}
	if (w->pipe[0] != -1)
		close(w->pipe[0]);
	if (w->pipe[1] != -1)
		close(w->pipe[1]);
	w->pipe[0] = w->pipe[1] = -1;
}
