/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The platform's sandbox: the program (syncmail/sandbox.c) gathers what
 * the accounts need as a list of paths, and the platform's file, chosen
 * by the Makefile, enforces it: sandbox-linux.c (Landlock),
 * sandbox-openbsd.c (pledge and unveil), sandbox-none.c (elsewhere).
 */
#ifndef SYNCMAIL_COMPAT_SANDBOX_H
#define SYNCMAIL_COMPAT_SANDBOX_H

#include <stddef.h>

#include "util/error.h"

/*
 * What may be done under one path.  Each of the first four allows all that
 * the ones before it allow, so two rules for one path merge into the
 * larger (unveil may refuse to widen a path it has seen).
 */
enum sandbox_how {
	SB_READ,	/* read files, list directories */
	SB_WRITE,	/* an existing file read and written in place */
	SB_CREATE,	/* a directory where a file is created and written */
	SB_MAILDIR,	/* everything a delivery does */
	SB_TTY		/* a terminal: read, write, its ioctls */
};

struct sandbox_rule {
	char		*path;
	enum sandbox_how how;
};

struct sandbox_paths {
	struct sandbox_rule *rules;
	size_t		 n;
	int		 proxy;		/* some account runs a proxy command */
	int		 sendfd;	/* some account hands messages to the
					   command runner (SCM_RIGHTS) */
	int		 mime;		/* some account saves attachments: a
					   child parses each message */
	char		 off[512];	/* then: why the file system stays open */
	int		 ruleset;	/* Linux: the Landlock ruleset, or -1 */
	long		 abi;		/* Linux: its ABI version */
};
/*
 * The platform's part, two functions; forks is set when accounts run in
 * child processes (-j):
 *
 * sandbox_ready() gets the enforcement ready without restricting anything
 * yet.  Returns 1 when ready, 0 when there is to be no sandbox (it has
 * said why at -v), -1 with err set when the platform promises one and
 * cannot have it.
 *
 * sandbox_close() restricts this process, for good, and says so at -vv.
 * Returns 1 when done, 0 when it could not and said so at -v, -1 with err
 * set as sandbox_ready.  With quiet set it says nothing (a trial).
 */
int	 sandbox_ready(struct sandbox_paths *, int forks, struct error *err);
int	 sandbox_close(struct sandbox_paths *, int forks, int quiet,
	    struct error *err);

#endif
