/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The batches of one pull: downloaded messages handed to the commit
 * thread (maildir/committer.c, which runs maildir/commit.c: the durable
 * part, in the order that makes a crash recoverable), and its results
 * taken back, after which the delivered messages' server copies may go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maildir/deliver.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"

/* Milliseconds since t on the monotonic clock. */
static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

/*
 * Routes the ready message mi (route.c) and fills it in as the batch's
 * item it.  Returns 0, 1 when it goes to a pipe or attachments, or to
 * its pull's filter first (queued for pipe.c, save.c or filter.c, not in
 * the batch), or -1 when it cannot be routed: then it has been warned
 * about, its file is gone and it stays on the server.
 */
static int
batch_item(struct run *r, size_t mi, struct commit_item *it, char *tmpname)
{
	struct message *m = &r->msgs[mi];
	struct dest_maildir *d;
	struct error err;
	char name[1100];

	error_clear(&err);
	run_tmpname(r, m, tmpname);
	if (filter_wanted(r, m)) {
		/* filter.c runs it first, once the downloads are done */
		m->state = MSG_PIPE;
		r->pipeq[r->npipeq++] = mi;
		return 1;
	}
	/* A message back from filter.c has its dest. */
	if (!m->filtered && route_message(r, mi, &err) == -1) {
		printable(m->name, name, sizeof(name));
		say_warn(r->account, "%s/new/%s: %s; it stays on the server",
		    r->remote, name, err.msg);
		deliver_discard(r->job->md, tmpname);
		m->state = MSG_FAIL;
		r->status = STATUS_PARTIAL;
		return -1;
	}
	if (m->dest == TO_PIPE || m->dest == TO_SAVE) {
		/* pipe.c or save.c, once the downloads are done */
		m->state = MSG_PIPE;
		r->pipeq[r->npipeq++] = mi;
		return 1;
	}
	memset(it, 0, sizeof(*it));
	it->name = m->name;
	it->tmpname = tmpname;
	it->size = m->size;
	it->want_sha256 = r->job->log != NULL && mlog_active(r->job->log);
	if (m->dest == TO_DISCARD)
		it->dest = RECORD_DISCARD;
	else {
		d = r->dests[m->dest];
		it->to = d->md;
		it->tolocal = d->local;
		it->dest = m->dest == 0 ? NULL : d->path;
	}
	m->state = MSG_COMMIT;
	return 0;
}

/*
 * Hands the ready messages to the commit thread (maildir/commit.c does
 * the durable part, in the order that makes a crash recoverable), each
 * routed first.
 */
void
batch_submit(struct run *r)
{
	size_t i, n = r->nready < BATCH_MAX ? r->nready : BATCH_MAX, k = 0;

	for (i = 0; i < n; i++)
		if (batch_item(r, r->ready[i], &r->items[k],
		    r->tmpnames[k]) == 0)
			r->batch[k++] = r->ready[i];
	r->nbatch = k;
	memmove(r->ready, r->ready + n, (r->nready - n) * sizeof(r->ready[0]));
	r->nready -= n;
	if (r->nready > 0)
		clock_gettime(CLOCK_MONOTONIC, &r->ready_since);
	if (k > 0)
		committer_submit(&r->committer, r->items, k);
}

/*
 * Takes the committer's results: the delivered messages' remote copies may
 * go now.  A local failure leaves tmp files in place for the next run's
 * recovery: once a name may be in the record, a missing tmp file means
 * "delivered".
 */
int
batch_finish(struct run *r, int rc, const struct error *local,
    struct error *err)
{
	const struct pull_job *job = r->job;
	char name[1100], fname[1100], cname[1100];
	const char *dpath, *verb;
	struct commit_item *it;
	struct message *m;
	size_t i;
	int ret = 0;

	if (rc == -1) {
		say_warn(r->account, "%s; the server's copies stay until a "
		    "later run", local->msg);
		r->status = STATUS_PARTIAL;
		r->nonew = 1;
	}
	for (i = 0; i < r->nbatch; i++) {
		m = &r->msgs[r->batch[i]];
		it = &r->items[i];
		printable(m->name, name, sizeof(name));
		if (it->result == -1) {
			if (it->error != NULL)
				say_warn(r->account, "%s; it stays on the "
				    "server", it->error);
			free(it->error);
			it->error = NULL;
			m->state = MSG_FAIL;
			r->status = STATUS_PARTIAL;
			continue;
		}
		printable(it->final, fname, sizeof(fname));
		printable(it->clash, cname, sizeof(cname));
		dpath = route_dest_name(r, m);
		if (it->result == DELIVER_DUPLICATE)
			say_info(1, r->account, "%s/new/%s: already here as "
			    "%s/%s (same bytes); not delivered again",
			    r->remote, name, dpath, cname);
		else if (it->clash[0] != '\0')
			say_warn(r->account, "%s/new/%s: %s/%s has the same "
			    "unique name and other bytes; delivered as new/%s",
			    r->remote, name, dpath, cname, fname);
		if (rc == -1) {
			/* new/ may not be on disk: the record decides next time. */
			m->state = MSG_FAIL;
			continue;
		}
		verb = it->result == DELIVER_DISCARD ? "discarded" :
		    job->acct->keep ? "copied" : "moved";
		if (it->result == DELIVER_DISCARD)
			say_info(1, r->account, "%s %s (%llu bytes)", verb,
			    name, (unsigned long long)m->size);
		else
			say_info(1, r->account, "%s %s (%llu bytes) to %s/new",
			    verb, name, (unsigned long long)m->size, dpath);
		if (job->log != NULL && mlog_active(job->log)) {
			char from[5200], to[5200];

			snprintf(from, sizeof(from), "%s/new/%s", r->remote,
			    name);
			if (it->result == DELIVER_DISCARD)
				strlcpy(to, "discard", sizeof(to));
			else if (it->result == DELIVER_DUPLICATE)
				snprintf(to, sizeof(to), "%s/%s", dpath,
				    cname);
			else
				snprintf(to, sizeof(to), "%s/new/%s", dpath,
				    fname);
			mlog_message(job->log, verb, from, to, m->size,
			    it->have_sha256 ? it->sha256 : NULL);
		}
		r->st->moved++;
		r->st->bytes += m->size;
		r->done++;
		if (job->acct->keep) {
			m->state = MSG_DONE;
			continue;
		}
		if (ret == 0 && fetch_send(r, SSH_FXP_REMOVE, r->batch[i], 0, 0,
		    err) == -1)
			ret = -1;
		r->removes_sent = 1;
		m->state = MSG_REMOVE;
	}
	r->nbatch = 0;
	return ret;
}

/* Whether a batch should go to the committer now. */
int
batch_due(struct run *r)
{
	if (r->nready == 0 || r->nbatch > 0)
		return 0;
	return r->nready >= BATCH_MIN || r->nactive == 0 ||
	    ms_since(&r->ready_since) >= BATCH_WAIT_MS;
}
