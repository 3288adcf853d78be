/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Empty files made ahead in a Maildir's tmp/ by a thread of their own.
 * Creating a file costs a few hundred microseconds of kernel time on
 * ext4 here, as much as the network work of a small message: made on
 * the side, it overlaps with the downloads instead of stalling them.
 *
 * The files are named PREFIX.PID.N like any tmp file of ours, so those a
 * crash leaves are removed by the next run as partial files.
 */
#ifndef SYNCMAIL_TMPPOOL_H
#define SYNCMAIL_TMPPOOL_H

#include <sys/types.h>

#include <pthread.h>

#include "maildir/maildir.h"
#include "util/error.h"

#define TMPPOOL_SIZE	64

struct tmppool_file {
	int		 fd;
	unsigned int	 seq;
};

/* Room for a tmp file name, "syncmail.TAG.PID.SEQ". */
#define TMPPOOL_NAME	64

struct tmppool {
	const struct maildir *md;
	char		 prefix[32];	/* "syncmail.TAG" */
	pid_t		 pid;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 started;
	int		 quit;
	unsigned int	 seq;		/* files made so far, by anyone */
	unsigned int	 want;		/* the thread makes no more than this */
	struct tmppool_file files[TMPPOOL_SIZE];
	int		 nfiles;
	int		 failed;	/* the thread met an error: take makes its own */
};

/*
 * Starts the thread, which makes at most want files in all: the files
 * the run can take (one a message), so that a run with one message or
 * none does not make and remove TMPPOOL_SIZE.  0, or -1 with err set;
 * tmppool_stop either way.
 */
int	 tmppool_start(struct tmppool *, const struct maildir *,
	    const char *prefix, unsigned int want, struct error *err);

/*
 * Returns an open, empty tmp file (O_EXCL, 0600) and its number in *seq:
 * one made ahead, or made now if none is ready.  Returns -1 with err set
 * (errno kept) when it cannot be created.  The number is all a caller
 * keeps: with thousands of messages, names would cost more.
 */
int	 tmppool_take(struct tmppool *, unsigned int *seq, struct error *err);

/* The name in tmp/ of the file numbered seq; name has TMPPOOL_NAME bytes. */
void	 tmppool_name(const struct tmppool *, unsigned int seq, char *name);

/* Ends the thread and removes the files nobody took. */
void	 tmppool_stop(struct tmppool *);

#endif
