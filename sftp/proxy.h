/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A proxy command (proxy-command, or ProxyCommand from ~/.ssh/config):
 * a child running "/bin/sh -c COMMAND" whose stdin and stdout are one end
 * of a socketpair; the SSH session runs over the other end.  This is
 * fetchmail's "plugin", with the child always reaped and never left
 * running after its account.
 */
#ifndef SYNCMAIL_PROXY_H
#define SYNCMAIL_PROXY_H

#include <sys/types.h>

#include <stddef.h>

#include "util/error.h"

struct proxy {
	pid_t	 pid;		/* -1: none running or already reaped */
	int	 fd;		/* our end of the socketpair, non-blocking;
				   -1 once the caller took it over */
	int	 status;	/* wait status once reaped */
	int	 reaped;
};

/*
 * Starts command (already expanded) in its own process group.  Returns 0
 * with p->fd ready, or -1 with err set (ERR_TRANSIENT).  p must be
 * passed to proxy_stop either way.
 */
int	 proxy_start(struct proxy *p, const char *command, struct error *err);

/*
 * Whether the child has exited, waiting up to ms milliseconds for it.
 * Returns 1 and describes how it ended in buf ("exited with status 1",
 * "killed by signal 9"), or 0 if it still runs.
 */
int	 proxy_exited(struct proxy *p, int ms, char *buf, size_t size);

/*
 * Closes our end, gives the child grace_ms to leave on its own (it sees
 * the connection close), then kills its process group, and reaps it.
 * Safe on a zeroed, never started or already stopped proxy.
 */
void	 proxy_stop(struct proxy *p, int grace_ms);

#endif
