/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The "log" of an account (SPEC 3): one line per moved message (account,
 * remote path, local path, bytes, SHA-256) and one per run, to syslog
 * (facility mail) or appended to a file.  A line that cannot be written
 * is reported once on stderr and never fails a delivery: the log records
 * what happened, it does not decide it.
 */
#ifndef SYNCMAIL_MLOG_H
#define SYNCMAIL_MLOG_H

#include <stdint.h>

#include "syncmail/config.h"
#include "util/error.h"

struct mlog {
	const char	*account;
	const char	*path;		/* the file, or NULL */
	int		 syslog;
	int		 fd;		/* the file, or -1 */
	int		 failed;	/* a write failed: said once */
};

/*
 * Opens the log of account a, if it has one.  Returns 0, or -1 with err
 * set when the file cannot be opened (the account does not run: what it
 * moved would go unrecorded).
 */
int	 mlog_open(struct mlog *, const struct account *a, struct error *err);

/* Whether lines go anywhere: callers skip their formatting if not. */
int	 mlog_active(const struct mlog *);

/* A moved (or copied) message; sha256 may be NULL when it is unknown. */
void	 mlog_message(struct mlog *, const char *verb, const char *remote,
	    const char *local, uint64_t bytes, const uint8_t *sha256);

/* The end of the account's run. */
void	 mlog_run(struct mlog *, int status, uint64_t moved, uint64_t bytes,
	    long ms);

void	 mlog_close(struct mlog *);

/*
 * Warns when no syslog daemon listens on the socket syslog(3) writes to
 * (/dev/log), once per run: main calls it before the accounts' processes
 * are forked, mlog_open for an account that logs to syslog.
 */
void	 mlog_syslog_check(void);

#endif
