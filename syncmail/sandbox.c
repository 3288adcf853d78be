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
 *	log file		appended to, or created in its directory
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

#include "compat/sandbox.h"
#include "sandbox.h"
#include "maildir.h"
#include "util/note.h"
#include "sshconfig.h"

/* What the accounts need, and each account's ssh config as read for it. */
struct sandbox_list {
	struct sandbox_paths p;		/* what the platform enforces */
	struct sshconfig_target *targets;
	char		*resolved;	/* targets[i] is filled */
	char		**errors;	/* else why not */
	size_t		 ntargets;
};

/* Adds path (copied) to l.  Returns 0 or -1 with err set. */
static int
sandbox_add(struct sandbox_list *l, const char *path, enum sandbox_how how,
    struct error *err)
{
	struct sandbox_rule *r;
	size_t i;

	for (i = 0; i < l->p.n; i++)
		if (strcmp(l->p.rules[i].path, path) == 0) {
			if (how > l->p.rules[i].how)
				l->p.rules[i].how = how;
			return 0;
		}
	if ((r = reallocarray(l->p.rules, l->p.n + 1, sizeof(*r))) == NULL)
		return error_errno(err, STATUS_PARTIAL, "sandbox");
	l->p.rules = r;
	if ((r[l->p.n].path = strdup(path)) == NULL)
		return error_errno(err, STATUS_PARTIAL, "sandbox");
	r[l->p.n++].how = how;
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

	for (i = 0; i < l->p.n; i++)
		free(l->p.rules[i].path);
	free(l->p.rules);
	for (i = 0; i < l->ntargets; i++) {
		if (l->resolved[i])
			sshconfig_target_free(&l->targets[i]);
		free(l->errors[i]);
	}
	free(l->targets);
	free(l->resolved);
	free(l->errors);
	if (l->p.ruleset != -1)
		close(l->p.ruleset);
	memset(l, 0, sizeof(*l));
	l->p.ruleset = -1;
}

/*
 * A file read, and appended to when acceptnew is set: known_hosts (with
 * accept-new sftp/hostkey.c opens it O_APPEND|O_CREAT and, when it
 * created the file, opens and fsyncs the directory; it makes only that
 * last directory level) and the log.  When the file is missing, its
 * directory must allow creating and writing a file; when the directory
 * is missing too it is made here, mode 0700, as hostkey.c would make it
 * a moment later.
 */
static int
sandbox_appendable(struct sandbox_list *l, const char *path, int acceptnew,
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
	struct ssh_account sa;
	struct maildir md;
	struct error ignored;
	size_t i;

	if (a->ssh_config != NULL &&
	    sandbox_add(l, a->ssh_config, SB_READ, err) == -1)
		return -1;
	error_clear(&ignored);
	config_ssh(a, &sa);
	if (sshconfig_resolve(&sa, o->home, o->localuser, &l->targets[k],
	    &ignored) == -1) {
		sshconfig_target_free(&l->targets[k]);
		if ((l->errors[k] = strdup(ignored.msg)) == NULL)
			return error_errno(err, STATUS_PARTIAL, "sandbox");
		return 0;
	}
	l->resolved[k] = 1;
	if (t->proxy_command != NULL && !l->p.proxy) {
		l->p.proxy = 1;
		snprintf(l->p.off, sizeof(l->p.off), "account %s runs a proxy "
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
	if (t->known_hosts != NULL && sandbox_appendable(l, t->known_hosts,
	    t->check == HOSTKEY_CHECK_ACCEPT_NEW, err) == -1)
		return -1;
	/* The log file is appended to, or created, as known_hosts is. */
	if (a->log_file != NULL && !o->dryrun &&
	    sandbox_appendable(l, a->log_file, 1, err) == -1)
		return -1;
	return 0;
}


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
	struct ssh_account sa;
	struct error err;
	size_t i;
	pid_t pid;
	int ws, same;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* _exit: nothing of the parent's is flushed or freed twice */
		if (sandbox_close(&l->p, o->forks, 1, &err) != 1)
			_exit(0);
		for (i = 0; i < nsel; i++) {
			memset(&t, 0, sizeof(t));
			error_clear(&err);
			config_ssh(sel[i], &sa);
			if (sshconfig_resolve(&sa, o->home, o->localuser,
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
	l.p.ruleset = -1;
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
	if ((rc = sandbox_ready(&l.p, o->forks, err)) != 1)
		goto out;
	trial = sandbox_trial(&l, sel, nsel, o);
	rc = 0;
	if (trial == -1)
		note(1, NULL, "sandbox: off: cannot try it first: %s",
		    strerror(errno));
	else if (trial < -1)
		note(1, NULL, "sandbox: off: its trial was killed by "
		    "signal %d", -2 - trial);
	else if (trial > 0)
		note(1, NULL, "sandbox: off: the ssh config of account %s "
		    "reads differently inside it (an Include of files outside "
		    "~/.ssh and /etc?)", trial - 1 < SANDBOX_TRIAL_MAX ?
		    sel[trial - 1]->name : "(one of many)");
	else
		rc = sandbox_close(&l.p, o->forks, 0, err);
out:
	sandbox_list_free(&l);
	return rc == -1 ? -1 : 0;
}
