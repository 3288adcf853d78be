/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What the record and the local Maildir say about earlier runs, before
 * anything is fetched: which listed messages were delivered already
 * (their server copies only go), which recorded deliveries never
 * happened (their tmp files stayed), and whether a delivered file in
 * new/ still has its bytes (a power cut may have lost them).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "maildir/deliver.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"

/*
 * Sets the dest of l, a message the record says was delivered, from the
 * record: the pull's own Maildir, a route's (opened, so that it can be
 * checked and flushed before the server's copy goes; for attachments,
 * their MAILDIR), or a discard, a pipe, attachments alone.
 * Returns 1, 0 when that Maildir cannot be opened (warned about: the
 * server's copy stays, and the record keeps the name for a later run),
 * or -1 with err set.
 */
static int
recorded_dest(struct run *r, struct message *l, struct error *err)
{
	const char *dest = record_dest(r->job->rec, l->name);
	char name[1100], dir[4096], maildir[4096];
	struct error one;

	l->dest = 0;
	if (dest == NULL)
		return 1;
	if (record_attach_parse(dest, dir, maildir, sizeof(dir)) == 1) {
		/* Saved; a Maildir's copy is checked as any other. */
		if (maildir[0] == '\0') {
			l->dest = TO_SAVE;
			l->save = 0;
			return 1;
		}
		dest = maildir;
	}
	if (strcmp(dest, RECORD_DISCARD) == 0) {
		l->dest = TO_DISCARD;
		return 1;
	}
	if (strcmp(dest, RECORD_PIPE) == 0) {
		l->dest = TO_PIPE;
		return 1;
	}
	error_clear(&one);
	if (route_dest_open(r, dest, &l->dest, &one) == 0)
		return 1;
	if (one.kind != ERR_MAILBOX)
		return error_set(err, one.kind, "%s", one.msg);
	printable(l->name, name, sizeof(name));
	say_warn(r->account, "%s/new/%s: delivered by an earlier run to %s, "
	    "which cannot be opened now (%s); the server's copy stays",
	    r->remote, name, dest, one.msg);
	l->dest = 0;
	l->state = MSG_SKIP;
	r->status = STATUS_PARTIAL;
	return 0;
}

/*
 * Drops the record's notes in set ("r" or "w" lines) of messages no
 * longer listed.  0 or -1 with err set.
 */
static int
forget_notes(struct run *r, struct nameset *set, struct error *err)
{
	struct record *rec = r->job->rec;
	struct nameset_entry *e;
	char **gone;
	size_t n = 0, i, pos = 0;
	int rc = 0;

	if (set->count == 0)
		return 0;
	if ((gone = calloc(set->count, sizeof(*gone))) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	while ((e = nameset_next(set, &pos)) != NULL)
		if (list_find(r, e->key) == NULL &&
		    (gone[n++] = strdup(e->key)) == NULL) {
			rc = error_errno(err, ERR_MAILBOX, "strdup");
			break;
		}
	for (i = 0; i < n; i++) {
		if (rc == 0 && gone[i] != NULL &&
		    record_drop(rec, gone[i], err) == -1)
			rc = -1;
		free(gone[i]);
	}
	free(gone);
	return rc;
}

enum stale {
	STALE_DROPPED,	/* forgotten: it is fetched again */
	STALE_DONE,	/* finished now: delivered */
	STALE_KEPT	/* left recorded for a later run, and on the server */
};

/*
 * A recorded message whose tmp file is still there (tmp): its move never
 * happened, so it is dropped, with its "r" note when a command had it
 * and the run died (what the command did is not known, and its next
 * attempt says so: pipe.c; the note comes after the drop, which would
 * forget it).  Attachments are finished instead when they were all
 * written, or what was written goes first (save.c).  Returns one of
 * enum stale, or -1 with err set.
 */
static int
recover_stale(struct run *r, const char *name, const char *tmp,
    struct error *err)
{
	struct record *rec = r->job->rec;
	const char *dest = record_dest(rec, name);
	char dir[4096], maildir[4096];
	struct message *l;
	int rc, piped;

	if (dest != NULL && (rc = record_attach_parse(dest, dir, maildir,
	    sizeof(dir))) != 0) {
		if (rc == -1)
			return error_set(err, ERR_MAILBOX, "%s: not an "
			    "attachments destination", dest);
		if ((rc = save_recover(r, name, tmp, dir, maildir,
		    err)) == -1)
			return -1;
		if (rc == 1)
			return STALE_DONE;
		if (rc == 2) {
			if ((l = list_find(r, name)) != NULL)
				l->state = MSG_SKIP;
			return STALE_KEPT;
		}
	}
	piped = dest != NULL && strcmp(dest, RECORD_PIPE) == 0;
	/* the filter's "f" line stays: see record_drop_delivery */
	if (record_drop_delivery(rec, name, err) == -1 ||
	    (piped && record_note_set(rec, NOTE_REDELIVER, name, err) == -1))
		return -1;
	return STALE_DROPPED;
}

/*
 * For each recorded message: its tmp file still there means the move into
 * new/ never happened (drop it); gone means it was delivered: with keep,
 * it is not fetched again; without, its remote copy is removed.
 */
int
recover_reconcile(struct run *r, struct error *err)
{
	const struct pull_job *job = r->job;
	struct record *rec = job->rec;
	struct nameset_entry *e;
	struct message *l;
	struct stat st;
	char **names = NULL, name[1100];
	size_t n = 0, i, pos = 0, nstale = 0, nlinks = 0;
	uint64_t server_size;
	int ret = -1, delivered, rc;

	if (filter_reconcile(r, err) == -1)
		return -1;
	if (rec->entries.count + record_notes(rec, NOTE_REDELIVER)->count +
	    record_notes(rec, NOTE_WARNED)->count +
	    record_notes(rec, NOTE_SAVED)->count == 0)
		return 0;
	if ((names = calloc(rec->entries.count + 1, sizeof(*names))) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	while ((e = nameset_next(&rec->entries, &pos)) != NULL)
		if ((names[n++] = strdup(e->key)) == NULL) {
			error_errno(err, ERR_MAILBOX, "strdup");
			goto out;
		}
	for (i = 0; i < n; i++) {
		e = nameset_get(&rec->entries, names[i], strlen(names[i]));
		delivered = 1;
		if (fstatat(job->md->tmpfd, e->value, &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			/*
			 * Still in tmp/: never moved, unless the link()
			 * fallback died between link and unlink (a link
			 * count above 1).  The file itself goes only after
			 * the drop is durable: a recorded name without its
			 * tmp file reads as "delivered".
			 */
			delivered = st.st_nlink > 1;
			if (!delivered && job->dryrun) {
				nstale++;
				continue;
			}
			if (!delivered) {
				if ((rc = recover_stale(r, names[i], e->value,
				    err)) == -1)
					goto out;
				nstale += rc == STALE_DROPPED;
				if (rc != STALE_DONE)
					continue;
			} else if (!job->dryrun) {
				deliver_discard(job->md, e->value);
				nlinks++;
			}
		} else if (errno != ENOENT) {
			error_errno(err, ERR_MAILBOX, "%s/tmp/%s",
			    job->md->path, e->value);
			goto out;
		}
		l = list_find(r, names[i]);
		printable(names[i], name, sizeof(name));
		if (l == NULL) {
			/*
			 * Not listed: its remote copy is gone, so forget it;
			 * unless the listing was cut short, when it may be
			 * in the part not read.
			 */
			if (!job->dryrun && !r->truncated &&
			    record_drop(rec, names[i], err) == -1)
				goto out;
			continue;
		}
		if ((rc = recorded_dest(r, l, err)) == -1)
			goto out;
		if (rc == 0)
			continue;
		/* Its file in new/ is checked once the local scan is done. */
		l->verify = l->dest < r->ndests;	/* a Maildir's */
		if (l->verify && localset_want(r->dests[l->dest]->local,
		    record_final(rec, names[i]), err) == -1)
			goto out;
		if (job->acct->keep) {
			l->state = MSG_DONE;
			continue;
		}
		/* A filtered delivery's "+" line has the filter's size. */
		server_size = e->num;
		(void)record_filtered(rec, names[i], &server_size, NULL, 0);
		if (l->size != server_size) {
			say_warn(r->account, "%s/new/%s: delivered by an earlier "
			    "run with %llu bytes, the server's copy now has "
			    "%llu: left alone", r->remote, name,
			    (unsigned long long)server_size,
			    (unsigned long long)l->size);
			l->state = MSG_SKIP;
			r->status = STATUS_PARTIAL;
			continue;
		}
		l->earlier = 1;
	}
	/*
	 * A note whose message has left the server (not listed, and the
	 * listing whole) is of no more use.  An "a" note goes only with its
	 * entry, which the loop above finishes first.
	 */
	if (!job->dryrun && !r->truncated &&
	    (forget_notes(r, record_notes(rec, NOTE_REDELIVER), err) == -1 ||
	    forget_notes(r, record_notes(rec, NOTE_WARNED), err) == -1))
		goto out;
	/* Their tmp files are now stale partials, which the cleanup removes. */
	if (nstale > 0 && !job->dryrun && record_sync(rec, err) == -1)
		goto out;
	/*
	 * The second links just removed would come back after a power cut,
	 * and alone once the user deletes the message: "never moved", and
	 * it would be fetched again (see commit_batch).
	 */
	if (nlinks > 0 && maildir_sync(job->md, job->md->tmpfd, "tmp",
	    err) == -1)
		goto out;
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/*
 * A recorded delivery counts as done only when the file it made in new/
 * has the recorded size, has gone on to cur/ with the user, or has been
 * deleted.  A file in new/ that is shorter or longer is not the message
 * (a power cut on a file system that lost its data after the rename
 * was kept, or a disk that lied about a flush): the server's copy stays
 * and is fetched again, and the warning names the file, which is left
 * alone.
 */
int
recover_verify(struct run *r, struct error *err)
{
	const struct pull_job *job = r->job;
	struct dest_maildir *d;
	struct nameset_entry *e;
	struct message *m;
	struct stat st;
	const char *final;
	char local[300], name[1100], lname[1100];
	size_t i;
	int found;

	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		if (!m->verify || (!m->earlier && m->state != MSG_DONE))
			continue;
		e = nameset_get(&job->rec->entries, m->name, strlen(m->name));
		if (e == NULL || m->dest >= r->ndests)
			continue;	/* not a Maildir's: nothing to check */
		d = r->dests[m->dest];
		if (d->md->fd == -1)
			continue;	/* dry run: not there at all */
		final = record_final(job->rec, m->name);
		found = localset_find(d->local, d->md, final, local,
		    sizeof(local), err);
		if (found == -1)
			return -1;
		if (!found || strncmp(local, "new/", 4) != 0)
			continue;
		if (fstatat(d->md->newfd, local + 4, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			return error_errno(err, ERR_MAILBOX, "%s/%s",
			    d->md->path, local);
		}
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->num)
			continue;
		printable(m->name, name, sizeof(name));
		printable(local, lname, sizeof(lname));
		say_warn(r->account, "%s/new/%s: an earlier run delivered it "
		    "as %s/%s, which has %lld of the %llu bytes recorded (lost "
		    "in a power cut?); not taken for a delivery: the server's "
		    "copy stays and is fetched again, and that file is left "
		    "alone", r->remote, name, d->md->path, lname,
		    (long long)st.st_size, (unsigned long long)e->num);
		m->earlier = 0;
		m->state = MSG_WAIT;
	}
	return 0;
}

/*
 * Notes the messages already in the local new/ and cur/ under a listed
 * unique name, and flushes both directories.  What they hold is what the run then relies on to delete
 * remote copies: messages an earlier run moved (the record says so) and
 * local files with the same bytes.  A run killed after its rename into
 * new/ but before its flush of new/ left that rename in memory only, as
 * does a mail client that moves a message to cur/ without a flush: both
 * are flushed here, before any remote copy can go, or a power cut after
 * this run could undo a move whose source is gone.
 */
int
recover_scan(struct run *r, struct error *err)
{
	const struct maildir *md = r->job->md;
	size_t i;

	for (i = 0; i < r->nmsgs; i++)
		if (localset_want(&r->local, r->msgs[i].name, err) == -1)
			return -1;
	if (localset_scan(&r->local, md, err) == -1 ||
	    maildir_sync(md, md->newfd, "new", err) == -1 ||
	    maildir_sync(md, md->curfd, "cur", err) == -1)
		return -1;
	return 0;
}
