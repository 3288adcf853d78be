/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/types.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <signal.h>

#include "compat/compat.h"

int
compat_parent_death_signal(int sig)
{
#ifdef __linux__
	return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0);
#else
	(void)sig;
	errno = ENOSYS;
	return -1;
#endif
}
