/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maildir/deliver.h"
#include "maildir/tmppool.h"

/* Makes the next file; called with the lock held, creates without it. */
static int
make_one(struct tmppool *p, struct tmppool_file *f, struct error *err)
{
	char name[TMPPOOL_NAME];

	f->seq = p->seq++;
	pthread_mutex_unlock(&p->lock);
	tmppool_name(p, f->seq, name);
	f->fd = deliver_create(p->md, name, err);
	pthread_mutex_lock(&p->lock);
	return f->fd;
}

/*
 * The pool's thread: keeps up to TMPPOOL_SIZE files made ahead, each
 * created with the lock dropped (make_one) so that takers never wait on
 * a creation.  It sleeps on p->cond while the pool is full, once p->want
 * files are made, or after a failure, until tmppool_take signals
 * (clearing failed when it found the pool empty) or tmppool_stop sets
 * quit.  Its errors are dropped, not reported: the next taker that
 * finds the pool empty makes its own file and meets the error itself.  The files it made belong to the pool
 * until taken; tmppool_stop removes the rest.  Returns NULL.
 */
static void *
pool_main(void *arg)
{
	struct tmppool *p = arg;
	struct tmppool_file f;
	struct error err;

	pthread_mutex_lock(&p->lock);
	while (!p->quit) {
		if (p->nfiles == TMPPOOL_SIZE || p->failed ||
		    p->seq >= p->want) {
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		if (make_one(p, &f, &err) == -1) {
			/* The taker will meet the error itself and report it. */
			p->failed = 1;
			continue;
		}
		p->files[p->nfiles++] = f;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
tmppool_start(struct tmppool *p, const struct maildir *md,
    const char *prefix, unsigned int want, struct error *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->md = md;
	p->want = want;
	strlcpy(p->prefix, prefix, sizeof(p->prefix));
	p->pid = getpid();
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if ((rc = pthread_create(&p->thread, NULL, pool_main, p)) != 0) {
		errno = rc;
		return error_errno(err, ERR_MAILBOX, "pthread_create");
	}
	p->started = 1;
	return 0;
}

void
tmppool_name(const struct tmppool *p, unsigned int seq, char *name)
{
	/* The prefix and the pid never change once the pool is started. */
	snprintf(name, TMPPOOL_NAME, "%s.%ld.%u", p->prefix, (long)p->pid,
	    seq);
}

int
tmppool_take(struct tmppool *p, unsigned int *seq, struct error *err)
{
	struct tmppool_file f;
	int fd;

	pthread_mutex_lock(&p->lock);
	if (p->nfiles > 0) {
		f = p->files[--p->nfiles];
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		*seq = f.seq;
		return f.fd;
	}
	/* None ready: make it here, and let the thread try again. */
	p->failed = 0;
	pthread_cond_signal(&p->cond);
	fd = make_one(p, &f, err);
	pthread_mutex_unlock(&p->lock);
	if (fd != -1)
		*seq = f.seq;
	return fd;
}

void
tmppool_stop(struct tmppool *p)
{
	char name[TMPPOOL_NAME];
	int i;

	if (!p->started)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (i = 0; i < p->nfiles; i++) {
		close(p->files[i].fd);
		tmppool_name(p, p->files[i].seq, name);
		deliver_discard(p->md, name);
	}
	p->nfiles = 0;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	p->started = 0;
}
