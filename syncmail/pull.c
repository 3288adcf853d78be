/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The engine of one pull (pull.h): the order of its steps.  engine.h
 * says which file owns each step and the order of SPEC 4 that every
 * message follows; this file also applies the quotas (max-size,
 * max-messages, free space) and prints the dry run.
 *
 * Commits are batched: one fsync of tmp/, the record and new/ per batch.
 * A message whose remote copy may go is always durable locally first;
 * an abort simply stops, and the record tells the next run the rest.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/deliver.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"
#include "util/note.h"

/* The name of m's file in tmp/; buf has TMPPOOL_NAME bytes. */
const char *
run_tmpname(const struct run *r, const struct message *m, char *buf)
{
	tmppool_name(&r->pool, m->tmpseq, buf);
	return buf;
}

int
run_forget(struct run *r, const char *name, const char *tmp,
    int (*drop)(struct record *, const char *, struct error *), int note,
    struct error *err)
{
	struct record *rec = r->job->rec;

	/*
	 * The record line goes, on disk, before the file: a recorded name
	 * whose tmp file is gone reads as delivered, so a crash between
	 * the two must find the file still there or the name forgotten.
	 */
	if (drop(rec, name, err) == -1 ||
	    (note != -1 && record_note_set(rec, note, name, err) == -1) ||
	    record_sync(rec, err) == -1)
		return -1;
	deliver_discard(r->job->md, tmp);
	return 0;
}

/*
 * m stays on the server, over max-size: a warning the first time (the
 * record remembers it, so a cron job does not repeat it every run), a -v
 * line after that.
 */
static void
over_max_size(struct run *r, struct message *m)
{
	struct error ignored;
	char name[1100];

	printable(m->name, name, sizeof(name));
	m->state = MSG_SKIP;
	if (record_note(r->job->rec, NOTE_WARNED, m->name)) {
		say_info(1, r->account, "%s/new/%s: %llu bytes, over max-size; "
		    "left on the server (said before)", r->remote, name,
		    (unsigned long long)m->size);
		return;
	}
	say_warn(r->account, "%s/new/%s: %llu bytes, over max-size; left on "
	    "the server (said once: -v repeats it)", r->remote, name,
	    (unsigned long long)m->size);
	/* A note lost with a failed write only repeats the warning. */
	(void)record_note_set(r->job->rec, NOTE_WARNED, m->name,
	    &ignored);
}

/* Applies max-size, max-messages and the free space to the candidates. */
static int
select_msgs(struct run *r, struct error *err)
{
	const struct account *a = r->job->acct;
	uint64_t avail = UINT64_MAX, need = 0, count = 0, waitn = 0;
	uint64_t waitbytes = 0, later = 0;
	struct message *m;
	size_t i;

	if (r->job->md->fd != -1 && maildir_avail(r->job->md, &avail, err) == -1)
		return -1;
	avail = avail > SPACE_RESERVE ? avail - SPACE_RESERVE : 0;
	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		if (m->state != MSG_WAIT || m->earlier)
			continue;
		if (a->max_size > 0 && m->size > a->max_size) {
			over_max_size(r, m);
			continue;
		}
		if (a->max_messages > 0 && count >= a->max_messages) {
			m->state = MSG_SKIP;
			later++;
			continue;
		}
		/*
		 * Files take whole blocks, and an inode's worth besides.
		 * Sizes come from the server: no sum may wrap around.
		 */
		if (m->size > avail || need > avail ||
		    ((m->size + 4095) & ~(uint64_t)4095) + 4096 > avail - need) {
			m->state = MSG_SKIP;
			waitn++;
			waitbytes += m->size;
			continue;
		}
		need += ((m->size + 4095) & ~(uint64_t)4095) + 4096;
		count++;
		r->total++;
		r->totalbytes += m->size;
	}
	if (later > 0)
		say_info(1, r->account, "%s: %llu messages wait for the next "
		    "run (max-messages)", r->remote, (unsigned long long)later);
	if (waitn > 0) {
		say_warn(r->account, "%s: %llu messages (%llu bytes) do not "
		    "fit in the free space of %s; they wait on the server",
		    r->remote, (unsigned long long)waitn,
		    (unsigned long long)waitbytes, r->job->md->path);
		r->status = STATUS_PARTIAL;
	}
	return 0;
}

/*
 * Prints what the run would do: each delete and each move or copy, then
 * the totals, with what is already here and what stays on the server
 * (the warnings said why).
 */
static void
dry_run(struct run *r)
{
	const char *verb = r->job->acct->keep ? "copy" : "move";
	uint64_t nmove = 0, bytes = 0, ndelete = 0, nhere = 0, nleft = 0;
	char name[1100];
	struct message *m;
	size_t i;

	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		printable(m->name, name, sizeof(name));
		if (m->earlier) {
			say_out(r->account, "would delete %s/new/%s (delivered "
			    "by an earlier run)", r->remote, name);
			ndelete++;
		} else if (m->state == MSG_WAIT && m->dest == TO_DISCARD) {
			say_out(r->account, "would discard %s/new/%s (%llu "
			    "bytes): not delivered, %s%s", r->remote, name,
			    (unsigned long long)m->size, r->job->acct->keep ?
			    "left on the server (keep)" :
			    "deleted on the server", filter_dry_note(r));
			ndelete++;
		} else if (m->state == MSG_WAIT && m->dest == TO_PIPE) {
			say_out(r->account, "would pipe %s/new/%s (%llu bytes) "
			    "to \"%s\" (not run by -n)%s", r->remote, name,
			    (unsigned long long)m->size, route_dest_name(r, m),
			    filter_dry_note(r));
			nmove++;
			bytes += m->size;
		} else if (m->state == MSG_WAIT && m->dest == TO_SAVE) {
			const struct save_dest *sd = &r->saves[m->save];

			say_out(r->account, "would save the attachments of "
			    "%s/new/%s (%llu bytes) in %s, %s%s%s", r->remote,
			    name, (unsigned long long)m->size, sd->dir,
			    sd->maildir == SAVE_NO_MAILDIR ? "not delivering "
			    "it" : "then deliver it to ", sd->maildir ==
			    SAVE_NO_MAILDIR ? "" : r->dests[sd->maildir]->path,
			    sd->maildir == SAVE_NO_MAILDIR ? "" : "/new");
			nmove++;
			bytes += m->size;
		} else if (m->state == MSG_WAIT) {
			say_out(r->account, "would %s %s/new/%s (%llu bytes) "
			    "to %s/new%s", verb, r->remote, name,
			    (unsigned long long)m->size, route_dest_name(r, m),
			    filter_dry_note(r));
			nmove++;
			bytes += m->size;
		} else if (m->state == MSG_DONE)
			nhere++;
		else
			nleft++;
	}
	say_out(r->account, "%s/new: in all %llu to %s (%llu bytes), %llu to "
	    "delete, %llu already here, %llu left on the server", r->remote,
	    (unsigned long long)nmove, verb, (unsigned long long)bytes,
	    (unsigned long long)ndelete, (unsigned long long)nhere,
	    (unsigned long long)nleft);
}

/*
 * After an abort: files never recorded go; recorded ones are the
 * record's.  The remote files still open are closed (when the account
 * goes on to its next pull, pull_run drains the answers).
 */
static void
abandon(struct run *r)
{
	char tmp[TMPPOOL_NAME];
	struct error ignored;
	struct message *m;
	size_t i;

	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		if (m->fd != -1) {
			close(m->fd);
			m->fd = -1;
		}
		if (m->state == MSG_READ || m->state == MSG_READY ||
		    m->state == MSG_PIPE)
			deliver_discard(r->job->md, run_tmpname(r, m, tmp));
		(void)fetch_close_handle(r, i, &ignored);
	}
}

int
pull_run(const struct pull_job *job, struct sftp *c, struct pull_stats *st,
    struct error *err)
{
	struct run *r;
	char prefix[64];
	size_t i, len;
	int ret = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return error_errno(err, ERR_TRANSIENT, "calloc");
	r->job = job;
	r->committer.pipe[0] = r->committer.pipe[1] = -1;
	r->account = job->acct->name;
	r->c = c;
	r->st = st;
	r->status = STATUS_OK;
	len = strlcpy(r->remote, job->pull->remote, sizeof(r->remote));
	if (len >= sizeof(r->remote)) {
		error_set(err, ERR_MAILBOX, "%s: remote path too long",
		    job->pull->remote);
		goto out;
	}
	while (len > 1 && r->remote[len - 1] == '/')
		r->remote[--len] = '\0';

	/* Entries listed without their type or size cannot wait: LSTAT them. */
	if (list_dirs(r, err) == -1 || fetch_prove(r, 1, err) == -1)
		goto out;
	if (list_sort(r, err) == -1)
		goto out;
	if (r->truncated)
		say_warn(r->account, "%s/new: listing cut short at %zu "
		    "messages (at most %d messages or %d entries a run); the "
		    "rest wait for the next run", r->remote, r->nmsgs,
		    LIST_KEEP, LIST_READ);
	say_info(2, r->account, "%s/new: %zu messages listed (%ld ms)",
	    r->remote, r->nmsgs, note_clock());

	if (route_start(r, err) == -1 || recover_reconcile(r, err) == -1)
		goto out;
	if (job->md->fd != -1) {
		int n;

		if (!job->dryrun) {
			snprintf(prefix, sizeof(prefix), "syncmail.%s.",
			    job->rec->tag);
			if ((n = maildir_clean_tmp(job->md, prefix, err)) == -1)
				goto out;
			if (n > 0)
				say_info(1, r->account, "%s/tmp: removed %d "
				    "partial files of an interrupted run",
				    job->md->path, n);
		}
		if (recover_scan(r, err) == -1 || recover_verify(r, err) == -1)
			goto out;
	}
	if (select_msgs(r, err) == -1)
		goto out;
	r->selected = 1;
	if (job->dryrun) {
		/* What would be opened is proven as it would be. */
		if (fetch_prove(r, 0, err) == -1 ||
		    preview_routes(r, err) == -1)
			goto out;
		dry_run(r);
		ret = r->status;
		goto out;
	}
	fetch_window(r);
	if ((r->active = calloc(r->files_max + 1, sizeof(size_t))) == NULL ||
	    (r->ready = calloc(r->nmsgs + 1, sizeof(size_t))) == NULL ||
	    (r->pipeq = calloc(r->nmsgs + 1, sizeof(size_t))) == NULL ||
	    (r->batch = calloc(BATCH_MAX, sizeof(size_t))) == NULL ||
	    (r->items = calloc(BATCH_MAX, sizeof(*r->items))) == NULL ||
	    (r->tmpnames = calloc(BATCH_MAX, sizeof(*r->tmpnames))) == NULL) {
		error_errno(err, ERR_TRANSIENT, "calloc");
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "syncmail.%s", job->rec->tag);
	if (committer_start(&r->committer, job->md, job->rec, err) == -1 ||
	    tmppool_start(&r->pool, job->md, prefix,
	    r->total < UINT_MAX ? (unsigned int)r->total : UINT_MAX, err) == -1)
		goto out;
	sftp_set_wakefd(c, r->committer.pipe[0]);
	if (fetch_transfer(r, err) == -1) {
		abandon(r);
		fetch_report_removes(r);
		goto out;
	}
	fetch_report_removes(r);
	say_info(2, r->account, "%s/new: transfer done, the last remove "
	    "answered (%ld ms)", r->remote, note_clock());
	ret = r->status;
out:
	/*
	 * A failure that ends only this pull leaves the connection to the
	 * account's next: the answers still due must not reach it.
	 */
	if (ret == -1 && err->kind == ERR_MAILBOX)
		sftp_drain(c);
	if (r->committer.started && r->nbatch > 0) {
		/* What the committer committed stays committed: the record says so. */
		struct error local;
		int wrc;

		committer_collect(&r->committer, 1, &wrc, &local);
		for (i = 0; i < r->nbatch; i++)
			free(r->items[i].error);
	}
	/* The account's progress line keeps what this pull moved. */
	if (r->selected && !job->dryrun)
		say_progress(r->done, r->total, r->donebytes, r->totalbytes);
	say_progress_pull_end();
	committer_stop(&r->committer);
	save_stop(r);
	route_stop(r);
	tmppool_stop(&r->pool);
	sftp_set_wakefd(c, -1);
	free(r->batch);
	free(r->items);
	free(r->tmpnames);
	for (i = 0; i < r->nmsgs; i++) {
		/*
		 * After a failure, the files of messages queued for a pipe
		 * or attachments are partial files of ours.
		 */
		if (r->msgs[i].state == MSG_PIPE) {
			char tmp[TMPPOOL_NAME];

			deliver_discard(r->job->md, run_tmpname(r, &r->msgs[i],
			    tmp));
		}
		free(r->msgs[i].name);
		free(r->msgs[i].handle);
		free(r->msgs[i].matches);
	}
	free(r->pipeq);
	free(r->msgs);
	free(r->active);
	free(r->ready);
	localset_free(&r->local);
	free(r);
	return ret;
}
