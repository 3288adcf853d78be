/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A mail parser's confinement on Linux: Landlock for the files, a
 * seccomp filter for the network and other programs.  See
 * compat/confine.h.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include "compat/confine.h"

/* Landlock's rights as the kernel numbers them (Debian 12's headers
   stop at ABI 2; see compat/sandbox-linux.c). */
#define CF_FS_READ_FILE		(1ULL << 2)
#define CF_FS_READ_DIR		(1ULL << 3)
#define CF_FS_WRITE_FILE	(1ULL << 1)
#define CF_FS_MAKE_REG		(1ULL << 8)
#define CF_FS_ALL_ABI1		((1ULL << 13) - 1)
#define CF_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define CF_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define CF_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define CF_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define CF_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */
#define CF_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define CF_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

#if defined(__SANITIZE_ADDRESS__)
#define CONFINE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONFINE_SANITIZER 1
#endif
#endif
#ifndef CONFINE_SANITIZER
#define CONFINE_SANITIZER 0
#endif

#if defined(__x86_64__)
#define CONFINE_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CONFINE_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#endif

/* The kernel's struct landlock_ruleset_attr as of ABI 6. */
struct confine_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

/*
 * Read only, beneath: /usr for the charset converters iconv loads when a
 * file name is in ISO-8859-1 or the like (glibc's gconv modules) and
 * glib's data; /proc in the sanitizer build, whose leak check lists the
 * threads there at exit.
 */
static const char *const confine_read[] = {
	"/usr",
#if CONFINE_SANITIZER
	"/proc",
#endif
};

static int
confine_rule(int ruleset, int fd, uint64_t rights)
{
	struct landlock_path_beneath_attr pb;

	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = rights;
	return (int)syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
}

/*
 * Landlock: every right the kernel knows is handled, so denied but
 * where a rule grants it: reading beneath confine_read[], and in the
 * directory reading, creating regular files and writing them (what the
 * parser needs: it never removes, renames or truncates).  TCP bind and
 * connect are handled with no rule (ABI 4), and signals and abstract
 * sockets are scoped to the domain (ABI 6).  Returns 1 when it holds, 0
 * when the kernel has no Landlock (or valgrind, which does not know the
 * calls), -1 with errno set.
 */
static int
confine_landlock(int dirfd)
{
	struct confine_ruleset_attr attr;
	size_t i, size;
	long abi;
	int ruleset, fd, saved;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi == -1)
		return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : -1;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = CF_FS_ALL_ABI1;
	size = sizeof(attr.handled_access_fs);
	if (abi >= 2)
		attr.handled_access_fs |= CF_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= CF_FS_TRUNCATE;
	if (abi >= 4) {
		attr.handled_access_net = CF_NET_BIND_TCP | CF_NET_CONNECT_TCP;
		size = offsetof(struct confine_ruleset_attr, scoped);
	}
	if (abi >= 5)
		attr.handled_access_fs |= CF_FS_IOCTL_DEV;
	if (abi >= 6) {
		attr.scoped = CF_SCOPE_ABSTRACT_UNIX | CF_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size,
	    0)) == -1)
		return -1;
	for (i = 0; i < sizeof(confine_read) / sizeof(confine_read[0]); i++) {
		/* a path missing here has nothing to read */
		if ((fd = open(confine_read[i], O_PATH | O_CLOEXEC)) == -1)
			continue;
		if (confine_rule(ruleset, fd, CF_FS_READ_FILE |
		    CF_FS_READ_DIR) == -1)
			goto fail;
		close(fd);
	}
	fd = -1;
	if (confine_rule(ruleset, dirfd, CF_FS_READ_FILE | CF_FS_READ_DIR |
	    CF_FS_WRITE_FILE | CF_FS_MAKE_REG) == -1 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == -1)
		goto fail;
	close(ruleset);
	return 1;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	close(ruleset);
	errno = saved;
	return -1;
}

#ifdef CONFINE_AUDIT_ARCH
#define CF_DENY(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA))

/*
 * seccomp: Landlock limits TCP only, and not at all before ABI 4, so
 * the filter refuses every new socket (and connect, for a descriptor
 * that got through anyway), other programs, io_uring (whose requests
 * pass no filter), and reaching into other processes (ptrace, but the
 * sanitizer build's leak check needs it for our own threads).  A
 * system call of another ABI (x32, or a foreign architecture) kills.
 * Returns 1, or -1 with errno set.
 */
static int
confine_seccomp(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CONFINE_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
		CF_DENY(__NR_socket),
		CF_DENY(__NR_socketpair),
		CF_DENY(__NR_connect),
		CF_DENY(__NR_execve),
		CF_DENY(__NR_execveat),
		CF_DENY(__NR_io_uring_setup),
		CF_DENY(__NR_process_vm_readv),
		CF_DENY(__NR_process_vm_writev),
#if !CONFINE_SANITIZER
		CF_DENY(__NR_ptrace),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(filter) / sizeof(filter[0])),
		.filter = filter
	};

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1)
		return -1;
	return 1;
}
#endif

int
confine_parser(int dirfd, struct error *err)
{
	int bits = 0, rc;

	/* Without it an unprivileged process may restrict itself neither way. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return error_errno(err, ERR_MAILBOX, "prctl(NO_NEW_PRIVS)");
	if ((rc = confine_landlock(dirfd)) == -1)
		return error_errno(err, ERR_MAILBOX, "Landlock");
	if (rc == 1)
		bits |= CONFINE_FILES;
#ifdef CONFINE_AUDIT_ARCH
	if (confine_seccomp() == -1)
		return error_errno(err, ERR_MAILBOX, "seccomp");
	bits |= CONFINE_NET | CONFINE_EXEC;
#endif
	return bits;
}

/*
 * RLIMIT_AS, on top of the address space the process has now
 * (/proc/self/statm's first field, in pages).  Read before
 * confine_parser, which leaves /proc unreadable.
 */
int
confine_memory(size_t bytes)
{
	struct rlimit rl;
	unsigned long pages = 0;
	FILE *f;

	if (CONFINE_SANITIZER)
		return 0;
	if ((f = fopen("/proc/self/statm", "re")) != NULL) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)pages *
	    (rlim_t)sysconf(_SC_PAGESIZE) + (rlim_t)bytes;
	return setrlimit(RLIMIT_AS, &rl) == -1 ? -1 : 1;
}
