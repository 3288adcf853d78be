/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The "attachments DIR [MAILDIR]" destination (SPEC 8, Attachments): a
 * downloaded message's attachments saved as files in DIR by a confined
 * child (mail/attach.h), then the message delivered to MAILDIR or
 * dropped.  One message at a time, in listing order, once the pull's
 * downloads are done (as a pipe).  Exactly once, in this order, each
 * step durable before the next:
 *
 *   the tmp file and tmp/ flushed -> "+ NAME SIZE TMP FINAL attachments
 *   DIR [MAILDIR]" in the record -> the child writes each attachment to
 *   DIR as PREFIX+N, flushed, DIR flushed -> the list of those files
 *   and the names they are to take, PREFIX+"names", written and
 *   flushed, DIR flushed -> "a NAME" in the record -> each file moved
 *   to its name, never replacing one -> DIR flushed -> the list
 *   removed, DIR flushed -> the message into MAILDIR/new (new/
 *   flushed), or its tmp file removed (tmp/ flushed) -> REMOVE on the
 *   server -> the name dropped from the record.
 *
 * PREFIX is ".TMP-", TMP the message's tmp file name, so that the files
 * of one message are found by name after a crash.  After one
 * (save_recover, from recover.c): a recorded message whose tmp file is
 * gone is done, as for a Maildir; one whose tmp file is there and has
 * no "a" note had nothing of it placed (its PREFIX files are removed and
 * the message is fetched again); one with the note is finished from the
 * list, without parsing it again: the files still under PREFIX names
 * are moved (a second link means the move by link() was cut before its
 * unlink), and the message goes on to MAILDIR or is dropped.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/attach.h"
#include "maildir/deliver.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"
#include "util/fault.h"

/* The list's name after PREFIX; the child's files are PREFIX and digits. */
#define LIST_SUFFIX	"names"
#define LIST_MAX	(ATTACH_FILES_MAX * (ATTACH_TMP_SIZE + SAFENAME_SIZE + 2))

int
save_dest_open(struct run *r, const char *dir, const char *maildir,
    uint32_t *idx, struct error *err)
{
	struct save_dest *s;
	uint32_t mi = SAVE_NO_MAILDIR;
	size_t i;

	if (maildir != NULL && route_dest_open(r, maildir, &mi, err) == -1)
		return -1;
	for (i = 0; i < r->nsaves; i++)
		if (strcmp(r->saves[i].dir, dir) == 0 &&
		    r->saves[i].maildir == mi) {
			*idx = (uint32_t)i;
			return 0;
		}
	if ((s = reallocarray(r->saves, r->nsaves + 1, sizeof(*s))) == NULL)
		return error_errno(err, ERR_MAILBOX, "realloc");
	r->saves = s;
	if ((s[r->nsaves].dir = strdup(dir)) == NULL)
		return error_errno(err, ERR_MAILBOX, "strdup");
	s[r->nsaves].maildir = mi;
	*idx = (uint32_t)r->nsaves++;
	return 0;
}

void
save_stop(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nsaves; i++)
		free(r->saves[i].dir);
	free(r->saves);
	r->saves = NULL;
	r->nsaves = 0;
}

/* The prefix of the files of the message whose tmp file is tmp. */
static void
save_prefix(const char *tmp, char prefix[ATTACH_PREFIX_MAX + 1])
{
	snprintf(prefix, ATTACH_PREFIX_MAX + 1, ".%s-", tmp);
}

/* DIR opened, made first when missing.  The fd, or -1 with err set. */
static int
open_dir(const char *dir, struct error *err)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		return fd;
	if (errno != ENOENT)
		return error_errno(err, ERR_MAILBOX, "%s", dir);
	if (maildir_mkdirs(dir, err) == -1)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return error_errno(err, ERR_MAILBOX, "%s", dir);
	return fd;
}

/*
 * Writes the list of res's files, "TMP\tNAME\n" each (safe names hold
 * neither), to DIR/PREFIX+"names", flushed, and DIR flushed.  0, or -1
 * with err set and no list left.
 */
static int
write_list(int dirfd, const char *dir, const char *prefix,
    const struct attach_result *res, struct error *err)
{
	char list[ATTACH_PREFIX_MAX + sizeof(LIST_SUFFIX)];
	FILE *f;
	size_t i;
	int fd;

	snprintf(list, sizeof(list), "%s%s", prefix, LIST_SUFFIX);
	if ((fd = openat(dirfd, list, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s", dir, list);
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	for (i = 0; i < res->n; i++)
		fprintf(f, "%s\t%s\n", res->files[i].tmp, res->files[i].name);
	if (fflush(f) == EOF || ferror(f) || fsync(fd) == -1) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF)
		goto fail;
	return attach_sync_dir(dirfd, err);
fail:
	error_errno(err, ERR_MAILBOX, "%s/%s: write", dir, list);
	(void)unlinkat(dirfd, list, 0);
	return -1;
}

/*
 * Moves each file the list names that is still under its temporary name
 * to its name, flushes DIR, then removes the list and flushes DIR again:
 * the list goes only once every move is durable.  The names taken are
 * appended to names (", "-separated, for the messages), as far as they
 * fit.  A missing list means all of it was done.  0, or -1 with err set
 * (what was moved stays moved; the rest waits for the next run).
 */
static int
place_list(int dirfd, const char *dir, const char *prefix, char *names,
    size_t size, struct error *err)
{
	char list[ATTACH_PREFIX_MAX + sizeof(LIST_SUFFIX)], *buf, *line, *tab;
	char final[SAFENAME_SIZE], shown[SAFENAME_SIZE * 4];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1, placed = 0;

	snprintf(list, sizeof(list), "%s%s", prefix, LIST_SUFFIX);
	if ((fd = openat(dirfd, list, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : error_errno(err, ERR_MAILBOX,
		    "%s/%s", dir, list);
	if ((buf = malloc(LIST_MAX + 1)) == NULL) {
		close(fd);
		return error_errno(err, ERR_MAILBOX, "malloc");
	}
	while (len < LIST_MAX && (n = read(fd, buf + len,
	    LIST_MAX - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_errno(err, ERR_MAILBOX, "%s/%s: read", dir, list);
			goto out;
		}
		len += n;
	}
	buf[len] = '\0';
	for (line = buf; *line != '\0'; line = tab + strlen(tab) + 1) {
		if ((tab = strchr(line, '\t')) == NULL ||
		    strchr(tab, '\n') == NULL) {
			error_set(err, ERR_MAILBOX, "%s/%s: damaged list",
			    dir, list);
			goto out;
		}
		*tab++ = '\0';
		*strchr(tab, '\n') = '\0';
		if (strncmp(line, prefix, strlen(prefix)) != 0 ||
		    strchr(line, '/') != NULL || strchr(tab, '/') != NULL) {
			error_set(err, ERR_MAILBOX, "%s/%s: damaged list",
			    dir, list);
			goto out;
		}
		if (fstatat(dirfd, line, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;	/* moved before */
			error_errno(err, ERR_MAILBOX, "%s/%s", dir, line);
			goto out;
		}
		if (st.st_nlink > 1) {
			/* linked in place; the crash cut the unlink */
			if (unlinkat(dirfd, line, 0) == -1) {
				error_errno(err, ERR_MAILBOX, "%s/%s: unlink",
				    dir, line);
				goto out;
			}
			continue;
		}
		if (attach_place(dirfd, line, tab, final, err) == -1)
			goto out;
		if (placed++ == 0)
			fault_point("save-placed");
		printable(final, shown, sizeof(shown));
		if (names[0] != '\0')
			strlcat(names, ", ", size);
		strlcat(names, shown, size);
	}
	if (!fault_skip("save-dir") && attach_sync_dir(dirfd, err) == -1)
		goto out;
	if (unlinkat(dirfd, list, 0) == -1) {
		error_errno(err, ERR_MAILBOX, "%s/%s: unlink", dir, list);
		goto out;
	}
	rc = fault_skip("save-dir") ? 0 : attach_sync_dir(dirfd, err);
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * The message's last local step: its tmp file into to's new/ as final
 * (new/ flushed), or, without a MAILDIR, removed (tmp/ flushed).  Either
 * way a recorded tmp file that is gone means done.  0, or -1 with err.
 */
static int
save_finish(struct run *r, const char *tmp, struct dest_maildir *to,
    const char *final, struct error *err)
{
	const struct maildir *md = r->job->md;

	if (to == NULL) {
		if (unlinkat(md->tmpfd, tmp, 0) == -1)
			return error_errno(err, ERR_MAILBOX, "%s/tmp/%s: "
			    "unlink", md->path, tmp);
		return maildir_sync(md, md->tmpfd, "tmp", err);
	}
	if (deliver_move(md, to->md, tmp, final, to->local, err) == -1)
		return -1;
	return maildir_sync(to->md, to->md->newfd, "new", err);
}

/* Says that m stays on the server because of err; sets r->status. */
static void
save_warn(struct run *r, const struct message *m, const struct error *e)
{
	char name[1100];

	printable(m->name, name, sizeof(name));
	say_warn(r->account, "%s/new/%s: saving its attachments: %s; it stays "
	    "on the server", r->remote, name, e->msg);
	r->status = status_worst(r->status, STATUS_PARTIAL);
}

/* m had nothing to save and no MAILDIR: it stays, with a warning once. */
static void
save_nothing(struct run *r, const struct message *m, const char *dir,
    const char *why)
{
	char name[1100];
	int again = record_note(r->job->rec, NOTE_WARNED, m->name);

	printable(m->name, name, sizeof(name));
	if (again)
		say_info(1, r->account, "%s/new/%s: no attachment to save in "
		    "%s%s%s; it stays on the server", r->remote, name, dir,
		    why[0] != '\0' ? ": " : "", why);
	else
		say_warn(r->account, "%s/new/%s: no attachment to save in "
		    "%s%s%s; it stays on the server (said once; -v repeats "
		    "it)", r->remote, name, dir, why[0] != '\0' ? ": " : "",
		    why);
}

/* The log line and the counts of m, saved (names) and perhaps delivered. */
static void
save_report(struct run *r, struct message *m, const char *dir,
    const struct dest_maildir *to, const char *final, const char *names,
    const uint8_t *sha)
{
	char name[1100], where[9000], from[5200];

	printable(m->name, name, sizeof(name));
	if (to != NULL)
		snprintf(where, sizeof(where), "attachments %s (%s) and %s/new/%s",
		    dir, names[0] != '\0' ? names : "none", to->path, final);
	else
		snprintf(where, sizeof(where), "attachments %s (%s)", dir,
		    names);
	say_info(1, r->account, "saved %s (%llu bytes) to %s", name,
	    (unsigned long long)m->size, where);
	if (r->job->log != NULL && mlog_active(r->job->log)) {
		snprintf(from, sizeof(from), "%s/new/%s", r->remote, name);
		mlog_message(r->job->log, "saved", from, where, m->size, sha);
	}
	r->st->moved++;
	r->st->bytes += m->size;
	r->done++;
}

/*
 * Saves the attachments of the downloaded message mi (its dest TO_SAVE)
 * and delivers or drops it.  Returns 0 (done, or failed alone: warned
 * about, on the server), or -1 with err set when the pull cannot go on
 * (the record cannot be written, the network).
 */
int
save_message(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];
	const struct save_dest *sd = &r->saves[m->save];
	const struct account *a = r->job->acct;
	struct record *rec = r->job->rec;
	struct dest_maildir *to;
	struct attach_result res;
	struct error one;
	char tmp[TMPPOOL_NAME], prefix[ATTACH_PREFIX_MAX + 1];
	char final[256], clash[256], dest[RECORD_LINE_MAX], *names = NULL;
	uint8_t sha[32];
	int fd = -1, dirfd = -1, rc = -1, have_sha, recorded = 0, how;

	memset(&res, 0, sizeof(res));
	error_clear(&one);
	run_tmpname(r, m, tmp);
	save_prefix(tmp, prefix);
	to = sd->maildir == SAVE_NO_MAILDIR ? NULL : r->dests[sd->maildir];
	/* From the record line on, its tmp file is the record's. */
	m->state = MSG_FAIL;
	if ((names = calloc(1, 4096)) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	/* The file and its name on disk before the record names it. */
	if ((fd = deliver_open_durable(r->job->md, tmp, err)) == -1)
		goto out;
	have_sha = r->job->log != NULL && mlog_active(r->job->log) &&
	    deliver_sha256(r->job->md, tmp, sha) == 0;
	strlcpy(final, m->name, sizeof(final));
	if (to != NULL) {
		how = deliver_resolve(r->job->md, to->md, tmp, m->name,
		    to->local, final, clash, &one);
		if (how == -1)
			goto alone;
		if (how == DELIVER_DUPLICATE) {
			/* the run that put it there saved its attachments */
			printable(m->name, dest, sizeof(dest));
			printable(clash, final, sizeof(final));
			say_info(1, r->account, "%s/new/%s: already in %s as "
			    "%s", r->remote, dest, to->path, final);
			deliver_discard(r->job->md, tmp);
			goto removal;
		}
	}
	if (record_attach_dest(sd->dir, to != NULL ? to->path : NULL, dest,
	    sizeof(dest)) == -1) {
		error_set(&one, ERR_MAILBOX, "%s: path too long", sd->dir);
		goto alone;
	}
	if ((dirfd = open_dir(sd->dir, &one)) == -1 ||
	    attach_remove(dirfd, prefix, NULL, &one) == -1)
		goto alone;
	if (record_add(rec, m->name, m->size, tmp, final, dest, err) == -1 ||
	    record_sync(rec, err) == -1)
		goto out;
	recorded = 1;
	fault_point("save-recorded");
	fflush(stdout);
	if (attach_extract(fd, dirfd, prefix, a->attachment_types,
	    a->nattachment_types, NULL, &res, &one) == -1)
		goto alone;
	if (!res.parsed) {
		char name[1100];

		printable(m->name, name, sizeof(name));
		say_warn(r->account, "%s/new/%s: %s; nothing of it saved",
		    r->remote, name, res.why);
	}
	if (res.n == 0 && to == NULL) {
		save_nothing(r, m, sd->dir, res.parsed ? "" : "not parsed");
		if (run_forget(r, m->name, tmp, record_drop_delivery, NOTE_WARNED,
		    err) == -1)
			goto out;
		m->state = MSG_SKIP;
		rc = 0;
		goto out;
	}
	if (res.n > 0) {
		if (write_list(dirfd, sd->dir, prefix, &res, &one) == -1) {
			(void)attach_remove(dirfd, prefix, NULL, err);
			goto alone;
		}
		if (record_note_set(rec, NOTE_SAVED, m->name, err) == -1 ||
		    record_sync(rec, err) == -1)
			goto out;
		fault_point("save-extracted");
		/*
		 * From here on the record says "finish it": what fails
		 * now waits for the next run's recovery, with every file
		 * where it is.
		 */
		if (place_list(dirfd, sd->dir, prefix, names, 4096, &one) == -1)
			goto later;
		fault_point("save-dir-synced");
	}
	if (save_finish(r, tmp, to, final, &one) == -1)
		goto later;
	fault_point("save-done");
	save_report(r, m, sd->dir, to, final, names, have_sha ? sha : NULL);
removal:
	if (fetch_delivered(r, mi, err) == -1)
		goto out;
	rc = 0;
	goto out;
alone:
	/*
	 * Nothing of it is placed: forgotten, it is fetched again; a
	 * filter's "f" line stays, so that its original, in the quarantine
	 * already, does not go there twice (as for a pipe).
	 */
	save_warn(r, m, &one);
	rc = recorded ? run_forget(r, m->name, tmp, record_drop_delivery, -1,
	    err) : 0;
	if (!recorded)
		deliver_discard(r->job->md, tmp);
	goto out;
later:
	save_warn(r, m, &one);
	rc = 0;
out:
	attach_result_free(&res);
	if (dirfd != -1)
		close(dirfd);
	if (fd != -1)
		close(fd);
	free(names);
	return rc;
}

int
save_recover(struct run *r, const char *name, const char *tmp,
    const char *dir, const char *maildir, struct error *err)
{
	char prefix[ATTACH_PREFIX_MAX + 1], names[4096], shown[1100];
	struct dest_maildir *to = NULL;
	struct error one;
	uint32_t idx;
	int dirfd, rc;

	error_clear(&one);
	names[0] = '\0';
	save_prefix(tmp, prefix);
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    errno != ENOENT) {
		error_errno(&one, ERR_MAILBOX, "%s", dir);
		goto later;
	}
	if (!record_note(r->job->rec, NOTE_SAVED, name)) {
		/* Nothing placed: what the child wrote goes, then the name. */
		rc = dirfd == -1 ? 0 : attach_remove(dirfd, prefix, NULL,
		    &one);
		if (dirfd != -1)
			close(dirfd);
		if (rc == -1)
			goto later;
		return 0;
	}
	if (dirfd == -1) {
		error_errno(&one, ERR_MAILBOX, "%s", dir);
		goto later;
	}
	rc = place_list(dirfd, dir, prefix, names, sizeof(names), &one);
	close(dirfd);
	if (rc == -1)
		goto later;
	if (maildir[0] != '\0') {
		if (route_dest_open(r, maildir, &idx, &one) == -1)
			goto later;
		to = r->dests[idx];
	}
	if (save_finish(r, tmp, to, record_final(r->job->rec, name),
	    &one) == -1)
		goto later;
	printable(name, shown, sizeof(shown));
	say_info(1, r->account, "%s/new/%s: the saving of its attachments "
	    "that an earlier run began is finished%s%s", r->remote, shown,
	    names[0] != '\0' ? ": " : "", names);
	return 1;
later:
	printable(name, shown, sizeof(shown));
	say_warn(r->account, "%s/new/%s: an earlier run began to save its "
	    "attachments, which cannot be finished now (%s); the server's "
	    "copy stays", r->remote, shown, one.msg);
	r->status = status_worst(r->status, STATUS_PARTIAL);
	return one.kind == ERR_MAILBOX ? 2 : error_set(err, one.kind, "%s",
	    one.msg);
}
