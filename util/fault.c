/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#ifdef SYNCMAIL_FAULTS
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fault.h"

/*
 * Counts the passes of point name when SYNCMAIL_FAULT names it, and
 * SIGKILLs the whole process, every thread with it, on the Nth; other
 * points cost a getenv.  The count is atomic because the commit worker
 * and the network loop both pass points; each process of -j counts its
 * own.  An N that atoi reads as 0 or less never fires.
 */
void
fault_point(const char *name)
{
	static int hits;
	const char *spec = getenv("SYNCMAIL_FAULT");
	size_t len = strlen(name);

	if (spec == NULL || strncmp(spec, name, len) != 0 ||
	    spec[len] != ':')
		return;
	if (__atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) ==
	    atoi(spec + len + 1))
		kill(getpid(), SIGKILL);
}

int
fault_syncfs_forced(void)
{
	const char *v = getenv("SYNCMAIL_TEST_SYNCFS");

	return v != NULL && strcmp(v, "1") == 0;
}

int
fault_skip(const char *name)
{
	const char *v = getenv("SYNCMAIL_TEST_SKIP");

	return v != NULL && strcmp(v, name) == 0;
}

/* Tries each ':'-separated path of the variable name; see fault.h. */
static void
fault_probe_list(const char *name, int create)
{
	const char *list = getenv(name), *p, *end;
	char path[4096];
	size_t len;
	int fd;

	for (p = list; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		if ((len = (size_t)(end - p)) == 0 || len >= sizeof(path))
			continue;
		memcpy(path, p, len);
		path[len] = '\0';
		if (create)
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0600);
		else
			fd = open(path, O_RDONLY | O_CLOEXEC);
		fprintf(stderr, "syncmail: sandbox probe: %s %s: %s\n",
		    create ? "create" : "read", path,
		    fd == -1 ? strerror(errno) : "ok");
		if (fd == -1)
			continue;
		close(fd);
		if (create)
			unlink(path);
	}
}

void
fault_sandbox_probe(void)
{
	fault_probe_list("SYNCMAIL_SANDBOX_PROBE", 0);
	fault_probe_list("SYNCMAIL_SANDBOX_PROBE_CREATE", 1);
}
#else
/* ISO C wants something in a translation unit. */
typedef int fault_unused;
#endif
