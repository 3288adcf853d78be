/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The exit statuses of SPEC section 2, in sysexits(3) numbering, and the
 * one place that decides which status each kind of error means.
 */
#ifndef SYNCMAIL_STATUS_H
#define SYNCMAIL_STATUS_H

#include "util/error.h"

#define STATUS_OK		0
#define STATUS_PARTIAL		1	/* some messages could not be moved */
#define STATUS_USAGE		64
#define STATUS_NOHOST		68	/* the host name does not exist */
#define STATUS_TEMPFAIL		75	/* network, timeout, lock held */
#define STATUS_PROTOCOL		76	/* no algorithm in common with the server */
#define STATUS_NOPERM		77	/* auth failed, host key unknown/changed */
#define STATUS_CONFIG		78

/* The exit status that an error of e's kind means. */
int	 status_of(const struct error *e);

/* The worst of two statuses in the order 1 > 77 > 76 > 68 > 75 > 0 (SPEC 2). */
int	 status_worst(int, int);

#endif
