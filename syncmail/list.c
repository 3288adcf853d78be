/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The listing of one pull: REMOTE/new, whose regular files with valid
 * names are the candidates (r->msgs), and REMOTE/tmp, where a file
 * older than a day and a half is warned about (a delivery agent died
 * writing it).  A listing is cut short at LIST_KEEP candidates or
 * LIST_READ entries, so memory stays bounded whatever the server says.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syncmail/engine.h"
#include "syncmail/say.h"

const char *
list_type_name(uint32_t perms)
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
	struct message *m;

	if (r->nmsgs >= LIST_KEEP)
		return 1;
	if (r->nmsgs == r->msgcap) {
		size_t cap = r->msgcap ? r->msgcap * 2 : 256;
		struct message *p;

		if (cap > LIST_KEEP)
			cap = LIST_KEEP;
		if ((p = reallocarray(r->msgs, cap, sizeof(*p))) == NULL)
			return error_errno(err, ERR_MAILBOX, "realloc");
		r->msgs = p;
		r->msgcap = cap;
	}
	m = &r->msgs[r->nmsgs];
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if ((m->name = strdup(n->name)) == NULL)
		return error_errno(err, ERR_MAILBOX, "strdup");
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
		say_warn(r->account, "%s/new/%s: skipped: %s", r->remote,
		    name, why);
		return 0;
	}
	if ((n->attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
	    !S_ISREG(n->attrs.permissions)) {
		say_warn(r->account, "%s/new/%s: skipped: %s", r->remote,
		    name, list_type_name(n->attrs.permissions));
		return 0;
	}
	return add_msg(r, n, err);
}

/*
 * One entry of REMOTE/tmp: an old file is warned about (a delivery agent
 * died writing it), and left alone like every other.  Returns 0.
 */
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
		say_warn(r->account, "%s/tmp/%s is %lld hours old: a delivery "
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
	size_t		 tag;		/* its index, the tag of its requests */
	int		 inflight;	/* requests */
	int		 readdirs;	/* READDIRs in flight at most */
	int		 eof;
	int		 full;		/* cut short: the rest is not read */
	size_t		 nread;		/* entries read */
	int		 done;		/* and its CLOSE sent, if it was open */
};

/*
 * Queues a request of type (SSH_FXP_*) for l.  A CLOSE is not waited
 * for (a failed close of a listing loses nothing), so that the listing
 * ends with its last READDIR's answer, not a round trip later; its
 * answer is read by whoever reads next.  0 or -1 with err.
 */
static int
lister_send(struct run *r, struct lister *l, int type, struct error *err)
{
	int rc;

	if (type == SSH_FXP_OPENDIR)
		rc = sftp_send_opendir(r->c, l->path, l->tag, err);
	else if (type == SSH_FXP_READDIR)
		rc = sftp_send_readdir(r->c, l->handle, l->handlelen, l->tag,
		    err);
	else
		rc = sftp_send_close(r->c, l->handle, l->handlelen,
		    SFTP_UNWAITED, err);
	if (rc == -1) {
		error_prefix(err, "%s", l->path);
		return -1;
	}
	if (type != SSH_FXP_CLOSE)
		l->inflight++;
	return 0;
}

/*
 * What l sends next, once the answers that have arrived are read: more
 * READDIRs until one says EOF, then its CLOSE.  Sent after reading all
 * of them, not after each: the EOF is often in the same segment as the
 * last names, and a READDIR sent between would cost a round trip.
 */
static int
lister_next(struct run *r, struct lister *l, struct error *err)
{
	if (l->done || l->handlelen == 0)
		return 0;
	if (!l->eof) {
		/*
		 * Several READDIRs at once: the server answers them in
		 * turn, each with the next names, then EOF.  Without this a
		 * big new/ costs a round trip per hundred names.  Topped up
		 * only once half are answered: the answers to a small
		 * directory's come in several segments, and more sent after
		 * the first (its names) would delay the CLOSE a round trip.
		 * The number grows with the answers that bring names
		 * (lister_reply), as TCP's window does, so that 10,000
		 * names take a few round trips, not one per 800.
		 */
		if (l->readdirs == 0)
			l->readdirs = READDIRS;
		if (l->inflight <= l->readdirs / 2)
			while (l->inflight < l->readdirs)
				if (lister_send(r, l, SSH_FXP_READDIR,
				    err) == -1)
					return -1;
		return 0;
	}
	if (l->inflight > 0)
		return 0;
	l->done = 1;
	return lister_send(r, l, SSH_FXP_CLOSE, err);
}

/*
 * The answer rep to one of l's requests: the OPENDIR's handle, then
 * READDIRs' names (each entry to l->each) until EOF.  0 or -1 with err
 * set.
 */
static int
lister_reply(struct run *r, struct lister *l, const struct proto_reply *rep,
    struct error *err)
{
	struct proto_names it;
	struct proto_name n;
	int rc;

	if (l->handlelen == 0) {
		if (rep->type == SSH_FXP_STATUS) {
			if (l->missing_ok && rep->status == SSH_FX_NO_SUCH_FILE) {
				l->done = 1;
				return 0;
			}
			/* SFTP servers take paths as they are: "~" is a name. */
			return error_set(err, ERR_MAILBOX, "%s: cannot list: "
			    "%s%s", l->path, proto_status_str(rep->status),
			    r->remote[0] == '~' &&
			    rep->status == SSH_FX_NO_SUCH_FILE ? " (\"~/\" is not "
			    "expanded on the server: a relative path already "
			    "starts in the login directory, so write "
			    "\"Maildir\", not \"~/Maildir\")" : "");
		}
		if (rep->type != SSH_FXP_HANDLE)
			return error_set(err, ERR_TRANSIENT, "%s: OPENDIR "
			    "answered with packet type %u", l->path, rep->type);
		memcpy(l->handle, rep->handle, rep->handlelen);
		l->handlelen = rep->handlelen;
		return 0;
	}
	if (l->full) {
		/* Cut short: the answers still in flight are not read. */
	} else if (rep->type == SSH_FXP_STATUS) {
		if (rep->status != SSH_FX_EOF)
			return error_set(err, ERR_MAILBOX, "%s: READDIR: %s",
			    l->path, proto_status_str(rep->status));
		l->eof = 1;
	} else if (rep->type == SSH_FXP_NAME) {
		if (l->readdirs < READDIRS_MAX)
			l->readdirs++;
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
			return error_set(err, ERR_TRANSIENT, "%s: malformed "
			    "READDIR reply", l->path);
	} else
		return error_set(err, ERR_TRANSIENT, "%s: READDIR answered "
		    "with packet type %u", l->path, rep->type);
	return 0;
}

/* list_dirs' work on the listers ls. */
static int
list_dirs_run(struct run *r, struct lister *ls, size_t n, struct error *err)
{
	struct proto_reply rep;
	struct sftp_req q;
	struct lister *l;
	size_t i;
	int rc, left;

	ls[0].sub = "new";
	ls[0].each = list_new_entry;
	ls[1].sub = "tmp";
	ls[1].missing_ok = 1;
	ls[1].each = list_tmp_entry;
	for (i = 0; i < n; i++) {
		ls[i].tag = i;
		snprintf(ls[i].path, sizeof(ls[i].path), "%s/%s", r->remote,
		    ls[i].sub);
		if (lister_send(r, &ls[i], SSH_FXP_OPENDIR, err) == -1)
			return -1;
	}
	for (;;) {
		while ((rc = sftp_reply(r->c, &rep, &q, err)) == 1) {
			/* Only the listers have requests in flight. */
			l = &ls[q.tag];
			l->inflight--;
			if (lister_reply(r, l, &rep, err) == -1)
				return -1;
		}
		if (rc == -1)
			return -1;
		for (i = 0, left = 0; i < n; i++) {
			if (lister_next(r, &ls[i], err) == -1)
				return -1;
			left |= !ls[i].done;
		}
		if (!left) {
			r->truncated = ls[0].full;
			return 0;
		}
		if (sftp_pump(r->c, 1, err) == -1)
			return -1;
	}
}

/*
 * Lists REMOTE/new and REMOTE/tmp at the same time, with OPENDIR and
 * pipelined READDIRs, calling each directory's function for every entry.
 * A missing tmp/ is fine; a missing new/ is an error.  After an error
 * that lets the account go on to its next pull on this connection, the
 * directories opened are closed: the caller then drains the answers
 * still due (sftp_drain), and closes what an OPENDIR still in flight
 * opens.
 */
int
list_dirs(struct run *r, struct error *err)
{
	struct lister ls[2];
	struct error ignored;
	size_t i, n = 2;
	int rc;

	memset(ls, 0, sizeof(ls));
	if ((rc = list_dirs_run(r, ls, n, err)) == -1 &&
	    err->kind == ERR_MAILBOX)
		for (i = 0; i < n; i++)
			if (ls[i].handlelen > 0 && !ls[i].done)
				(void)sftp_send_close(r->c, ls[i].handle,
				    ls[i].handlelen, i, &ignored);
	return rc;
}

/* qsort and bsearch order of the candidates: by name. */
static int
list_cmp(const void *a, const void *b)
{
	return strcmp(((const struct message *)a)->name,
	    ((const struct message *)b)->name);
}

/*
 * Sorts the listing by name (the order of delivery, oldest first for
 * the usual time-stamped names) and keeps one entry of a name listed
 * more than once: a server that does that is broken, and there is only
 * one file to fetch.  Also gives back what the growing array had spare.
 */
int
list_sort(struct run *r, struct error *err)
{
	char name[1100];
	struct message *p;
	size_t i, n;

	if (r->nmsgs == 0)
		return 0;
	qsort(r->msgs, r->nmsgs, sizeof(r->msgs[0]), list_cmp);
	for (i = n = 1; i < r->nmsgs; i++) {
		if (strcmp(r->msgs[i].name, r->msgs[n - 1].name) != 0) {
			r->msgs[n++] = r->msgs[i];
			continue;
		}
		printable(r->msgs[i].name, name, sizeof(name));
		say_warn(r->account, "%s/new/%s: listed more than once by "
		    "the server; fetched once", r->remote, name);
		free(r->msgs[i].name);
	}
	r->nmsgs = n;
	if ((p = reallocarray(r->msgs, r->nmsgs, sizeof(*p))) == NULL)
		return error_errno(err, ERR_MAILBOX, "realloc");
	r->msgs = p;
	r->msgcap = r->nmsgs;
	return 0;
}

/* The listed message called name, or NULL. */
struct message *
list_find(struct run *r, const char *name)
{
	struct message key;

	if (r->nmsgs == 0)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, r->msgs, r->nmsgs, sizeof(r->msgs[0]), list_cmp);
}
