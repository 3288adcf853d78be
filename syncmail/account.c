#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "client.h"
#include "maildir.h"
#include "msg.h"
#include "pull.h"
#include "record.h"
#include "session.h"
#include "sshconfig.h"

/* The local end of each pull, locked before anything touches the network. */
struct local {
	struct maildir	 md;
	struct record	 rec;
	int		 ok;	/* opened and locked */
};

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

static int
close_locals(const struct account *a, struct local *loc, int status)
{
	struct error err;
	size_t i;

	for (i = 0; i < a->npulls; i++) {
		error_clear(&err);
		if (loc[i].md.path != NULL &&
		    record_close(&loc[i].rec, &err) == -1) {
			msg_warn(a->name, "%s", err.msg);
			status = status_worst(status, STATUS_PARTIAL);
		}
		maildir_close(&loc[i].md);
	}
	free(loc);
	return status;
}

int
account_run(const struct account *a, const struct run_options *o)
{
	struct session s;
	struct sftp c;
	struct local *loc;
	struct error err;
	struct pull_stats st;
	struct pull_job job;
	struct timespec deadline;
	struct sshconfig_target t;
	struct ssh_account sa;
	struct timespec start, end;
	struct mlog log;
	struct passwd *pw;
	const char *user, *home;
	size_t i;
	int status = STATUS_OK, rc;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	s.fd = -1;
	error_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	start = deadline;
	deadline.tv_sec += a->deadline;
	memset(&log, 0, sizeof(log));
	log.fd = -1;

	/*
	 * ~/.ssh/config completes the account first: its User is part of
	 * the mailbox's identity in the local record.  The home directory
	 * is found as main() finds it for syncmail.conf.
	 */
	if ((home = getenv("HOME")) == NULL || home[0] != '/')
		home = (pw = getpwuid(getuid())) != NULL ? pw->pw_dir : NULL;
	config_ssh(a, &sa);
	if (sshconfig_resolve(&sa, home, o->localuser, &t, &err) == -1) {
		msg_warn(a->name, "%s", err.msg);
		sshconfig_target_free(&t);
		return err.status;
	}
	user = t.user;
	if ((loc = calloc(a->npulls, sizeof(*loc))) == NULL) {
		msg_warn(a->name, "out of memory");
		sshconfig_target_free(&t);
		return STATUS_PARTIAL;
	}
	for (i = 0; i < a->npulls; i++)
		loc[i].md.fd = loc[i].md.tmpfd = loc[i].md.newfd =
		    loc[i].md.curfd = loc[i].rec.fd = -1;
	if (open_locals(a, o, user, loc, &err) == -1) {
		msg_warn(a->name, "%s", err.msg);
		status = close_locals(a, loc, err.status);
		sshconfig_target_free(&t);
		return status;
	}
	/* Nothing moves unrecorded: a log that cannot be opened stops us. */
	if (!o->dryrun && mlog_open(&log, a, &err) == -1) {
		msg_warn(a->name, "%s", err.msg);
		status = close_locals(a, loc, err.status);
		sshconfig_target_free(&t);
		return status;
	}

	if (session_open(&s, &sa, &t, &deadline, o->abort, &err) == -1 ||
	    sftp_open(&c, &s, &err) == -1) {
		msg_warn(a->name, "%s", err.msg);
		status = err.status;
		goto out;
	}
	for (i = 0; i < a->npulls && !*o->stop; i++) {
		job.acct = a;
		job.pull = &a->pulls[i];
		job.md = &loc[i].md;
		job.rec = &loc[i].rec;
		job.dryrun = o->dryrun;
		job.log = &log;
		job.stop = o->stop;
		error_clear(&err);
		rc = pull_run(&job, &c, &st, &err);
		if (rc == -1) {
			msg_warn(a->name, "%s", err.msg);
			status = status_worst(status, err.status);
			/* A broken connection ends the account; a bad mailbox does not. */
			if (err.status != STATUS_PARTIAL)
				break;
			continue;
		}
		status = status_worst(status, rc);
	}
	if (st.moved > 0)
		msg_info(1, a->name, "%llu messages, %llu bytes",
		    (unsigned long long)st.moved, (unsigned long long)st.bytes);
out:
	sftp_close(&c);
	session_close(&s);
	sshconfig_target_free(&t);
	status = close_locals(a, loc, status);
	clock_gettime(CLOCK_MONOTONIC, &end);
	mlog_run(&log, status, st.moved, st.bytes,
	    (end.tv_sec - start.tv_sec) * 1000 +
	    (end.tv_nsec - start.tv_nsec) / 1000000);
	mlog_close(&log);
	return status;
}
