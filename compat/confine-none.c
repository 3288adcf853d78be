/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * No confinement on this platform: the parser child has only the
 * resource limits mail/attach.c sets (CPU time, memory, file size,
 * descriptors) and the descriptors it keeps.  See compat/confine.h.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include "compat/confine.h"

int
confine_parser(int dirfd, struct error *err)
{
	(void)dirfd;
	(void)err;
	return 0;
}

/* RLIMIT_AS where there is one, from zero: what the process has now
   cannot be known portably. */
int
confine_memory(size_t bytes)
{
#ifdef RLIMIT_AS
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = (rlim_t)bytes;
	return setrlimit(RLIMIT_AS, &rl) == -1 ? -1 : 1;
#else
	(void)bytes;
	return 0;
#endif
}
