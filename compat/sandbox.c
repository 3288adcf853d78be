/*
 * The sandbox (SPEC 6).  What the selected accounts need is gathered here
 * once, the same on every platform, as a list of paths with what may be
 * done under each; then the platform's own mechanism enforces that list:
 * unveil(2) and pledge(2) on OpenBSD, Landlock on Linux, nothing
 * elsewhere (with a -v note).
 *
 * The list, for each selected account, from its syncmail.conf entry
 * completed by its ssh config as the account itself will read it:
 *
 *	local Maildirs		read, write, create, remove, rename between
 *				tmp/ and new/ (read only in a dry run)
 *	identity files, .pub	read
 *	known_hosts		read; written in place with accept-new, or
 *				created in its directory when missing
 *	ssh-config file		read
 *	~/.ssh			read: the default keys, Include
 *
 * and for the C library and the terminal: /etc and /usr read-only (Linux:
 * the resolver's and NSS's files and modules), /dev/null, /dev/tty (the
 * passphrase prompt), /dev/urandom.
 *
 * Missing Maildirs are created before the sandbox closes, not by the
 * account as before.  The other way, allowing the nearest ancestor that
 * exists, would give a first run write access to all of ~ (Landlock
 * rights attach to existing directories, and a directory made later only
 * inherits its parent's).  The account would create them a moment later
 * anyway: only after its ssh config resolved, as here, and before it
 * connects.
 *
 * A proxy command turns the file system part off: its child inherits the
 * sandbox and may run anything (ssh -W reads its own config, keys and
 * known_hosts, and writes them).
 *
 * Each account reads its ssh config again when it runs, inside the
 * sandbox.  An Include of a file elsewhere would then fail, and one of a
 * pattern in a directory the sandbox hides would match nothing: silently
 * another config.  So a child process enters the sandbox first and reads
 * every account's ssh config again; if any comes out different, the
 * sandbox stays off (-v says why).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/landlock.h>
#endif

#include "compat/sandbox.h"
#include "maildir.h"
#include "msg.h"
#include "sshconfig.h"

/*
 * What may be done under one path.  Each of the first four allows all that
 * the ones before it allow, so two rules for one path merge into the
 * larger (unveil may refuse to widen a path it has seen).
 */
enum sandbox_how {
	SB_READ,	/* read files, list directories */
	SB_WRITE,	/* an existing file read and written in place */
	SB_CREATE,	/* a directory where a file is created and written */
	SB_MAILDIR,	/* everything a delivery does */
	SB_TTY		/* a terminal: read, write, its ioctls */
};

struct sandbox_rule {
	char		*path;
	enum sandbox_how how;
};

struct sandbox_list {
	struct sandbox_rule *rules;
	size_t		 n;
	int		 proxy;		/* some account runs a proxy command */
	char		 off[512];	/* then: why the file system stays open */
	/* each account's ssh config as read before the sandbox closes */
	struct sshconfig_target *targets;
	char		*resolved;	/* targets[i] is filled */
	char		**errors;	/* else why not */
	size_t		 ntargets;
	int		 ruleset;	/* Linux: the Landlock ruleset, or -1 */
	long		 abi;		/* Linux: its ABI version */
};

/* Adds path (copied) to l.  Returns 0 or -1 with err set. */
static int
sandbox_add(struct sandbox_list *l, const char *path, enum sandbox_how how,
    struct error *err)
{
	struct sandbox_rule *r;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->rules[i].path, path) == 0) {
			if (how > l->rules[i].how)
				l->rules[i].how = how;
			return 0;
		}
	if ((r = reallocarray(l->rules, l->n + 1, sizeof(*r))) == NULL)
		return error_errno(err, STATUS_PARTIAL, "sandbox");
	l->rules = r;
	if ((r[l->n].path = strdup(path)) == NULL)
		return error_errno(err, STATUS_PARTIAL, "sandbox");
	r[l->n++].how = how;
	return 0;
}

/* As sandbox_add, for a path built from fmt. */
static int
sandbox_addf(struct sandbox_list *l, enum sandbox_how how, struct error *err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
sandbox_addf(struct sandbox_list *l, enum sandbox_how how, struct error *err,
    const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	/* A path that long cannot be opened either: nothing to allow. */
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return sandbox_add(l, path, how, err);
}

/* Frees what l holds and closes its ruleset; l itself is the caller's. */
static void
sandbox_list_free(struct sandbox_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->rules[i].path);
	free(l->rules);
	for (i = 0; i < l->ntargets; i++) {
		if (l->resolved[i])
			sshconfig_target_free(&l->targets[i]);
		free(l->errors[i]);
	}
	free(l->targets);
	free(l->resolved);
	free(l->errors);
	if (l->ruleset != -1)
		close(l->ruleset);
	memset(l, 0, sizeof(*l));
	l->ruleset = -1;
}

/*
 * known_hosts: read it, and with accept-new append to it (sftp/hostkey.c
 * opens it O_APPEND|O_CREAT and, when it created the file, opens and
 * fsyncs the directory; it makes only that last directory level).  When
 * the file is missing, its directory must allow creating and writing a
 * file; when the directory is missing too it is made here, mode 0700, as
 * hostkey.c would make it a moment later.
 */
static int
sandbox_known_hosts(struct sandbox_list *l, const char *path, int acceptnew,
    struct error *err)
{
	struct stat st;
	char *dir, *slash;
	int rc;

	if (stat(path, &st) == 0)
		return sandbox_add(l, path, acceptnew ? SB_WRITE : SB_READ, err);
	if (!acceptnew || errno != ENOENT)
		return 0;
	if ((dir = strdup(path)) == NULL)
		return error_errno(err, STATUS_PARTIAL, "sandbox");
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		return sandbox_add(l, ".", SB_CREATE, err);
	}
	if (slash == dir)
		slash[1] = '\0';	/* "/known_hosts": the root */
	else
		*slash = '\0';
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		/* hostkey.c will fail on it the same way, and say so */
		free(dir);
		return 0;
	}
	rc = sandbox_add(l, dir, SB_CREATE, err);
	free(dir);
	return rc;
}

/*
 * ~/.ssh is readable (the default keys, the ssh config and what it
 * includes); a link in it to a file or directory elsewhere (dotfile
 * managers make them) is followed to its target, which becomes readable
 * too.
 */
static int
sandbox_dotssh(struct sandbox_list *l, const char *home, struct error *err)
{
	struct dirent *de;
	struct stat st;
	char dir[4096];
	DIR *d;
	int rc = 0;

	if (home == NULL || (size_t)snprintf(dir, sizeof(dir), "%s/.ssh",
	    home) >= sizeof(dir))
		return 0;
	if (sandbox_add(l, dir, SB_READ, err) == -1)
		return -1;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (de->d_type == DT_LNK || (de->d_type == DT_UNKNOWN &&
		    fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)))
			rc = sandbox_addf(l, SB_READ, err, "%s/%s", dir,
			    de->d_name);
	closedir(d);
	return rc;
}

/*
 * What account a, the k-th selected, needs, added to l.  Its ssh config
 * is resolved as the account will resolve it, into l->targets[k]; if that
 * fails the account will fail the same way before it touches anything,
 * so it needs only to read its ssh config again, and the error is kept in
 * l->errors[k] for the trial.  Returns 0 or -1 with err set.
 */
static int
sandbox_account(struct sandbox_list *l, size_t k, const struct account *a,
    const struct sandbox_options *o, struct error *err)
{
	const struct sshconfig_target *t = &l->targets[k];
	struct maildir md;
	struct error ignored;
	size_t i;

	if (a->ssh_config != NULL &&
	    sandbox_add(l, a->ssh_config, SB_READ, err) == -1)
		return -1;
	error_clear(&ignored);
	if (sshconfig_resolve(a, o->home, o->localuser, &l->targets[k],
	    &ignored) == -1) {
		sshconfig_target_free(&l->targets[k]);
		if ((l->errors[k] = strdup(ignored.msg)) == NULL)
			return error_errno(err, STATUS_PARTIAL, "sandbox");
		return 0;
	}
	l->resolved[k] = 1;
	if (t->proxy_command != NULL && !l->proxy) {
		l->proxy = 1;
		snprintf(l->off, sizeof(l->off), "account %s runs a proxy "
		    "command, which may need any file", a->name);
	}
	for (i = 0; i < a->npulls; i++) {
		if (!o->dryrun) {
			/* the account reports any failure when it runs */
			memset(&md, 0, sizeof(md));
			error_clear(&ignored);
			(void)maildir_open(&md, a->pulls[i].local, 1, &ignored);
			maildir_close(&md);
		}
		if (sandbox_add(l, a->pulls[i].local,
		    o->dryrun ? SB_READ : SB_MAILDIR, err) == -1)
			return -1;
	}
	for (i = 0; i < t->nidentities; i++)
		if (sandbox_add(l, t->identities[i], SB_READ, err) == -1 ||
		    sandbox_addf(l, SB_READ, err, "%s.pub",
		    t->identities[i]) == -1)
			return -1;
	if (t->known_hosts != NULL && sandbox_known_hosts(l, t->known_hosts,
	    t->check == HOSTKEY_CHECK_ACCEPT_NEW, err) == -1)
		return -1;
	return 0;
}

/*
 * The platform's part, three functions:
 *
 * sandbox_ready() gets the enforcement ready without restricting anything
 * yet.  Returns 1 when ready, 0 when there is to be no sandbox (it has
 * said why at -v), -1 with err set when the platform promises one and
 * cannot have it.
 *
 * sandbox_close() restricts this process, for good, and says so at -vv.
 * Returns 1 when done, 0 when it could not and said so at -v, -1 with err
 * set as sandbox_ready.  With quiet set it says nothing (a trial).
 */

#if defined(__OpenBSD__)

static int
sandbox_ready(struct sandbox_list *l, const struct sandbox_options *o,
    struct error *err)
{
	(void)o;
	(void)err;
	/* pledge still applies */
	if (l->proxy)
		msg_info(1, NULL, "sandbox: unveil is off: %s", l->off);
	return 1;
}

/*
 * unveil(2) takes the list as it is.  A file that does not exist yet may
 * be unveiled by name, but its directory must exist (the list only names
 * such directories for known_hosts).  pledge(2): the promises of SPEC 6,
 * and what the code truly needs besides: unix for the ssh-agent, tty for
 * the passphrase prompt, getpw for the home directory when HOME is unset,
 * proc for -j, proc and exec for a proxy command.
 */
static int
sandbox_close(struct sandbox_list *l, const struct sandbox_options *o,
    int quiet, struct error *err)
{
	static const char *perms[] = {
		/* open(O_CREAT) wants "c" even when the file exists */
		[SB_READ] = "r", [SB_WRITE] = "rwc", [SB_CREATE] = "rwc",
		[SB_MAILDIR] = "rwc", [SB_TTY] = "rw"
	};
	const char *sock = getenv("SSH_AUTH_SOCK");
	char promises[256];
	size_t i;

	if (!l->proxy) {
		for (i = 0; i < l->n; i++)
			if (unveil(l->rules[i].path, perms[l->rules[i].how])
			    == -1 && errno != ENOENT)
				return error_errno(err, STATUS_PARTIAL,
				    "unveil %s", l->rules[i].path);
		if ((sock != NULL && unveil(sock, "rw") == -1 &&
		    errno != ENOENT) ||
		    unveil("/dev/null", "rw") == -1 ||
		    unveil("/dev/tty", "rw") == -1 ||
		    unveil(NULL, NULL) == -1)
			return error_errno(err, STATUS_PARTIAL, "unveil");
	}
	snprintf(promises, sizeof(promises), "stdio rpath wpath cpath fattr "
	    "flock inet dns unix tty getpw%s%s", o->forks || l->proxy ?
	    " proc" : "", l->proxy ? " exec" : "");
	if (pledge(promises, NULL) == -1)
		return error_errno(err, STATUS_PARTIAL, "pledge");
	if (!quiet)
		msg_info(2, NULL, "sandbox: pledge \"%s\"%s", promises,
		    l->proxy ? "" : " and unveil");
	return 1;
}

#elif defined(__linux__)

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

static int
sandbox_ready(struct sandbox_list *l, const struct sandbox_options *o,
    struct error *err)
{
	struct sandbox_ruleset_attr attr;
	const char *what;
	size_t i;
	long abi;

	(void)o;
	(void)err;
	if (l->proxy) {
		msg_info(1, NULL, "sandbox: off: %s", l->off);
		return 0;
	}
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	/* ENOSYS: an old kernel, or valgrind, which does not know the call */
	if (abi == -1) {
		msg_info(1, NULL, "sandbox: off: no Landlock here (%s)",
		    errno == EOPNOTSUPP ? "disabled at boot" : strerror(errno));
		return 0;
	}
	if (abi < 2) {
		msg_info(1, NULL, "sandbox: off: Landlock ABI %ld lacks the "
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
		msg_info(1, NULL, "sandbox: off: landlock_create_ruleset: %s",
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
	msg_info(1, NULL, "sandbox: off: landlock_add_rule %s: %s", what,
	    strerror(errno));
	return 0;
}

static int
sandbox_close(struct sandbox_list *l, const struct sandbox_options *o,
    int quiet, struct error *err)
{
	(void)o;
	(void)err;
	/* Without it an unprivileged process may not restrict itself. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, l->ruleset, 0) == -1) {
		if (!quiet)
			msg_info(1, NULL, "sandbox: off: Landlock: %s",
			    strerror(errno));
		return 0;
	}
	if (!quiet)
		msg_info(2, NULL, "sandbox: Landlock ABI %ld, %zu paths",
		    l->abi, l->n + sizeof(sandbox_system) /
		    sizeof(sandbox_system[0]));
	return 1;
}

#else

static int
sandbox_ready(struct sandbox_list *l, const struct sandbox_options *o,
    struct error *err)
{
	(void)l;
	(void)o;
	(void)err;
	msg_info(1, NULL, "sandbox: off: none on this platform");
	return 0;
}

static int
sandbox_close(struct sandbox_list *l, const struct sandbox_options *o,
    int quiet, struct error *err)
{
	(void)l;
	(void)o;
	(void)quiet;
	(void)err;
	return 0;
}

#endif

static int
sandbox_streq(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* Whether two readings of one account's ssh config came out the same. */
static int
sandbox_same(const struct sshconfig_target *x,
    const struct sshconfig_target *y)
{
	size_t i;

	if (!sandbox_streq(x->host, y->host) || x->port != y->port ||
	    !sandbox_streq(x->user, y->user) ||
	    !sandbox_streq(x->known_hosts, y->known_hosts) ||
	    x->check != y->check ||
	    !sandbox_streq(x->proxy_command, y->proxy_command) ||
	    x->nidentities != y->nidentities)
		return 0;
	for (i = 0; i < x->nidentities; i++)
		if (!sandbox_streq(x->identities[i], y->identities[i]))
			return 0;
	return 1;
}

/*
 * In a child that closes the sandbox, reads every account's ssh config
 * again.  Returns 0 when all read the same (or the child could not close
 * the sandbox: then the parent cannot either, and says so), 1 + k (k at
 * most SANDBOX_TRIAL_MAX) when account k is the first to read differently,
 * -1 with errno set when the trial could not run, -2 - N when the child
 * was killed by signal N.
 */
#define SANDBOX_TRIAL_MAX	200

static int
sandbox_trial(struct sandbox_list *l, struct account *const *sel,
    size_t nsel, const struct sandbox_options *o)
{
	struct sshconfig_target t;
	struct error err;
	size_t i;
	pid_t pid;
	int ws, same;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* _exit: nothing of the parent's is flushed or freed twice */
		if (sandbox_close(l, o, 1, &err) != 1)
			_exit(0);
		for (i = 0; i < nsel; i++) {
			memset(&t, 0, sizeof(t));
			error_clear(&err);
			if (sshconfig_resolve(sel[i], o->home, o->localuser,
			    &t, &err) == 0)
				same = l->resolved[i] &&
				    sandbox_same(&t, &l->targets[i]);
			else
				same = !l->resolved[i] &&
				    strcmp(err.msg, l->errors[i]) == 0;
			sshconfig_target_free(&t);
			if (!same)
				_exit(1 + (int)(i < SANDBOX_TRIAL_MAX ? i :
				    SANDBOX_TRIAL_MAX));
		}
		_exit(0);
	}
	while (waitpid(pid, &ws, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(ws))
		return -2 - WTERMSIG(ws);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 0;
}

int
sandbox_enter(struct account *const *sel, size_t nsel,
    const struct sandbox_options *o, struct error *err)
{
	struct sandbox_list l;
	size_t i;
	int rc = -1, trial;

	memset(&l, 0, sizeof(l));
	l.ruleset = -1;
	if ((l.targets = calloc(nsel + 1, sizeof(*l.targets))) == NULL ||
	    (l.resolved = calloc(nsel + 1, 1)) == NULL ||
	    (l.errors = calloc(nsel + 1, sizeof(*l.errors))) == NULL) {
		error_errno(err, STATUS_PARTIAL, "sandbox");
		goto out;
	}
	l.ntargets = nsel;
	for (i = 0; i < nsel; i++)
		if (sandbox_account(&l, i, sel[i], o, err) == -1)
			goto out;
	if (sandbox_dotssh(&l, o->home, err) == -1)
		goto out;
	if ((rc = sandbox_ready(&l, o, err)) != 1)
		goto out;
	trial = sandbox_trial(&l, sel, nsel, o);
	rc = 0;
	if (trial == -1)
		msg_info(1, NULL, "sandbox: off: cannot try it first: %s",
		    strerror(errno));
	else if (trial < -1)
		msg_info(1, NULL, "sandbox: off: its trial was killed by "
		    "signal %d", -2 - trial);
	else if (trial > 0)
		msg_info(1, NULL, "sandbox: off: the ssh config of account %s "
		    "reads differently inside it (an Include of files outside "
		    "~/.ssh and /etc?)", trial - 1 < SANDBOX_TRIAL_MAX ?
		    sel[trial - 1]->name : "(one of many)");
	else
		rc = sandbox_close(&l, o, 0, err);
out:
	sandbox_list_free(&l);
	return rc == -1 ? -1 : 0;
}
