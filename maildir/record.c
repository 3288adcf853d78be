/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "maildir/record.h"

void
record_tag(const char *source, char *tag)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int i;

	SHA256((const unsigned char *)source, strlen(source), md);
	for (i = 0; i < 8; i++)
		snprintf(tag + 2 * i, 3, "%02x", md[i]);
}

/*
 * Queues len bytes of line for the next flush_pending, doubling the
 * buffer as needed (4096 bytes first).  The caller holds r->lock, as
 * add_locked and drop_locked do.  A read-only record queues too:
 * record_close drops its lines unwritten.  Returns 0, or -1 with err set
 * and nothing queued.
 */
static int
append(struct record *r, const char *line, size_t len, struct error *err)
{
	char *p;
	size_t cap;

	if (r->pendcap - r->pendlen < len) {
		cap = r->pendcap ? r->pendcap : 4096;
		while (cap - r->pendlen < len)
			cap *= 2;
		if ((p = realloc(r->pending, cap)) == NULL)
			return error_errno(err, ERR_MAILBOX, "realloc");
		r->pending = p;
		r->pendcap = cap;
	}
	memcpy(r->pending + r->pendlen, line, len);
	r->pendlen += len;
	return 0;
}

/*
 * Writes all len bytes of p to fd, going on after EINTR and short writes.
 * Returns 0, or -1 with errno set and part of p perhaps written: only
 * compact uses it, on a new file that any failure removes.
 */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Enters name, replacing what an earlier line said of it.  0 or -1. */
static int
put_entry(struct record *r, const char *name, uint64_t size,
    const char *tmpname, const char *final, const char *dest)
{
	size_t len = strlen(name);

	if (nameset_put(&r->entries, name, len, tmpname, size) == NULL)
		return -1;
	if (final == NULL)
		nameset_del(&r->finals, name, len);
	else if (nameset_put(&r->finals, name, len, final, 0) == NULL)
		return -1;
	if (dest == NULL)
		nameset_del(&r->dests, name, len);
	else if (nameset_put(&r->dests, name, len, dest, 0) == NULL)
		return -1;
	return 0;
}

/* Forgets name in every set. */
static void
del_entry(struct record *r, const char *name)
{
	size_t len = strlen(name), i;

	nameset_del(&r->entries, name, len);
	nameset_del(&r->finals, name, len);
	nameset_del(&r->dests, name, len);
	for (i = 0; i < RECORD_NOTES; i++)
		nameset_del(&r->notes[i], name, len);
	nameset_del(&r->filtered, name, len);
}

/* Whether s is an absolute path without a tab, up to end (or its NUL). */
static int
path_ok(const char *s, const char *end)
{
	const char *tab = strchr(s, '\t');

	return s[0] == '/' && (tab == NULL || tab >= end);
}

/*
 * Splits an attachments DEST, "attachments\tDIR[\tMAILDIR]", without
 * copying: DIR is the *dirlen bytes at *dir, MAILDIR the rest after the
 * next tab (NULL when none).  1, or 0 when dest is another kind.
 */
static int
attach_split(const char *dest, const char **dir, size_t *dirlen,
    const char **maildir)
{
	size_t len = strlen(RECORD_ATTACH);
	const char *tab;

	if (strncmp(dest, RECORD_ATTACH, len) != 0 || dest[len] != '\t')
		return 0;
	*dir = dest + len + 1;
	if ((tab = strchr(*dir, '\t')) == NULL) {
		*dirlen = strlen(*dir);
		*maildir = NULL;
	} else {
		*dirlen = tab - *dir;
		*maildir = tab + 1;
	}
	return 1;
}

int
record_attach_dest(const char *dir, const char *maildir, char *buf,
    size_t size)
{
	int n;

	n = snprintf(buf, size, "%s\t%s%s%s", RECORD_ATTACH, dir,
	    maildir != NULL ? "\t" : "", maildir != NULL ? maildir : "");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
record_attach_parse(const char *dest, char *dir, char *maildir, size_t size)
{
	const char *d, *m;
	size_t dlen, mlen;

	if (!attach_split(dest, &d, &dlen, &m))
		return 0;
	mlen = m != NULL ? strlen(m) : 0;
	if (dlen >= size || mlen >= size)
		return -1;
	memcpy(dir, d, dlen);
	dir[dlen] = '\0';
	memcpy(maildir, m != NULL ? m : "", mlen + 1);
	return 1;
}

/*
 * What a DEST field may say: "discard", "pipe", an absolute path, or
 * "attachments" and one or two of them.
 */
static int
dest_ok(const char *dest)
{
	const char *dir, *maildir;
	size_t dirlen;

	if (attach_split(dest, &dir, &dirlen, &maildir))
		return path_ok(dir, dir + dirlen) && (maildir == NULL ||
		    path_ok(maildir, maildir + strlen(maildir)));
	return strcmp(dest, RECORD_DISCARD) == 0 ||
	    strcmp(dest, RECORD_PIPE) == 0 || path_ok(dest, dest +
	    strlen(dest));
}

/*
 * Formats the "+" line of an entry into line (size bytes).  A DEST comes
 * after a FINAL, which is then written even when it is the name itself.
 * Returns the length, or -1 when it does not fit.
 */
static int
format_add(char *line, size_t size, const char *name, uint64_t bytes,
    const char *tmpname, const char *final, const char *dest)
{
	int n;

	if (dest != NULL && final == NULL)
		final = name;
	n = snprintf(line, size, "+\t%s\t%llu\t%s%s%s%s%s\n", name,
	    (unsigned long long)bytes, tmpname, final != NULL ? "\t" : "",
	    final != NULL ? final : "", dest != NULL ? "\t" : "",
	    dest != NULL ? dest : "");
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* Each note's letter, in the order of enum record_note. */
static const char note_letters[RECORD_NOTES] = { 'r', 'w', 'a' };

/* The note a line's letter c stands for, or -1. */
static int
note_kind(char c)
{
	int i;

	for (i = 0; i < RECORD_NOTES; i++)
		if (note_letters[i] == c)
			return i;
	return -1;
}

/* How many notes there are, of all kinds, "f" lines included. */
static size_t
notes_count(const struct record *r)
{
	size_t n = r->filtered.count;
	int i;

	for (i = 0; i < RECORD_NOTES; i++)
		n += r->notes[i].count;
	return n;
}

/* The message of a damaged line of the record (see parse_line's bad:). */
static int
damaged(struct record *r, int lineno, struct error *err)
{
	return error_set(err, ERR_MAILBOX, "%s/%s:%d: damaged record "
	    "line; look at it, or move the file away to start afresh (then "
	    "messages caught mid-delivery may be delivered twice)",
	    r->md->path, r->name, lineno);
}

/*
 * Formats the "f" line of name into line (size bytes): q is "" or the
 * quarantine's "TMP\tFINAL\tMAILDIR".  The length, or -1 when it does
 * not fit.
 */
static int
format_filtered(char *line, size_t size, const char *name, uint64_t bytes,
    const char *q)
{
	int n;

	n = snprintf(line, size, "f\t%s\t%llu%s%s\n", name,
	    (unsigned long long)bytes, q[0] != '\0' ? "\t" : "", q);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/*
 * Whether q is "TMP\tFINAL\tMAILDIR" with a tmp name and a final name
 * (no "/"), and an absolute MAILDIR: what an "f" line may say.
 */
static int
quarantine_ok(const char *q)
{
	const char *final, *dir;

	if ((final = strchr(q, '\t')) == NULL || final == q ||
	    (dir = strchr(final + 1, '\t')) == NULL || dir == final + 1 ||
	    dir[1] != '/' || strchr(dir + 1, '\t') != NULL)
		return 0;
	return memchr(q, '/', dir - q) == NULL;
}

/* An "f" line, after its "f\t" (rest: "NAME\tSIZE[\tQUARANTINE]"). */
static int
parse_filtered(struct record *r, char *rest, int lineno, struct error *err)
{
	char *size, *q = "", *end;
	unsigned long long sz;

	if ((size = strchr(rest, '\t')) == NULL || size == rest)
		return damaged(r, lineno, err);
	*size++ = '\0';
	if ((end = strchr(size, '\t')) != NULL) {
		*end = '\0';
		q = end + 1;
		if (!quarantine_ok(q))
			return damaged(r, lineno, err);
	}
	errno = 0;
	sz = strtoull(size, &end, 10);
	if (errno != 0 || *end != '\0' || *size == '\0')
		return damaged(r, lineno, err);
	if (nameset_put(&r->filtered, rest, strlen(rest), q, sz) == NULL)
		return error_errno(err, ERR_MAILBOX, "nameset");
	r->lines++;
	return 0;
}

/* Applies one complete line of the file to the entries. */
static int
parse_line(struct record *r, char *line, int lineno, struct error *err)
{
	char *name, *size, *tmp, *final, *dest = NULL, *end;
	unsigned long long sz;
	int kind;

	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (line[0] == '-' && line[1] == '\t') {
		del_entry(r, line + 2);
		r->lines++;
		return 0;
	}
	if (line[0] == '-' && (kind = note_kind(line[1])) != -1 &&
	    line[2] == '\t' && line[3] != '\0') {
		nameset_del(&r->notes[kind], line + 3, strlen(line + 3));
		r->lines++;
		return 0;
	}
	if (line[0] == 'f' && line[1] == '\t')
		return parse_filtered(r, line + 2, lineno, err);
	if ((kind = note_kind(line[0])) != -1 && line[1] == '\t' &&
	    line[2] != '\0') {
		if (nameset_put(&r->notes[kind], line + 2, strlen(line + 2),
		    "", 0) == NULL)
			return error_errno(err, ERR_MAILBOX, "nameset");
		r->lines++;
		return 0;
	}
	if (line[0] != '+' || line[1] != '\t')
		goto bad;
	name = line + 2;
	if ((size = strchr(name, '\t')) == NULL)
		goto bad;
	*size++ = '\0';
	if ((tmp = strchr(size, '\t')) == NULL)
		goto bad;
	*tmp++ = '\0';
	if ((final = strchr(tmp, '\t')) != NULL)
		*final++ = '\0';
	if (final != NULL && (dest = strchr(final, '\t')) != NULL)
		*dest++ = '\0';
	errno = 0;
	sz = strtoull(size, &end, 10);
	if (errno != 0 || *end != '\0' || *name == '\0' || *tmp == '\0' ||
	    strchr(tmp, '/') != NULL ||
	    (final != NULL && (*final == '\0' || strchr(final, '/') != NULL)) ||
	    (dest != NULL && !dest_ok(dest)))
		goto bad;
	if (dest != NULL && strcmp(final, name) == 0)
		final = NULL;
	if (put_entry(r, name, sz, tmp, final, dest) == -1)
		return error_errno(err, ERR_MAILBOX, "nameset");
	r->lines++;
	return 0;
bad:
	/*
	 * Never guess: a wrong guess either delivers twice or deletes a
	 * message that was never delivered.
	 */
	return damaged(r, lineno, err);
}

/*
 * Reads the whole file at r->fd and applies each complete line, in order,
 * so that a later line about a name wins.  A last line without its
 * newline is cut off the file, unless the record is read-only.  Returns
 * 0, or -1 with err set (ERR_MAILBOX) for a read error, a NUL byte or a
 * damaged line; the entries then hold what the lines before it said, for
 * record_close to free.
 */
static int
load(struct record *r, struct error *err)
{
	struct stat st;
	char *buf = NULL, *line, *nl;
	size_t len = 0, off, keep;
	ssize_t n;
	int lineno = 0, ret = -1;

	if (fstat(r->fd, &st) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s: stat",
		    r->md->path, r->name);
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return error_errno(err, ERR_MAILBOX, "malloc");
	while (len < (size_t)st.st_size) {
		n = pread(r->fd, buf + len, (size_t)st.st_size - len, len);
		if (n == -1) {
			error_errno(err, ERR_MAILBOX, "%s/%s: read",
			    r->md->path, r->name);
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	for (off = 0; off < len; off = nl - buf + 1) {
		line = buf + off;
		if ((nl = memchr(line, '\n', len - off)) == NULL)
			break;
		*nl = '\0';
		if (memchr(line, '\0', nl - line) != NULL) {
			error_set(err, ERR_MAILBOX, "%s/%s:%d: NUL byte "
			    "in record", r->md->path, r->name, lineno + 1);
			goto out;
		}
		if (parse_line(r, line, ++lineno, err) == -1)
			goto out;
	}
	keep = off;
	/*
	 * A last line without its newline was being written when a run
	 * died; it was never flushed, so nothing depended on it.
	 */
	if (keep < len && !r->readonly && ftruncate(r->fd, keep) == -1) {
		error_errno(err, ERR_MAILBOX, "%s/%s: truncate",
		    r->md->path, r->name);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* Opens and locks name in the Maildir; retries if it was replaced meanwhile. */
static int
open_locked(struct record *r, struct error *err)
{
	struct stat fst, pst;
	int tries, created;

	for (tries = 0; tries < 10; tries++) {
		created = 0;
		r->fd = openat(r->md->fd, r->name, O_RDWR | O_NOFOLLOW |
		    O_CLOEXEC);
		if (r->fd == -1 && errno == ENOENT) {
			r->fd = openat(r->md->fd, r->name, O_RDWR | O_CREAT |
			    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (r->fd == -1 && errno == EEXIST)
				continue;	/* another run made it: open that */
			created = r->fd != -1;
		}
		if (r->fd == -1)
			return error_errno(err, ERR_MAILBOX, "%s/%s: open",
			    r->md->path, r->name);
		/*
		 * A new record's name is durable only once the Maildir is
		 * flushed; until then a power cut would take the whole
		 * record with it, however often its lines were flushed.
		 */
		if (created && fsync(r->md->fd) == -1)
			return error_errno(err, ERR_MAILBOX, "%s: fsync",
			    r->md->path);
		if (flock(r->fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno == EWOULDBLOCK)
				return error_set(err, ERR_TRANSIENT,
				    "%s is locked by another syncmail "
				    "(%s/%s); skipping", r->md->path,
				    r->md->path, r->name);
			return error_errno(err, ERR_MAILBOX, "%s/%s: flock",
			    r->md->path, r->name);
		}
		/* A compaction by another run may have renamed a new file in. */
		if (fstat(r->fd, &fst) == 0 &&
		    fstatat(r->md->fd, r->name, &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fst.st_ino == pst.st_ino && fst.st_dev == pst.st_dev)
			return 0;
		close(r->fd);
		r->fd = -1;
	}
	return error_set(err, ERR_TRANSIENT, "%s/%s keeps changing",
	    r->md->path, r->name);
}

int
record_open(struct record *r, const struct maildir *md, const char *source,
    int readonly, struct error *err)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->md = md;
	pthread_mutex_init(&r->lock, NULL);
	record_tag(source, r->tag);
	snprintf(r->name, sizeof(r->name), "syncmail-state.%s", r->tag);
	if ((r->source = strdup(source)) == NULL)
		return error_errno(err, ERR_MAILBOX, "strdup");
	r->readonly = readonly;
	if (readonly) {
		if (md->fd == -1)
			return 0;
		r->fd = openat(md->fd, r->name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (r->fd == -1)
			return errno == ENOENT ? 0 : error_errno(err,
			    ERR_MAILBOX, "%s/%s: open", md->path, r->name);
		/* load() truncates torn lines only when it may write. */
		return load(r, err);
	}
	if (open_locked(r, err) == -1)
		return -1;
	return load(r, err);
}

/*
 * record_add with r->lock held: queues the "+" line, then enters name in
 * the sets.  Returns 0, or -1 with err set.  When only the sets ran out
 * of memory the line stays queued and is written with the next sync:
 * harmless, since the caller then leaves the tmp file in place, and a
 * recorded name whose tmp file is there reads as never moved.
 */
static int
add_locked(struct record *r, const char *name, uint64_t size,
    const char *tmpname, const char *final, const char *dest,
    struct error *err)
{
	char line[RECORD_LINE_MAX];
	int n;

	if (dest != NULL && !dest_ok(dest))
		return error_set(err, ERR_MAILBOX, "%s: not a destination "
		    "the record can keep", dest);
	if ((n = format_add(line, sizeof(line), name, size, tmpname, final,
	    dest)) == -1)
		return error_set(err, ERR_MAILBOX, "record line too long");
	if (append(r, line, n, err) == -1)
		return -1;
	if (put_entry(r, name, size, tmpname, final, dest) == -1)
		return error_errno(err, ERR_MAILBOX, "nameset");
	r->lines++;
	return 0;
}

/*
 * Writes the pending lines at the end of the file.  What a failed write
 * (a full disk) got out stays written and leaves the buffer: a retry
 * goes on from there, and the torn line is completed rather than left
 * in the middle of the file, where it would stop every later run.
 */
static int
flush_pending(struct record *r, struct error *err)
{
	size_t done = 0;
	ssize_t n;
	int saved = 0;

	if (r->pendlen == 0 || r->fd == -1)
		return 0;
	if (lseek(r->fd, 0, SEEK_END) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s: seek",
		    r->md->path, r->name);
	while (done < r->pendlen) {
		if ((n = write(r->fd, r->pending + done,
		    r->pendlen - done)) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			break;
		}
		done += n;
	}
	memmove(r->pending, r->pending + done, r->pendlen - done);
	r->pendlen -= done;
	if (r->pendlen > 0) {
		errno = saved;
		return error_errno(err, ERR_MAILBOX, "%s/%s: write",
		    r->md->path, r->name);
	}
	return 0;
}

static int
sync_locked(struct record *r, struct error *err)
{
	if (flush_pending(r, err) == -1)
		return -1;
	if (fdatasync(r->fd) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s: fsync",
		    r->md->path, r->name);
	return 0;
}

/*
 * record_drop with r->lock held: queues a "-" line and forgets name in
 * both sets.  A name the record does not hold writes nothing.  Returns 0,
 * or -1 with err set and the record unchanged.
 */
static int
drop_locked(struct record *r, const char *name, struct error *err)
{
	char line[300];
	int n, i, noted;

	noted = nameset_get(&r->filtered, name, strlen(name)) != NULL;
	for (i = 0; i < RECORD_NOTES; i++)
		noted |= nameset_get(&r->notes[i], name, strlen(name)) != NULL;
	if (nameset_get(&r->entries, name, strlen(name)) == NULL && !noted)
		return 0;
	n = snprintf(line, sizeof(line), "-\t%s\n", name);
	if (n < 0 || (size_t)n >= sizeof(line))
		return error_set(err, ERR_MAILBOX, "record line too long");
	if (append(r, line, n, err) == -1)
		return -1;
	del_entry(r, name);
	r->lines++;
	return 0;
}

int
record_add(struct record *r, const char *name, uint64_t size,
    const char *tmpname, const char *final, const char *dest,
    struct error *err)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = add_locked(r, name, size, tmpname, final, dest, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

const char *
record_dest(struct record *r, const char *name)
{
	struct nameset_entry *e;

	pthread_mutex_lock(&r->lock);
	e = nameset_get(&r->dests, name, strlen(name));
	pthread_mutex_unlock(&r->lock);
	return e != NULL ? e->value : NULL;
}

const char *
record_final(struct record *r, const char *name)
{
	struct nameset_entry *e;

	pthread_mutex_lock(&r->lock);
	e = nameset_get(&r->finals, name, strlen(name));
	pthread_mutex_unlock(&r->lock);
	return e != NULL ? e->value : name;
}

/* Notes name in the set of a note's kind, whose line starts with letter. */
static int
note_set(struct record *r, struct nameset *set, char kind, const char *name,
    struct error *err)
{
	char line[300];
	int n, rc = -1;

	n = snprintf(line, sizeof(line), "%c\t%s\n", kind, name);
	if (n < 0 || (size_t)n >= sizeof(line))
		return error_set(err, ERR_MAILBOX, "record line too long");
	pthread_mutex_lock(&r->lock);
	if (nameset_get(set, name, strlen(name)) != NULL)
		rc = 0;		/* noted already */
	else if (append(r, line, n, err) == 0) {
		if (nameset_put(set, name, strlen(name), "", 0) == NULL)
			error_errno(err, ERR_MAILBOX, "nameset");
		else {
			r->lines++;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int
note_get(struct record *r, struct nameset *set, const char *name)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = nameset_get(set, name, strlen(name)) != NULL;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int
record_note_set(struct record *r, enum record_note kind, const char *name,
    struct error *err)
{
	return note_set(r, &r->notes[kind], note_letters[kind], name, err);
}

int
record_note(struct record *r, enum record_note kind, const char *name)
{
	return note_get(r, &r->notes[kind], name);
}

struct nameset *
record_notes(struct record *r, enum record_note kind)
{
	return &r->notes[kind];
}

int
record_note_clear(struct record *r, enum record_note kind, const char *name,
    struct error *err)
{
	char line[300];
	int n, rc = 0;

	n = snprintf(line, sizeof(line), "-%c\t%s\n", note_letters[kind],
	    name);
	if (n < 0 || (size_t)n >= sizeof(line))
		return error_set(err, ERR_MAILBOX, "record line too long");
	pthread_mutex_lock(&r->lock);
	if (nameset_get(&r->notes[kind], name, strlen(name)) != NULL &&
	    (rc = append(r, line, n, err)) == 0) {
		nameset_del(&r->notes[kind], name, strlen(name));
		r->lines++;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* record_filtered_set with r->lock held; q as format_filtered's. */
static int
filtered_locked(struct record *r, const char *name, uint64_t size,
    const char *q, struct error *err)
{
	char line[RECORD_LINE_MAX];
	int n;

	if ((n = format_filtered(line, sizeof(line), name, size, q)) == -1)
		return error_set(err, ERR_MAILBOX, "record line too long");
	if (append(r, line, n, err) == -1)
		return -1;
	if (nameset_put(&r->filtered, name, strlen(name), q, size) == NULL)
		return error_errno(err, ERR_MAILBOX, "nameset");
	r->lines++;
	return 0;
}

int
record_filtered_set(struct record *r, const char *name, uint64_t size,
    const char *tmpname, const char *final, const char *maildir,
    struct error *err)
{
	char q[RECORD_LINE_MAX];
	int rc;

	q[0] = '\0';
	if (tmpname != NULL && (size_t)snprintf(q, sizeof(q), "%s\t%s\t%s",
	    tmpname, final, maildir) >= sizeof(q))
		return error_set(err, ERR_MAILBOX, "record line too long");
	if (q[0] != '\0' && !quarantine_ok(q))
		return error_set(err, ERR_MAILBOX, "%s: not a quarantine the "
		    "record can keep", maildir);
	pthread_mutex_lock(&r->lock);
	rc = filtered_locked(r, name, size, q, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int
record_filtered(struct record *r, const char *name, uint64_t *size,
    char *tmp, size_t tmpsize)
{
	struct nameset_entry *e;
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if ((e = nameset_get(&r->filtered, name, strlen(name))) != NULL) {
		*size = e->num;
		rc = 1;
		if (e->value != NULL && e->value[0] != '\0') {
			n = strcspn(e->value, "\t");
			if (n < tmpsize) {
				memcpy(tmp, e->value, n);
				tmp[n] = '\0';
				rc = 2;
			}
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

struct nameset *
record_filtered_names(struct record *r)
{
	return &r->filtered;
}

int
record_drop_delivery(struct record *r, const char *name, struct error *err)
{
	struct nameset_entry *e;
	uint64_t size = 0;
	char *q = NULL;
	int rc;

	pthread_mutex_lock(&r->lock);
	if ((e = nameset_get(&r->filtered, name, strlen(name))) != NULL) {
		size = e->num;
		if ((q = strdup(e->value != NULL ? e->value : "")) == NULL) {
			pthread_mutex_unlock(&r->lock);
			return error_errno(err, ERR_MAILBOX, "strdup");
		}
	}
	/* Both lines queued before either can be written. */
	if ((rc = drop_locked(r, name, err)) == 0 && q != NULL)
		rc = filtered_locked(r, name, size, q, err);
	pthread_mutex_unlock(&r->lock);
	free(q);
	return rc;
}

int
record_sync(struct record *r, struct error *err)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = sync_locked(r, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int
record_drop(struct record *r, const char *name, struct error *err)
{
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = drop_locked(r, name, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Writes a line of kind for each name of set to fd.  0, or -1 with errno. */
static int
compact_notes(int fd, struct nameset *set, char kind)
{
	struct nameset_entry *e;
	char line[300];
	size_t pos = 0;
	int n;

	while ((e = nameset_next(set, &pos)) != NULL) {
		n = snprintf(line, sizeof(line), "%c\t%s\n", kind, e->key);
		if (n < 0 || (size_t)n >= sizeof(line)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (write_all(fd, line, n) == -1)
			return -1;
	}
	return 0;
}

/*
 * Rewrites the record with only its live entries: a new file, locked
 * before it is renamed over the old one so the lock is never free.
 */
static int
compact(struct record *r, struct error *err)
{
	struct nameset_entry *e, *f, *d;
	char tmpname[80], line[RECORD_LINE_MAX];
	size_t pos = 0;
	int fd, n, i;

	snprintf(tmpname, sizeof(tmpname), "%s.new", r->name);
	fd = openat(r->md->fd, tmpname, O_RDWR | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s: open",
		    r->md->path, tmpname);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		goto fail;
	n = snprintf(line, sizeof(line), "# syncmail record for %s\n",
	    r->source);
	if (write_all(fd, line, n) == -1)
		goto fail;
	while ((e = nameset_next(&r->entries, &pos)) != NULL) {
		f = nameset_get(&r->finals, e->key, strlen(e->key));
		d = nameset_get(&r->dests, e->key, strlen(e->key));
		n = format_add(line, sizeof(line), e->key, e->num, e->value,
		    f != NULL ? f->value : NULL, d != NULL ? d->value : NULL);
		if (n == -1) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		if (write_all(fd, line, n) == -1)
			goto fail;
	}
	pos = 0;
	while ((e = nameset_next(&r->filtered, &pos)) != NULL) {
		n = format_filtered(line, sizeof(line), e->key, e->num,
		    e->value != NULL ? e->value : "");
		if (n == -1) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		if (write_all(fd, line, n) == -1)
			goto fail;
	}
	for (i = 0; i < RECORD_NOTES; i++)
		if (compact_notes(fd, &r->notes[i], note_letters[i]) == -1)
			goto fail;
	if (fsync(fd) == -1 ||
	    renameat(r->md->fd, tmpname, r->md->fd, r->name) == -1 ||
	    fsync(r->md->fd) == -1)
		goto fail;
	close(r->fd);
	r->fd = fd;
	r->lines = r->entries.count + notes_count(r);
	return 0;
fail:
	error_errno(err, ERR_MAILBOX, "%s/%s: rewriting the record",
	    r->md->path, tmpname);
	(void)unlinkat(r->md->fd, tmpname, 0);
	close(fd);
	return -1;
}

int
record_tidy(struct record *r, struct error *err)
{
	if (r->readonly || r->fd == -1 || r->md == NULL)
		return 0;
	if (r->pendlen > 0 && flush_pending(r, err) == -1)
		return -1;
	if (r->lines == 0)
		return 0;
	/*
	 * With nothing live the file can simply be emptied: a crash
	 * half-way leaves only dropped lines.  Otherwise rewrite it when
	 * dropped lines dominate.
	 */
	if (r->entries.count == 0 && notes_count(r) == 0) {
		if (ftruncate(r->fd, 0) == -1)
			return error_errno(err, ERR_MAILBOX, "%s/%s: truncate",
			    r->md->path, r->name);
		r->lines = 0;
		return 0;
	}
	if (r->lines > 2 * (r->entries.count + notes_count(r)) + 64)
		return compact(r, err);
	return 0;
}

int
record_close(struct record *r, struct error *err)
{
	int ret, i;

	ret = record_tidy(r, err);
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	nameset_free(&r->entries);
	nameset_free(&r->finals);
	nameset_free(&r->dests);
	for (i = 0; i < RECORD_NOTES; i++)
		nameset_free(&r->notes[i]);
	nameset_free(&r->filtered);
	free(r->pending);
	free(r->source);
	r->pending = r->source = NULL;
	r->pendlen = r->pendcap = 0;
	if (r->md != NULL)
		pthread_mutex_destroy(&r->lock);
	r->md = NULL;
	return ret;
}
