/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The confinement of a child process that parses untrusted mail
 * (mail/attach.c): it may read what it already holds open and the
 * system's libraries and data (charset converters, locales), create and
 * write files beneath one directory, and nothing else; no network, no
 * other program.  The platform's file, chosen by the Makefile as the
 * sandbox's is: confine-linux.c (Landlock and a seccomp filter),
 * confine-openbsd.c (unveil and pledge), confine-none.c (nothing: the
 * resource limits that mail/attach.c sets are all there is).
 *
 * This is not compat/sandbox.h: that one keeps the whole program to
 * what its accounts need; this one shuts a single child into one
 * directory, inside whatever the program's sandbox already allows.
 */
#ifndef SYNCMAIL_COMPAT_CONFINE_H
#define SYNCMAIL_COMPAT_CONFINE_H

#include <stddef.h>

#include "util/error.h"

#define CONFINE_FILES	0x1	/* writes only beneath the directory */
#define CONFINE_NET	0x2	/* no new socket, no connect */
#define CONFINE_EXEC	0x4	/* no other program */

/*
 * Confines this process, for good, to the directory dirfd (an
 * O_DIRECTORY descriptor).  It may change the working directory.
 * Returns the CONFINE_* bits that now hold (0 where the platform or the
 * kernel has none of them), or -1 with err set when a step the platform
 * offers failed halfway: the caller must then not go on.
 */
int	 confine_parser(int dirfd, struct error *err);

/*
 * Lets this process's memory grow by at most bytes more than it holds
 * now.  A limit counted from zero would count what a child inherited:
 * a parent with threads has hundreds of MiB of address space reserved
 * for their malloc arenas and stacks, untouched, and a child of it
 * could not allocate at all.  Returns 1, 0 when there is no limit here
 * (the sanitizer build, whose shadow memory is terabytes of address
 * space), -1 with errno set.
 */
int	 confine_memory(size_t bytes);

#endif
