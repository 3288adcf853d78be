/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maildir/maildir.h"
#include "maildir/record.h"
#include "sftp/client.h"
#include "sftp/session.h"
#include "sftp/sshconfig.h"
#include "syncmail/account.h"
#include "syncmail/pull.h"
#include "syncmail/say.h"
#include "syncmail/status.h"
#include "util/note.h"

/* The local end of each pull, locked before anything touches the network. */
struct local {
	struct maildir	 md;
	struct record	 rec;
	int		 ok;	/* opened and locked */
};

/*
 * Opens each pull's Maildir and takes its record's lock, in config order,
 * all before the network: a Maildir held by another run then costs no
 * connection.  user (the remote user after the ssh config) is part of the
 * record's source, so another User means another record.  loc has
 * a->npulls entries, their fds set to -1.  In a dry run nothing is
 * created or locked.  Returns 0, or -1 with err set at the first failure
 * (ERR_TRANSIENT for a lock held); what was opened until then stays in
 * loc for close_locals.
 */
static int
open_locals(const struct account *a, const struct run_options *o,
    const char *user, struct local *loc, struct error *err)
{
	char source[8192];
	size_t i;

	for (i = 0; i < a->npulls; i++) {
		const struct pull *p = &a->pulls[i];

		if (maildir_open(&loc[i].md, p->local, !o->dryrun, err) == -1)
			return -1;
		snprintf(source, sizeof(source), "%s@%s:%d:%s", user, a->host,
		    a->port ? a->port : 22, p->remote);
		if (record_open(&loc[i].rec, &loc[i].md, source, o->dryrun,
		    err) == -1)
			return -1;
		loc[i].ok = 1;
	}
	return 0;
}

/*
 * Closes each pull's record (writing what is pending, releasing its
 * lock) before its Maildir, whose descriptor the record works through,
 * then frees loc.  Fine for entries open_locals never reached.  A record
 * that fails to close is warned about and makes the account's status at
 * least STATUS_PARTIAL.  Returns status, so worsened.
 */
static int
close_locals(const struct account *a, struct local *loc, int status)
{
	struct error err;
	size_t i;

	for (i = 0; i < a->npulls; i++) {
		error_clear(&err);
		if (loc[i].md.path != NULL &&
		    record_close(&loc[i].rec, &err) == -1) {
			say_warn(a->name, "%s", err.msg);
			status = status_worst(status, STATUS_PARTIAL);
		}
		maildir_close(&loc[i].md);
	}
	free(loc);
	return status;
}

void
account_resolve(struct account_target *at, const struct account *a,
    const char *home, const char *localuser)
{
	struct ssh_account sa;

	memset(at, 0, sizeof(*at));
	at->acct = a;
	error_clear(&at->err);
	config_ssh(a, &sa);
	if (sshconfig_resolve(&sa, home, localuser, &at->t, &at->err) == -1) {
		sshconfig_target_free(&at->t);
		return;
	}
	at->resolved = 1;
}

int
account_dests(const struct account *a, enum dest_kind kind)
{
	size_t i, j;

	for (i = 0; i < a->npulls; i++) {
		if (a->pulls[i].dest.kind == kind)
			return 1;
		for (j = 0; j < a->pulls[i].nroutes; j++)
			if (a->pulls[i].routes[j].dest.kind == kind)
				return 1;
	}
	return 0;
}

int
account_pipes(const struct account *a)
{
	size_t i;

	for (i = 0; i < a->npulls; i++)
		if (a->pulls[i].filter != NULL)
			return 1;
	return account_dests(a, DEST_PIPE);
}

void
account_target_free(struct account_target *at)
{
	if (at->resolved)
		sshconfig_target_free(&at->t);
	at->resolved = 0;
	runner_stop(&at->runner);
}

int
account_run(const struct account_target *at, const struct run_options *o)
{
	const struct account *a = at->acct;
	const struct sshconfig_target *t = &at->t;
	struct session s;
	struct sftp c;
	struct local *loc;
	struct error err;
	struct pull_stats st;
	struct pull_job job;
	struct timespec deadline;
	struct ssh_account sa;
	struct timespec start, end;
	struct mlog log;
	size_t i;
	int status = STATUS_OK, rc;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	s.fd = -1;
	error_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	start = deadline;
	note_clock_start();
	deadline.tv_sec += a->deadline;
	memset(&log, 0, sizeof(log));
	log.fd = -1;

	/*
	 * The ssh config completed the account before anything else: its
	 * User is part of the mailbox's identity in the local record.
	 */
	if (!at->resolved) {
		say_warn(a->name, "%s", at->err.msg);
		return status_of(&at->err);
	}
	if (!o->dryrun)
		say_progress_start(a->name);
	if ((loc = calloc(a->npulls, sizeof(*loc))) == NULL) {
		say_warn(a->name, "out of memory");
		return STATUS_PARTIAL;
	}
	for (i = 0; i < a->npulls; i++)
		loc[i].md.fd = loc[i].md.tmpfd = loc[i].md.newfd =
		    loc[i].md.curfd = loc[i].rec.fd = -1;
	if (open_locals(a, o, t->user, loc, &err) == -1) {
		say_warn(a->name, "%s", err.msg);
		return close_locals(a, loc, status_of(&err));
	}
	/* Nothing moves unrecorded: a log that cannot be opened stops us. */
	if (!o->dryrun && mlog_open(&log, a, &err) == -1) {
		say_warn(a->name, "%s", err.msg);
		return close_locals(a, loc, status_of(&err));
	}

	config_ssh(a, &sa);
	if (session_open(&s, &sa, t, &deadline, o->abort, &err) == -1 ||
	    sftp_open(&c, &s, &err) == -1) {
		say_warn(a->name, "%s", err.msg);
		status = status_of(&err);
		goto out;
	}
	for (i = 0; i < a->npulls && !*o->stop; i++) {
		job.acct = a;
		job.pull = &a->pulls[i];
		job.md = &loc[i].md;
		job.rec = &loc[i].rec;
		job.dryrun = o->dryrun;
		job.log = &log;
		job.runner = at->runner.pid > 0 ? (struct runner *)&at->runner :
		    NULL;
		job.stop = o->stop;
		job.abort = o->abort;
		error_clear(&err);
		rc = pull_run(&job, &c, &st, &err);
		if (rc == -1) {
			say_warn(a->name, "%s", err.msg);
			status = status_worst(status, status_of(&err));
			/* A broken connection ends the account; a bad mailbox does not. */
			if (err.kind != ERR_MAILBOX)
				break;
			continue;
		}
		status = status_worst(status, rc);
	}
	/*
	 * A stop that came outside a transfer: none said so, none in
	 * flight.  After a second signal there is nothing left to finish.
	 */
	if (*o->stop && !*o->abort)
		say_stopping(0);
	say_progress_finish();
	if (st.moved > 0)
		say_info(1, a->name, "%llu messages, %llu bytes",
		    (unsigned long long)st.moved, (unsigned long long)st.bytes);
out:
	say_progress_finish();
	sftp_close(&c);
	session_close(&s);
	status = close_locals(a, loc, status);
	clock_gettime(CLOCK_MONOTONIC, &end);
	mlog_run(&log, status, st.moved, st.bytes,
	    (end.tv_sec - start.tv_sec) * 1000 +
	    (end.tv_nsec - start.tv_nsec) / 1000000);
	mlog_close(&log);
	return status;
}
