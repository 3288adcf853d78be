/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for exec/: the real runner process running real /bin/sh
 * commands.  Each outcome (exit 0 reading all of 10 MB, 75, 1 with its
 * stderr quoted, a half read, no read of one byte, a signal, a timeout
 * with and without a command that ignores SIGTERM, an output past its
 * bound), a filter's bytes, the environment, a grandchild left holding
 * the pipes, the engine killed mid-command (the runner's parent or only
 * the holder of its socket, or its parent with the socket held elsewhere),
 * malformed requests, command_run's watched descriptor and the signal
 * state it restores, a pipe command's stdout going nowhere, no descriptor
 * or zombie left after 200 runs, and delivery through procmail and
 * maildrop.
 *
 * procmail and maildrop run as whoever runs the test, root included:
 * "procmail -m RCFILE" and "maildrop FILTERFILE" take a filter file that
 * the user owns and only the user can read or write (0600), deliver where
 * it says and never look up a user's home or mail spool; maildrop wants
 * the Maildir made first (it takes a missing one for an mbox and exits 75
 * on its lock).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/runner.h"
#include "check.h"

static char		 root[256];
static struct runner	 rn;
static int		 nfile;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A fresh file in root holding len bytes of pattern (repeated), open. */
static int
make_file(const char *pattern, size_t len)
{
	char path[512], buf[65536];
	size_t plen = strlen(pattern), i, n;
	int fd;

	snprintf(path, sizeof(path), "%s/f%d", root, nfile++);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600))
	    == -1) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = plen != 0 ? pattern[i % plen] : 0;
	for (i = 0; i < len; i += n) {
		/* sizeof(buf) is a multiple of the patterns used here */
		n = len - i < sizeof(buf) ? len - i : sizeof(buf);
		if (write(fd, buf, n) != (ssize_t)n) {
			perror("write");
			exit(1);
		}
	}
	return fd;
}

/* The whole content of fd (from offset 0) in a malloc'd buffer. */
static char *
file_bytes(int fd, size_t *len)
{
	struct stat st;
	char *p;

	if (fstat(fd, &st) == -1 || (p = malloc((size_t)st.st_size + 1))
	    == NULL)
		exit(1);
	if (pread(fd, p, (size_t)st.st_size, 0) != st.st_size)
		exit(1);
	p[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	return p;
}

static int
run_env(const char *cmd, int in_fd, uint64_t size, int out_fd,
    uint64_t limit, unsigned timeout, const char *const *env, size_t nenv,
    struct command_result *res, struct error *err)
{
	struct command_spec s;

	memset(&s, 0, sizeof(s));
	s.command = cmd;
	s.env = env;
	s.nenv = nenv;
	s.in_fd = in_fd;
	s.in_size = size;
	s.out_fd = out_fd;
	s.out_limit = limit;
	s.timeout = timeout;
	s.watch_fd = -1;
	error_clear(err);
	return runner_run(&rn, &s, res, err);
}

static int
run(const char *cmd, int in_fd, uint64_t size, unsigned timeout,
    struct command_result *res)
{
	struct error err;

	return run_env(cmd, in_fd, size, -1, 0, timeout, NULL, 0, res, &err);
}

/*
 * Whether a process of group pgid is alive (a zombie is not): read from
 * /proc, since a zombie whose reaper is slow still answers kill(-g, 0).
 */
static int
group_alive(pid_t pgid)
{
	char path[300], buf[512], *p, state;
	DIR *d;
	struct dirent *e;
	long ppid, pgrp;
	int alive = 0;
	FILE *f;

	if ((d = opendir("/proc")) == NULL)
		return 1;
	while (!alive && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 &&
		    pgrp == pgid && state != 'Z')
			alive = 1;
		fclose(f);
	}
	closedir(d);
	return alive;
}

/* Whether pid is alive and not a zombie. */
static int
proc_alive(pid_t pid)
{
	char path[300], buf[512], *p, state;
	FILE *f;
	int alive = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && sscanf(p + 1, " %c", &state) == 1)
		alive = state != 'Z';
	fclose(f);
	return alive;
}

/* Children of pid, zombies included. */
static int
count_children(pid_t pid)
{
	char path[300], buf[512], *p, state;
	DIR *d;
	struct dirent *e;
	long ppid;
	int n = 0;
	FILE *f;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %ld", &state, &ppid) == 2 && ppid == pid)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Waits up to ms for group pgid to be gone; whether it went. */
static int
group_gone_within(pid_t pgid, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (!group_alive(pgid))
			return 1;
		sleep_ms(20);
	}
	return !group_alive(pgid);
}

/*
 * Descriptors of pid below our RLIMIT_NOFILE: under valgrind the limit
 * we see is lowered, and valgrind's own descriptors sit above it.
 */
static int
count_fds(pid_t pid)
{
	char path[300];
	struct rlimit rl;
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' &&
		    strtoull(e->d_name, NULL, 10) < (unsigned long long)rl.rlim_cur)
			n++;
	closedir(d);
	return n;
}

/* Reads a number the command wrote into path, waiting up to 5 s for it. */
static long
wait_number(const char *path)
{
	long v = -1;
	FILE *f;
	int i;

	for (i = 0; i < 250 && v <= 0; i++) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%ld", &v) != 1)
				v = -1;
			fclose(f);
		}
		if (v <= 0)
			sleep_ms(20);
	}
	return v;
}

static void
test_reads_all(void)
{
	struct command_result res;
	int fd = make_file("0123456789abcdef", 10 * 1024 * 1024);

	/* 10 MB through a 64 KiB pipe, the whole of it counted */
	CHECK(run("wc -c >&2", fd, 10 * 1024 * 1024, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK);
	CHECK(res.status == 0 && res.signal == 0 && res.unread == 0);
	CHECK(atol(res.stderr_head) == 10 * 1024 * 1024);
	CHECK(res.pid > 0);

	CHECK(run("cat >/dev/null", fd, 10 * 1024 * 1024, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK && res.unread == 0);

	/* a pipe command's stdout is /dev/null: 10 MB written there, read */
	CHECK(run("cat; head -c 10000000 /dev/zero", fd, 10 * 1024 * 1024, 30,
	    &res) == 0);
	CHECK(res.outcome == COMMAND_OK && res.out_bytes == 0);

	/* only in_size bytes are given, from offset 0, the offset unmoved */
	CHECK(lseek(fd, 5, SEEK_SET) == 5);
	CHECK(run("wc -c >&2", fd, 1000, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK && atol(res.stderr_head) == 1000);
	CHECK(lseek(fd, 0, SEEK_CUR) == 5);

	/* an empty message: a command that reads nothing has read it all */
	CHECK(run("exit 0", fd, 0, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK && res.unread == 0);
	close(fd);
}

static void
test_statuses(void)
{
	struct command_result res;
	struct error err;
	char what[128];
	int fd = make_file("x", 100);

	CHECK(run("cat >/dev/null; exit 75", fd, 100, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_TEMPFAIL && res.status == 75);
	/* 75 counts as 75 even when it did not read */
	CHECK(run("exit 75", fd, 100, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_TEMPFAIL);

	CHECK(run("cat >/dev/null; echo 'no such queue: support' >&2; "
	    "exit 1", fd, 100, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_FAILED && res.status == 1);
	CHECK_STR(res.stderr_head, "no such queue: support\n");
	CHECK(res.stderr_len == 23 && !res.stderr_cut);
	command_describe(&res, 30, what, sizeof(what));
	CHECK_STR(what, "exited with status 1");

	/* a long stderr: its head kept, the rest drained (no hang) */
	CHECK(run("cat >/dev/null; head -c 1000000 /dev/zero | tr '\\0' e "
	    ">&2; exit 2", fd, 100, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_FAILED && res.status == 2);
	CHECK(res.stderr_len == COMMAND_STDERR_MAX && res.stderr_cut);
	CHECK(res.stderr_head[0] == 'e' &&
	    res.stderr_head[COMMAND_STDERR_MAX - 1] == 'e' &&
	    res.stderr_head[COMMAND_STDERR_MAX] == '\0');

	CHECK(run("cat >/dev/null; kill -USR1 $$", fd, 100, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_SIGNALED && res.signal == SIGUSR1);
	CHECK(res.status == -1);

	/* a shell that cannot run the command: 127, a plain failure */
	CHECK(run("/nonexistent/command", fd, 100, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_FAILED && res.status == 127);

	/* an environment string without NAME= is refused, nothing run */
	{
		const char *bad[] = { "=x" };

		CHECK(run_env("cat", fd, 100, -1, 0, 30, bad, 1, &res,
		    &err) == -1);
		CHECK(res.outcome == COMMAND_NOT_STARTED);
		CHECK(strstr(err.msg, "NAME=") != NULL);
	}
	close(fd);
}

static void
test_short_reads(void)
{
	struct command_result res;
	char what[128];
	int fd = make_file("0123456789abcdef", 10 * 1024 * 1024);

	/* half of 10 MB read, exit 0: exactly the other half unread */
	CHECK(run("head -c 5242880 >/dev/null", fd, 10 * 1024 * 1024, 30,
	    &res) == 0);
	CHECK(res.outcome == COMMAND_SHORT_READ && res.status == 0);
	CHECK(res.unread == 5242880);
	command_describe(&res, 30, what, sizeof(what));
	CHECK_STR(what, "exited 0 with 5242880 bytes of the message unread");
	close(fd);

	/* one byte, which fits in the pipe, never read: still seen */
	fd = make_file("x", 1);
	CHECK(run("exit 0", fd, 1, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_SHORT_READ && res.unread == 1);
	/* and a command that reads it all but one byte of 4096 */
	close(fd);
	fd = make_file("abcd", 4096);
	CHECK(run("head -c 4095 >/dev/null", fd, 4096, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_SHORT_READ && res.unread == 1);
	CHECK(run("head -c 4096 >/dev/null", fd, 4096, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK && res.unread == 0);
	close(fd);
}

static void
test_timeouts(void)
{
	struct command_result res;
	struct error err;
	double t;
	int fd = make_file("x", 100), out;

	t = now_s();
	CHECK(run("sleep 100", fd, 100, 1, &res) == 0);
	t = now_s() - t;
	CHECK(res.outcome == COMMAND_TIMEOUT && res.signal == SIGTERM);
	CHECK(t >= 0.9 && t < 3.0);
	CHECK(group_gone_within(res.pid, 2000));

	/* SIGTERM ignored: SIGKILL COMMAND_KILL_GRACE seconds later */
	t = now_s();
	CHECK(run("trap '' TERM; sleep 100; exit 0", fd, 100, 1, &res) == 0);
	t = now_s() - t;
	CHECK(res.outcome == COMMAND_TIMEOUT && res.signal == SIGKILL);
	CHECK(t >= 1 + COMMAND_KILL_GRACE - 0.2 &&
	    t < 1 + COMMAND_KILL_GRACE + 2);
	CHECK(group_gone_within(res.pid, 2000));

	/*
	 * A background grandchild left holding stderr after the shell
	 * exited 0 having read everything: the outcome is the shell's, at
	 * once, and the grandchild is killed with the group.
	 */
	t = now_s();
	CHECK(run("cat >/dev/null; sleep 100 & echo started >&2; exit 0",
	    fd, 100, 10, &res) == 0);
	t = now_s() - t;
	CHECK(res.outcome == COMMAND_OK);
	CHECK(t < 5.0);
	CHECK_STR(res.stderr_head, "started\n");
	CHECK(group_gone_within(res.pid, 2000));

	/*
	 * A filter whose grandchild holds its output: the output is not
	 * over, so the timeout decides, and the group is killed.
	 */
	out = make_file("", 0);
	t = now_s();
	CHECK(run_env("cat; sleep 100 &", fd, 100, out, 1000, 1, NULL, 0,
	    &res, &err) == 0);
	t = now_s() - t;
	CHECK(res.outcome == COMMAND_TIMEOUT);
	CHECK(t >= 0.9 && t < 3.0);
	CHECK(group_gone_within(res.pid, 2000));
	close(out);
	close(fd);
}

static void
test_filters(void)
{
	struct command_result res;
	struct error err;
	const char *msg = "Subject: hello\n\nbody text\n";
	char *got;
	size_t len;
	int fd, out;

	fd = make_file(msg, strlen(msg));
	out = make_file("", 0);
	CHECK(run_env("tr a-z A-Z", fd, strlen(msg), out, 1 << 20, 30, NULL,
	    0, &res, &err) == 0);
	CHECK(res.outcome == COMMAND_OK && res.out_bytes == strlen(msg));
	got = file_bytes(out, &len);
	CHECK(len == strlen(msg));
	CHECK_STR(got, "SUBJECT: HELLO\n\nBODY TEXT\n");
	free(got);
	close(out);
	close(fd);

	/* 10 MB through a filter: both pipes full at once, no deadlock */
	fd = make_file("abcdefgh", 10 * 1024 * 1024);
	out = make_file("", 0);
	CHECK(run_env("tr a-z A-Z", fd, 10 * 1024 * 1024, out,
	    4ULL * 10 * 1024 * 1024 + (1 << 20), 60, NULL, 0, &res, &err)
	    == 0);
	CHECK(res.outcome == COMMAND_OK && res.out_bytes == 10 * 1024 * 1024);
	got = file_bytes(out, &len);
	CHECK(len == 10 * 1024 * 1024 && memcmp(got, "ABCDEFGHABCDEFGH", 16)
	    == 0 && memcmp(got + len - 8, "ABCDEFGH", 8) == 0);
	free(got);
	close(out);
	close(fd);

	/* output past its bound: stopped; exactly at it: fine */
	fd = make_file("x", 10);
	out = make_file("", 0);
	CHECK(run_env("cat >/dev/null; head -c 10000000 /dev/zero", fd, 10,
	    out, 1000, 30, NULL, 0, &res, &err) == 0);
	CHECK(res.outcome == COMMAND_OUTPUT_LIMIT);
	CHECK(res.out_bytes > 1000);
	CHECK(lseek(out, 0, SEEK_END) <= 1000);
	CHECK(group_gone_within(res.pid, 2000));
	close(out);
	out = make_file("", 0);
	CHECK(run_env("cat >/dev/null; head -c 1000 /dev/zero", fd, 10, out,
	    1000, 30, NULL, 0, &res, &err) == 0);
	CHECK(res.outcome == COMMAND_OK && res.out_bytes == 1000);
	CHECK(lseek(out, 0, SEEK_END) == 1000);
	close(out);
	close(fd);
}

static void
test_environment(void)
{
	struct command_result res;
	struct error err;
	const char *env[] = {
		"SYNCMAIL_NAME=1700000000.M1P2.host:2,S",
		"SYNCMAIL_TEST_OLD=new",
		"SYNCMAIL_MATCH1=with spaces & $dollar",
	};
	int fd = make_file("x", 1);

	CHECK(run_env("cat >/dev/null; printf '%s|%s|%s|%s' \"$SYNCMAIL_NAME\" "
	    "\"$SYNCMAIL_TEST_OLD\" \"$SYNCMAIL_MATCH1\" "
	    "$(env | grep -c '^SYNCMAIL_TEST_OLD=') >&2", fd, 1, -1, 0, 30,
	    env, 3, &res, &err) == 0);
	CHECK(res.outcome == COMMAND_OK);
	CHECK_STR(res.stderr_head, "1700000000.M1P2.host:2,S|new|"
	    "with spaces & $dollar|1");
	/* and the runner's own environment is the command's too */
	CHECK(run("cat >/dev/null; printf %s \"$SYNCMAIL_TEST_KEPT\" >&2", fd,
	    1, 30, &res) == 0);
	CHECK_STR(res.stderr_head, "kept");
	close(fd);
}

/*
 * The engine killed while its command runs: in a child that starts its
 * own runner (the runner's parent and the only holder of its socket), or
 * in a child given the socket of ours (we detach it: only the EOF can tell
 * the runner), or in a child that starts its own runner and leaves a
 * process of its own holding the socket (no EOF: only the parent's death
 * signal can tell).  Each time the command's group and the runner must go.
 */
enum { DEATH_OWN, DEATH_EOF_ONLY, DEATH_SIGNAL_ONLY };

static void
test_engine_death(int how)
{
	int own_runner = how != DEATH_EOF_ONLY;
	pid_t holder = -1;
	char pidfile[320], runfile[320], cmd[2048];
	struct runner mine = { -1, -1, 0 };
	struct error err;
	pid_t client, pgid, runner_pid;
	int fd, st, i;

	snprintf(pidfile, sizeof(pidfile), "%s/pgid%d", root, how);
	snprintf(runfile, sizeof(runfile), "%s/runner%d", root, how);
	snprintf(cmd, sizeof(cmd), "echo $$ >%s.tmp && mv %s.tmp %s; "
	    "cat >/dev/null; sleep 100", pidfile, pidfile, pidfile);
	fd = make_file("x", 10);
	if (!own_runner) {
		CHECK(runner_start(&mine, &err) == 0);
	}
	fflush(NULL);
	if ((client = fork()) == 0) {
		struct command_result res;
		struct command_spec s;
		FILE *f;

		if (own_runner && runner_start(&mine, &err) == -1)
			_exit(1);
		/* a child of ours that keeps the engine's end open */
		if (how == DEATH_SIGNAL_ONLY && (holder = fork()) == 0) {
			for (;;)
				pause();
		}
		if ((f = fopen(runfile, "w")) != NULL) {
			fprintf(f, "%ld %ld\n", (long)mine.pid, (long)holder);
			fclose(f);
		}
		memset(&s, 0, sizeof(s));
		s.command = cmd;
		s.in_fd = fd;
		s.in_size = 10;
		s.out_fd = -1;
		s.timeout = 300;
		s.watch_fd = -1;
		runner_run(&mine, &s, &res, &err);
		_exit(2);
	}
	if (!own_runner)
		runner_detach(&mine);
	pgid = (pid_t)wait_number(pidfile);
	runner_pid = own_runner ? (pid_t)wait_number(runfile) : mine.pid;
	if (how == DEATH_SIGNAL_ONLY) {
		FILE *f = fopen(runfile, "r");
		long a, b;

		if (f != NULL && fscanf(f, "%ld %ld", &a, &b) == 2)
			holder = (pid_t)b;
		if (f != NULL)
			fclose(f);
		CHECK(holder > 0);
	}
	CHECK(pgid > 0 && runner_pid > 0);
	CHECK(pgid > 0 && group_alive(pgid));
	kill(client, SIGKILL);
	waitpid(client, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK(pgid > 0 && group_gone_within(pgid, 4000));
	if (own_runner) {
		/* reparented: someone else reaps it, it must be gone */
		for (i = 0; i < 200 && proc_alive(runner_pid); i++)
			sleep_ms(20);
		CHECK(!proc_alive(runner_pid));
	} else {
		for (i = 0; i < 200; i++) {
			if (waitpid(mine.pid, &st, WNOHANG) == mine.pid)
				break;
			sleep_ms(20);
		}
		CHECK(i < 200);
		if (i < 200)
			mine.pid = -1;
		runner_stop(&mine);
	}
	if (holder > 0) {
		/* it held the socket all along: the EOF never came */
		CHECK(proc_alive(holder));
		kill(holder, SIGKILL);
	}
	unlink(pidfile);
	unlink(runfile);
	close(fd);
}

/*
 * command_run in this process: the watched descriptor stops the command,
 * and SIGCHLD, SIGPIPE and the signal mask are as they were after it.
 */
static void
test_direct(void)
{
	struct command_spec s;
	struct command_result res;
	struct sigaction sa;
	struct error err;
	sigset_t mask;
	int fd = make_file("x", 10), p[2];
	double t;

	memset(&s, 0, sizeof(s));
	s.command = "cat >/dev/null; sleep 100";
	s.in_fd = fd;
	s.in_size = 10;
	s.out_fd = -1;
	s.timeout = 30;
	s.watch_fd = -1;
	CHECK(pipe(p) == 0);
	s.watch_fd = p[0];
	/* woken half a second in, by a write on the watched pipe */
	fflush(NULL);
	if (fork() == 0) {
		sleep_ms(500);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	t = now_s();
	CHECK(command_run(&s, &res, &err) == -1);
	t = now_s() - t;
	CHECK(res.outcome == COMMAND_ABORTED && res.signal == SIGTERM);
	CHECK(strstr(err.msg, "went away") != NULL);
	CHECK(t >= 0.4 && t < 3.0);
	CHECK(group_gone_within(res.pid, 2000));
	wait(NULL);
	close(p[0]);
	close(p[1]);

	CHECK(sigaction(SIGCHLD, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
	CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &mask) == 0 &&
	    !sigismember(&mask, SIGCHLD));
	close(fd);
}

/* Requests that do not add up get an answer, and the runner goes on. */
static void
test_malformed(void)
{
	struct command_result res;
	struct error err;
	char big[RUNNER_MAX_REQUEST + 10], junk[40];
	int fd = make_file("x", 1);

	/* too large to send: refused here, nothing run */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(run_env(big, fd, 1, -1, 0, 30, NULL, 0, &res, &err) == -1);
	CHECK(res.outcome == COMMAND_NOT_STARTED);

	/* a packet of junk without descriptors, straight on the socket */
	memset(junk, 0x7f, sizeof(junk));
	CHECK(send(rn.fd, junk, sizeof(junk), 0) == (ssize_t)sizeof(junk));
	rn.busy = 1;
	CHECK(runner_receive(&rn, &res, &err) == -1);
	CHECK(res.outcome == COMMAND_NOT_STARTED);
	CHECK(strstr(err.msg, "not a request") != NULL);
	/* a packet over the largest request */
	CHECK(send(rn.fd, big, sizeof(big), 0) == (ssize_t)sizeof(big));
	rn.busy = 1;
	CHECK(runner_receive(&rn, &res, &err) == -1);
	CHECK(res.outcome == COMMAND_NOT_STARTED);
	CHECK(strstr(err.msg, "over") != NULL);

	CHECK(run("cat >/dev/null", fd, 1, 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK);
	close(fd);
}

/* 200 runs of each kind leave no descriptor, here or in the runner. */
static void
test_no_leaks(void)
{
	struct command_result res;
	struct error err;
	int fd = make_file("x", 100), out = make_file("", 0);
	int mine = count_fds(getpid()), theirs = count_fds(rn.pid);
	int i, ok = 0;

	for (i = 0; i < 200; i++) {
		switch (i % 4) {
		case 0:
			ok += run("cat >/dev/null", fd, 100, 30, &res) == 0 &&
			    res.outcome == COMMAND_OK;
			break;
		case 1:
			ok += run("exit 3", fd, 100, 30, &res) == 0 &&
			    res.outcome == COMMAND_FAILED;
			break;
		case 2:
			ok += run_env("cat", fd, 100, out, 1000, 30, NULL, 0,
			    &res, &err) == 0 && res.outcome == COMMAND_OK;
			break;
		case 3:
			ok += run("head -c 1 >/dev/null; echo e >&2", fd, 100,
			    30, &res) == 0 &&
			    res.outcome == COMMAND_SHORT_READ;
			break;
		}
	}
	CHECK(ok == 200);
	CHECK(count_fds(getpid()) == mine);
	CHECK(count_fds(rn.pid) == theirs);
	/* 3 (the socket) and 0, 1, 2 */
	CHECK(theirs == 4);
	CHECK(count_children(rn.pid) == 0);
	close(out);
	close(fd);
}

/* Whether path exists and is a program we can run. */
static int
have(const char *path)
{
	return access(path, X_OK) == 0;
}

/* The one file in dir/new, its bytes compared with want. */
static int
delivered_is(const char *maildir, const char *want)
{
	char path[1024], *got;
	struct dirent *e;
	size_t len;
	DIR *d;
	int n = 0, same = 0, fd;

	snprintf(path, sizeof(path), "%s/new", maildir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/new/%s", maildir, e->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		got = file_bytes(fd, &len);
		same = len == strlen(want) && memcmp(got, want, len) == 0;
		free(got);
		close(fd);
	}
	closedir(d);
	return n == 1 && same;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF) {
		perror(path);
		exit(1);
	}
	chmod(path, 0600);
}

static void
test_delivery_agents(void)
{
	const char *msg = "From: alice@example.org\nTo: bob@example.org\n"
	    "Subject: through an agent\n\nline one\nline two\n";
	char rc[320], md[320], cmd[2048], text[2048];
	struct command_result res;
	int fd = make_file(msg, strlen(msg));

	if (!have("/usr/bin/procmail") || !have("/usr/bin/maildrop")) {
		printf("FAIL procmail or maildrop missing (tests/deps.sh)\n");
		check_failed++;
		close(fd);
		return;
	}
	/* procmail -m: the rcfile is the whole config; it makes the Maildir */
	snprintf(rc, sizeof(rc), "%s/procmailrc", root);
	snprintf(md, sizeof(md), "%s/pm", root);
	snprintf(text, sizeof(text), ":0\n%s/\n", md);
	write_text(rc, text);
	snprintf(cmd, sizeof(cmd), "procmail -m %s", rc);
	CHECK(run(cmd, fd, strlen(msg), 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK);
	if (res.outcome != COMMAND_OK)
		printf("procmail: %s\n", res.stderr_head);
	/* procmail adds no "From " line to a Maildir delivery */
	CHECK(delivered_is(md, msg));

	/* maildrop FILE: the Maildir must exist */
	snprintf(rc, sizeof(rc), "%s/mailfilter", root);
	snprintf(md, sizeof(md), "%s/md", root);
	snprintf(text, sizeof(text), "to \"%s/\"\n", md);
	write_text(rc, text);
	snprintf(cmd, sizeof(cmd), "maildrop %s", rc);
	/* missing: maildrop's own 75, as SPEC 8 expects of it */
	CHECK(run(cmd, fd, strlen(msg), 30, &res) == 0);
	CHECK(res.outcome == COMMAND_TEMPFAIL);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/tmp %s/new %s/cur && "
	    "maildrop %s", md, md, md, rc);
	CHECK(run(cmd, fd, strlen(msg), 30, &res) == 0);
	CHECK(res.outcome == COMMAND_OK);
	if (res.outcome != COMMAND_OK)
		printf("maildrop: %s\n", res.stderr_head);
	CHECK(delivered_is(md, msg));
	close(fd);
}

int
main(void)
{
	struct error err;
	char cmd[300];
	int rc, st;

	snprintf(root, sizeof(root), "%s/syncmail-runner.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : P_tmpdir);
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("SYNCMAIL_TEST_OLD", "old", 1);
	setenv("SYNCMAIL_TEST_KEPT", "kept", 1);
	/* as main() does: a runner's death is a write error, not ours */
	signal(SIGPIPE, SIG_IGN);
	if (runner_start(&rn, &err) == -1) {
		printf("FAIL runner_start: %s\n", err.msg);
		return 1;
	}
	CHECK(runner_fd(&rn) == rn.fd && rn.pid > 0);

	test_reads_all();
	test_statuses();
	test_short_reads();
	test_filters();
	test_environment();
	test_malformed();
	test_direct();
	test_no_leaks();
	test_delivery_agents();
	test_timeouts();
	test_engine_death(DEATH_OWN);
	test_engine_death(DEATH_EOF_ONLY);
	test_engine_death(DEATH_SIGNAL_ONLY);

	/* its EOF ends it, with status 0 (valgrind's error status else) */
	runner_detach(&rn);
	CHECK(waitpid(rn.pid, &st, 0) == rn.pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	rn.pid = -1;
	runner_stop(&rn);
	CHECK(rn.fd == -1);
	/* stopped twice, or zeroed: nothing happens */
	runner_stop(&rn);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		printf("could not remove %s\n", root);
	rc = check_done();
	return rc;
}
