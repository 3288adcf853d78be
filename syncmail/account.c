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
struct account_local {
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
    const char *user, struct account_local *loc, struct error *err)
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
close_locals(const struct account *a, struct account_local *loc, int status)
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
account_open(struct account_live *al, const struct account_target *at,
    const struct run_options *o, struct error *err)
{
	const struct account *a = at->acct;
	size_t i;

	memset(al, 0, sizeof(*al));
	al->at = at;
	al->o = o;
	al->s.fd = -1;
	al->log.fd = -1;
	/*
	 * The ssh config completed the account before anything else: its
	 * User is part of the mailbox's identity in the local record.
	 */
	if (!at->resolved) {
		*err = at->err;
		return -1;
	}
	if ((al->loc = calloc(a->npulls, sizeof(*al->loc))) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	for (i = 0; i < a->npulls; i++)
		al->loc[i].md.fd = al->loc[i].md.tmpfd = al->loc[i].md.newfd =
		    al->loc[i].md.curfd = al->loc[i].rec.fd = -1;
	if (open_locals(a, o, at->t.user, al->loc, err) == -1)
		return -1;
	/* Nothing moves unrecorded: a log that cannot be opened stops us. */
	if (!o->dryrun && mlog_open(&al->log, a, err) == -1)
		return -1;
	return 0;
}

int
account_connect(struct account_live *al, int seconds, struct error *err)
{
	struct ssh_account sa;
	struct timespec deadline;

	account_disconnect(al);
	note_clock_start();
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	config_ssh(al->at->acct, &sa);
	if (session_open(&al->s, &sa, &al->at->t, &deadline, al->o->abort,
	    err) == -1 || sftp_open(&al->c, &al->s, err) == -1) {
		account_disconnect(al);
		return -1;
	}
	al->connected = 1;
	return 0;
}

void
account_disconnect(struct account_live *al)
{
	sftp_close(&al->c);
	session_close(&al->s);
	memset(&al->c, 0, sizeof(al->c));
	memset(&al->s, 0, sizeof(al->s));
	al->s.fd = -1;
	al->connected = 0;
}

void
account_drop(struct account_live *al)
{
	session_shutdown(&al->s);
	account_disconnect(al);
}

int
account_pull(struct account_live *al, size_t i, struct pull_stats *st,
    struct error *err)
{
	const struct account_target *at = al->at;
	struct pull_job job;
	struct error local;
	int rc;

	job.acct = at->acct;
	job.pull = &at->acct->pulls[i];
	job.md = &al->loc[i].md;
	job.rec = &al->loc[i].rec;
	job.dryrun = al->o->dryrun;
	job.log = &al->log;
	job.runner = at->runner.pid > 0 ? (struct runner *)&at->runner : NULL;
	job.stop = al->o->stop;
	job.abort = al->o->abort;
	error_clear(err);
	rc = pull_run(&job, &al->c, st, err);
	/*
	 * A watch keeps the record open for days, its dropped lines with
	 * it: it is tidied after each pull, not only at the close.
	 */
	error_clear(&local);
	if (!job.dryrun && record_tidy(job.rec, &local) == -1) {
		say_warn(at->acct->name, "%s", local.msg);
		if (rc != -1)
			rc = status_worst(rc, STATUS_PARTIAL);
	}
	return rc;
}

int
account_close(struct account_live *al, int status,
    const struct pull_stats *st, const struct timespec *start)
{
	struct timespec end;

	account_disconnect(al);
	if (al->loc != NULL)
		status = close_locals(al->at->acct, al->loc, status);
	al->loc = NULL;
	if (st != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		mlog_run(&al->log, status, st->moved, st->bytes,
		    (end.tv_sec - start->tv_sec) * 1000 +
		    (end.tv_nsec - start->tv_nsec) / 1000000);
	}
	mlog_close(&al->log);
	return status;
}

int
account_run(const struct account_target *at, const struct run_options *o)
{
	const struct account *a = at->acct;
	struct account_live al;
	struct error err;
	struct pull_stats st;
	struct timespec start;
	size_t i;
	int status = STATUS_OK, rc;

	memset(&st, 0, sizeof(st));
	error_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (at->resolved && !o->dryrun)
		say_progress_start(a->name);
	if (account_open(&al, at, o, &err) == -1) {
		say_warn(a->name, "%s", err.msg);
		say_progress_finish();
		return account_close(&al, status_of(&err), NULL, NULL);
	}
	if (account_connect(&al, a->deadline, &err) == -1) {
		say_warn(a->name, "%s", err.msg);
		status = status_of(&err);
		goto out;
	}
	for (i = 0; i < a->npulls && !*o->stop; i++) {
		rc = account_pull(&al, i, &st, &err);
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
	return account_close(&al, status, &st, &start);
}
