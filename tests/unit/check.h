/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The smallest unit test harness: CHECK() counts, prints each failure with
 * its line, and check_done() prints "N passed, N failed" and returns the
 * exit status.  tests/run adds these counts to the suite's.
 */
#ifndef SYNCMAIL_CHECK_H
#define SYNCMAIL_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) do {						\
	if (cond)							\
		check_passed++;						\
	else {								\
		check_failed++;						\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *check_a = (a), *check_b = (b);			\
	if (check_a != NULL && check_b != NULL &&			\
	    strcmp(check_a, check_b) == 0)				\
		check_passed++;						\
	else {								\
		check_failed++;						\
		printf("FAIL %s:%d: \"%s\" != \"%s\"\n", __FILE__,	\
		    __LINE__, check_a ? check_a : "(null)",		\
		    check_b ? check_b : "(null)");			\
	}								\
} while (0)

static inline int
check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}

#endif
