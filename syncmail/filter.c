/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A message through its pull's filter (SPEC 8, Filters and quarantine),
 * before it is routed, exactly once.  The command runs in the runner
 * process (exec/runner.h), one message at a time in listing order once
 * the pull's downloads are done, as a route's pipe does (pipe.c); its
 * output goes into a second file in tmp/.  Per message, each step
 * durable before the next:
 *
 *   "r NAME" in the record (the outcome is unknown while it runs) ->
 *   the command -> it exits 0 with output that differs: the original's
 *   file flushed -> "f NAME SIZE TMP FINAL QUARANTINE" in the record ->
 *   the original moved into the quarantine's new/, new/ and tmp/
 *   flushed -> the output, routed by its own header section, delivered
 *   as any message (batch.c, pipe.c: its "+" line, its move or its
 *   command) -> REMOVE on the server -> the name dropped.
 *
 * A run that dies before the original's move leaves its tmp file there:
 * the next run drops the "f" line and starts afresh.  One that dies
 * after it leaves the "f" line saying the quarantine has the original:
 * the next run fetches and filters the message again, and delivers only
 * the output (record_drop_delivery keeps that line when a delivery is
 * undone).  The output's own file is never resumed: it is a partial
 * file of ours, whose name holds a pid.
 *
 * Output that equals the original delivers the original (nothing goes
 * to the quarantine).  Exit 75 leaves the message on the server.  Any
 * other outcome (a status, a signal, a short read, the timeout, no
 * output, output over 4 times the size and 1 MiB) sends the original to
 * the quarantine alone, as a delivery there (its "+" line names the
 * quarantine), or, without a quarantine, leaves it on the server.
 *
 * SYNCMAIL_REDELIVERY: the "r" line that this code writes before the
 * command runs is forgotten ("-r") once it ends with a known outcome; a
 * note an earlier attempt left (a timeout, a run that died, a route's
 * pipe) stays until the message leaves the server: a filter may be told
 * so once more than needed, never once less.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat/compat.h"
#include "exec/runner.h"
#include "maildir/deliver.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"
#include "util/fault.h"

/* SPEC 8: the filtered message is at most 4 times the size and 1 MiB. */
#define FILTER_GROWTH	4
#define FILTER_SLACK	(1024 * 1024)

/* One message's way through the filter: what filter_message's steps share. */
struct filtering {
	struct run	*r;
	size_t		 mi;
	const char	*command;
	char		 orig[TMPPOOL_NAME];	/* the download, in tmp/ */
	char		 out[TMPPOOL_NAME];	/* the filter's output */
	unsigned int	 outseq;
	int		 have_out;		/* out exists and is ours */
	int		 quarantined;		/* an earlier run's "f" line:
						   the original is there */
	char		 name[1100];		/* printable */
};

int
filter_wanted(const struct run *r, const struct message *m)
{
	return r->job->pull->filter != NULL && !m->filtered;
}

const char *
filter_dry_note(const struct run *r)
{
	return r->job->pull->filter == NULL ? "" :
	    " (unfiltered: -n runs no filter)";
}

/*
 * The message goes on from filter.c with its dest decided: to its pipe
 * or its attachments now, or back to the ready list for the next batch, which
 * records and moves it (batch_item routes it no more).  0, or -1 with err
 * set (the pull cannot go on).
 */
static int
onward(struct filtering *f, struct error *err)
{
	struct run *r = f->r;
	struct message *m = &r->msgs[f->mi];

	m->filtered = 1;
	if (m->dest == TO_PIPE)
		return pipe_message(r, f->mi, err);
	if (m->dest == TO_SAVE)
		return save_message(r, f->mi, err);
	m->state = MSG_READY;
	if (r->nready == 0)
		clock_gettime(CLOCK_MONOTONIC, &r->ready_since);
	r->ready[r->nready++] = f->mi;
	return 0;
}

/*
 * Routes the message (its file is now the one to deliver) and sends it
 * onward; a message that cannot be routed stays on the server, warned
 * about, its file gone.  0, or -1 with err set.
 */
static int
route_onward(struct filtering *f, struct error *err)
{
	struct run *r = f->r;
	struct message *m = &r->msgs[f->mi];
	struct error one;
	char tmp[TMPPOOL_NAME];

	error_clear(&one);
	if (route_message(r, f->mi, &one) == -1) {
		say_warn(r->account, "%s/new/%s: %s; it stays on the server",
		    r->remote, f->name, one.msg);
		deliver_discard(r->job->md, run_tmpname(r, m, tmp));
		r->status = status_worst(r->status, STATUS_PARTIAL);
		return 0;
	}
	return onward(f, err);
}

/*
 * Moves the original into the quarantine Maildir d, durably, before the
 * filtered message may go anywhere.  Returns 1 once it is there (or the
 * same bytes were already), 0 when it cannot go (warned about: the
 * message stays on the server, and no "f" line says it went), or -1 with
 * err set (the record cannot be written: the pull cannot go on).
 */
static int
quarantine(struct filtering *f, struct dest_maildir *d, struct error *err)
{
	struct run *r = f->r;
	struct message *m = &r->msgs[f->mi];
	const struct maildir *md = r->job->md;
	struct record *rec = r->job->rec;
	char final[256], clash[256], fname[1100];
	struct error one;
	uint8_t sha[32];
	int res, fd, have_sha;

	error_clear(&one);
	res = deliver_resolve(md, d->md, f->orig, m->name, d->local, final,
	    clash, &one);
	if (res == -1)
		goto fail;
	if (res == DELIVER_DUPLICATE)
		strlcpy(final, clash + 4, sizeof(final));
	/* The file and its name on disk before the record names it. */
	if ((fd = deliver_open_durable(md, f->orig, &one)) == -1)
		goto fail;
	close(fd);
	have_sha = r->job->log != NULL && mlog_active(r->job->log) &&
	    deliver_sha256(md, f->orig, sha) == 0;
	if (record_filtered_set(rec, m->name, m->size, f->orig, final,
	    d->path, err) == -1 || record_sync(rec, err) == -1)
		return -1;
	fault_point("quarantine-recorded");
	if (res == DELIVER_DUPLICATE)
		deliver_discard(md, f->orig);
	else if (deliver_move(md, d->md, f->orig, final, d->local,
	    &one) == -1) {
		/* Still alone in tmp/: forgotten durably, then it goes. */
		if (run_forget(r, m->name, f->orig, record_drop, -1, err) == -1)
			return -1;
		goto fail;
	}
	/* As commit_batch does: new/, then the names taken from tmp/. */
	if ((!fault_skip("quarantine-new") &&
	    maildir_sync(d->md, d->md->newfd, "new", err) == -1) ||
	    (!compat_journaled(md->fd) &&
	    maildir_sync(md, md->tmpfd, "tmp", err) == -1))
		return -1;
	fault_point("quarantined");
	printable(final, fname, sizeof(fname));
	if (res == DELIVER_NEW && clash[0] != '\0')
		say_warn(r->account, "%s/new/%s: %s/%s has the same unique "
		    "name and other bytes; the original quarantined as new/%s",
		    r->remote, f->name, d->path, clash, fname);
	say_info(1, r->account, "quarantined the original of %s (%llu bytes) "
	    "in %s/%s%s", f->name, (unsigned long long)m->size, d->path,
	    res == DELIVER_DUPLICATE ? clash : "new/", res == DELIVER_DUPLICATE ?
	    " (same bytes, there already)" : fname);
	if (have_sha) {
		char from[5200], to[5400];

		snprintf(from, sizeof(from), "%s/new/%s", r->remote, f->name);
		snprintf(to, sizeof(to), "%s/%s%s", d->path,
		    res == DELIVER_DUPLICATE ? "" : "new/",
		    res == DELIVER_DUPLICATE ? clash : fname);
		mlog_message(r->job->log, "quarantined", from, to, m->size,
		    sha);
	}
	return 1;
fail:
	say_warn(r->account, "%s/new/%s: quarantine: %s; it stays on the "
	    "server", r->remote, f->name, one.msg);
	r->status = status_worst(r->status, STATUS_PARTIAL);
	return 0;
}

/*
 * The filter exited 0 with output: that output replaces the message,
 * its original going to the quarantine first when they differ.  0, or
 * -1 with err set.
 */
static int
filtered(struct filtering *f, uint64_t outsize, struct error *err)
{
	struct run *r = f->r;
	struct message *m = &r->msgs[f->mi];
	const struct pull *pl = r->job->pull;
	struct dest_maildir *d;
	struct error one;
	uint32_t qi;
	int same, rc;

	if ((same = deliver_same_tmp(r->job->md, f->orig, f->out)) == -1) {
		say_warn(r->account, "%s/new/%s: %s/tmp: the filtered message "
		    "cannot be read back; it stays on the server", r->remote,
		    f->name, r->job->md->path);
		r->status = status_worst(r->status, STATUS_PARTIAL);
		return 0;
	}
	if (same) {
		/* Unchanged: the original goes on, nothing to quarantine. */
		deliver_discard(r->job->md, f->out);
		f->have_out = 0;
		say_info(2, r->account, "%s: the filter changed nothing",
		    f->name);
		return route_onward(f, err);
	}
	if (pl->quarantine != NULL && !f->quarantined) {
		error_clear(&one);
		if (route_dest_open(r, pl->quarantine, &qi, &one) == -1) {
			if (one.kind != ERR_MAILBOX)
				return error_set(err, one.kind, "%s", one.msg);
			say_warn(r->account, "%s/new/%s: quarantine: %s; it "
			    "stays on the server", r->remote, f->name,
			    one.msg);
			r->status = status_worst(r->status, STATUS_PARTIAL);
			return 0;
		}
		d = r->dests[qi];
		if ((rc = quarantine(f, d, err)) != 1)
			return rc;
	} else {
		/* Quarantined by an earlier run, or kept nowhere. */
		deliver_discard(r->job->md, f->orig);
		if (!f->quarantined && record_filtered_set(r->job->rec,
		    m->name, m->size, NULL, NULL, NULL, err) == -1)
			return -1;
	}
	/* From here on the message is its filtered form. */
	say_info(1, r->account, "filtered %s: %llu bytes, %llu after \"%s\"",
	    f->name, (unsigned long long)m->size,
	    (unsigned long long)outsize, f->command);
	m->tmpseq = f->outseq;
	m->size = outsize;
	f->have_out = 0;
	return route_onward(f, err);
}

/*
 * The filter failed (res): warned about; the original goes to the
 * quarantine alone, deleted on the server then, or without one stays
 * there.  Exit 75 always leaves it there.  0, or -1 with err set.
 */
static int
failed(struct filtering *f, const struct command_result *res,
    struct error *err)
{
	struct run *r = f->r;
	struct message *m = &r->msgs[f->mi];
	const struct pull *pl = r->job->pull;
	char what[300], lines[1200];
	struct error one;
	int temp = res->outcome == COMMAND_TEMPFAIL;

	if (res->outcome == COMMAND_OK)
		strlcpy(what, "exited with status 0 and no output",
		    sizeof(what));
	else
		command_describe(res, r->job->acct->command_timeout, what,
		    sizeof(what));
	pipe_stderr_lines(res, lines, sizeof(lines));
	r->status = status_worst(r->status, temp ? STATUS_TEMPFAIL :
	    STATUS_PARTIAL);
	say_warn(r->account, "%s/new/%s: filter \"%s\" %s%s%s; %s%s",
	    r->remote, f->name, f->command, what, lines[0] != '\0' ? ": " : "",
	    lines, temp || pl->quarantine == NULL ? "it stays on the server" :
	    "the original goes to the quarantine ", temp ||
	    pl->quarantine == NULL ? "" : pl->quarantine);
	if (temp || pl->quarantine == NULL) {
		deliver_discard(r->job->md, f->orig);
		return 0;
	}
	if (f->quarantined)
		/*
		 * An earlier run put the original there: this copy is
		 * dropped, as a discard, and the server's copy goes.
		 */
		m->dest = TO_DISCARD;
	else {
		error_clear(&one);
		if (route_dest_open(r, pl->quarantine, &m->dest, &one) == -1) {
			if (one.kind != ERR_MAILBOX)
				return error_set(err, one.kind, "%s", one.msg);
			say_warn(r->account, "%s/new/%s: quarantine: %s; it "
			    "stays on the server", r->remote, f->name,
			    one.msg);
			deliver_discard(r->job->md, f->orig);
			return 0;
		}
	}
	return onward(f, err);
}

/*
 * Runs the filter on f's original into f's output.  Returns 0 with res
 * filled (the command ran, or could not be started: then
 * COMMAND_NOT_STARTED, warned about), or -1 with err set (a second
 * signal, the runner or the record gone: the outcome is unknown).
 */
static int
run_filter(struct filtering *f, int fd_in, int fd_out, int redelivery,
    struct command_result *res, struct error *err)
{
	struct message *m = &f->r->msgs[f->mi];
	struct command_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.command = f->command;
	spec.in_fd = fd_in;
	spec.out_fd = fd_out;
	/* Sizes come from the server: the bound may not wrap around. */
	spec.out_limit = m->size > (UINT64_MAX - FILTER_SLACK) / FILTER_GROWTH ?
	    UINT64_MAX : m->size * FILTER_GROWTH + FILTER_SLACK;
	return pipe_run(f->r, m, &spec, "filter", redelivery, res, err);
}

/*
 * Gives the downloaded message mi to its pull's filter and sends what
 * comes out onward (see the top of the file).  Returns 0 (the message
 * goes on, or failed alone: warned about, on the server), or -1 with err
 * set when the pull cannot go on.
 */
int
filter_message(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];
	struct record *rec = r->job->rec;
	struct filtering f;
	struct command_result res;
	struct error local;
	struct stat st;
	uint64_t size;
	char qtmp[TMPPOOL_NAME];
	int fd_in = -1, fd_out = -1, had_r, rc = -1;

	memset(&f, 0, sizeof(f));
	f.r = r;
	f.mi = mi;
	f.command = r->job->pull->filter;
	run_tmpname(r, m, f.orig);
	printable(m->name, f.name, sizeof(f.name));
	/* Its files are this function's now, not the pull's cleanup's. */
	m->state = MSG_FAIL;
	f.quarantined = record_filtered(rec, m->name, &size, qtmp,
	    sizeof(qtmp)) == 2;
	if (r->job->runner == NULL) {
		error_set(err, ERR_MAILBOX, "no command runner");
		goto out;
	}
	if ((fd_in = openat(r->job->md->tmpfd, f.orig, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		error_errno(err, ERR_MAILBOX, "%s/tmp/%s", r->job->md->path,
		    f.orig);
		goto out;
	}
	error_clear(&local);
	if ((fd_out = tmppool_take(&r->pool, &f.outseq, &local)) == -1) {
		say_warn(r->account, "%s/new/%s: %s; it stays on the server",
		    r->remote, f.name, local.msg);
		r->status = status_worst(r->status, STATUS_PARTIAL);
		rc = 0;
		goto out;
	}
	tmppool_name(&r->pool, f.outseq, f.out);
	f.have_out = 1;
	had_r = record_note(rec, NOTE_REDELIVER, m->name);
	if (!had_r && (record_note_set(rec, NOTE_REDELIVER, m->name, err) == -1 ||
	    record_sync(rec, err) == -1))
		goto out;
	fault_point("filter-recorded");
	if (run_filter(&f, fd_in, fd_out, had_r, &res, err) == -1)
		goto out;	/* the record says "unknown" */
	fault_point("filter-exited");
	if (res.outcome == COMMAND_NOT_STARTED) {
		rc = !had_r ? record_note_clear(rec, NOTE_REDELIVER, m->name, err) : 0;
		goto out;
	}
	/* Stopped by us: what it did is not known. */
	if (!had_r && res.outcome != COMMAND_TIMEOUT &&
	    res.outcome != COMMAND_OUTPUT_LIMIT &&
	    record_note_clear(rec, NOTE_REDELIVER, m->name, err) == -1)
		goto out;
	if (res.outcome == COMMAND_OK && res.out_bytes > 0 &&
	    (fstat(fd_out, &st) == -1 || (uint64_t)st.st_size !=
	    res.out_bytes)) {
		say_warn(r->account, "%s/new/%s: %s/tmp/%s: the filtered "
		    "message was not written whole; it stays on the server",
		    r->remote, f.name, r->job->md->path, f.out);
		r->status = status_worst(r->status, STATUS_PARTIAL);
		rc = 0;
		goto out;
	}
	close(fd_out);
	fd_out = -1;
	close(fd_in);
	fd_in = -1;
	if (res.outcome == COMMAND_OK && res.out_bytes > 0)
		rc = filtered(&f, res.out_bytes, err);
	else
		rc = failed(&f, &res, err);
	/*
	 * A message that failed alone left no file of its own that a
	 * record line names (each step forgets its line before it fails):
	 * an original still here is a partial file of ours.
	 */
	if (m->state == MSG_FAIL && rc == 0)
		deliver_discard(r->job->md, f.orig);
out:
	if (fd_in != -1)
		close(fd_in);
	if (fd_out != -1)
		close(fd_out);
	if (f.have_out)
		deliver_discard(r->job->md, f.out);
	return rc;
}

/*
 * What the record's "f" lines say of earlier runs, before tmp/ is
 * cleaned: an original whose tmp file is still there alone never reached
 * the quarantine (the line is dropped, durably, and the message starts
 * afresh); one gone, or linked twice (the link() fallback died between
 * its link and unlink), is there.  A line of a message no longer listed
 * goes, unless the listing was cut short or a "+" line still needs it.
 * 0, or -1 with err set.
 */
int
filter_reconcile(struct run *r, struct error *err)
{
	struct record *rec = r->job->rec;
	struct nameset_entry *e;
	struct stat st;
	char **names, tmp[TMPPOOL_NAME];
	size_t n = 0, i, pos = 0, ndrop = 0, nlinks = 0;
	uint64_t size;
	int rc = -1;

	if (record_filtered_names(rec)->count == 0)
		return 0;
	if ((names = calloc(record_filtered_names(rec)->count,
	    sizeof(*names))) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	while ((e = nameset_next(record_filtered_names(rec), &pos)) != NULL)
		if ((names[n++] = strdup(e->key)) == NULL) {
			error_errno(err, ERR_MAILBOX, "strdup");
			goto out;
		}
	for (i = 0; i < n; i++) {
		if (nameset_get(&rec->entries, names[i],
		    strlen(names[i])) != NULL)
			continue;	/* recover_reconcile's, with its "+" */
		if (list_find(r, names[i]) == NULL) {
			if (!r->job->dryrun && !r->truncated &&
			    record_drop(rec, names[i], err) == -1)
				goto out;
			continue;
		}
		if (record_filtered(rec, names[i], &size, tmp,
		    sizeof(tmp)) != 2)
			continue;
		if (fstatat(r->job->md->tmpfd, tmp, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;	/* moved: in the quarantine */
			error_errno(err, ERR_MAILBOX, "%s/tmp/%s",
			    r->job->md->path, tmp);
			goto out;
		}
		if (r->job->dryrun)
			continue;
		if (st.st_nlink > 1) {
			deliver_discard(r->job->md, tmp);
			nlinks++;
			continue;
		}
		/* The file goes with tmp/'s cleaning, once this is on disk. */
		if (record_drop(rec, names[i], err) == -1)
			goto out;
		ndrop++;
	}
	if (ndrop > 0 && record_sync(rec, err) == -1)
		goto out;
	if (nlinks > 0 && maildir_sync(r->job->md, r->job->md->tmpfd, "tmp",
	    err) == -1)
		goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
