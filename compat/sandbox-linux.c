/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/* The sandbox on Linux: Landlock.  See compat/sandbox.h. */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "compat/sandbox.h"
#include "util/note.h"

/*
 * Landlock: the rights below are handled (denied unless a rule grants
 * them) as far as the kernel's ABI knows them; a right the kernel does
 * not know it cannot enforce, and asking for it fails.  Defined here as
 * the kernel numbers them, for older headers (Debian 12's know ABI 2).
 */
#define SB_FS_EXECUTE		(1ULL << 0)
#define SB_FS_WRITE_FILE	(1ULL << 1)
#define SB_FS_READ_FILE		(1ULL << 2)
#define SB_FS_READ_DIR		(1ULL << 3)
#define SB_FS_REMOVE_DIR	(1ULL << 4)
#define SB_FS_REMOVE_FILE	(1ULL << 5)
#define SB_FS_MAKE_CHAR		(1ULL << 6)
#define SB_FS_MAKE_DIR		(1ULL << 7)
#define SB_FS_MAKE_REG		(1ULL << 8)
#define SB_FS_MAKE_SOCK		(1ULL << 9)
#define SB_FS_MAKE_FIFO		(1ULL << 10)
#define SB_FS_MAKE_BLOCK	(1ULL << 11)
#define SB_FS_MAKE_SYM		(1ULL << 12)
#define SB_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define SB_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define SB_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define SB_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define SB_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

/* What a rule on a file (not a directory) may grant. */
#define SB_FS_FILE	(SB_FS_EXECUTE | SB_FS_WRITE_FILE | SB_FS_READ_FILE | \
			 SB_FS_TRUNCATE | SB_FS_IOCTL_DEV)

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

/* The kernel's struct landlock_ruleset_attr as of ABI 6. */
struct sandbox_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

static const uint64_t sandbox_rights[] = {
	[SB_READ] =	SB_FS_READ_FILE | SB_FS_READ_DIR,
	[SB_WRITE] =	SB_FS_READ_FILE | SB_FS_WRITE_FILE,
	[SB_CREATE] =	SB_FS_READ_FILE | SB_FS_READ_DIR | SB_FS_WRITE_FILE |
			SB_FS_MAKE_REG,
	/*
	 * tmp/ to new/ is a rename (or link) across directories: REFER.
	 * The record is rewritten with O_TRUNC: TRUNCATE.  tmp/ new/ cur/
	 * may be missing: MAKE_DIR.
	 */
	[SB_MAILDIR] =	SB_FS_READ_FILE | SB_FS_READ_DIR | SB_FS_WRITE_FILE |
			SB_FS_TRUNCATE | SB_FS_MAKE_REG | SB_FS_MAKE_DIR |
			SB_FS_REMOVE_FILE | SB_FS_REFER,
	/* readpassphrase() sets the terminal's modes: ioctl */
	[SB_TTY] =	SB_FS_READ_FILE | SB_FS_WRITE_FILE | SB_FS_IOCTL_DEV
};

static const struct sandbox_rule sandbox_system[] = {
	{ "/etc", SB_READ },		/* resolver, NSS, OpenSSL */
	{ "/usr", SB_READ },		/* NSS modules (dlopen) */
	{ "/dev/null", SB_WRITE },
	{ "/dev/tty", SB_TTY },
	{ "/dev/urandom", SB_READ },
	{ "/dev/random", SB_READ },
#if SANDBOX_SANITIZER
	/*
	 * The sanitizer build only: LeakSanitizer lists /proc/PID/task at
	 * exit, and the symbolizer reads the program's debug information.
	 */
	{ "/proc", SB_READ },
	{ "/proc/self/exe", SB_READ },
#endif
};

/*
 * Adds the rule for one path.  A path that does not exist needs no rule:
 * nothing there can be opened, and what the accounts create has a rule on
 * its directory.  Returns 0, or -1 with errno set.
 */
static int
sandbox_rule(int ruleset, const struct sandbox_rule *r, uint64_t handled)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd, rc = 0, saved;

	/* follows links: the rule is on what the path names */
	if ((fd = open(r->path, O_PATH | O_CLOEXEC)) == -1)
		return 0;
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = sandbox_rights[r->how] & handled;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= SB_FS_FILE;
	if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1)
		rc = -1;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
sandbox_ready(struct sandbox_paths *l, int forks,
    struct error *err)
{
	struct sandbox_ruleset_attr attr;
	const char *what;
	size_t i;
	long abi;

	(void)forks;
	(void)err;
	if (l->proxy) {
		note(1, NULL, "sandbox: off: %s", l->off);
		return 0;
	}
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	/* ENOSYS: an old kernel, or valgrind, which does not know the call */
	if (abi == -1) {
		note(1, NULL, "sandbox: off: no Landlock here (%s)",
		    errno == EOPNOTSUPP ? "disabled at boot" : strerror(errno));
		return 0;
	}
	if (abi < 2) {
		note(1, NULL, "sandbox: off: Landlock ABI %ld lacks the "
		    "right to move a message from tmp/ to new/ (ABI 2, "
		    "Linux 5.19)", abi);
		return 0;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = (SB_FS_REFER << 1) - 1;
	if (abi >= 3)
		attr.handled_access_fs |= SB_FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= SB_FS_IOCTL_DEV;
	/* our -j children share our domain: signals to them still pass */
	if (abi >= 6)
		attr.scoped = SB_SCOPE_ABSTRACT_UNIX | SB_SCOPE_SIGNAL;
	/*
	 * The network is not limited: pledge's "inet" is not either, and a
	 * compromised syncmail already talks to the server it came from.
	 */
	l->ruleset = syscall(SYS_landlock_create_ruleset, &attr,
	    abi >= 6 ? sizeof(attr) : sizeof(attr.handled_access_fs), 0);
	if (l->ruleset == -1) {
		note(1, NULL, "sandbox: off: landlock_create_ruleset: %s",
		    strerror(errno));
		return 0;
	}
	l->abi = abi;
	for (i = 0; i < sizeof(sandbox_system) / sizeof(sandbox_system[0]);
	    i++)
		if (sandbox_rule(l->ruleset, &sandbox_system[i],
		    attr.handled_access_fs) == -1) {
			what = sandbox_system[i].path;
			goto fail;
		}
	for (i = 0; i < l->n; i++)
		if (sandbox_rule(l->ruleset, &l->rules[i],
		    attr.handled_access_fs) == -1) {
			what = l->rules[i].path;
			goto fail;
		}
	return 1;
fail:
	note(1, NULL, "sandbox: off: landlock_add_rule %s: %s", what,
	    strerror(errno));
	return 0;
}

int
sandbox_close(struct sandbox_paths *l, int forks,
    int quiet, struct error *err)
{
	(void)forks;
	(void)err;
	/* Without it an unprivileged process may not restrict itself. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, l->ruleset, 0) == -1) {
		if (!quiet)
			note(1, NULL, "sandbox: off: Landlock: %s",
			    strerror(errno));
		return 0;
	}
	if (!quiet)
		note(2, NULL, "sandbox: Landlock ABI %ld, %zu paths",
		    l->abi, l->n + sizeof(sandbox_system) /
		    sizeof(sandbox_system[0]));
	return 1;
}
