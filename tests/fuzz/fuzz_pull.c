/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Fuzz target for the whole client: one pull (syncmail/pull.c over
 * sftp/client.c) against a server whose every answer the fuzzer's bytes
 * choose.  The server is played here, behind the client's stream
 * interface: it parses each request the client writes and answers it
 * with what the next input bytes say (a listing of up to 8 files of any
 * claimed type and size, handles or errors, short, long or failed
 * reads, refused removes, a wrong id, a garbage packet, a dropped
 * connection).  When the input runs out, every answer is the honest
 * one, so a short input still runs a whole pull.
 *
 * Each file has true bytes (a function of its name and offset, so every
 * READ of an offset agrees) and a true size; a listing or LSTAT may lie
 * about either.  After each input:
 *   - nothing was written outside the test's Maildir;
 *   - every file the client asked to REMOVE is in the local new/ with its
 *     true bytes, whole (nothing removed that was not delivered);
 *   - no file the server listed as something other than a regular file
 *     in its LSTAT answer was opened;
 * and ASan, UBSan and LeakSanitizer watch the rest.  The Maildir is made
 * afresh for every input, in a directory of the target's own.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/maildir.h"
#include "maildir/record.h"
#include "sftp/client.h"
#include "sftp/proto.h"
#include "syncmail/config.h"
#include "syncmail/mlog.h"
#include "syncmail/pull.h"
#include "syncmail/say.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NFILES		8
#define MAXSIZE		70000	/* past two 32 KiB READs */
#define REMOTE		"/r"

struct file {
	char		 name[40];
	uint32_t	 size;		/* true size */
	uint32_t	 claimed;	/* what listings say */
	uint32_t	 type;		/* what LSTAT says: S_IF* */
	uint32_t	 listed_type;	/* what READDIR says */
	int		 removed;
	int		 opened;
	int		 lstat_said_other;	/* LSTAT said: not regular */
};

struct server {
	const uint8_t	*in;		/* the fuzzer's bytes */
	size_t		 inlen, inoff;
	struct file	 files[NFILES];
	int		 nfiles;
	int		 listed;	/* the new/ listing was sent */
	int		 dead;		/* the connection dropped */
	uint8_t		*req;		/* bytes the client wrote */
	size_t		 reqlen, reqcap;
	uint8_t		*out;		/* answers not yet read */
	size_t		 outlen, outoff, outcap;
};

/* The next input byte, or dflt when the input is used up. */
static uint8_t
next(struct server *sv, uint8_t dflt)
{
	if (sv->inoff >= sv->inlen)
		return dflt;
	return sv->in[sv->inoff++];
}

static uint32_t
next32(struct server *sv, uint32_t dflt)
{
	uint32_t v;

	if (sv->inoff + 4 > sv->inlen)
		return dflt;
	v = (uint32_t)sv->in[sv->inoff] << 24 |
	    (uint32_t)sv->in[sv->inoff + 1] << 16 |
	    (uint32_t)sv->in[sv->inoff + 2] << 8 | sv->in[sv->inoff + 3];
	sv->inoff += 4;
	return v;
}

/* A file's true byte at off. */
static uint8_t
file_byte(const struct file *f, uint64_t off)
{
	return (uint8_t)(f->name[0] * 7 + f->name[1] + off * 31 + off / 253);
}

static void
grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;
	size_t n = *cap ? *cap : 4096;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	if ((p = realloc(*buf, n)) == NULL)
		abort();
	*buf = p;
	*cap = n;
}

/* ---- building answers ---------------------------------------------------- */

struct pkt {
	uint8_t	 b[PROTO_MAX_PACKET];
	size_t	 len;
};

static void
put8(struct pkt *p, uint8_t v)
{
	if (p->len < sizeof(p->b))
		p->b[p->len++] = v;
}

static void
put32(struct pkt *p, uint32_t v)
{
	put8(p, v >> 24);
	put8(p, v >> 16);
	put8(p, v >> 8);
	put8(p, v);
}

static void
put64(struct pkt *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p, (uint32_t)v);
}

static void
putstr(struct pkt *p, const void *s, size_t len)
{
	size_t i;

	put32(p, (uint32_t)len);
	for (i = 0; i < len; i++)
		put8(p, ((const uint8_t *)s)[i]);
}

static void
putattrs(struct pkt *p, uint32_t size, uint32_t type)
{
	put32(p, SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS |
	    SSH_FILEXFER_ATTR_ACMODTIME);
	put64(p, size);
	put32(p, type | 0600);
	put32(p, 1700000000);
	put32(p, 1700000000);
}

/* Frames p (type and id already in it) onto the answers. */
static void
send_pkt(struct server *sv, struct pkt *p)
{
	grow(&sv->out, &sv->outcap, sv->outlen + p->len + 4);
	sv->out[sv->outlen++] = p->len >> 24;
	sv->out[sv->outlen++] = p->len >> 16;
	sv->out[sv->outlen++] = p->len >> 8;
	sv->out[sv->outlen++] = p->len;
	memcpy(sv->out + sv->outlen, p->b, p->len);
	sv->outlen += p->len;
}

static void
begin(struct pkt *p, uint8_t type, uint32_t id)
{
	p->len = 0;
	put8(p, type);
	put32(p, id);
}

static void
send_status(struct server *sv, uint32_t id, uint32_t status)
{
	struct pkt p;

	begin(&p, SSH_FXP_STATUS, id);
	put32(&p, status);
	putstr(&p, "x", 1);
	putstr(&p, "", 0);
	send_pkt(sv, &p);
}

/* ---- the server's side of each request ------------------------------------ */

static uint32_t
pick_type(uint8_t b)
{
	static const uint32_t types[] = { S_IFREG, S_IFREG, S_IFREG, S_IFREG,
	    S_IFLNK, S_IFDIR, S_IFIFO, S_IFCHR };

	return types[b % 8];
}

/* The files of new/, made when it is first listed. */
static void
make_files(struct server *sv)
{
	static const char *names[] = { "1.M1P1.a", "2.M2P2.b", "3.M3P3.c:2,S",
	    "..", ".hidden", "4.M4P4.d", "a/b", "5.M5P5.e", "1.M1P1.a",
	    "6.M6P6.f", "7\x01.g", "8.M8P8.h" };
	struct file *f;
	uint8_t b;
	int i;

	sv->nfiles = next(sv, 3) % (NFILES + 1);
	for (i = 0; i < sv->nfiles; i++) {
		f = &sv->files[i];
		b = next(sv, (uint8_t)i);
		snprintf(f->name, sizeof(f->name), "%s", names[b % 12]);
		f->size = next32(sv, 100 + 1000 * i) % MAXSIZE;
		b = next(sv, 0);
		f->type = pick_type(b);
		/* Mostly honest; sometimes a lie about size or type. */
		f->claimed = (b & 0x30) == 0x30 ? f->size + (b & 1 ? 1 : -1) :
		    f->size;
		f->listed_type = (b & 0xc0) == 0xc0 ? S_IFREG : f->type;
	}
}

static struct file *
file_of_path(struct server *sv, const uint8_t *path, size_t len)
{
	size_t pre = strlen(REMOTE "/new/");
	int i;

	if (len <= pre || memcmp(path, REMOTE "/new/", pre) != 0)
		return NULL;
	for (i = 0; i < sv->nfiles; i++)
		if (strlen(sv->files[i].name) == len - pre &&
		    memcmp(sv->files[i].name, path + pre, len - pre) == 0)
			return &sv->files[i];
	return NULL;
}

/* Reads a string at *off of the request body; NULL when malformed. */
static const uint8_t *
getstr(const uint8_t *b, size_t len, size_t *off, size_t *slen)
{
	uint32_t n;

	if (*off + 4 > len)
		return NULL;
	n = (uint32_t)b[*off] << 24 | (uint32_t)b[*off + 1] << 16 |
	    (uint32_t)b[*off + 2] << 8 | b[*off + 3];
	*off += 4;
	if (n > len - *off)
		return NULL;
	*slen = n;
	*off += n;
	return b + *off - n;
}

static void
answer(struct server *sv, const uint8_t *b, size_t len)
{
	const uint8_t *s;
	struct file *f;
	struct pkt p;
	size_t off = 5, slen, i;
	uint64_t roff;
	uint32_t id, rlen, n;
	uint8_t chaos, type = b[0];

	if (type == SSH_FXP_INIT) {
		begin(&p, SSH_FXP_VERSION, 3);
		send_pkt(sv, &p);
		return;
	}
	if (len < 5)
		abort();	/* the client never sends this */
	id = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 8 | b[4];
	/* Now and then, trouble instead of an answer. */
	chaos = next(sv, 0);
	switch (chaos) {
	case 0xf0:
		send_status(sv, id + 1, SSH_FX_OK);	/* a wrong id */
		return;
	case 0xf1:
		begin(&p, SSH_FXP_NAME, id);		/* a malformed NAME */
		put32(&p, 1000);
		send_pkt(sv, &p);
		return;
	case 0xf2:
		sv->dead = 1;
		return;
	case 0xf3:
		send_status(sv, id, SSH_FX_FAILURE);
		return;
	}
	if ((s = getstr(b, len, &off, &slen)) == NULL)
		abort();	/* every request we get starts with a string */
	switch (type) {
	case SSH_FXP_OPENDIR:
		if (slen == strlen(REMOTE "/new") &&
		    memcmp(s, REMOTE "/new", slen) == 0) {
			begin(&p, SSH_FXP_HANDLE, id);
			putstr(&p, "Dnew", 4);
		} else if (slen == strlen(REMOTE "/tmp") &&
		    memcmp(s, REMOTE "/tmp", slen) == 0 && chaos & 1) {
			begin(&p, SSH_FXP_HANDLE, id);
			putstr(&p, "Dtmp", 4);
		} else {
			send_status(sv, id, SSH_FX_NO_SUCH_FILE);
			return;
		}
		send_pkt(sv, &p);
		return;
	case SSH_FXP_READDIR:
		if (slen != 4 || memcmp(s, "Dnew", 4) != 0 || sv->listed) {
			send_status(sv, id, SSH_FX_EOF);
			return;
		}
		sv->listed = 1;
		make_files(sv);
		begin(&p, SSH_FXP_NAME, id);
		put32(&p, (uint32_t)sv->nfiles);
		for (i = 0; i < (size_t)sv->nfiles; i++) {
			f = &sv->files[i];
			putstr(&p, f->name, strlen(f->name));
			putstr(&p, f->name, strlen(f->name));
			if (chaos & 2) {
				put32(&p, 0);	/* no attributes: LSTAT them */
				continue;
			}
			putattrs(&p, f->claimed, f->listed_type);
		}
		send_pkt(sv, &p);
		return;
	case SSH_FXP_LSTAT:
		if ((f = file_of_path(sv, s, slen)) == NULL) {
			send_status(sv, id, SSH_FX_NO_SUCH_FILE);
			return;
		}
		if (f->type != S_IFREG)
			f->lstat_said_other = 1;
		begin(&p, SSH_FXP_ATTRS, id);
		putattrs(&p, f->claimed, f->type);
		send_pkt(sv, &p);
		return;
	case SSH_FXP_OPEN:
		if ((f = file_of_path(sv, s, slen)) == NULL || f->removed) {
			send_status(sv, id, SSH_FX_NO_SUCH_FILE);
			return;
		}
		f->opened = 1;
		begin(&p, SSH_FXP_HANDLE, id);
		put8(&p, 0);
		put8(&p, 0);
		put8(&p, 0);
		put8(&p, 1);
		put8(&p, (uint8_t)(f - sv->files));
		send_pkt(sv, &p);
		return;
	case SSH_FXP_READ:
		if (slen != 1 || s[0] >= sv->nfiles || off + 12 > len) {
			send_status(sv, id, SSH_FX_FAILURE);
			return;
		}
		f = &sv->files[s[0]];
		roff = (uint64_t)b[off] << 56 | (uint64_t)b[off + 1] << 48 |
		    (uint64_t)b[off + 2] << 40 | (uint64_t)b[off + 3] << 32 |
		    (uint64_t)b[off + 4] << 24 | (uint64_t)b[off + 5] << 16 |
		    (uint64_t)b[off + 6] << 8 | b[off + 7];
		rlen = (uint32_t)b[off + 8] << 24 | (uint32_t)b[off + 9] << 16 |
		    (uint32_t)b[off + 10] << 8 | b[off + 11];
		if (roff >= f->size) {
			send_status(sv, id, SSH_FX_EOF);
			return;
		}
		n = rlen;
		if (n > f->size - roff)
			n = (uint32_t)(f->size - roff);
		/*
		 * A short read, now and then; but never one that stops at the
		 * claimed size of a file that is longer.  The client takes a
		 * READ of at most 32768 bytes that comes back short exactly
		 * at the listed size as the end of the file (README: servers
		 * serve such READs whole), which saves a round trip per
		 * message; a server that lies about the size and cuts the
		 * READ there too is past what it can tell (fuzz_pull found
		 * it: a 4-byte file listed as 3, read as 3).
		 */
		if ((chaos & 0x0c) == 0x0c && n > 1) {
			n = n / 2 + (chaos & 1);
			if (roff + n == f->claimed && f->claimed < f->size)
				n = n > 1 ? n - 1 : n + 1;
		}
		if (n > 32768)
			n = 32768;
		begin(&p, SSH_FXP_DATA, id);
		put32(&p, n);
		for (i = 0; i < n; i++)
			put8(&p, file_byte(f, roff + i));
		send_pkt(sv, &p);
		return;
	case SSH_FXP_CLOSE:
		send_status(sv, id, SSH_FX_OK);
		return;
	case SSH_FXP_REMOVE:
		if ((f = file_of_path(sv, s, slen)) == NULL) {
			send_status(sv, id, SSH_FX_NO_SUCH_FILE);
			return;
		}
		if ((chaos & 0x70) == 0x70) {
			send_status(sv, id, SSH_FX_PERMISSION_DENIED);
			return;
		}
		f->removed = 1;
		send_status(sv, id, SSH_FX_OK);
		return;
	}
	send_status(sv, id, 8);	/* SSH_FX_OP_UNSUPPORTED */
}

/* ---- the stream the client sees ------------------------------------------- */

static ssize_t
sv_write(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct server *sv = ctx;
	size_t off = 0;
	uint32_t plen;

	if (sv->dead)
		return error_set(err, ERR_TRANSIENT, "connection dropped");
	grow(&sv->req, &sv->reqcap, sv->reqlen + len);
	memcpy(sv->req + sv->reqlen, buf, len);
	sv->reqlen += len;
	while (sv->reqlen - off >= 4) {
		plen = (uint32_t)sv->req[off] << 24 |
		    (uint32_t)sv->req[off + 1] << 16 |
		    (uint32_t)sv->req[off + 2] << 8 | sv->req[off + 3];
		if (plen == 0 || plen > PROTO_MAX_PACKET)
			abort();	/* the client framed a request wrong */
		if (sv->reqlen - off - 4 < plen)
			break;
		answer(sv, sv->req + off + 4, plen);
		off += 4 + plen;
	}
	memmove(sv->req, sv->req + off, sv->reqlen - off);
	sv->reqlen -= off;
	return (ssize_t)len;
}

static ssize_t
sv_read(void *ctx, void *buf, size_t len, struct error *err)
{
	struct server *sv = ctx;
	size_t n = sv->outlen - sv->outoff;

	if (n == 0) {
		if (sv->dead)
			return error_set(err, ERR_TRANSIENT,
			    "the SFTP server closed the connection");
		return 0;
	}
	if (n > len)
		n = len;
	memcpy(buf, sv->out + sv->outoff, n);
	sv->outoff += n;
	if (sv->outoff == sv->outlen)
		sv->outoff = sv->outlen = 0;
	return (ssize_t)n;
}

/*
 * Nothing to read means the server chose not to answer: that is the
 * client's timeout, unless the commit thread has news (wakefd).
 */
static int
sv_wait(void *ctx, int wakefd, int writing, struct error *err)
{
	struct server *sv = ctx;
	struct pollfd pfd;

	if (writing || sv->outlen > sv->outoff || sv->dead)
		return 0;
	if (wakefd != -1) {
		pfd.fd = wakefd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) == 1)
			return 1;
	}
	return error_set(err, ERR_TRANSIENT, "no progress (fuzz server)");
}

static void
sv_close(void *ctx)
{
	(void)ctx;
}

/* ---- one pull per input ----------------------------------------------------- */

static char dir[64];

static void
rmtree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rmtree(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Only the Maildir "m" in dir, and in it only what a Maildir holds. */
static void
check_nothing_outside(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "m") != 0)
			abort();	/* written outside the Maildir */
	closedir(d);
	snprintf(path, sizeof(path), "%s/m", dir);
	if ((d = opendir(path)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "tmp") != 0 &&
		    strcmp(de->d_name, "new") != 0 &&
		    strcmp(de->d_name, "cur") != 0 &&
		    strncmp(de->d_name, "syncmail-state.", 15) != 0)
			abort();
	closedir(d);
}

/* Each removed file is in new/ whole, with its true bytes. */
static void
check_removed_delivered(const struct server *sv)
{
	char path[PATH_MAX];
	const struct file *f;
	uint8_t buf[4096];
	uint64_t off = 0;
	ssize_t n, i;
	int i_f, fd;

	for (i_f = 0; i_f < sv->nfiles; i_f++) {
		f = &sv->files[i_f];
		if (f->lstat_said_other && f->opened)
			abort();	/* opened what LSTAT called no file */
		if (!f->removed)
			continue;
		snprintf(path, sizeof(path), "%s/m/new/%s", dir, f->name);
		if ((fd = open(path, O_RDONLY)) == -1)
			abort();	/* removed, never delivered */
		off = 0;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			for (i = 0; i < n; i++)
				if (buf[i] != file_byte(f, off + i))
					abort();	/* other bytes */
			off += n;
		}
		close(fd);
		if (n == -1 || off != f->size)
			abort();	/* removed, delivered short or long */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char conftext[] =
	    "account f\nhost 127.0.0.1\npull " REMOTE " /unused\n";
	static char md_path[128];
	volatile sig_atomic_t stop = 0;
	struct server sv;
	struct sftp_stream st;
	struct config cfg;
	struct sftp c;
	struct error err;
	struct maildir md;
	struct record rec;
	struct mlog log;
	struct pull_job job;
	struct pull_stats stats;

	if (dir[0] == '\0') {
		/* On tmpfs where there is one: fsync costs nothing there. */
		snprintf(dir, sizeof(dir), "/dev/shm/syncmail-fuzz.XXXXXX");
		if (mkdtemp(dir) == NULL) {
			snprintf(dir, sizeof(dir), "/tmp/syncmail-fuzz.XXXXXX");
			if (mkdtemp(dir) == NULL)
				abort();
		}
		snprintf(md_path, sizeof(md_path), "%s/m", dir);
		say_quiet = 1;
	}
	memset(&sv, 0, sizeof(sv));
	sv.in = data;
	sv.inlen = size;
	memset(&cfg, 0, sizeof(cfg));
	if (config_parse(conftext, strlen(conftext), "fuzz", "/", "f", &cfg,
	    &err) == -1)
		abort();
	free(cfg.accounts[0].pulls[0].local);
	cfg.accounts[0].pulls[0].local = md_path;	/* not freed: see below */
	memset(&md, 0, sizeof(md));
	if (maildir_open(&md, md_path, 1, &err) == -1 ||
	    record_open(&rec, &md, "f@127.0.0.1:22:" REMOTE, 0, &err) == -1)
		abort();
	memset(&st, 0, sizeof(st));
	st.ctx = &sv;
	st.read = sv_read;
	st.write = sv_write;
	st.wait = sv_wait;
	st.close = sv_close;
	memset(&c, 0, sizeof(c));
	memset(&log, 0, sizeof(log));
	log.fd = -1;
	memset(&stats, 0, sizeof(stats));
	if (sftp_open_stream(&c, &st, "f", &err) == 0) {
		job.acct = &cfg.accounts[0];
		job.pull = &cfg.accounts[0].pulls[0];
		job.md = &md;
		job.rec = &rec;
		job.dryrun = 0;
		job.log = &log;
		job.stop = &stop;
		(void)pull_run(&job, &c, &stats, &err);
	}
	sftp_close(&c);
	record_close(&rec, &err);
	maildir_close(&md);
	check_nothing_outside();
	check_removed_delivered(&sv);
	/* The config's own copy of the local path was replaced above. */
	cfg.accounts[0].pulls[0].local = NULL;
	config_free(&cfg);
	free(sv.req);
	free(sv.out);
	rmtree(md_path);
	return 0;
}
