/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * An LD_PRELOAD shim for tests/e2e/t-36-local-faults.sh: makes fsync(2),
 * fdatasync(2), syncfs(2) and writes to chosen files fail with EIO, the
 * way a dying disk or a lost write-back does, without needing one.
 *
 *	FAILSYNC_LOG=FILE	one line per sync call (and per failed
 *				write) is appended: "N CALL ok|EIO PATH",
 *				N counting the sync calls from 1, PATH the
 *				file the descriptor is open on.  The test
 *				reads it to prove the shim took effect.
 *	FAILSYNC_PROBE=PATH	each sync call's line ends with "PATH
 *				present" or "PATH absent": whether PATH
 *				existed at that call (a remote message: was
 *				it still on the server when new/ was flushed?)
 *	FAILSYNC_MODE=always	every sync call fails
 *	FAILSYNC_MODE=from:N	the Nth sync call and every later one fail
 *	FAILSYNC_MODE=syncfs	only syncfs fails (fsync, fdatasync pass)
 *	(unset or "none")	sync calls pass, and are still logged
 *	FAILSYNC_WRITE=DIR	write and pwrite to a file directly in DIR
 *				fail with EIO from byte FAILSYNC_WRITE_AFTER
 *				(default 0) of the file on; a write that
 *				crosses that byte is cut short there first,
 *				as at a full disk.  With FAILSYNC_WRITE_TIMES
 *				=K only the first K such faults happen.
 *
 * Built by the test itself: cc -shared -fPIC -o failsync.so failsync.c -ldl
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long calls;

/* The path fd is open on, or "?". */
static void
fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		n = snprintf(buf, size, "?");
	buf[n] = '\0';
}

/*
 * $FAILSYNC_LOG, opened before main(): syncmail's sandbox (Landlock)
 * would refuse to open it later, as it is outside every Maildir.
 */
static int logfd = -1;

__attribute__((constructor)) static void
open_log(void)
{
	const char *file = getenv("FAILSYNC_LOG");

	if (file != NULL)
		logfd = (int)syscall(SYS_openat, AT_FDCWD, file,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
}

/* Appends a line to the log with raw system calls (no recursion). */
static void
log_line(unsigned long n, const char *call, int fail, int fd)
{
	const char *probe = getenv("FAILSYNC_PROBE");
	char path[4096], line[8400], tail[4200] = "";
	int len;

	if (logfd < 0)
		return;
	fd_path(fd, path, sizeof(path));
	if (probe != NULL && n > 0)
		snprintf(tail, sizeof(tail), " %s %s", probe,
		    syscall(SYS_faccessat, AT_FDCWD, probe, F_OK) == 0 ?
		    "present" : "absent");
	len = snprintf(line, sizeof(line), "%lu %s %s %s%s\n", n, call,
	    fail ? "EIO" : "ok", path, tail);
	if (len < 0 || (size_t)len >= sizeof(line))
		return;
	(void)syscall(SYS_write, logfd, line, (size_t)len);
}

/* Whether this sync call (syncfs or not) is to fail; logs it. */
static int
sync_fails(const char *call, int fd)
{
	const char *mode = getenv("FAILSYNC_MODE");
	unsigned long n = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
	int fail = 0;

	if (mode == NULL || strcmp(mode, "none") == 0)
		fail = 0;
	else if (strcmp(mode, "always") == 0)
		fail = 1;
	else if (strncmp(mode, "from:", 5) == 0)
		fail = n >= strtoul(mode + 5, NULL, 10);
	else if (strcmp(mode, "syncfs") == 0)
		fail = strcmp(call, "syncfs") == 0;
	log_line(n, call, fail, fd);
	return fail;
}

static void *
next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		abort();
	return p;
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (sync_fails("fsync", fd)) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))next("fsync");
	return real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (sync_fails("fdatasync", fd)) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))next("fdatasync");
	return real(fd);
}

int
syncfs(int fd)
{
	static int (*real)(int);

	if (sync_fails("syncfs", fd)) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))next("syncfs");
	return real(fd);
}

static unsigned long write_faults;

/*
 * Whether a write of len bytes at off to fd is to fail: 0 if not, -1 if
 * it fails with EIO, else the shorter length to write instead (a write
 * that crosses the limit is cut there, as at a full disk).  Logs faults.
 */
static ssize_t
write_fault(int fd, off_t off, size_t len)
{
	const char *dir = getenv("FAILSYNC_WRITE");
	const char *after = getenv("FAILSYNC_WRITE_AFTER");
	const char *times = getenv("FAILSYNC_WRITE_TIMES");
	unsigned long long limit;
	char path[4096];
	size_t dlen;

	if (dir == NULL || *dir == '\0' || len == 0)
		return 0;
	fd_path(fd, path, sizeof(path));
	dlen = strlen(dir);
	if (strncmp(path, dir, dlen) != 0 || path[dlen] != '/' ||
	    strchr(path + dlen + 1, '/') != NULL)
		return 0;
	limit = after != NULL ? strtoull(after, NULL, 10) : 0;
	if (off >= 0 && (unsigned long long)off + len <= limit)
		return 0;
	if (times != NULL && __atomic_add_fetch(&write_faults, 1,
	    __ATOMIC_SEQ_CST) > strtoul(times, NULL, 10))
		return 0;
	if (off >= 0 && (unsigned long long)off < limit) {
		log_line(0, "write-short", 1, fd);
		return (ssize_t)(limit - (unsigned long long)off);
	}
	log_line(0, "write", 1, fd);
	return -1;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	ssize_t cut = 0;

	if (getenv("FAILSYNC_WRITE") != NULL)
		cut = write_fault(fd, lseek(fd, 0, SEEK_CUR), len);
	if (cut == -1) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))next("write");
	return real(fd, buf, cut > 0 ? (size_t)cut : len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	ssize_t cut = write_fault(fd, off, len);

	if (cut == -1) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))
		    next("pwrite");
	return real(fd, buf, cut > 0 ? (size_t)cut : len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	ssize_t cut = write_fault(fd, off, len);

	if (cut == -1) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))
		    next("pwrite64");
	return real(fd, buf, cut > 0 ? (size_t)cut : len, off);
}
