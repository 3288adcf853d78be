/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests of the sync engine without sshd: pull_run driven against
 * OpenSSH's sftp-server, started by the test on a socketpair (SPEC 7), with
 * the remote and local Maildirs in a temporary directory.  Runs as any
 * user.  Cases: a plain pull; an account whose first pull cannot be
 * listed, in both orders and with a Maildir that has tmp/ but no new/
 * (the answers the failed listing left in flight must not reach the next
 * pull); keep; recovery of a recorded delivery whose local file is whole,
 * and of one whose file is empty; the record's attachments DEST written
 * and read back.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/maildir.h"
#include "maildir/record.h"
#include "syncmail/config.h"
#include "syncmail/mlog.h"
#include "syncmail/pull.h"
#include "syncmail/say.h"
#include "syncmail/status.h"
#include "check.h"
#include "fixture.h"

static char root[64];		/* the temporary directory */

/* The sftp-server of the test: a child on the other end of fd. */
struct server {
	pid_t	 pid;
	int	 fd;
};

static int
server_start(struct server *sv)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	if ((sv->pid = fork()) == -1)
		return -1;
	if (sv->pid == 0) {
		dup2(sp[1], 0);
		dup2(sp[1], 1);
		execl(fixture_sftp_server(), "sftp-server", (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	sv->fd = sp[0];
	return fcntl(sv->fd, F_SETFL, O_NONBLOCK);
}

static void
server_stop(struct server *sv)
{
	int status;

	close(sv->fd);
	kill(sv->pid, SIGTERM);
	waitpid(sv->pid, &status, 0);
}

/* Writes len bytes that depend on seed into dir/name. */
static void
write_msg(const char *dir, const char *name, size_t len, unsigned seed)
{
	char path[PATH_MAX];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "Subject: message %u\n\n", seed);
	for (i = 0; i < len; i++)
		fputc('a' + (int)((seed * 31 + i * 7) % 26), f);
	fclose(f);
}

/* 1 when the two files hold the same bytes. */
static int
same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	int ca, cb, same = fa != NULL && fb != NULL;

	while (same) {
		ca = fgetc(fa);
		cb = fgetc(fb);
		if (ca != cb)
			same = 0;
		if (ca == EOF)
			break;
	}
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return same;
}

/*
 * Makes n messages "NAME.i" in remote/new, each also in orig/ for the
 * checks.
 */
static void
mkmsgs(const char *remote, const char *orig, const char *name, int n)
{
	char dir[PATH_MAX], file[300];
	int i;

	snprintf(dir, sizeof(dir), "%s/new", remote);
	fixture_mkdirs(orig);
	for (i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "17000000%02d.M1P1Q%d.%s", i, i,
		    name);
		write_msg(dir, file, 200 + 97 * i, i + 1);
		write_msg(orig, file, 200 + 97 * i, i + 1);
	}
}

/* Every file of orig/ is in local/new under its name, byte for byte. */
static int
all_delivered(const char *orig, const char *local)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ok = 1;

	if ((d = opendir(orig)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(a, sizeof(a), "%s/%s", orig, de->d_name);
		snprintf(b, sizeof(b), "%s/new/%s", local, de->d_name);
		if (!same_file(a, b)) {
			printf("  not delivered whole: %s\n", b);
			ok = 0;
		}
	}
	closedir(d);
	return ok;
}

/* One case's directories: a remote Maildir with n messages, their copies. */
struct tcase {
	char	 remote[256];
	char	 local[256];
	char	 orig[256];
};

static void
tcase_init(struct tcase *tc, const char *name, int n)
{
	snprintf(tc->remote, sizeof(tc->remote), "%s/%s/remote", root, name);
	snprintf(tc->local, sizeof(tc->local), "%s/%s/local", root, name);
	snprintf(tc->orig, sizeof(tc->orig), "%s/%s/orig", root, name);
	fixture_mkmaildir(tc->remote, 1);
	mkmsgs(tc->remote, tc->orig, name, n);
}

/*
 * Runs every pull of the one account in conftext over one sftp-server
 * connection, as account_run does: each pull's Maildir and record
 * opened, pull_run, closed.  rcs[i] gets each pull_run's result, and
 * errs (when not NULL) the message of the first that failed.
 */
static int
run_account(const char *conftext, int *rcs, char *errs, size_t errsize)
{
	volatile sig_atomic_t stop = 0;
	struct config cfg;
	struct account *a;
	struct server sv;
	struct sftp c;
	struct error err;
	struct maildir md;
	struct record rec;
	struct mlog log;
	struct pull_job job;
	struct pull_stats st;
	char source[PATH_MAX + 64];
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	if (config_parse(conftext, strlen(conftext), "test.conf", root,
	    "test", &cfg, &err) == -1) {
		printf("  config: %s\n", err.msg);
		return -1;
	}
	a = &cfg.accounts[0];
	if (server_start(&sv) == -1) {
		config_free(&cfg);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	if (sftp_open_fd(&c, sv.fd, 10, &err) == -1) {
		printf("  sftp: %s\n", err.msg);
		sftp_close(&c);
		server_stop(&sv);
		config_free(&cfg);
		return -1;
	}
	memset(&log, 0, sizeof(log));
	log.fd = -1;
	if (errs != NULL)
		errs[0] = '\0';
	for (i = 0; i < a->npulls; i++) {
		memset(&md, 0, sizeof(md));
		memset(&st, 0, sizeof(st));
		error_clear(&err);
		rcs[i] = -1;
		snprintf(source, sizeof(source), "test@127.0.0.1:22:%s",
		    a->pulls[i].remote);
		if (maildir_open(&md, a->pulls[i].local, 1, &err) == -1 ||
		    record_open(&rec, &md, source, 0, &err) == -1) {
			printf("  local: %s\n", err.msg);
			maildir_close(&md);
			continue;
		}
		job.acct = a;
		job.pull = &a->pulls[i];
		job.md = &md;
		job.rec = &rec;
		job.dryrun = 0;
		job.log = &log;
		job.stop = &stop;
		rcs[i] = pull_run(&job, &c, &st, &err);
		if (rcs[i] == -1 && errs != NULL && errs[0] == '\0')
			snprintf(errs, errsize, "%s", err.msg);
		record_close(&rec, &err);
		maildir_close(&md);
		if (rcs[i] == -1 && err.kind != ERR_MAILBOX)
			break;	/* as account_run: the connection is gone */
	}
	sftp_close(&c);
	server_stop(&sv);
	config_free(&cfg);
	return 0;
}

static void
test_plain(void)
{
	struct tcase tc;
	char conf[3 * PATH_MAX];
	int rcs[1];

	tcase_init(&tc, "plain", 40);
	snprintf(conf, sizeof(conf), "account t\nhost 127.0.0.1\n"
	    "pull %s %s\n", tc.remote, tc.local);
	CHECK(run_account(conf, rcs, NULL, 0) == 0);
	CHECK(rcs[0] == STATUS_OK);
	CHECK(all_delivered(tc.orig, tc.local));
	CHECK(fixture_count_in(tc.remote, "new") == 0);
	CHECK(fixture_count_in(tc.local, "tmp") == 0);
	CHECK(fixture_count_in(tc.local, "new") == 40);

	/* Nothing new: nothing moves, nothing fails. */
	CHECK(run_account(conf, rcs, NULL, 0) == 0);
	CHECK(rcs[0] == STATUS_OK);
	CHECK(fixture_count_in(tc.local, "new") == 40);
}

/*
 * The failed-first-pull regression: order is a string of 'm' (a missing
 * Maildir), 'n' (tmp/ but no new/) and 'g' (the good one).
 */
static void
test_failed_pull(const char *order)
{
	struct tcase tc;
	char name[32], conf[8 * PATH_MAX], line[3 * PATH_MAX], errs[1024];
	char dir[PATH_MAX + 8];
	int rcs[4];
	size_t i, good = 0;

	snprintf(name, sizeof(name), "fail-%s", order);
	tcase_init(&tc, name, 25);
	snprintf(conf, sizeof(conf), "account t\nhost 127.0.0.1\n");
	for (i = 0; order[i] != '\0'; i++) {
		if (order[i] == 'g') {
			snprintf(line, sizeof(line), "pull %s %s\n", tc.remote,
			    tc.local);
			good = i;
		} else if (order[i] == 'm')
			snprintf(line, sizeof(line), "pull %s/fail-%s/missing "
			    "%s/fail-%s/l%zu\n", root, order, root, order, i);
		else {
			snprintf(dir, sizeof(dir), "%s/fail-%s/newless", root,
			    order);
			fixture_mkmaildir(dir, 0);
			snprintf(line, sizeof(line), "pull %s %s/fail-%s/l%zu\n",
			    dir, root, order, i);
		}
		strlcat(conf, line, sizeof(conf));
	}
	CHECK(run_account(conf, rcs, errs, sizeof(errs)) == 0);
	for (i = 0; order[i] != '\0'; i++)
		if (i != good)
			CHECK(rcs[i] == -1);
	CHECK(strstr(errs, "cannot list") != NULL);
	CHECK(rcs[good] == STATUS_OK);
	CHECK(all_delivered(tc.orig, tc.local));
	CHECK(fixture_count_in(tc.remote, "new") == 0);
	if (rcs[good] != STATUS_OK)
		printf("  order %s: the good pull failed after \"%s\"\n", order,
		    errs);
}

static void
test_keep(void)
{
	struct tcase tc;
	char conf[3 * PATH_MAX], file[PATH_MAX];
	int rcs[1];

	tcase_init(&tc, "keep", 10);
	snprintf(conf, sizeof(conf), "account t\nhost 127.0.0.1\n"
	    "pull %s %s\nkeep yes\n", tc.remote, tc.local);
	CHECK(run_account(conf, rcs, NULL, 0) == 0);
	CHECK(rcs[0] == STATUS_OK);
	CHECK(all_delivered(tc.orig, tc.local));
	CHECK(fixture_count_in(tc.remote, "new") == 10);
	/* Read and deleted locally: a kept message is not fetched again. */
	snprintf(file, sizeof(file), "%s/new/1700000003.M1P1Q3.keep", tc.local);
	CHECK(unlink(file) == 0);
	CHECK(run_account(conf, rcs, NULL, 0) == 0);
	CHECK(rcs[0] == STATUS_OK);
	CHECK(fixture_count_in(tc.local, "new") == 9);
}

/*
 * A record that says two messages were delivered (their tmp files gone):
 * "whole" is in new/ with its size, so only its remote copy goes;
 * "empty" is an empty file in new/ (its data lost in a power cut), so it
 * is fetched again and delivered whole beside it.
 */
static void
test_recovery(void)
{
	struct tcase tc;
	char conf[3 * PATH_MAX], file[PATH_MAX + 300], src[3 * PATH_MAX];
	char state[PATH_MAX + 64], tag[24], source[PATH_MAX + 64];
	const char *remote = tc.remote, *local = tc.local, *orig = tc.orig;
	struct stat st;
	FILE *f;
	int rcs[1];

	tcase_init(&tc, "rec", 2);
	fixture_mkmaildir(local, 1);
	snprintf(source, sizeof(source), "test@127.0.0.1:22:%s", remote);
	record_tag(source, tag);
	snprintf(state, sizeof(state), "%s/syncmail-state.%s", local, tag);
	if ((f = fopen(state, "w")) == NULL) {
		CHECK(f != NULL);
		return;
	}
	snprintf(src, sizeof(src), "%s/new/1700000000.M1P1Q0.rec", remote);
	CHECK(stat(src, &st) == 0);
	fprintf(f, "+\t1700000000.M1P1Q0.rec\t%lld\tsyncmail.%s.1.1\n",
	    (long long)st.st_size, tag);
	snprintf(src, sizeof(src), "%s/new/1700000001.M1P1Q1.rec", remote);
	CHECK(stat(src, &st) == 0);
	fprintf(f, "+\t1700000001.M1P1Q1.rec\t%lld\tsyncmail.%s.1.2\n",
	    (long long)st.st_size, tag);
	fclose(f);
	/* The first is whole locally, the second empty. */
	snprintf(file, sizeof(file), "%s/1700000000.M1P1Q0.rec", orig);
	snprintf(src, sizeof(src), "cp %s %s/new/", file, local);
	CHECK(system(src) == 0);
	snprintf(file, sizeof(file), "%s/new/1700000001.M1P1Q1.rec", local);
	if ((f = fopen(file, "w")) != NULL)
		fclose(f);
	/* The whole one is then removed remotely without a second copy. */
	snprintf(conf, sizeof(conf), "account t\nhost 127.0.0.1\n"
	    "pull %s %s\n", remote, local);
	CHECK(run_account(conf, rcs, NULL, 0) == 0);
	CHECK(rcs[0] == STATUS_OK);
	CHECK(fixture_count_in(remote, "new") == 0);
	/* whole (1), empty (1) and the fetched copy of the empty one (1). */
	CHECK(fixture_count_in(local, "new") == 3);
	CHECK(stat(file, &st) == 0 && st.st_size == 0);
	snprintf(file, sizeof(file), "%s/1700000000.M1P1Q0.rec", orig);
	snprintf(src, sizeof(src), "%s/new/1700000000.M1P1Q0.rec", local);
	CHECK(same_file(file, src));
}

/* The attachments DEST: what record_attach_dest writes, parse reads. */
static void
test_attach_dest(void)
{
	char buf[64], dir[8], maildir[8];

	CHECK(record_attach_dest("/s", NULL, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "attachments\t/s");
	CHECK(record_attach_parse(buf, dir, maildir, sizeof(dir)) == 1);
	CHECK_STR(dir, "/s");
	CHECK_STR(maildir, "");
	CHECK(record_attach_dest("/s", "/m", buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "attachments\t/s\t/m");
	CHECK(record_attach_parse(buf, dir, maildir, sizeof(dir)) == 1);
	CHECK_STR(dir, "/s");
	CHECK_STR(maildir, "/m");
	/* Too long to write, or to read back into the buffers given. */
	CHECK(record_attach_dest("/s", "/m", buf, 16) == -1);
	CHECK(record_attach_parse("attachments\t/1234567", dir, maildir,
	    sizeof(dir)) == -1);
	CHECK(record_attach_parse("attachments\t/s\t/1234567", dir, maildir,
	    sizeof(dir)) == -1);
	/* The other kinds of DEST. */
	CHECK(record_attach_parse(RECORD_DISCARD, dir, maildir,
	    sizeof(dir)) == 0);
	CHECK(record_attach_parse(RECORD_PIPE, dir, maildir, sizeof(dir)) == 0);
	CHECK(record_attach_parse("/m", dir, maildir, sizeof(dir)) == 0);
	CHECK(record_attach_parse("attachments", dir, maildir,
	    sizeof(dir)) == 0);
	CHECK(record_attach_parse("attachments/s", dir, maildir,
	    sizeof(dir)) == 0);
}

int
main(void)
{
	char cmd[PATH_MAX + 16];

	if (access(fixture_sftp_server(), X_OK) == -1) {
		printf("FAIL: no %s (openssh-sftp-server)\n",
		    fixture_sftp_server());
		return 1;
	}
	snprintf(root, sizeof(root), "/tmp/syncmail-engine.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	say_quiet = 1;
	test_attach_dest();
	test_plain();
	test_failed_pull("mg");
	test_failed_pull("gm");
	test_failed_pull("ng");
	test_failed_pull("mng");
	test_keep();
	test_recovery();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		printf("could not remove %s\n", root);
	return check_done();
}
