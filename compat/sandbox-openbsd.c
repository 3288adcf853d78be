/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/* The sandbox on OpenBSD: unveil(2) and pledge(2).  See compat/sandbox.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "compat/sandbox.h"
#include "util/note.h"

int
sandbox_ready(struct sandbox_paths *l, int forks,
    struct error *err)
{
	(void)forks;
	(void)err;
	/* pledge still applies */
	if (l->proxy)
		note(1, NULL, "sandbox: unveil is off: %s", l->off);
	return 1;
}

/*
 * unveil(2) takes the list as it is.  A file that does not exist yet may
 * be unveiled by name, but its directory must exist (the list only names
 * such directories for known_hosts).  pledge(2): the promises of SPEC 6,
 * and what the code truly needs besides: unix for the ssh-agent, tty for
 * the passphrase prompt, getpw for the home directory when HOME is unset,
 * proc for -j, proc and exec for a proxy command, sendfd for a pipe
 * (the message's descriptor goes to the command runner, which is not
 * pledged: it was forked before), proc and prot_exec for attachments
 * (each message is parsed by a child, which loads GMime, mapping its
 * code, then pledges itself down: mail/gmime_load.h, compat/confine.h).
 */
int
sandbox_close(struct sandbox_paths *l, int forks,
    int quiet, struct error *err)
{
	static const char *perms[] = {
		/* open(O_CREAT) wants "c" even when the file exists */
		[SB_READ] = "r", [SB_WRITE] = "rwc", [SB_CREATE] = "rwc",
		[SB_MAILDIR] = "rwc", [SB_TTY] = "rw"
	};
	const char *sock = getenv("SSH_AUTH_SOCK");
	char promises[256];
	size_t i;

	if (!l->proxy) {
		for (i = 0; i < l->n; i++)
			if (unveil(l->rules[i].path, perms[l->rules[i].how])
			    == -1 && errno != ENOENT)
				return error_errno(err, ERR_MAILBOX,
				    "unveil %s", l->rules[i].path);
		if ((sock != NULL && unveil(sock, "rw") == -1 &&
		    errno != ENOENT) ||
		    unveil("/dev/null", "rw") == -1 ||
		    unveil("/dev/tty", "rw") == -1 ||
		    unveil(NULL, NULL) == -1)
			return error_errno(err, ERR_MAILBOX, "unveil");
	}
	snprintf(promises, sizeof(promises), "stdio rpath wpath cpath fattr "
	    "flock inet dns unix tty getpw%s%s%s%s", forks || l->proxy ||
	    l->mime ? " proc" : "", l->proxy ? " exec" : "", l->mime ?
	    " prot_exec" : "", l->sendfd ? " sendfd" : "");
	if (pledge(promises, NULL) == -1)
		return error_errno(err, ERR_MAILBOX, "pledge");
	if (!quiet)
		note(2, NULL, "sandbox: pledge \"%s\"%s", promises,
		    l->proxy ? "" : " and unveil");
	return 1;
}
