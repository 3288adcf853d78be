/*
 * The transfer engine of one pull.  Requests are pipelined on one SFTP
 * channel and matched to replies by id (the table below); the per-message
 * order of SPEC 4 never changes:
 *
 *   download into tmp/ -> size checked, mtime set, fsync -> fsync tmp/ ->
 *   name in the record, fsync -> rename into new/ (no replace) ->
 *   fsync new/ -> REMOVE on the server -> drop from the record.
 *
 * Commits are batched: one fsync of tmp/, the record and new/ per batch.
 * A message whose remote copy may go is always durable locally first;
 * an abort simply stops, and the record tells the next run the rest.
 *
 * What a listing says about a file's type is the server's claim, not a
 * fact: some servers (those built from Paramiko's stub) fill READDIR's
 * attributes from stat(2), so a symlink there looks like its target.
 * Before a message is opened or removed, an LSTAT of its own proves it a
 * regular file of the listed size; the LSTATs run ahead of the OPENs, so
 * they cost no round trip once the transfer is under way.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "deliver.h"
#include "util/fault.h"
#include "msg.h"
#include "names.h"
#include "pull.h"
#include "tmppool.h"
#include "worker.h"

/*
 * How much is in flight.  Enough files and reads to cover a 50 ms round
 * trip at loopback speed; the channel window (client.c) bounds the bytes
 * that can actually be on the way to us, and so our memory.
 */
#define FILES_INFLIGHT	128	/* remote files open at once */
#define READS_INFLIGHT	256	/* READs in flight, all files together */
#define READ_CHUNK	32768	/* what every SFTP server serves in one READ */
#define READDIRS	8	/* READDIRs in flight per directory */
#define LSTATS_INFLIGHT	256	/* LSTATs in flight... */
#define LSTAT_AHEAD	512	/* ...at most this many messages ahead */
#define BATCH_MIN	32	/* a batch waits for this many messages... */
#define BATCH_MAX	1024
#define BATCH_WAIT_MS	100	/* ...or this long, or the end of the downloads */
#define REQ_SLOTS	2048	/* power of two, above every limit combined */
#define REQ_LIMIT	1024
/*
 * A listing is cut short at LIST_KEEP candidates or LIST_READ entries:
 * memory stays bounded whatever the size of new/ (a backlog, or a
 * hostile server's endless list), and the rest waits for the next run.
 */
#define LIST_KEEP	50000
#define LIST_READ	500000
#define TMP_OLD		(36 * 3600)
#define SPACE_RESERVE	(1024 * 1024)

enum msg_state {
	MSG_WAIT,	/* listed, not started */
	MSG_OPEN,	/* OPEN sent */
	MSG_READ,	/* handle held, reading into tmp/ */
	MSG_READY,	/* downloaded and closed, waiting for its batch */
	MSG_COMMIT,	/* with the commit worker */
	MSG_REMOVE,	/* in new/, REMOVE sent */
	MSG_DONE,
	MSG_SKIP,	/* left on the server on purpose */
	MSG_FAIL	/* left on the server after an error */
};

/* What an LSTAT of the message's own says (the listing is not proof). */
enum msg_proof {
	PROOF_NONE,	/* not asked yet */
	PROOF_ASKED,	/* LSTAT sent */
	PROOF_REGULAR	/* a regular file of the listed size: may be opened */
};

/*
 * One listed message.  There may be hundreds of thousands: what only a
 * file being read needs is small or allocated only while it is open.
 */
struct msg {
	char		*name;
	uint64_t	 size;
	uint64_t	 next_off;	/* next byte to ask for */
	uint64_t	 got;		/* bytes written */
	uint8_t		*handle;	/* only while the remote file is open */
	uint32_t	 atime, mtime;
	uint32_t	 perms;
	unsigned int	 tmpseq;	/* its file in tmp/ (tmppool_name) */
	int		 fd;
	uint16_t	 handlelen;
	uint16_t	 reads;		/* READs in flight */
	uint8_t		 state;		/* enum msg_state */
	uint8_t		 has_perms, has_size;
	uint8_t		 earlier;	/* delivered by an earlier run: remove only */
	uint8_t		 verify;	/* the record says delivered: check the file */
	uint8_t		 handle_open;
	uint8_t		 eof_seen;	/* the server said the file ends at size */
	uint8_t		 proof;		/* enum msg_proof */
};

enum req_kind { REQ_OPEN, REQ_READ, REQ_CLOSE, REQ_REMOVE, REQ_LSTAT };

struct req {
	uint32_t	 id;
	int		 used;
	enum req_kind	 kind;
	size_t		 msg;
	uint64_t	 off;
	uint32_t	 len;
};

struct run {
	const struct pull_job *job;
	const char	*account;
	struct sftp	*c;
	char		 remote[4096];	/* REMOTE without trailing slashes */
	struct msg	*msgs;
	size_t		 nmsgs;
	size_t		 msgcap;
	size_t		 next;		/* next message to start */
	size_t		 next_lstat;	/* next message to prove (LSTAT) */
	size_t		 next_remove;	/* next earlier delivery to remove */
	size_t		*active;	/* messages in MSG_OPEN or MSG_READ */
	size_t		 nactive;
	size_t		*ready;		/* messages in MSG_READY */
	size_t		 nready;
	struct timespec	 ready_since;
	struct worker	 worker;
	struct tmppool	 pool;		/* tmp files made ahead */
	struct commit_item *items;	/* the batch with the worker */
	char		(*tmpnames)[TMPPOOL_NAME];	/* its tmp files */
	size_t		*batch;		/* its messages */
	size_t		 nbatch;
	struct req	 reqs[REQ_SLOTS];
	int		 nreqs, nfiles, nreads, nlstats;
	struct localset	 local;		/* unique names in new/ and cur/ */
	struct pull_stats *st;
	uint64_t	 total, totalbytes, done, donebytes;
	int		 status;
	int		 nonew;		/* the local side is broken (disk full,
					   tmp/ unusable...): start nothing new */
	int		 removes_sent;	/* for the "remove-sent" crash point */
	int		 short_reads;	/* the server read short mid-file */
	int		 truncated;	/* the listing of new/ was cut short */
	int		 selected;	/* select_msgs has counted the totals */
	uint64_t	 remove_failed;	/* delivered, remote delete failed */
	uint32_t	 remove_status;	/* the first failure's SFTP status */
	int		 remove_mixed;	/* other failures had other statuses */
};

static void
printable(const char *name, char *buf, size_t size)
{
	names_printable(name, strlen(name), buf, size);
}

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* The name of m's file in tmp/; buf has TMPPOOL_NAME bytes. */
static const char *
tmp_of(const struct run *r, const struct msg *m, char *buf)
{
	tmppool_name(&r->pool, m->tmpseq, buf);
	return buf;
}

/* Queues one request and files it in the table under a free id. */
static int
send_req(struct run *r, enum req_kind kind, size_t mi, uint64_t off,
    uint32_t len, struct error *err)
{
	struct proto_buf *out = sftp_out(r->c);
	struct msg *m = &r->msgs[mi];
	struct req *q;
	char path[8192];
	uint32_t id;
	int rc;

	do {
		id = sftp_id(r->c);
		q = &r->reqs[id & (REQ_SLOTS - 1)];
	} while (q->used);
	snprintf(path, sizeof(path), "%s/new/%s", r->remote, m->name);
	switch (kind) {
	case REQ_OPEN:
		rc = proto_open(out, id, path, SSH_FXF_READ);
		break;
	case REQ_READ:
		rc = proto_read(out, id, m->handle, m->handlelen, off, len);
		break;
	case REQ_CLOSE:
		rc = proto_close(out, id, m->handle, m->handlelen);
		break;
	case REQ_LSTAT:
		rc = proto_lstat(out, id, path);
		break;
	case REQ_REMOVE:
	default:
		rc = proto_remove(out, id, path);
		break;
	}
	if (rc == -1)
		return error_set(err, STATUS_TEMPFAIL, "%s: request too long "
		    "or out of memory", path);
	q->id = id;
	q->used = 1;
	q->kind = kind;
	q->msg = mi;
	q->off = off;
	q->len = len;
	r->nreqs++;
	return 0;
}

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
static int
close_handle(struct run *r, size_t mi, struct error *err)
{
	struct msg *m = &r->msgs[mi];

	int rc;

	if (!m->handle_open)
		return 0;
	m->handle_open = 0;
	rc = send_req(r, REQ_CLOSE, mi, 0, 0, err);
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
	struct msg *m = &r->msgs[mi];
	char tmp[TMPPOOL_NAME];

	if (m->fd != -1) {
		close(m->fd);
		m->fd = -1;
		deliver_discard(r->job->md, tmp_of(r, m, tmp));
	}
	active_remove(r, mi);
	m->state = MSG_FAIL;
	r->status = STATUS_PARTIAL;
	return close_handle(r, mi, err);
}

/* Warns about m in the account's name and gives up on it. */
static int
fail_msgf(struct run *r, size_t mi, struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_msgf(struct run *r, size_t mi, struct error *err, const char *fmt, ...)
{
	char buf[1024], name[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printable(r->msgs[mi].name, name, sizeof(name));
	msg_warn(r->account, "%s/new/%s: %s; left on the server", r->remote,
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
	msg_warn(r->account, "%s/new/%s: %s; it stays on the server",
	    r->remote, name, local->msg);
	return fail_msg(r, mi, err);
}

/* ---- listing ---------------------------------------------------------- */

static const char *
type_name(uint32_t perms)
{
	switch (perms & S_IFMT) {
	case S_IFLNK:
		return "a symbolic link";
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a fifo";
	case S_IFCHR:
	case S_IFBLK:
		return "a device";
	case S_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

/* Adds a candidate: 0, or 1 when the listing holds all it may. */
static int
add_msg(struct run *r, const struct proto_name *n, struct error *err)
{
	struct msg *m;

	if (r->nmsgs >= LIST_KEEP)
		return 1;
	if (r->nmsgs == r->msgcap) {
		size_t cap = r->msgcap ? r->msgcap * 2 : 256;
		struct msg *p;

		if (cap > LIST_KEEP)
			cap = LIST_KEEP;
		if ((p = reallocarray(r->msgs, cap, sizeof(*p))) == NULL)
			return error_errno(err, STATUS_PARTIAL, "realloc");
		r->msgs = p;
		r->msgcap = cap;
	}
	m = &r->msgs[r->nmsgs];
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if ((m->name = strdup(n->name)) == NULL)
		return error_errno(err, STATUS_PARTIAL, "strdup");
	m->has_size = (n->attrs.flags & SSH_FILEXFER_ATTR_SIZE) != 0;
	m->size = n->attrs.size;
	m->has_perms = (n->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) != 0;
	m->perms = n->attrs.permissions;
	if (n->attrs.flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		m->atime = n->attrs.atime;
		m->mtime = n->attrs.mtime;
	} else
		m->atime = m->mtime = (uint32_t)time(NULL);
	r->nmsgs++;
	return 0;
}

/*
 * One entry of REMOTE/new: a candidate, or skipped with a warning.
 * Returns 0, 1 when the listing must stop there, or -1.
 */
static int
list_new_entry(struct run *r, const struct proto_name *n, struct error *err)
{
	const char *why;
	char name[1100];

	if (strcmp(n->name, ".") == 0 || strcmp(n->name, "..") == 0)
		return 0;
	names_printable(n->name, n->namelen, name, sizeof(name));
	if ((why = names_invalid(n->name, n->namelen)) != NULL) {
		msg_warn(r->account, "%s/new/%s: skipped: %s", r->remote,
		    name, why);
		return 0;
	}
	if ((n->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
	    !S_ISREG(n->attrs.permissions)) {
		msg_warn(r->account, "%s/new/%s: skipped: %s", r->remote,
		    name, type_name(n->attrs.permissions));
		return 0;
	}
	return add_msg(r, n, err);
}

static int
list_tmp_entry(struct run *r, const struct proto_name *n, struct error *err)
{
	char name[1100];
	time_t now = time(NULL);

	(void)err;
	if (n->name[0] == '.' || !(n->attrs.flags & SSH_FILEXFER_ATTR_ACMODTIME))
		return 0;
	if ((time_t)n->attrs.mtime + TMP_OLD < now) {
		names_printable(n->name, n->namelen, name, sizeof(name));
		msg_warn(r->account, "%s/tmp/%s is %lld hours old: a delivery "
		    "agent may have died writing it; left alone", r->remote,
		    name, (long long)(now - n->attrs.mtime) / 3600);
	}
	return 0;
}

/* One directory being listed; see list_dirs. */
struct lister {
	const char	*sub;
	int		 missing_ok;
	int		(*each)(struct run *, const struct proto_name *,
			    struct error *);	/* 0, 1: stop, -1 */
	char		 path[8192];
	uint8_t		 handle[PROTO_MAX_HANDLE];
	size_t		 handlelen;
	uint32_t	 ids[READDIRS + 2];	/* requests in flight */
	int		 nids;
	int		 eof;
	int		 full;		/* cut short: the rest is not read */
	size_t		 nread;		/* entries read */
	int		 closing;
	int		 done;
};

/* Queues a request for l and notes its id. */
static int
lister_send(struct run *r, struct lister *l, int type, struct error *err)
{
	struct proto_buf *out = sftp_out(r->c);
	uint32_t id = sftp_id(r->c);
	int rc;

	if (type == SSH_FXP_OPENDIR)
		rc = proto_opendir(out, id, l->path);
	else if (type == SSH_FXP_READDIR)
		rc = proto_readdir(out, id, l->handle, l->handlelen);
	else
		rc = proto_close(out, id, l->handle, l->handlelen);
	if (rc == -1)
		return error_set(err, STATUS_TEMPFAIL, "%s: path too long or "
		    "out of memory", l->path);
	l->ids[l->nids++] = id;
	return 0;
}

/* Finds the lister a reply belongs to and forgets the id. */
static struct lister *
lister_of(struct lister *ls, size_t n, uint32_t id)
{
	size_t i;
	int j;

	for (i = 0; i < n; i++)
		for (j = 0; j < ls[i].nids; j++)
			if (ls[i].ids[j] == id) {
				ls[i].ids[j] = ls[i].ids[--ls[i].nids];
				return &ls[i];
			}
	return NULL;
}

static int
lister_reply(struct run *r, struct lister *l, const struct proto_reply *rep,
    struct error *err)
{
	struct proto_names it;
	struct proto_name n;
	int rc;

	if (l->closing) {
		/* The CLOSE's answer (a failed close of a listing loses nothing). */
		l->done = 1;
		return 0;
	}
	if (l->handlelen == 0) {
		if (rep->type == SSH_FXP_STATUS) {
			if (l->missing_ok && rep->status == SSH_FX_NO_SUCH_FILE) {
				l->done = 1;
				return 0;
			}
			return error_set(err, STATUS_PARTIAL, "%s: cannot list: "
			    "%s", l->path, proto_status_str(rep->status));
		}
		if (rep->type != SSH_FXP_HANDLE)
			return error_set(err, STATUS_TEMPFAIL, "%s: OPENDIR "
			    "answered with packet type %u", l->path, rep->type);
		memcpy(l->handle, rep->handle, rep->handlelen);
		l->handlelen = rep->handlelen;
		/*
		 * Several READDIRs at once: the server answers them in
		 * turn, each with the next names, then EOF.  Without this a
		 * big new/ costs a round trip per hundred names.
		 */
		while (l->nids < READDIRS)
			if (lister_send(r, l, SSH_FXP_READDIR, err) == -1)
				return -1;
		return 0;
	}
	if (l->full) {
		/* Cut short: the answers still in flight are not read. */
	} else if (rep->type == SSH_FXP_STATUS) {
		if (rep->status != SSH_FX_EOF)
			return error_set(err, STATUS_PARTIAL, "%s: READDIR: %s",
			    l->path, proto_status_str(rep->status));
		l->eof = 1;
	} else if (rep->type == SSH_FXP_NAME) {
		proto_names_init(&it, rep);
		while ((rc = proto_names_next(&it, &n)) == 1) {
			if (++l->nread > LIST_READ ||
			    (rc = l->each(r, &n, err)) == 1) {
				l->full = l->eof = 1;
				break;
			}
			if (rc == -1)
				return -1;
		}
		if (rc == -1)
			return error_set(err, STATUS_TEMPFAIL, "%s: malformed "
			    "READDIR reply", l->path);
		if (!l->eof && lister_send(r, l, SSH_FXP_READDIR, err) == -1)
			return -1;
	} else
		return error_set(err, STATUS_TEMPFAIL, "%s: READDIR answered "
		    "with packet type %u", l->path, rep->type);
	if (l->eof && l->nids == 0) {
		l->closing = 1;
		return lister_send(r, l, SSH_FXP_CLOSE, err);
	}
	return 0;
}

/* list_dirs' work on the listers ls. */
static int
list_dirs_run(struct run *r, struct lister *ls, size_t n, struct error *err)
{
	struct proto_reply rep;
	struct lister *l;
	size_t i;
	int rc, left;

	ls[0].sub = "new";
	ls[0].each = list_new_entry;
	ls[1].sub = "tmp";
	ls[1].missing_ok = 1;
	ls[1].each = list_tmp_entry;
	for (i = 0; i < n; i++) {
		snprintf(ls[i].path, sizeof(ls[i].path), "%s/%s", r->remote,
		    ls[i].sub);
		if (lister_send(r, &ls[i], SSH_FXP_OPENDIR, err) == -1)
			return -1;
	}
	for (;;) {
		while ((rc = sftp_reply(r->c, &rep, err)) == 1) {
			if ((l = lister_of(ls, n, rep.id)) == NULL ||
			    rep.type == SSH_FXP_VERSION)
				return error_set(err, STATUS_TEMPFAIL, "the SFTP "
				    "server answered request %u, which is not "
				    "in flight", rep.id);
			if (lister_reply(r, l, &rep, err) == -1)
				return -1;
		}
		if (rc == -1)
			return -1;
		for (i = 0, left = 0; i < n; i++)
			left |= !ls[i].done;
		if (!left) {
			r->truncated = ls[0].full;
			return 0;
		}
		if (sftp_pump(r->c, 1, err) == -1)
			return -1;
	}
}

/*
 * After a failed listing, reads the answers still due to the listers and
 * closes the handles they opened, so that the account's next pull on the
 * same connection does not take them for answers to its own requests.
 * A connection that fails meanwhile ends the account anyway: nothing
 * more is read then.
 */
static void
lister_drain(struct run *r, struct lister *ls, size_t n)
{
	struct proto_reply rep;
	struct error ignored;
	struct lister *l;
	size_t i;
	int rc, left;

	for (;;) {
		for (i = 0; i < n; i++)
			if (ls[i].handlelen > 0 && !ls[i].closing &&
			    ls[i].nids == 0) {
				ls[i].closing = 1;
				if (lister_send(r, &ls[i], SSH_FXP_CLOSE,
				    &ignored) == -1)
					return;
			}
		for (i = 0, left = 0; i < n; i++)
			left |= ls[i].nids > 0;
		if (!left)
			return;
		if ((rc = sftp_reply(r->c, &rep, &ignored)) == 1) {
			if ((l = lister_of(ls, n, rep.id)) == NULL)
				return;
			/* An OPENDIR answered after all: its handle is closed. */
			if (l->handlelen == 0 && rep.type == SSH_FXP_HANDLE) {
				memcpy(l->handle, rep.handle, rep.handlelen);
				l->handlelen = rep.handlelen;
			}
			continue;
		}
		if (rc == -1 || sftp_pump(r->c, 1, &ignored) == -1)
			return;
	}
}

/*
 * Lists REMOTE/new and REMOTE/tmp at the same time, with OPENDIR and
 * pipelined READDIRs, calling each directory's function for every entry.
 * A missing tmp/ is fine; a missing new/ is an error, after which the
 * other listing's answers are drained (lister_drain).
 */
static int
list_dirs(struct run *r, struct error *err)
{
	struct lister ls[2];
	size_t n = 2;
	int rc;

	memset(ls, 0, sizeof(ls));
	if ((rc = list_dirs_run(r, ls, n, err)) == -1 &&
	    err->status == STATUS_PARTIAL)
		lister_drain(r, ls, n);
	return rc;
}

static int
cmp_msg(const void *a, const void *b)
{
	return strcmp(((const struct msg *)a)->name,
	    ((const struct msg *)b)->name);
}

/*
 * Sorts the listing by name (the order of delivery, oldest first for
 * the usual time-stamped names) and keeps one entry of a name listed
 * more than once: a server that does that is broken, and there is only
 * one file to fetch.  Also gives back what the growing array had spare.
 */
static int
sort_msgs(struct run *r, struct error *err)
{
	char name[1100];
	struct msg *p;
	size_t i, n;

	if (r->nmsgs == 0)
		return 0;
	qsort(r->msgs, r->nmsgs, sizeof(r->msgs[0]), cmp_msg);
	for (i = n = 1; i < r->nmsgs; i++) {
		if (strcmp(r->msgs[i].name, r->msgs[n - 1].name) != 0) {
			r->msgs[n++] = r->msgs[i];
			continue;
		}
		printable(r->msgs[i].name, name, sizeof(name));
		msg_warn(r->account, "%s/new/%s: listed more than once by "
		    "the server; fetched once", r->remote, name);
		free(r->msgs[i].name);
	}
	r->nmsgs = n;
	if ((p = reallocarray(r->msgs, r->nmsgs, sizeof(*p))) == NULL)
		return error_errno(err, STATUS_PARTIAL, "realloc");
	r->msgs = p;
	r->msgcap = r->nmsgs;
	return 0;
}

/* The listed message called name, or NULL. */
static struct msg *
find_msg(struct run *r, const char *name)
{
	struct msg key;

	if (r->nmsgs == 0)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, r->msgs, r->nmsgs, sizeof(r->msgs[0]), cmp_msg);
}

/* ---- what the record says about earlier runs --------------------------- */

/*
 * For each recorded message: its tmp file still there means the move into
 * new/ never happened (drop it); gone means it was delivered: with keep,
 * it is not fetched again; without, its remote copy is removed.
 */
static int
reconcile(struct run *r, struct error *err)
{
	const struct pull_job *job = r->job;
	struct record *rec = job->rec;
	struct nameset_entry *e;
	struct msg *l;
	struct stat st;
	char **names = NULL, name[1100];
	size_t n = 0, i, pos = 0, nstale = 0, nlinks = 0;
	int ret = -1, delivered;

	if (rec->entries.count == 0)
		return 0;
	if ((names = calloc(rec->entries.count, sizeof(*names))) == NULL)
		return error_errno(err, STATUS_PARTIAL, "calloc");
	while ((e = nameset_next(&rec->entries, &pos)) != NULL)
		if ((names[n++] = strdup(e->key)) == NULL) {
			error_errno(err, STATUS_PARTIAL, "strdup");
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
			if (!delivered) {
				nstale++;
				if (!job->dryrun &&
				    record_drop(rec, names[i], err) == -1)
					goto out;
				continue;
			}
			if (!job->dryrun) {
				deliver_discard(job->md, e->value);
				nlinks++;
			}
		} else if (errno != ENOENT) {
			error_errno(err, STATUS_PARTIAL, "%s/tmp/%s",
			    job->md->path, e->value);
			goto out;
		}
		l = find_msg(r, names[i]);
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
		/* Its file in new/ is checked once the local scan is done. */
		l->verify = 1;
		if (localset_want(&r->local, record_final(rec, names[i]),
		    err) == -1)
			goto out;
		if (job->acct->keep) {
			l->state = MSG_DONE;
			continue;
		}
		if (l->size != e->num) {
			msg_warn(r->account, "%s/new/%s: delivered by an earlier "
			    "run with %llu bytes, the server's copy now has "
			    "%llu: left alone", r->remote, name,
			    (unsigned long long)e->num,
			    (unsigned long long)l->size);
			l->state = MSG_SKIP;
			r->status = STATUS_PARTIAL;
			continue;
		}
		l->earlier = 1;
	}
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
static int
verify_earlier(struct run *r, struct error *err)
{
	const struct pull_job *job = r->job;
	struct nameset_entry *e;
	struct msg *m;
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
		if (e == NULL)
			continue;
		final = record_final(job->rec, m->name);
		found = localset_find(&r->local, job->md, final, local,
		    sizeof(local), err);
		if (found == -1)
			return -1;
		if (!found || strncmp(local, "new/", 4) != 0)
			continue;
		if (fstatat(job->md->newfd, local + 4, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			return error_errno(err, STATUS_PARTIAL, "%s/%s",
			    job->md->path, local);
		}
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->num)
			continue;
		printable(m->name, name, sizeof(name));
		printable(local, lname, sizeof(lname));
		msg_warn(r->account, "%s/new/%s: an earlier run delivered it "
		    "as %s/%s, which has %lld of the %llu bytes recorded (lost "
		    "in a power cut?); not taken for a delivery: the server's "
		    "copy stays and is fetched again, and that file is left "
		    "alone", r->remote, name, job->md->path, lname,
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
static int
scan_local(struct run *r, struct error *err)
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

/* Applies max-size, max-messages and the free space to the candidates. */
static int
select_msgs(struct run *r, struct error *err)
{
	const struct account *a = r->job->acct;
	uint64_t avail = UINT64_MAX, need = 0, count = 0, waitn = 0;
	uint64_t waitbytes = 0, later = 0;
	char name[1100];
	struct msg *m;
	size_t i;

	if (r->job->md->fd != -1 && maildir_avail(r->job->md, &avail, err) == -1)
		return -1;
	avail = avail > SPACE_RESERVE ? avail - SPACE_RESERVE : 0;
	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		if (m->state != MSG_WAIT || m->earlier)
			continue;
		if (a->max_size > 0 && m->size > a->max_size) {
			printable(m->name, name, sizeof(name));
			msg_warn(r->account, "%s/new/%s: %llu bytes, over "
			    "max-size; left on the server", r->remote, name,
			    (unsigned long long)m->size);
			m->state = MSG_SKIP;
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
		msg_info(1, r->account, "%s: %llu messages wait for the next "
		    "run (max-messages)", r->remote, (unsigned long long)later);
	if (waitn > 0) {
		msg_warn(r->account, "%s: %llu messages (%llu bytes) do not "
		    "fit in the free space of %s; they wait on the server",
		    r->remote, (unsigned long long)waitn,
		    (unsigned long long)waitbytes, r->job->md->path);
		r->status = STATUS_PARTIAL;
	}
	return 0;
}

static void
dry_run(struct run *r)
{
	const char *verb = r->job->acct->keep ? "copy" : "move";
	char name[1100];
	struct msg *m;
	size_t i;

	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		printable(m->name, name, sizeof(name));
		if (m->earlier)
			msg_out(r->account, "would delete %s/new/%s (delivered "
			    "by an earlier run)", r->remote, name);
		else if (m->state == MSG_WAIT)
			msg_out(r->account, "would %s %s/new/%s (%llu bytes) "
			    "to %s/new", verb, r->remote, name,
			    (unsigned long long)m->size, r->job->pull->local);
	}
}

/* ---- proof of a regular file ----------------------------------------- */

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
	struct msg *m;
	int sent = 0;

	if (limit > r->nmsgs)
		limit = r->nmsgs;
	while (r->next_lstat < limit && r->nlstats < LSTATS_INFLIGHT &&
	    r->nreqs < REQ_LIMIT) {
		m = &r->msgs[r->next_lstat];
		if (m->state != MSG_WAIT || m->proof != PROOF_NONE ||
		    (!m->earlier && (*r->job->stop || r->nonew)) ||
		    (unlisted && m->has_perms && m->has_size)) {
			r->next_lstat++;
			continue;
		}
		if (send_req(r, REQ_LSTAT, r->next_lstat, 0, 0, err) == -1)
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
unselect(struct run *r, const struct msg *m)
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
	struct msg *m = &r->msgs[mi];
	const struct proto_attrs *a = &rep->attrs;
	char name[1100];

	r->nlstats--;
	if (m->state != MSG_WAIT)
		return 0;
	printable(m->name, name, sizeof(name));
	if (rep->type == SSH_FXP_STATUS) {
		unselect(r, m);
		if (rep->status == SSH_FX_NO_SUCH_FILE) {
			msg_info(1, r->account, "%s/new/%s vanished from the "
			    "server; skipped", r->remote, name);
			m->state = MSG_SKIP;
			return 0;
		}
		return fail_msgf(r, mi, err, "lstat: %s",
		    proto_status_str(rep->status));
	}
	if (rep->type != SSH_FXP_ATTRS)
		return error_set(err, STATUS_TEMPFAIL, "LSTAT answered with "
		    "packet type %u", rep->type);
	if (!(a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) ||
	    !(a->flags & SSH_FILEXFER_ATTR_SIZE)) {
		unselect(r, m);
		msg_warn(r->account, "%s/new/%s: skipped: the server does not "
		    "tell its type and size", r->remote, name);
		m->state = MSG_SKIP;
		return 0;
	}
	if (!S_ISREG(a->permissions)) {
		unselect(r, m);
		msg_warn(r->account, "%s/new/%s: skipped: %s%s", r->remote,
		    name, type_name(a->permissions), m->has_perms ?
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

/* ---- the transfer ----------------------------------------------------- */

static int
start_msgs(struct run *r, struct error *err)
{
	struct msg *m;
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
	while (r->nfiles < FILES_INFLIGHT && r->nreqs < REQ_LIMIT &&
	    !*r->job->stop && !r->nonew && r->next < r->nmsgs) {
		m = &r->msgs[r->next];
		if (m->state != MSG_WAIT || m->earlier) {
			r->next++;
			continue;
		}
		if (m->proof != PROOF_REGULAR)
			break;		/* its LSTAT is on the way */
		if (send_req(r, REQ_OPEN, r->next, 0, 0, err) == -1)
			return -1;
		m->state = MSG_OPEN;
		r->active[r->nactive++] = r->next;
		r->nfiles++;
		r->next++;
		started = 1;
	}
	/* Remote copies of earlier deliveries go first: it is all they need. */
	while (r->nreqs < REQ_LIMIT && r->next_remove < r->nmsgs) {
		m = &r->msgs[r->next_remove];
		if (m->earlier && m->state == MSG_WAIT) {
			if (m->proof != PROOF_REGULAR)
				break;
			if (send_req(r, REQ_REMOVE, r->next_remove, 0, 0,
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
 * listed, at no extra round trip; a byte more means it grew.
 */
static int
issue_reads(struct run *r, struct error *err)
{
	struct msg *m;
	uint64_t len;
	size_t i;
	int issued = 0;

	for (i = 0; i < r->nactive && r->nreads < READS_INFLIGHT &&
	    r->nreqs < REQ_LIMIT; i++) {
		m = &r->msgs[r->active[i]];
		if (m->state != MSG_READ)
			continue;
		while (m->next_off <= m->size && r->nreads < READS_INFLIGHT &&
		    r->nreqs < REQ_LIMIT) {
			/*
			 * Never over READ_CHUNK, which SFTP servers should
			 * serve whole: a server that clamps longer reads
			 * would otherwise be short by one byte at the size
			 * without the file ending there.
			 */
			len = m->size + 1 - m->next_off;
			if (len > READ_CHUNK)
				len = READ_CHUNK;
			if (send_req(r, REQ_READ, r->active[i], m->next_off,
			    (uint32_t)len, err) == -1)
				return -1;
			m->next_off += len;
			m->reads++;
			r->nreads++;
			issued = 1;
		}
	}
	return issued;
}

/* All bytes in and the end seen: close the handle and the file. */
static int
finish_download(struct run *r, size_t mi, struct error *err)
{
	struct msg *m = &r->msgs[mi];
	struct error local;
	char tmp[TMPPOOL_NAME];
	int fd = m->fd;

	active_remove(r, mi);
	if (close_handle(r, mi, err) == -1)
		return -1;
	m->fd = -1;
	if (deliver_close(r->job->md, fd, tmp_of(r, m, tmp), m->atime,
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

static int
on_open(struct run *r, size_t mi, const struct proto_reply *rep,
    struct error *err)
{
	struct msg *m = &r->msgs[mi];
	struct error local;
	char name[1100];

	if (rep->type == SSH_FXP_STATUS) {
		r->nfiles--;
		active_remove(r, mi);
		if (rep->status == SSH_FX_NO_SUCH_FILE) {
			/* Moved by the server's own mail client: not ours now. */
			printable(m->name, name, sizeof(name));
			msg_info(1, r->account, "%s/new/%s vanished from the "
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
		return error_set(err, STATUS_TEMPFAIL, "OPEN answered with "
		    "packet type %u", rep->type);
	if ((m->handle = malloc(rep->handlelen)) == NULL)
		return error_errno(err, STATUS_TEMPFAIL, "malloc");
	memcpy(m->handle, rep->handle, rep->handlelen);
	m->handlelen = rep->handlelen;
	m->handle_open = 1;
	if ((m->fd = tmppool_take(&r->pool, &m->tmpseq, &local)) == -1)
		return fail_local(r, mi, &local, errno, 1, err);
	m->state = MSG_READ;
	return 0;
}

static int
on_read(struct run *r, const struct req *q, const struct proto_reply *rep,
    struct error *err)
{
	struct msg *m = &r->msgs[q->msg];
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
			return fail_msgf(r, q->msg, err, "read: %s",
			    proto_status_str(rep->status));
		if (q->off < m->size)
			return fail_msgf(r, q->msg, err, "shorter than the "
			    "%llu bytes listed", (unsigned long long)m->size);
		m->eof_seen = 1;
	} else if (rep->type == SSH_FXP_DATA) {
		if (rep->datalen > q->len)
			return fail_msgf(r, q->msg, err, "the server sent %zu "
			    "bytes for a read of %u", rep->datalen, q->len);
		if (q->off + rep->datalen > m->size)
			return fail_msgf(r, q->msg, err, "longer than the "
			    "%llu bytes listed", (unsigned long long)m->size);
		if (rep->datalen == 0)
			return fail_msgf(r, q->msg, err, "empty read");
		for (done = 0; done < rep->datalen; done += n) {
			n = pwrite(m->fd, rep->data + done, rep->datalen - done,
			    q->off + done);
			if (n == -1) {
				int saved = errno;

				error_errno(&local, STATUS_PARTIAL,
				    "%s/tmp/%s: write", r->job->md->path,
				    tmp_of(r, m, tmp));
				return fail_local(r, q->msg, &local, saved, 0,
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
			else {
				if (q->off + rep->datalen != m->size)
					r->short_reads = 1;
				/* A short read: ask again for the rest. */
				if (send_req(r, REQ_READ, q->msg,
				    q->off + rep->datalen,
				    q->len - (uint32_t)rep->datalen, err) == -1)
					return -1;
				m->reads++;
				r->nreads++;
			}
		}
	} else
		return error_set(err, STATUS_TEMPFAIL, "READ answered with "
		    "packet type %u", rep->type);
	if (m->eof_seen && m->reads == 0) {
		if (m->got != m->size)
			return fail_msgf(r, q->msg, err, "got %llu of %llu "
			    "bytes", (unsigned long long)m->got,
			    (unsigned long long)m->size);
		return finish_download(r, q->msg, err);
	}
	return 0;
}

static int
on_remove(struct run *r, size_t mi, const struct proto_reply *rep,
    struct error *err)
{
	struct msg *m = &r->msgs[mi];
	char name[1100];

	if (rep->type != SSH_FXP_STATUS)
		return error_set(err, STATUS_TEMPFAIL, "REMOVE answered with "
		    "packet type %u", rep->type);
	fault_point("remove-answered");
	printable(m->name, name, sizeof(name));
	m->state = MSG_DONE;
	if (rep->status != SSH_FX_OK && rep->status != SSH_FX_NO_SUCH_FILE) {
		/* Told once for the pull (remove_report): -v names each. */
		msg_info(1, r->account, "%s/new/%s: delivered, but deleting "
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
		msg_info(1, r->account, "%s/new/%s: deleted (delivered by an "
		    "earlier run)", r->remote, name);
	if (record_drop(r->job->rec, m->name, err) == -1)
		return -1;
	fault_point("dropped");
	return 0;
}

static int
on_reply(struct run *r, const struct proto_reply *rep, struct error *err)
{
	struct req *slot = &r->reqs[rep->id & (REQ_SLOTS - 1)];
	struct req q;

	if (rep->type == SSH_FXP_VERSION || !slot->used || slot->id != rep->id)
		return error_set(err, STATUS_TEMPFAIL, "the SFTP server "
		    "answered request %u, which is not in flight", rep->id);
	q = *slot;
	slot->used = 0;
	r->nreqs--;
	switch (q.kind) {
	case REQ_OPEN:
		return on_open(r, q.msg, rep, err);
	case REQ_READ:
		return on_read(r, &q, rep, err);
	case REQ_CLOSE:
		/* A failed close of a file we only read loses nothing. */
		r->nfiles--;
		return 0;
	case REQ_REMOVE:
		return on_remove(r, q.msg, rep, err);
	case REQ_LSTAT:
		return on_lstat(r, q.msg, rep, err);
	}
	return 0;
}

/*
 * Proves the waiting messages (with unlisted set, only those whose
 * listing lacked their type or size) with pipelined LSTATs and waits for
 * every answer, outside the transfer: for the listing, and for a dry run.
 */
static int
prove_msgs(struct run *r, int unlisted, struct error *err)
{
	struct proto_reply rep;
	int rc;

	r->next_lstat = 0;
	for (;;) {
		if (send_lstats(r, r->nmsgs, unlisted, err) == -1)
			return -1;
		while ((rc = sftp_reply(r->c, &rep, err)) == 1)
			if (on_reply(r, &rep, err) == -1)
				return -1;
		if (rc == -1)
			return -1;
		if (r->nreqs == 0 && r->next_lstat >= r->nmsgs) {
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
static void
remove_report(struct run *r)
{
	if (r->remove_failed == 0)
		return;
	msg_warn(r->account, "%s/new: deleting the server's copy failed for "
	    "%llu delivered message%s (%s%s); the next run tries again; if "
	    "the server's Maildir is read-only, set 'keep yes' to copy mail "
	    "without deleting it", r->remote,
	    (unsigned long long)r->remove_failed,
	    r->remove_failed == 1 ? "" : "s",
	    proto_status_str(r->remove_status),
	    r->remove_mixed ? ", and other errors" : "");
}

/*
 * Hands the ready messages to the commit worker (maildir/commit.c does
 * the durable part, in the order that makes a crash recoverable).
 */
static void
submit_batch(struct run *r)
{
	struct commit_item *it;
	struct msg *m;
	size_t i, n = r->nready < BATCH_MAX ? r->nready : BATCH_MAX;

	for (i = 0; i < n; i++) {
		m = &r->msgs[r->ready[i]];
		it = &r->items[i];
		memset(it, 0, sizeof(*it));
		it->name = m->name;
		it->tmpname = tmp_of(r, m, r->tmpnames[i]);
		it->size = m->size;
		it->want_sha256 = r->job->log != NULL &&
		    mlog_active(r->job->log);
		m->state = MSG_COMMIT;
		r->batch[i] = r->ready[i];
	}
	r->nbatch = n;
	memmove(r->ready, r->ready + n, (r->nready - n) * sizeof(r->ready[0]));
	r->nready -= n;
	if (r->nready > 0)
		clock_gettime(CLOCK_MONOTONIC, &r->ready_since);
	worker_submit(&r->worker, r->items, n);
}

/*
 * Takes the worker's results: the delivered messages' remote copies may
 * go now.  A local failure leaves tmp files in place for the next run's
 * recovery: once a name may be in the record, a missing tmp file means
 * "delivered".
 */
static int
finish_batch(struct run *r, int rc, const struct error *local,
    struct error *err)
{
	const struct pull_job *job = r->job;
	char name[1100], fname[1100], cname[1100];
	struct commit_item *it;
	struct msg *m;
	size_t i;
	int ret = 0;

	if (rc == -1) {
		msg_warn(r->account, "%s; the server's copies stay until a "
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
				msg_warn(r->account, "%s; it stays on the "
				    "server", it->error);
			free(it->error);
			it->error = NULL;
			m->state = MSG_FAIL;
			r->status = STATUS_PARTIAL;
			continue;
		}
		printable(it->final, fname, sizeof(fname));
		printable(it->clash, cname, sizeof(cname));
		if (it->result == DELIVER_DUPLICATE)
			msg_info(1, r->account, "%s/new/%s: already here as "
			    "%s (same bytes); not delivered again", r->remote,
			    name, cname);
		else if (it->clash[0] != '\0')
			msg_warn(r->account, "%s/new/%s: %s/%s has the same "
			    "unique name and other bytes; delivered as new/%s",
			    r->remote, name, job->md->path, cname, fname);
		if (rc == -1) {
			/* new/ may not be on disk: the record decides next time. */
			m->state = MSG_FAIL;
			continue;
		}
		msg_info(1, r->account, "%s %s (%llu bytes)",
		    job->acct->keep ? "copied" : "moved", name,
		    (unsigned long long)m->size);
		if (job->log != NULL && mlog_active(job->log)) {
			char from[5200], to[5200];

			snprintf(from, sizeof(from), "%s/new/%s", r->remote,
			    name);
			if (it->result == DELIVER_DUPLICATE)
				snprintf(to, sizeof(to), "%s/%s",
				    job->md->path, cname);
			else
				snprintf(to, sizeof(to), "%s/new/%s",
				    job->md->path, fname);
			mlog_message(job->log, job->acct->keep ? "copied" :
			    "moved", from, to, m->size, it->have_sha256 ?
			    it->sha256 : NULL);
		}
		r->st->moved++;
		r->st->bytes += m->size;
		r->done++;
		if (job->acct->keep) {
			m->state = MSG_DONE;
			continue;
		}
		if (ret == 0 && send_req(r, REQ_REMOVE, r->batch[i], 0, 0,
		    err) == -1)
			ret = -1;
		r->removes_sent = 1;
		m->state = MSG_REMOVE;
	}
	r->nbatch = 0;
	return ret;
}

/* Whether a batch should go to the worker now. */
static int
batch_due(struct run *r)
{
	if (r->nready == 0 || r->nbatch > 0)
		return 0;
	return r->nready >= BATCH_MIN || r->nactive == 0 ||
	    ms_since(&r->ready_since) >= BATCH_WAIT_MS;
}

static int
transfer(struct run *r, struct error *err)
{
	struct proto_reply rep;
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
		while ((rc = sftp_reply(r->c, &rep, err)) == 1) {
			busy = 1;
			if (on_reply(r, &rep, err) == -1)
				return -1;
		}
		if (rc == -1)
			return -1;
		if (r->nbatch > 0 && worker_collect(&r->worker, 0, &wrc,
		    &local)) {
			if (finish_batch(r, wrc, &local, err) == -1)
				return -1;
			busy = 1;
		}
		if (batch_due(r)) {
			submit_batch(r);
			busy = 1;
		}
		msg_progress(r->account, r->done, r->total, r->donebytes,
		    r->totalbytes, 0);
		if (r->nreqs == 0 && r->nready == 0 && r->nbatch == 0 &&
		    !busy && !sftp_pending_output(r->c))
			break;
		/*
		 * A wait ends with the network or the worker's pipe; a
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
	if (r->total > 0)
		msg_progress(r->account, r->done, r->total, r->donebytes,
		    r->totalbytes, 1);
	return 0;
}

/* After an abort: files never recorded go; recorded ones are the record's. */
static void
abandon(struct run *r)
{
	char tmp[TMPPOOL_NAME];
	struct msg *m;
	size_t i;

	msg_progress_end();
	for (i = 0; i < r->nmsgs; i++) {
		m = &r->msgs[i];
		if (m->fd != -1) {
			close(m->fd);
			m->fd = -1;
		}
		if (m->state == MSG_READ || m->state == MSG_READY)
			deliver_discard(r->job->md, tmp_of(r, m, tmp));
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
		return error_errno(err, STATUS_TEMPFAIL, "calloc");
	r->job = job;
	r->worker.pipe[0] = r->worker.pipe[1] = -1;
	r->account = job->acct->name;
	r->c = c;
	r->st = st;
	r->status = STATUS_OK;
	len = strlcpy(r->remote, job->pull->remote, sizeof(r->remote));
	if (len >= sizeof(r->remote)) {
		error_set(err, STATUS_PARTIAL, "%s: remote path too long",
		    job->pull->remote);
		goto out;
	}
	while (len > 1 && r->remote[len - 1] == '/')
		r->remote[--len] = '\0';

	/* Entries listed without their type or size cannot wait: LSTAT them. */
	if (list_dirs(r, err) == -1 || prove_msgs(r, 1, err) == -1)
		goto out;
	if (sort_msgs(r, err) == -1)
		goto out;
	if (r->truncated)
		msg_warn(r->account, "%s/new: listing cut short at %zu "
		    "messages (at most %d messages or %d entries a run); the "
		    "rest wait for the next run", r->remote, r->nmsgs,
		    LIST_KEEP, LIST_READ);
	msg_info(2, r->account, "%s/new: %zu messages listed", r->remote,
	    r->nmsgs);

	if (reconcile(r, err) == -1)
		goto out;
	if (job->md->fd != -1) {
		int n;

		if (!job->dryrun) {
			snprintf(prefix, sizeof(prefix), "syncmail.%s.",
			    job->rec->tag);
			if ((n = maildir_clean_tmp(job->md, prefix, err)) == -1)
				goto out;
			if (n > 0)
				msg_info(1, r->account, "%s/tmp: removed %d "
				    "partial files of an interrupted run",
				    job->md->path, n);
		}
		if (scan_local(r, err) == -1 || verify_earlier(r, err) == -1)
			goto out;
	}
	if (select_msgs(r, err) == -1)
		goto out;
	r->selected = 1;
	if (job->dryrun) {
		/* What would be opened is proven as it would be. */
		if (prove_msgs(r, 0, err) == -1)
			goto out;
		dry_run(r);
		ret = r->status;
		goto out;
	}
	if ((r->active = calloc(FILES_INFLIGHT + 1, sizeof(size_t))) == NULL ||
	    (r->ready = calloc(r->nmsgs + 1, sizeof(size_t))) == NULL ||
	    (r->batch = calloc(BATCH_MAX, sizeof(size_t))) == NULL ||
	    (r->items = calloc(BATCH_MAX, sizeof(*r->items))) == NULL ||
	    (r->tmpnames = calloc(BATCH_MAX, sizeof(*r->tmpnames))) == NULL) {
		error_errno(err, STATUS_TEMPFAIL, "calloc");
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "syncmail.%s", job->rec->tag);
	if (worker_start(&r->worker, job->md, job->rec, &r->local, err) == -1 ||
	    tmppool_start(&r->pool, job->md, prefix, err) == -1)
		goto out;
	sftp_set_wakefd(c, r->worker.pipe[0]);
	if (transfer(r, err) == -1) {
		abandon(r);
		remove_report(r);
		goto out;
	}
	remove_report(r);
	ret = r->status;
out:
	if (r->worker.started && r->nbatch > 0) {
		/* What the worker committed stays committed: the record says so. */
		struct error local;
		int wrc;

		worker_collect(&r->worker, 1, &wrc, &local);
		for (i = 0; i < r->nbatch; i++)
			free(r->items[i].error);
	}
	worker_stop(&r->worker);
	tmppool_stop(&r->pool);
	sftp_set_wakefd(c, -1);
	free(r->batch);
	free(r->items);
	free(r->tmpnames);
	for (i = 0; i < r->nmsgs; i++) {
		free(r->msgs[i].name);
		free(r->msgs[i].handle);
	}
	free(r->msgs);
	free(r->active);
	free(r->ready);
	localset_free(&r->local);
	free(r);
	return ret;
}
