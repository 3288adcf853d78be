/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The transfer of one pull: each listed message proven a regular file of
 * the listed size by an LSTAT of its own, opened, read into its file in
 * tmp/ with pipelined READs, closed, handed to a batch (batch.c), and
 * once delivered its server copy REMOVEd.  Earlier runs' deliveries are
 * only proven and removed.
 *
 * What a listing says about a file's type is the server's claim, not a
 * fact: some servers (those built from Paramiko's stub) fill READDIR's
 * attributes from stat(2), so a symlink there looks like its target.
 * The LSTATs run ahead of the OPENs, so they cost no round trip once the
 * transfer is under way.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/deliver.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"
#include "util/fault.h"

/*
 * Queues a request of type (SSH_FXP_*) about message mi, tagged with mi;
 * off and len are a READ's.  0 or -1 with err set.
 */
int
fetch_send(struct run *r, int type, size_t mi, uint64_t off, uint32_t len,
    struct error *err)
{
	struct message *m = &r->msgs[mi];
	char path[8192];
	int rc;

	snprintf(path, sizeof(path), "%s/new/%s", r->remote, m->name);
	switch (type) {
	case SSH_FXP_OPEN:
		rc = sftp_send_open(r->c, path, mi, err);
		break;
	case SSH_FXP_READ:
		rc = sftp_send_read(r->c, m->handle, m->handlelen, off, len,
		    mi, err);
		break;
	case SSH_FXP_CLOSE:
		rc = sftp_send_close(r->c, m->handle, m->handlelen, mi, err);
		break;
	case SSH_FXP_LSTAT:
		rc = sftp_send_lstat(r->c, path, mi, err);
		break;
	case SSH_FXP_REMOVE:
	default:
		rc = sftp_send_remove(r->c, path, mi, err);
		break;
	}
	if (rc == -1)
		error_prefix(err, "%s", path);
	return rc;
}

/* Takes message mi off the list of files being opened or read. */
static void
active_remove(struct run *r, size_t mi)
{
	size_t i;

	for (i = 0; i < r->nactive; i++)
		if (r->active[i] == mi) {
			memmove(&r->active[i], &r->active[i + 1],
			    (r->nactive - i - 1) * sizeof(r->active[0]));
			r->nactive--;
			return;
		}
}

/* Closes the remote handle of m, if open. */
int
fetch_close_handle(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];

	int rc;

	if (!m->handle_open)
		return 0;
	m->handle_open = 0;
	rc = fetch_send(r, SSH_FXP_CLOSE, mi, 0, 0, err);
	/* The request holds its own copy; thousands of messages hold none. */
	free(m->handle);
	m->handle = NULL;
	return rc;
}

/*
 * Gives up on m: it stays on the server.  Its tmp file was never
 * recorded, so it simply goes.
 */
static int
fail_msg(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];
	char tmp[TMPPOOL_NAME];

	if (m->fd != -1) {
		close(m->fd);
		m->fd = -1;
		deliver_discard(r->job->md, run_tmpname(r, m, tmp));
	}
	active_remove(r, mi);
	m->state = MSG_FAIL;
	r->status = STATUS_PARTIAL;
	return fetch_close_handle(r, mi, err);
}

/* Declared first so the compiler checks fmt against its arguments. */
static int
fail_msgf(struct run *r, size_t mi, struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Warns about message mi in the account's name, as "REMOTE/new/NAME:
 * what; left on the server" with the server's name made printable, and
 * gives up on it as fail_msg does: its tmp file goes and the pull's
 * status becomes STATUS_PARTIAL.  The warning is the message's whole
 * report.  Returns 0, or -1 with err set when the CLOSE of its open
 * handle could not be queued (memory ran out): that ends the pull, not
 * only this message.
 */
static int
fail_msgf(struct run *r, size_t mi, struct error *err, const char *fmt, ...)
{
	char buf[1024], name[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printable(r->msgs[mi].name, name, sizeof(name));
	say_warn(r->account, "%s/new/%s: %s; left on the server", r->remote,
	    name, buf);
	return fail_msg(r, mi, err);
}

/*
 * A local error about message mi: it stays on the server.  A full disk
 * or a tmp/ where no file can be made stops new downloads (the next
 * would meet the same), one bad write fails that message alone.
 */
static int
fail_local(struct run *r, size_t mi, const struct error *local,
    int saved_errno, int dir_broken, struct error *err)
{
	char name[1100];

	if (dir_broken || saved_errno == ENOSPC || saved_errno == EDQUOT) {
		if (r->nonew && dir_broken)
			return fail_msg(r, mi, err);	/* said once */
		r->nonew = 1;
	}
	printable(r->msgs[mi].name, name, sizeof(name));
	say_warn(r->account, "%s/new/%s: %s; it stays on the server",
	    r->remote, name, local->msg);
	return fail_msg(r, mi, err);
}

/*
 * Sends LSTATs for the messages that wait to be opened or removed, in
 * the order they are, up to message limit (exclusive) and within the
 * window.  Messages that will not be opened (a stop, a broken local side)
 * are passed over; earlier deliveries are still proven, their removes go
 * on.  With unlisted set, only entries whose listing lacked their type or
 * size.  Returns 1 if any was sent, 0, or -1 with err set.
 */
static int
send_lstats(struct run *r, size_t limit, int unlisted, struct error *err)
{
	struct message *m;
	int sent = 0;

	if (limit > r->nmsgs)
		limit = r->nmsgs;
	while (r->next_lstat < limit && r->nlstats < LSTATS_INFLIGHT &&
	    sftp_inflight(r->c) < REQS_INFLIGHT) {
		m = &r->msgs[r->next_lstat];
		if (m->state != MSG_WAIT || m->proof != PROOF_NONE ||
		    (!m->earlier && (*r->job->stop || r->nonew)) ||
		    (unlisted && m->has_perms && m->has_size)) {
			r->next_lstat++;
			continue;
		}
		if (fetch_send(r, SSH_FXP_LSTAT, r->next_lstat, 0, 0, err) == -1)
			return -1;
		m->proof = PROOF_ASKED;
		r->nlstats++;
		r->next_lstat++;
		sent = 1;
	}
	return sent;
}

/* m is not transferred after all: the progress totals forget it. */
static void
unselect(struct run *r, const struct message *m)
{
	if (!r->selected || m->earlier)
		return;
	r->total--;
	r->totalbytes -= m->size;
}

/*
 * The answer to a message's LSTAT, which never follows a symlink: only a
 * regular file of the listed size is opened or removed.  Anything else
 * is skipped with a warning (SPEC 4: never opened), a message that has
 * vanished meanwhile quietly (-v says so), as at OPEN.
 */
static int
on_lstat(struct run *r, size_t mi, const struct proto_reply *rep,
    struct error *err)
{
	struct message *m = &r->msgs[mi];
	const struct proto_attrs *a = &rep->attrs;
	char name[1100];

	r->nlstats--;
	if (m->state != MSG_WAIT)
		return 0;
	printable(m->name, name, sizeof(name));
	if (rep->type == SSH_FXP_STATUS) {
		unselect(r, m);
		if (rep->status == SSH_FX_NO_SUCH_FILE) {
			say_info(1, r->account, "%s/new/%s vanished from the "
			    "server; skipped", r->remote, name);
			m->state = MSG_SKIP;
			return 0;
		}
		return fail_msgf(r, mi, err, "lstat: %s",
		    proto_status_str(rep->status));
	}
	if (rep->type != SSH_FXP_ATTRS)
		return error_set(err, ERR_TRANSIENT, "LSTAT answered with "
		    "packet type %u", rep->type);
	if (!(a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) ||
	    !(a->flags & SSH_FILEXFER_ATTR_SIZE)) {
		unselect(r, m);
		say_warn(r->account, "%s/new/%s: skipped: the server does not "
		    "tell its type and size", r->remote, name);
		m->state = MSG_SKIP;
		return 0;
	}
	if (!S_ISREG(a->permissions)) {
		unselect(r, m);
		say_warn(r->account, "%s/new/%s: skipped: %s%s", r->remote,
		    name, list_type_name(a->permissions), m->has_perms ?
		    " (listed as a regular file)" : "");
		m->state = MSG_SKIP;
		return 0;
	}
	if (m->has_size && a->size != m->size) {
		/* Not the file listed: the next run lists it anew. */
		unselect(r, m);
		return fail_msgf(r, mi, err, "listed with %llu bytes, has %llu",
		    (unsigned long long)m->size, (unsigned long long)a->size);
	}
	m->size = a->size;
	m->has_size = m->has_perms = 1;
	m->perms = a->permissions;
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		m->atime = a->atime;
		m->mtime = a->mtime;
	}
	m->proof = PROOF_REGULAR;
	return 0;
}

/*
 * Sends what the window allows: LSTATs ahead, OPENs of proven messages
 * (nothing new after a stop or with a broken local side), and REMOVEs of
 * earlier runs' deliveries once proven.  Returns 1 if anything was sent,
 * 0, or -1 with err set.
 */
static int
start_msgs(struct run *r, struct error *err)
{
	struct message *m;
	size_t limit;
	int started = 0, rc;

	/*
	 * The proofs run ahead of the next OPEN, or of the next remove of
	 * an earlier delivery while one waits for its proof; not further,
	 * so that they come in step with the files, not all at the start.
	 */
	limit = r->next + LSTAT_AHEAD;
	if (r->next_remove < r->nmsgs && r->next_remove + LSTAT_AHEAD > limit)
		limit = r->next_remove + LSTAT_AHEAD;
	if ((rc = send_lstats(r, limit, 0, err)) == -1)
		return -1;
	started |= rc;
	while (r->nfiles < r->files_max && sftp_inflight(r->c) < REQS_INFLIGHT &&
	    !*r->job->stop && !r->nonew && r->next < r->nmsgs) {
		m = &r->msgs[r->next];
		if (m->state != MSG_WAIT || m->earlier) {
			r->next++;
			continue;
		}
		if (m->proof != PROOF_REGULAR)
			break;		/* its LSTAT is on the way */
		if (fetch_send(r, SSH_FXP_OPEN, r->next, 0, 0, err) == -1)
			return -1;
		m->state = MSG_OPEN;
		r->active[r->nactive++] = r->next;
		r->nfiles++;
		r->next++;
		started = 1;
	}
	/* Remote copies of earlier deliveries go first: it is all they need. */
	while (sftp_inflight(r->c) < REQS_INFLIGHT && r->next_remove < r->nmsgs) {
		m = &r->msgs[r->next_remove];
		if (m->earlier && m->state == MSG_WAIT) {
			if (m->proof != PROOF_REGULAR)
				break;
			if (fetch_send(r, SSH_FXP_REMOVE, r->next_remove, 0, 0,
			    err) == -1)
				return -1;
			m->state = MSG_REMOVE;
			started = 1;
		}
		r->next_remove++;
	}
	return started;
}

/*
 * Asks for the next pieces of the files being read, oldest file first.
 * The pieces cover one byte more than the listed size: a reply that ends
 * short exactly at the size (or an EOF there) proves the file is the one
 * listed, at no extra round trip; a byte more means it grew.  A file
 * read whole by one READ is CLOSEd right behind it, so that it holds
 * its place among the files in flight two round trips (OPEN, READ), not
 * three: the server answers in order, the READ before the CLOSE.  Not
 * with a server seen reading short (on_read opens such a file again).
 */
static int
issue_reads(struct run *r, struct error *err)
{
	struct message *m;
	uint64_t len;
	size_t i;
	int issued = 0;

	for (i = 0; i < r->nactive && r->nreads < 2 * r->files_max &&
	    sftp_inflight(r->c) < REQS_INFLIGHT; i++) {
		m = &r->msgs[r->active[i]];
		if (m->state != MSG_READ)
			continue;
		while (m->next_off <= m->size && r->nreads < 2 * r->files_max &&
		    sftp_inflight(r->c) < REQS_INFLIGHT) {
			/*
			 * Never over READ_CHUNK, which SFTP servers should
			 * serve whole: a server that clamps longer reads
			 * would otherwise be short by one byte at the size
			 * without the file ending there.
			 */
			len = m->size + 1 - m->next_off;
			if (len > READ_CHUNK)
				len = READ_CHUNK;
			if (fetch_send(r, SSH_FXP_READ, r->active[i], m->next_off,
			    (uint32_t)len, err) == -1)
				return -1;
			m->next_off += len;
			m->reads++;
			r->nreads++;
			issued = 1;
		}
		if (m->next_off > m->size && m->reads == 1 &&
		    m->next_off <= READ_CHUNK && !r->short_reads &&
		    fetch_close_handle(r, r->active[i], err) == -1)
			return -1;
	}
	return issued;
}

/* All bytes in and the end seen: close the handle and the file. */
static int
finish_download(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];
	struct error local;
	char tmp[TMPPOOL_NAME];
	int fd = m->fd;

	active_remove(r, mi);
	if (fetch_close_handle(r, mi, err) == -1)
		return -1;
	m->fd = -1;
	if (deliver_close(r->job->md, fd, run_tmpname(r, m, tmp), m->atime,
	    m->mtime, &local) == -1) {
		int saved = errno;

		deliver_discard(r->job->md, tmp);
		return fail_local(r, mi, &local, saved, 0, err);
	}
	fault_point("tmp-written");
	m->state = MSG_READY;
	if (r->nready == 0)
		clock_gettime(CLOCK_MONOTONIC, &r->ready_since);
	r->ready[r->nready++] = mi;
	return 0;
}

/*
 * The answer to message mi's OPEN: the handle kept and a tmp file taken
 * for it, or the message skipped (vanished) or failed.  0, or -1 with err
 * set when the account cannot go on.
 */
static int
on_open(struct run *r, size_t mi, const struct proto_reply *rep,
    struct error *err)
{
	struct message *m = &r->msgs[mi];
	struct error local;
	char name[1100];

	if (rep->type == SSH_FXP_STATUS) {
		r->nfiles--;
		if (m->fd != -1)	/* opened again after a short read */
			return fail_msgf(r, mi, err, "open again: %s",
			    proto_status_str(rep->status));
		active_remove(r, mi);
		if (rep->status == SSH_FX_NO_SUCH_FILE) {
			/* Moved by the server's own mail client: not ours now. */
			printable(m->name, name, sizeof(name));
			say_info(1, r->account, "%s/new/%s vanished from the "
			    "server; skipped", r->remote, name);
			m->state = MSG_SKIP;
			r->total--;
			r->totalbytes -= m->size;
			return 0;
		}
		return fail_msgf(r, mi, err, "open: %s",
		    proto_status_str(rep->status));
	}
	if (rep->type != SSH_FXP_HANDLE)
		return error_set(err, ERR_TRANSIENT, "OPEN answered with "
		    "packet type %u", rep->type);
	if ((m->handle = malloc(rep->handlelen)) == NULL)
		return error_errno(err, ERR_TRANSIENT, "malloc");
	memcpy(m->handle, rep->handle, rep->handlelen);
	m->handlelen = rep->handlelen;
	m->handle_open = 1;
	if (m->fd == -1 &&
	    (m->fd = tmppool_take(&r->pool, &m->tmpseq, &local)) == -1)
		return fail_local(r, mi, &local, errno, 1, err);
	m->state = MSG_READ;
	return 0;
}

/*
 * The answer to READ q: its bytes written at their offset (replies may
 * come in any order), a short read asked again, and the download
 * finished once the end is proven (see issue_reads).  0, or -1 with err
 * set when the account cannot go on.
 */
static int
on_read(struct run *r, const struct sftp_req *q, const struct proto_reply *rep,
    struct error *err)
{
	struct message *m = &r->msgs[q->tag];
	struct error local;
	char tmp[TMPPOOL_NAME];
	ssize_t n;
	size_t done;

	m->reads--;
	r->nreads--;
	if (m->state != MSG_READ)
		return 0;	/* the message failed meanwhile */
	if (rep->type == SSH_FXP_STATUS) {
		if (rep->status != SSH_FX_EOF)
			return fail_msgf(r, q->tag, err, "read: %s",
			    proto_status_str(rep->status));
		if (q->off < m->size)
			return fail_msgf(r, q->tag, err, "shorter than the "
			    "%llu bytes listed", (unsigned long long)m->size);
		m->eof_seen = 1;
	} else if (rep->type == SSH_FXP_DATA) {
		if (rep->datalen > q->len)
			return fail_msgf(r, q->tag, err, "the server sent %zu "
			    "bytes for a read of %u", rep->datalen, q->len);
		if (q->off + rep->datalen > m->size)
			return fail_msgf(r, q->tag, err, "longer than the "
			    "%llu bytes listed", (unsigned long long)m->size);
		if (rep->datalen == 0)
			return fail_msgf(r, q->tag, err, "empty read");
		for (done = 0; done < rep->datalen; done += n) {
			n = pwrite(m->fd, rep->data + done, rep->datalen - done,
			    q->off + done);
			if (n == -1) {
				int saved = errno;

				error_errno(&local, ERR_MAILBOX,
				    "%s/tmp/%s: write", r->job->md->path,
				    run_tmpname(r, m, tmp));
				return fail_local(r, q->tag, &local, saved, 0,
				    err);
			}
		}
		m->got += rep->datalen;
		r->donebytes += rep->datalen;
		if (rep->datalen < q->len) {
			/*
			 * Short by just the extra byte: the end, from a
			 * server that reads short only there (OpenSSH's).
			 * One seen reading short elsewhere must show the
			 * end with an EOF: the rest is asked for below.
			 */
			if (q->off + rep->datalen == m->size &&
			    q->off + q->len == m->size + 1 && !r->short_reads)
				m->eof_seen = 1;
			else if (!m->handle_open) {
				/*
				 * Its CLOSE went out behind this READ
				 * (issue_reads): open it again for the
				 * rest, and close no file early again.
				 */
				r->short_reads = 1;
				m->next_off = q->off + rep->datalen;
				m->state = MSG_OPEN;
				r->nfiles++;
				return fetch_send(r, SSH_FXP_OPEN, q->tag, 0, 0,
				    err);
			} else {
				if (q->off + rep->datalen != m->size)
					r->short_reads = 1;
				/* A short read: ask again for the rest. */
				if (fetch_send(r, SSH_FXP_READ, q->tag,
				    q->off + rep->datalen,
				    q->len - (uint32_t)rep->datalen, err) == -1)
					return -1;
				m->reads++;
				r->nreads++;
			}
		}
	} else
		return error_set(err, ERR_TRANSIENT, "READ answered with "
		    "packet type %u", rep->type);
	if (m->eof_seen && m->reads == 0) {
		if (m->got != m->size)
			return fail_msgf(r, q->tag, err, "got %llu of %llu "
			    "bytes", (unsigned long long)m->got,
			    (unsigned long long)m->size);
		return finish_download(r, q->tag, err);
	}
	return 0;
}

/*
 * The answer to message mi's REMOVE: done, and dropped from the record
 * once the server's copy is gone; a failure is counted for the one
 * warning of fetch_report_removes.  0, or -1 with err set.
 */
static int
on_remove(struct run *r, size_t mi, const struct proto_reply *rep,
    struct error *err)
{
	struct message *m = &r->msgs[mi];
	char name[1100];

	if (rep->type != SSH_FXP_STATUS)
		return error_set(err, ERR_TRANSIENT, "REMOVE answered with "
		    "packet type %u", rep->type);
	fault_point("remove-answered");
	printable(m->name, name, sizeof(name));
	m->state = MSG_DONE;
	if (rep->status != SSH_FX_OK && rep->status != SSH_FX_NO_SUCH_FILE) {
		/* Told once for the pull (fetch_report_removes): -v names each. */
		say_info(1, r->account, "%s/new/%s: delivered, but deleting "
		    "the server's copy failed: %s", r->remote, name,
		    proto_status_str(rep->status));
		if (r->remove_failed++ == 0)
			r->remove_status = rep->status;
		else if (rep->status != r->remove_status)
			r->remove_mixed = 1;
		r->status = STATUS_PARTIAL;
		return 0;
	}
	if (m->earlier)
		say_info(1, r->account, "%s/new/%s: deleted (delivered by an "
		    "earlier run)", r->remote, name);
	if (record_drop(r->job->rec, m->name, err) == -1)
		return -1;
	fault_point("dropped");
	return 0;
}

/* Hands the answer rep to request q to the handler of q's kind. */
static int
on_reply(struct run *r, const struct proto_reply *rep,
    const struct sftp_req *q, struct error *err)
{
	switch (q->type) {
	case SSH_FXP_OPEN:
		return on_open(r, q->tag, rep, err);
	case SSH_FXP_READ:
		return on_read(r, q, rep, err);
	case SSH_FXP_CLOSE:
		/* A failed close of a file we only read loses nothing. */
		r->nfiles--;
		return 0;
	case SSH_FXP_REMOVE:
		return on_remove(r, q->tag, rep, err);
	case SSH_FXP_LSTAT:
		return on_lstat(r, q->tag, rep, err);
	}
	return 0;
}

/*
 * Proves the waiting messages (with unlisted set, only those whose
 * listing lacked their type or size) with pipelined LSTATs and waits for
 * every answer, outside the transfer: for the listing, and for a dry run.
 */
int
fetch_prove(struct run *r, int unlisted, struct error *err)
{
	struct proto_reply rep;
	struct sftp_req q;
	int rc;

	r->next_lstat = 0;
	for (;;) {
		while ((rc = sftp_reply(r->c, &rep, &q, err)) == 1)
			if (on_reply(r, &rep, &q, err) == -1)
				return -1;
		/*
		 * After the answers, which make room for the next LSTATs:
		 * sent before them, with the window full, nothing would be
		 * queued once the last answer was read, and the wait below
		 * would wait for an answer to nothing.
		 */
		if (rc == -1 || send_lstats(r, r->nmsgs, unlisted, err) == -1)
			return -1;
		if (sftp_inflight(r->c) == 0 && r->next_lstat >= r->nmsgs) {
			r->next_lstat = 0;
			return 0;
		}
		if (sftp_pump(r->c, 1, err) == -1)
			return -1;
	}
}

/*
 * One warning for the pull's failed remote deletes, not one per message:
 * a read-only Maildir on the server fails them all, every run.
 */
void
fetch_report_removes(struct run *r)
{
	if (r->remove_failed == 0)
		return;
	say_warn(r->account, "%s/new: deleting the server's copy failed for "
	    "%llu delivered message%s (%s%s); the next run tries again; if "
	    "the server's Maildir is read-only, set 'keep yes' to copy mail "
	    "without deleting it", r->remote,
	    (unsigned long long)r->remove_failed,
	    r->remove_failed == 1 ? "" : "s",
	    proto_status_str(r->remove_status),
	    r->remove_mixed ? ", and other errors" : "");
}

static int
cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int
fetch_delivered(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];

	if (r->job->acct->keep) {
		m->state = MSG_DONE;
		return 0;
	}
	m->state = MSG_REMOVE;
	r->removes_sent = 1;
	return fetch_send(r, SSH_FXP_REMOVE, mi, 0, 0, err);
}

/*
 * Gives the next queued message to its filter or its command, or saves
 * its attachments, the queue sorted into listing order first.  After the
 * first signal nothing new starts: the messages not given stay on the
 * server (their files go with the pull).  0, or -1 with err set.
 */
static int
run_pipes(struct run *r, struct error *err)
{
	size_t mi;

	if (r->pipe_next == 0)
		qsort(r->pipeq, r->npipeq, sizeof(r->pipeq[0]), cmp_index);
	if (*r->job->stop || r->nonew) {
		r->pipe_next = r->npipeq;
		return 0;
	}
	mi = r->pipeq[r->pipe_next++];
	/* first through the pull's filter, which sends it on itself */
	if (filter_wanted(r, &r->msgs[mi]))
		return filter_message(r, mi, err);
	if (r->msgs[mi].dest == TO_SAVE)
		return save_message(r, mi, err);
	return pipe_message(r, mi, err);
}

/*
 * Sizes the files in flight from the connection's round trip (engine.h):
 * enough to keep a far server busy, no more near, where more only adds
 * work in progress.
 */
void
fetch_window(struct run *r)
{
	long rtt = sftp_rtt(r->c);

	r->files_max = FILES_INFLIGHT;
	if (rtt / FILES_RTT_MS > 1)
		r->files_max = FILES_INFLIGHT * (rtt / FILES_RTT_MS);
	if (r->files_max > FILES_INFLIGHT_MAX)
		r->files_max = FILES_INFLIGHT_MAX;
	say_info(2, r->account, "%d files in flight at most (round trip "
	    "%ld ms)", r->files_max, rtt);
}

/*
 * The transfer loop: sends what the windows allow, handles the answers,
 * moves batches to and from the commit thread, and waits on the network
 * or the committer only when nothing could move.  Returns 0 once every
 * selected message is done, skipped or failed, or -1 with err set when
 * the account cannot go on.
 */
int
fetch_transfer(struct run *r, struct error *err)
{
	struct proto_reply rep;
	struct sftp_req q;
	struct error local;
	int busy, rc, wrc;

	for (;;) {
		busy = 0;
		if ((rc = start_msgs(r, err)) == -1)
			return -1;
		busy |= rc;
		if ((rc = issue_reads(r, err)) == -1)
			return -1;
		busy |= rc;
		while ((rc = sftp_reply(r->c, &rep, &q, err)) == 1) {
			busy = 1;
			if (on_reply(r, &rep, &q, err) == -1)
				return -1;
		}
		if (rc == -1)
			return -1;
		if (r->nbatch > 0 && committer_collect(&r->committer, 0, &wrc,
		    &local)) {
			if (batch_finish(r, wrc, &local, err) == -1)
				return -1;
			busy = 1;
		}
		if (batch_due(r)) {
			batch_submit(r);
			busy = 1;
		}
		say_progress(r->done, r->total, r->donebytes, r->totalbytes);
		if (*r->job->stop)
			say_stopping(r->nactive + r->nready + r->nbatch);
		/*
		 * Pipes and attachments run once every download is done, one
		 * at a time in listing order (SPEC 8): a command may take
		 * minutes, and the network must not wait on it meanwhile.
		 */
		if (r->nactive == 0 && r->nready == 0 && r->nbatch == 0 &&
		    !busy && r->pipe_next < r->npipeq) {
			if ((rc = run_pipes(r, err)) == -1)
				return -1;
			busy = 1;
		}
		if (sftp_inflight(r->c) == 0 && r->nready == 0 && r->nbatch == 0 &&
		    !busy && !sftp_pending_output(r->c))
			break;
		/*
		 * A wait ends with the network or the committer's pipe; a
		 * batch that waits to grow has downloads in flight.
		 */
		if (sftp_pump(r->c, !busy, err) == -1)
			return -1;
		if (r->removes_sent && !sftp_pending_output(r->c)) {
			/* REMOVEs on the wire, their answers not yet read. */
			fault_point("remove-sent");
			r->removes_sent = 0;
		}
	}
	return 0;
}
