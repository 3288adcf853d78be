/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The engine killed at each of its crash points (util/fault.h), without
 * sshd and without root: as in tests/unit/test_engine.c, pull_run runs
 * against OpenSSH's sftp-server on a socketpair, here in a child process
 * that SYNCMAIL_FAULT=POINT:N kills with SIGKILL at the Nth pass of
 * POINT.  Then a clean run, and the checks of exactly-once (SPEC 4, 5):
 * every message in the local new/ or cur/ once, with its bytes and under
 * its name; none left on the server (with keep: all there, untouched);
 * nothing in the local tmp/ or beside the Maildir's directories and
 * records; the records without a live entry (with keep: naming each
 * message of their pull, with its size, and nothing else).  With keep a
 * second clean run must fetch nothing again.
 *
 * Every point is killed at its first pass and at a later one, with n = 2
 * messages a pull (the commit's fsync of each file) and n = 20 (one
 * syncfs for the batch: COMMIT_SYNCFS_MIN is 16, and
 * SYNCMAIL_TEST_SYNCFS=1 takes that path on any file system); the later
 * pass is the middle of the batch for a point passed once a message, and
 * for one passed once a batch the batch of a second pull of the same
 * account into the same Maildir.  With keep, the points it passes at
 * their first pass; those of the remote delete must not be passed.
 * Variants: a message added on the server after the crash; what the
 * crash left in new/ read (moved to cur/) or deleted by the user before
 * the clean run, which must not bring it back.
 *
 * A kill loses no page cache, so a missing flush shows only in the order
 * of the engine's calls: the test is linked with ld's --wrap for
 * renameat2, linkat and fsync, and after a kill at new-synced or
 * tmp-resynced every move into new/ in the child's log must be followed
 * by an fsync of new/ (and of tmp/ where the file system does not commit
 * a rename whole).
 *
 * The list of points below must be the code's: a point it names that a
 * run never passes fails its case (the child is not killed), and a
 * fault_point("NAME") in the sources that the list lacks fails too.
 * Linked with the sanitizer objects, which have the points compiled in.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat/compat.h"
#include "maildir/maildir.h"
#include "maildir/record.h"
#include "syncmail/config.h"
#include "syncmail/pull.h"
#include "syncmail/say.h"
#include "syncmail/status.h"
#include "check.h"
#include "fixture.h"

/*
 * The crash points, in the order a message passes them.  per_msg: passed
 * once a message (else once a batch, or for remove-sent once the
 * REMOVEs of a batch are on the wire); keep: passed with keep yes;
 * synced: what the kill there must find flushed since the last move
 * into new/ (SYNC_NEW: new/; SYNC_TMP: tmp/ too, unless the file system
 * commits a rename whole).  Past tmp-resynced the commit thread may already be
 * moving the next batch.
 */
#define SYNC_NEW	1
#define SYNC_TMP	2

static const struct point {
	const char	*name;
	int		 per_msg;
	int		 keep;
	int		 synced;
} points[] = {
	{ "tmp-written",	1, 1, 0 },
	{ "tmp-synced",		0, 1, 0 },
	{ "recorded",		0, 1, 0 },
	{ "renamed",		1, 1, 0 },
	{ "new-synced",		0, 1, SYNC_NEW },
	{ "tmp-resynced",	0, 1, SYNC_NEW | SYNC_TMP },
	{ "remove-sent",	0, 0, 0 },
	{ "remove-answered",	1, 0, 0 },
	{ "dropped",		1, 0, 0 },
};
#define NPOINTS	(sizeof(points) / sizeof(points[0]))

/*
 * Crash points that the end-to-end tests kill at instead, all needing
 * the command runner, the attachments' child or a power cut, which this
 * engine-only test has not: a pipe's (tests/e2e/t-62-pipe.sh), a pull's
 * filter and quarantine's (tests/e2e/t-65-filter-crash.sh), attachments'
 * (tests/e2e/t-63-attachments.sh), all three with power cuts too
 * (t-59-powercut-dests.sh), and a directory made and its parent not yet
 * flushed, which matters only with a power cut after the next run
 * (t-59-powercut-dests.sh).
 */
static const char *const elsewhere[] = {
	"pipe-recorded", "pipe-exited", "pipe-done",
	"filter-recorded", "filter-exited", "quarantine-recorded",
	"quarantined",
	"save-recorded", "save-extracted", "save-placed", "save-dir-synced",
	"save-done", "dir-made"
};

extern char **environ;

static char root[256];		/* the temporary directory */
static char srcdir[PATH_MAX];	/* the source tree, for the list's check */

/* Variants of a case: what happens between the crash and the clean run. */
#define V_ADD		1	/* a message arrives on the server */
#define V_READ		2	/* the user moves what is in new/ to cur/ */
#define V_DELETE	4	/* the user deletes what is in new/ */

#define MAXMSGS	64

/* One case: one or two remote Maildirs, one local, the messages. */
struct tcase {
	char	 name[128];
	char	 remote[2][512];
	char	 local[512];
	int	 keep;
	int	 npulls;	/* 1 or 2 */
	int	 nmsgs;
	/*
	 * Every message: its name, pull, whether the user deleted it, and
	 * what makes its bytes (msg_bytes).
	 */
	char	 msgs[MAXMSGS][128];
	int	 pull[MAXMSGS];
	int	 gone[MAXMSGS];
	size_t	 len[MAXMSGS];
	unsigned seed[MAXMSGS];
};

#define MSGMAX	8192

/* The bytes of a message: a header and len bytes that depend on seed. */
static size_t
msg_bytes(size_t len, unsigned seed, char *buf)
{
	size_t n, i;

	n = (size_t)snprintf(buf, MSGMAX, "Subject: message %u\n\n", seed);
	for (i = 0; i < len && n < MSGMAX; i++)
		buf[n++] = 'a' + (int)((seed * 31 + i * 7) % 26);
	return n;
}

/* 1 when the file at path holds message i's bytes. */
static int
same_msg(const struct tcase *tc, int i, const char *path)
{
	char want[MSGMAX], got[MSGMAX + 1];
	size_t n = msg_bytes(tc->len[i], tc->seed[i], want), have = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	while (have < sizeof(got) &&
	    (r = read(fd, got + have, sizeof(got) - have)) > 0)
		have += r;
	close(fd);
	return have == n && memcmp(want, got, n) == 0;
}

/* Adds message name of pull p to remote p's new/. */
static void
add_msg(struct tcase *tc, int p, const char *name, size_t len, unsigned seed)
{
	char path[PATH_MAX], buf[MSGMAX];
	size_t n = msg_bytes(len, seed, buf);
	int fd;

	if (tc->nmsgs == MAXMSGS)
		return;
	snprintf(path, sizeof(path), "%s/new/%s", tc->remote[p], name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write(fd, buf, n) != (ssize_t)n)
		printf("  %s: cannot write\n", path);
	if (fd != -1)
		close(fd);
	snprintf(tc->msgs[tc->nmsgs], sizeof(tc->msgs[0]), "%s", name);
	tc->pull[tc->nmsgs] = p;
	tc->gone[tc->nmsgs] = 0;
	tc->len[tc->nmsgs] = len;
	tc->seed[tc->nmsgs] = seed;
	tc->nmsgs++;
}

/* The case's directories, with n messages in each remote Maildir. */
static void
tcase_init(struct tcase *tc, const char *name, int npulls, int n, int keep)
{
	char file[128];
	int p, i;

	memset(tc, 0, sizeof(*tc));
	snprintf(tc->name, sizeof(tc->name), "%s", name);
	snprintf(tc->remote[0], sizeof(tc->remote[0]), "%s/%s/ra", root, name);
	snprintf(tc->remote[1], sizeof(tc->remote[1]), "%s/%s/rb", root, name);
	snprintf(tc->local, sizeof(tc->local), "%s/%s/local", root, name);
	tc->keep = keep;
	tc->npulls = npulls;
	for (p = 0; p < npulls; p++) {
		fixture_mkmaildir(tc->remote[p], 1);
		for (i = 0; i < n; i++) {
			snprintf(file, sizeof(file), "17000000%02d.M1P1Q%d.%c",
			    i, i, 'a' + p);
			add_msg(tc, p, file, 150 + 61 * i, 100 * p + i + 1);
		}
	}
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) == -1)
		printf("  cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* Removes dir and all in it. */
static void
remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the case's directories. */
static void
tcase_free(const struct tcase *tc)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", root, tc->name);
	remove_tree(dir);
}

/*
 * The engine's moves and flushes, logged by the child: the test is linked
 * with --wrap for renameat2, linkat and fsync, so the engine's calls come
 * here.  Each is one line, "R INODE" (a move or link into the directory
 * INODE) or "F INODE" (an fsync), written with one write(2) to durlog.
 */
static int durlog = -1;

int	__real_renameat2(int, const char *, int, const char *, unsigned int);
int	__wrap_renameat2(int, const char *, int, const char *, unsigned int);
int	__real_linkat(int, const char *, int, const char *, int);
int	__wrap_linkat(int, const char *, int, const char *, int);
int	__real_fsync(int);
int	__wrap_fsync(int);

static void
durlog_note(char what, int fd)
{
	struct stat st;
	char line[64];
	int n;

	if (durlog == -1 || fstat(fd, &st) == -1)
		return;
	n = snprintf(line, sizeof(line), "%c %llu\n", what,
	    (unsigned long long)st.st_ino);
	(void)write(durlog, line, n);
}

int
__wrap_renameat2(int fromfd, const char *from, int tofd, const char *to,
    unsigned int flags)
{
	int rc = __real_renameat2(fromfd, from, tofd, to, flags);

	if (rc == 0)
		durlog_note('R', tofd);
	return rc;
}

int
__wrap_linkat(int fromfd, const char *from, int tofd, const char *to,
    int flags)
{
	int rc = __real_linkat(fromfd, from, tofd, to, flags);

	if (rc == 0)
		durlog_note('R', tofd);
	return rc;
}

int
__wrap_fsync(int fd)
{
	int rc = __real_fsync(fd);

	if (rc == 0)
		durlog_note('F', fd);
	return rc;
}

/* The inode of maildir/sub, or 0. */
static unsigned long long
dir_ino(const char *maildir, const char *sub)
{
	char path[PATH_MAX + 8];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", maildir, sub);
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/*
 * After a kill at pt: what pt->synced says is flushed, in the log of the
 * moves and flushes.  A move into new/ not followed by an fsync of new/
 * (and of tmp/, where the rename is not committed whole) could be undone
 * by a power cut, which a kill does not show.
 */
static void
check_durable(const struct tcase *tc, const struct point *pt)
{
	char path[PATH_MAX + 16], line[64], what;
	unsigned long long ino, newino, tmpino;
	int moved = 0, newok = 1, tmpok = 1, fd, journaled;
	FILE *f;

	if (pt->synced == 0)
		return;
	newino = dir_ino(tc->local, "new");
	tmpino = dir_ino(tc->local, "tmp");
	snprintf(path, sizeof(path), "%s/%s/durlog", root, tc->name);
	if ((f = fopen(path, "r")) == NULL) {
		CHECK(f != NULL);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%c %llu", &what, &ino) != 2)
			continue;
		if (what == 'R' && ino == newino) {
			moved++;
			newok = tmpok = 0;
		} else if (what == 'F' && ino == newino)
			newok = 1;
		else if (what == 'F' && ino == tmpino && newok)
			tmpok = 1;
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/tmp", tc->local);
	journaled = 0;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) != -1) {
		journaled = compat_journaled(fd);
		close(fd);
	}
	CHECK(moved > 0);
	CHECK(newok);
	if (!newok)
		printf("  %s: killed at %s with a move into new/ not flushed\n",
		    tc->name, pt->name);
	if ((pt->synced & SYNC_TMP) && !journaled) {
		CHECK(tmpok);
		if (!tmpok)
			printf("  %s: killed at %s with tmp/ not flushed after "
			    "the moves\n", tc->name, pt->name);
	}
}

/* The record's source string of pull p, as run_account makes it. */
static void
source_of(const struct tcase *tc, int p, char *buf, size_t size)
{
	snprintf(buf, size, "test@127.0.0.1:22:%s", tc->remote[p]);
}

/*
 * In the child: runs the account's pulls over fd as account_run does.
 * Returns the exit status: 0 when every pull returned STATUS_OK, 1 when
 * one was STATUS_PARTIAL, 2 when one failed, 3 when the setup failed.
 */
static int
child_run(const char *conf, int fd)
{
	volatile sig_atomic_t stop = 0;
	struct config cfg;
	struct account *a;
	struct sftp c;
	struct error err;
	struct maildir md;
	struct record rec;
	struct mlog log;
	struct pull_job job;
	struct pull_stats st;
	char source[PATH_MAX + 64];
	size_t i;
	int rc, ret = 0;

	memset(&cfg, 0, sizeof(cfg));
	if (config_parse(conf, strlen(conf), "test.conf", root, "test", &cfg,
	    &err) == -1) {
		fprintf(stderr, "config: %s\n", err.msg);
		return 3;
	}
	a = &cfg.accounts[0];
	memset(&c, 0, sizeof(c));
	if (sftp_open_fd(&c, fd, 10, &err) == -1) {
		fprintf(stderr, "sftp: %s\n", err.msg);
		sftp_close(&c);
		config_free(&cfg);
		return 3;
	}
	memset(&log, 0, sizeof(log));
	log.fd = -1;
	for (i = 0; i < a->npulls; i++) {
		memset(&md, 0, sizeof(md));
		memset(&st, 0, sizeof(st));
		error_clear(&err);
		snprintf(source, sizeof(source), "test@127.0.0.1:22:%s",
		    a->pulls[i].remote);
		if (maildir_open(&md, a->pulls[i].local, 1, &err) == -1 ||
		    record_open(&rec, &md, source, 0, &err) == -1) {
			fprintf(stderr, "local: %s\n", err.msg);
			maildir_close(&md);
			ret = 3;
			break;
		}
		job.acct = a;
		job.pull = &a->pulls[i];
		job.md = &md;
		job.rec = &rec;
		job.dryrun = 0;
		job.log = &log;
		job.stop = &stop;
		rc = pull_run(&job, &c, &st, &err);
		if (rc == -1) {
			fprintf(stderr, "pull %zu: %s\n", i, err.msg);
			ret = 2;
		} else if (rc != STATUS_OK && ret == 0)
			ret = 1;
		if (record_close(&rec, &err) == -1) {
			fprintf(stderr, "record: %s\n", err.msg);
			ret = 2;
		}
		maildir_close(&md);
		if (rc == -1 && err.kind != ERR_MAILBOX)
			break;
	}
	sftp_close(&c);
	config_free(&cfg);
	return ret;
}

/*
 * Runs the case's account once in a child, with SYNCMAIL_FAULT=fault
 * when fault is not NULL, and returns its wait status.  The sftp-server
 * is this process's child, not the engine's: it is waited for after the
 * engine is gone, so that what it still did with requests already on
 * the wire (a REMOVE after remove-sent) is done before the next run.
 * With leaks set, a clean run ends with LeakSanitizer's check.
 */
static int
engine_run(const struct tcase *tc, const char *fault, int leaks)
{
	char conf[4 * PATH_MAX], line[2 * PATH_MAX];
	char *argv[] = { "sftp-server", NULL };
	posix_spawn_file_actions_t fa;
	int sp[2], status = -1, sstatus, p, rc;
	pid_t server, engine;

	snprintf(conf, sizeof(conf), "account t\nhost 127.0.0.1\n%s",
	    tc->keep ? "keep yes\n" : "");
	for (p = 0; p < tc->npulls; p++) {
		snprintf(line, sizeof(line), "pull %s %s\n", tc->remote[p],
		    tc->local);
		strlcat(conf, line, sizeof(conf));
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	fflush(stdout);
	fflush(stderr);
	/* Spawned, not forked: a copy of this process costs more. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sp[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sp[1], 1);
	rc = posix_spawn(&server, fixture_sftp_server(), &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sp[1]);
	if (rc != 0) {
		close(sp[0]);
		return -1;
	}
	if ((engine = fork()) == 0) {
		/* A hung run ends as SIGALRM, not taken for the crash. */
		alarm(30);
		if (fault != NULL)
			setenv("SYNCMAIL_FAULT", fault, 1);
		snprintf(line, sizeof(line), "%s/%s/durlog", root, tc->name);
		durlog = open(line, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
		    O_CLOEXEC, 0600);
		setenv("SYNCMAIL_TEST_SYNCFS", "1", 1);
		if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
			_exit(3);
		/*
		 * LeakSanitizer's check at exit costs more than the run:
		 * only where asked, else _exit.
		 */
		if (leaks)
			exit(child_run(conf, sp[0]));
		_exit(child_run(conf, sp[0]));
	}
	close(sp[0]);
	if (engine != -1)
		while (waitpid(engine, &status, 0) == -1 && errno == EINTR)
			;
	/* EOF on its socket ends the server. */
	while (waitpid(server, &sstatus, 0) == -1 && errno == EINTR)
		;
	return status;
}

/* The wait status in words, for a failure's message. */
static const char *
status_str(int status, char *buf, size_t size)
{
	if (status == -1)
		snprintf(buf, size, "not started");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "status %#x", status);
	return buf;
}

/* Calls fn(tc, sub, name) for each file of the local sub/ ("new", "cur"). */
static void
each_local(struct tcase *tc, const char *sub,
    void (*fn)(struct tcase *, const char *, const char *))
{
	char dir[PATH_MAX + 8], names[MAXMSGS * 2][256];
	struct dirent *de;
	DIR *d;
	int n = 0, i;

	snprintf(dir, sizeof(dir), "%s/%s", tc->local, sub);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < MAXMSGS * 2)
		if (de->d_name[0] != '.')
			snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	closedir(d);
	for (i = 0; i < n; i++)
		fn(tc, sub, names[i]);
}

/* The user reads a message: new/NAME becomes cur/NAME:2,S. */
static void
user_read(struct tcase *tc, const char *sub, const char *name)
{
	char from[PATH_MAX + 300], to[PATH_MAX + 300];

	snprintf(from, sizeof(from), "%s/%s/%s", tc->local, sub, name);
	snprintf(to, sizeof(to), "%s/cur/%s:2,S", tc->local, name);
	CHECK(rename(from, to) == 0);
}

/* The user deletes a message: it must not come back. */
static void
user_delete(struct tcase *tc, const char *sub, const char *name)
{
	char path[PATH_MAX + 300];
	int i;

	snprintf(path, sizeof(path), "%s/%s/%s", tc->local, sub, name);
	CHECK(unlink(path) == 0);
	for (i = 0; i < tc->nmsgs; i++)
		if (strcmp(tc->msgs[i], name) == 0)
			tc->gone[i] = 1;
}

/*
 * The local copies of each message: every file of new/ and cur/ is
 * matched by its bytes against the originals; found[i] counts message
 * i's.  A file that matches none, or matches under another unique
 * name, is named and counted in *strays.
 */
static void
match_local(const struct tcase *tc, const char *sub, int *found, int *strays)
{
	char dir[PATH_MAX + 8], b[PATH_MAX + 300];
	struct dirent *de;
	size_t len;
	DIR *d;
	int i, hit;

	snprintf(dir, sizeof(dir), "%s/%s", tc->local, sub);
	if ((d = opendir(dir)) == NULL) {
		(*strays)++;
		printf("  %s: %s/%s cannot be read\n", tc->name, tc->local, sub);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(b, sizeof(b), "%s/%s", dir, de->d_name);
		len = strcspn(de->d_name, ":");
		/* The message of that name first, then any. */
		hit = -1;
		for (i = 0; i < tc->nmsgs && hit == -1; i++)
			if (strlen(tc->msgs[i]) == len &&
			    strncmp(tc->msgs[i], de->d_name, len) == 0) {
				if (same_msg(tc, i, b))
					hit = i;
			}
		for (i = 0; i < tc->nmsgs && hit == -1; i++)
			if (same_msg(tc, i, b))
				hit = i;
		if (hit == -1) {
			printf("  %s: %s/%s is none of the messages\n", tc->name,
			    sub, de->d_name);
			(*strays)++;
			continue;
		}
		found[hit]++;
		if (strlen(tc->msgs[hit]) != len ||
		    strncmp(tc->msgs[hit], de->d_name, len) != 0) {
			printf("  %s: %s/%s holds %s\n", tc->name, sub,
			    de->d_name, tc->msgs[hit]);
			(*strays)++;
		}
	}
	closedir(d);
}

/*
 * Reads the record of pull p: its live entries into names (at most max)
 * and sizes, applying "+" and "-" lines in order.  Returns their number,
 * or -1 (a torn or damaged line, named).  No file is an empty record.
 */
static int
read_record(const struct tcase *tc, int p, char names[][128],
    unsigned long long *sizes, int max)
{
	char source[PATH_MAX + 64], tag[24], path[2 * PATH_MAX];
	char line[1024], *f1, *f2, *f3;
	FILE *f;
	int n = 0, i, bad = 0;
	size_t len;

	source_of(tc, p, source, sizeof(source));
	record_tag(source, tag);
	snprintf(path, sizeof(path), "%s/syncmail-state.%s", tc->local, tag);
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (!bad && fgets(line, sizeof(line), f) != NULL) {
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			printf("  %s: record %d: torn line \"%s\"\n", tc->name,
			    p, line);
			bad = 1;
			break;
		}
		line[--len] = '\0';
		if (line[0] == '#')
			continue;
		f1 = line + 2;
		if (line[0] == '-' && line[1] == '\t') {
			for (i = 0; i < n; i++)
				if (strcmp(names[i], f1) == 0) {
					memmove(names[i], names[n - 1],
					    sizeof(names[0]));
					sizes[i] = sizes[n - 1];
					n--;
					break;
				}
			continue;
		}
		if (line[0] != '+' || line[1] != '\t' ||
		    (f2 = strchr(f1, '\t')) == NULL ||
		    (f3 = strchr(f2 + 1, '\t')) == NULL) {
			printf("  %s: record %d: damaged line \"%s\"\n",
			    tc->name, p, line);
			bad = 1;
			break;
		}
		*f2++ = '\0';
		for (i = 0; i < n; i++)
			if (strcmp(names[i], f1) == 0)
				break;
		if (i == n) {
			if (n == max || strlen(f1) >= sizeof(names[0])) {
				printf("  %s: record %d: unexpected \"%s\"\n",
				    tc->name, p, f1);
				bad = 1;
				break;
			}
			memcpy(names[n++], f1, strlen(f1) + 1);
		}
		sizes[i] = strtoull(f2, NULL, 10);
	}
	fclose(f);
	return bad ? -1 : n;
}

/* Size of message i. */
static unsigned long long
msg_size(const struct tcase *tc, int i)
{
	char buf[MSGMAX];

	return msg_bytes(tc->len[i], tc->seed[i], buf);
}

/*
 * The record of pull p once a run finished: without keep, no live
 * entry; with keep, exactly the pull's messages (those the user deleted
 * too: the record is what keeps them from coming back), with their sizes.
 */
static void
check_record(const struct tcase *tc, int p, const char *when)
{
	char names[MAXMSGS][128];
	unsigned long long sizes[MAXMSGS];
	int n, i, j, want = 0, ok;

	n = read_record(tc, p, names, sizes, MAXMSGS);
	CHECK(n != -1);
	if (n == -1)
		return;
	if (!tc->keep) {
		CHECK(n == 0);
		for (i = 0; i < n; i++)
			printf("  %s %s: record %d still names %s\n", tc->name,
			    when, p, names[i]);
		return;
	}
	ok = 1;
	for (i = 0; i < tc->nmsgs; i++) {
		if (tc->pull[i] != p)
			continue;
		want++;
		for (j = 0; j < n; j++)
			if (strcmp(names[j], tc->msgs[i]) == 0)
				break;
		if (j == n || sizes[j] != msg_size(tc, i)) {
			printf("  %s %s: record %d: %s %s\n", tc->name, when, p,
			    tc->msgs[i], j == n ? "missing" : "wrong size");
			ok = 0;
		}
	}
	CHECK(ok && n == want);
}

/* Files in the local Maildir besides new/, cur/, tmp/ and the records. */
static int
local_strays(const struct tcase *tc)
{
	char source[PATH_MAX + 64], tags[2][64];
	struct dirent *de;
	DIR *d;
	int p, n = 0;

	tags[1][0] = '\0';
	for (p = 0; p < tc->npulls; p++) {
		source_of(tc, p, source, sizeof(source));
		strlcpy(tags[p], "syncmail-state.", sizeof(tags[p]));
		record_tag(source, tags[p] + strlen(tags[p]));
	}
	if ((d = opendir(tc->local)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "new") == 0 ||
		    strcmp(de->d_name, "cur") == 0 ||
		    strcmp(de->d_name, "tmp") == 0 ||
		    strcmp(de->d_name, tags[0]) == 0 ||
		    strcmp(de->d_name, tags[1]) == 0)
			continue;
		printf("  %s: stray %s/%s\n", tc->name, tc->local, de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Exactly-once after a finished run: each message local once (none
 * that the user deleted), the server's copies gone (with keep: all
 * there, untouched), tmp/ empty, the records as check_record says.
 */
static void
check_state(const struct tcase *tc, const char *when)
{
	char path[PATH_MAX + 300];
	int found[MAXMSGS], strays = 0, i, p, ok = 1, remote, want[2] = { 0, 0 };

	memset(found, 0, sizeof(found));
	match_local(tc, "new", found, &strays);
	match_local(tc, "cur", found, &strays);
	CHECK(strays == 0);
	for (i = 0; i < tc->nmsgs; i++) {
		if (found[i] != !tc->gone[i]) {
			printf("  %s %s: %s is local %d times%s\n", tc->name,
			    when, tc->msgs[i], found[i],
			    tc->gone[i] ? " (deleted by the user)" : "");
			ok = 0;
		}
		want[tc->pull[i]]++;
	}
	CHECK(ok);
	for (p = 0; p < tc->npulls; p++) {
		remote = fixture_count_in(tc->remote[p], "new");
		CHECK(remote == (tc->keep ? want[p] : 0));
		if (remote != (tc->keep ? want[p] : 0))
			printf("  %s %s: %d files in %s/new\n", tc->name, when,
			    remote, tc->remote[p]);
		check_record(tc, p, when);
	}
	/* With keep the server's copies are there, untouched. */
	for (i = 0, ok = 1; tc->keep && i < tc->nmsgs; i++) {
		snprintf(path, sizeof(path), "%s/new/%s",
		    tc->remote[tc->pull[i]], tc->msgs[i]);
		if (!same_msg(tc, i, path)) {
			printf("  %s %s: %s not kept whole on the server\n",
			    tc->name, when, tc->msgs[i]);
			ok = 0;
		}
	}
	CHECK(ok);
	i = fixture_count_in(tc->local, "tmp");
	CHECK(i == 0);
	if (i != 0)
		printf("  %s %s: %d files in tmp/\n", tc->name, when, i);
	CHECK(local_strays(tc) == 0);
}

/*
 * Kills the engine at the hit-th pass of point, with two pulls of n
 * messages each, then runs it clean and checks exactly-once; with keep
 * once more.
 */
static void
crash_case(const struct point *pt, int hit, int n, int keep, int variant)
{
	struct tcase tc;
	char name[128], fault[64], buf[64];
	int status;

	snprintf(name, sizeof(name), "%s-%d-n%d%s%s%s%s", pt->name, hit, n,
	    keep ? "-keep" : "", variant & V_ADD ? "-add" : "",
	    variant & V_READ ? "-read" : "", variant & V_DELETE ? "-delete" : "");
	/* A later pass of a point passed once a batch: the second pull's. */
	tcase_init(&tc, name, !pt->per_msg && hit > 1 ? 2 : 1, n, keep);
	snprintf(fault, sizeof(fault), "%s:%d", pt->name, hit);
	status = engine_run(&tc, fault, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		printf("  %s: %s, not killed at %s: is the point still "
		    "passed%s, and as often?\n", name, status_str(status, buf,
		    sizeof(buf)), fault, keep ? " with keep" : "");
	check_durable(&tc, pt);
	if (variant & V_ADD)
		add_msg(&tc, 0, "1800000000.M2P2Q0.late", 5000, 999);
	if (variant & (V_READ | V_DELETE)) {
		/* Only where the crash left something in new/. */
		CHECK(fixture_count_in(tc.local, "new") > 0);
		each_local(&tc, "new", variant & V_READ ? user_read :
		    user_delete);
	}

	status = engine_run(&tc, NULL, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("  %s: the clean run after the crash: %s\n", name,
		    status_str(status, buf, sizeof(buf)));
	check_state(&tc, "after the crash");

	/*
	 * With keep the server's copies stay: the record alone keeps them
	 * from coming back.
	 */
	if (keep) {
		status = engine_run(&tc, NULL, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		check_state(&tc, "a run later");
	}
	tcase_free(&tc);
}

/* With keep, a point of the remote delete is never passed. */
static void
keep_never_removes(const struct point *pt)
{
	struct tcase tc;
	char name[128], fault[64], buf[64];
	int status;

	snprintf(name, sizeof(name), "%s-keep-unreached", pt->name);
	tcase_init(&tc, name, 1, 2, 1);
	snprintf(fault, sizeof(fault), "%s:1", pt->name);
	status = engine_run(&tc, fault, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("  %s: %s\n", name, status_str(status, buf,
		    sizeof(buf)));
	check_state(&tc, "with keep");
	tcase_free(&tc);
}

/*
 * The batch sizes: a pull of n messages commits them in one batch (so
 * 20 take the syncfs path): tmp-synced is not passed twice.  Its clean
 * exit has LeakSanitizer's check.
 */
static void
check_batches(int n)
{
	struct tcase tc;
	char name[64], buf[64];
	int status;

	snprintf(name, sizeof(name), "batches-n%d", n);
	tcase_init(&tc, name, 1, n, 0);
	status = engine_run(&tc, "tmp-synced:2", 1);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("  %s: %s: more than one batch a pull?\n", name,
		    status_str(status, buf, sizeof(buf)));
	check_state(&tc, "in one batch a pull");
	tcase_free(&tc);
}

/* Whether name is a crash point another test kills at (elsewhere). */
static int
is_elsewhere(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++)
		if (strcmp(elsewhere[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Every fault_point("NAME") in the engine's sources is in the list, and
 * each name in the list is in the sources (the cases then show that the
 * runs pass it).  Returns the number of points found in the sources.
 */
static int
check_sources(void)
{
	static const char *dirs[] = { "syncmail", "maildir", "sftp", "util",
	    "compat" };
	const char *pat = "fault_point(\"";
	char path[2 * PATH_MAX], line[1024], name[64], *p, *q;
	int seen[NPOINTS], nfound = 0, unlisted = 0;
	struct dirent *de;
	size_t i, j, len;
	FILE *f;
	DIR *d;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", srcdir, dirs[i]);
		if ((d = opendir(path)) == NULL) {
			printf("  no sources at %s\n", path);
			CHECK(d != NULL);
			return 0;
		}
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (len < 3 || strcmp(de->d_name + len - 2, ".c") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", srcdir,
			    dirs[i], de->d_name);
			if ((f = fopen(path, "r")) == NULL)
				continue;
			while (fgets(line, sizeof(line), f) != NULL) {
				if ((p = strstr(line, pat)) == NULL)
					continue;
				p += strlen(pat);
				if ((q = strchr(p, '"')) == NULL ||
				    (size_t)(q - p) >= sizeof(name))
					continue;
				memcpy(name, p, q - p);
				name[q - p] = '\0';
				nfound++;
				for (j = 0; j < NPOINTS; j++)
					if (strcmp(points[j].name, name) == 0)
						break;
				if (j < NPOINTS)
					seen[j] = 1;
				else if (is_elsewhere(name))
					;
				else {
					printf("  %s/%s: crash point \"%s\" is "
					    "not in the list\n", dirs[i],
					    de->d_name, name);
					unlisted++;
				}
			}
			fclose(f);
		}
		closedir(d);
	}
	CHECK(unlisted == 0);
	for (j = 0; j < NPOINTS; j++) {
		CHECK(seen[j]);
		if (!seen[j])
			printf("  crash point \"%s\" is not in the sources\n",
			    points[j].name);
	}
	return nfound;
}

/* The point of that name in the list, or NULL (a failed check). */
static const struct point *
find_point(const char *name)
{
	size_t i;

	for (i = 0; i < NPOINTS; i++)
		if (strcmp(points[i].name, name) == 0)
			return &points[i];
	printf("  no crash point \"%s\" in the list\n", name);
	CHECK(0);
	return NULL;
}

/* The variants, each where it matters. */
static const struct variant {
	const char	*point;
	int		 hit, n, keep, variant;
} variants[] = {
	/* A message arrives while the record names unmoved files. */
	{ "recorded",		1,	2,	0, V_ADD },
	/* In new/, deleted by the user: none comes back. */
	{ "renamed",		1,	2,	0, V_DELETE },
	{ "renamed",		11,	20,	0, V_DELETE },
	{ "new-synced",		1,	20,	0, V_READ | V_ADD },
	{ "tmp-resynced",	2,	2,	0, V_DELETE },
	{ "remove-sent",	1,	20,	0, V_DELETE | V_ADD },
	{ "remove-answered",	1,	2,	0, V_READ },
	{ "dropped",		11,	20,	0, V_ADD },
	{ "renamed",		1,	2,	1, V_READ | V_ADD },
	{ "new-synced",		1,	20,	1, V_DELETE },
};

int
main(int argc, char **argv)
{
	static const int sizes[] = { 2, 20 };
	const struct point *pt;
	char *slash;
	struct timespec t0, t1;
	size_t i, s;
	int n, ncases = 0;

	(void)argc;
	if (access(fixture_sftp_server(), X_OK) == -1) {
		printf("FAIL: no %s (openssh-sftp-server)\n",
		    fixture_sftp_server());
		return 1;
	}
	/* The sources are two levels above tests/unit/test_crash. */
	snprintf(srcdir, sizeof(srcdir), "%s", argv[0]);
	for (i = 0; i < 3; i++) {
		if ((slash = strrchr(srcdir, '/')) == NULL) {
			snprintf(srcdir, sizeof(srcdir), ".");
			break;
		}
		*slash = '\0';
	}
	if (srcdir[0] == '\0')
		snprintf(srcdir, sizeof(srcdir), "/");
	snprintf(root, sizeof(root), "%s/syncmail-crash.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : P_tmpdir);
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	unsetenv("SYNCMAIL_FAULT");
	signal(SIGPIPE, SIG_IGN);
	say_quiet = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	check_sources();
	check_batches(2);
	check_batches(20);
	for (i = 0; i < NPOINTS; i++) {
		pt = &points[i];
		/*
		 * The first pass, and a later one: in the middle of the
		 * first pull's batch for a point passed once a message,
		 * the second pull's batch for one passed once a batch.
		 */
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			n = sizes[s];
			crash_case(pt, 1, n, 0, 0);
			crash_case(pt, pt->per_msg ? n / 2 + 1 : 2, n, 0, 0);
			ncases += 2;
		}
		if (!pt->keep) {
			keep_never_removes(pt);
			ncases++;
			continue;
		}
		crash_case(pt, 1, 2, 1, 0);
		ncases++;
	}
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if ((pt = find_point(variants[i].point)) == NULL)
			continue;
		crash_case(pt, variants[i].hit, variants[i].n,
		    variants[i].keep, variants[i].variant);
		ncases++;
	}

	remove_tree(root);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%d crash cases at %zu points in %.1f s\n", ncases, NPOINTS,
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK(access(root, F_OK) == -1);
	return check_done();
}
