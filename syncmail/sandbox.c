/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The sandbox (SPEC 6).  What the selected accounts need is gathered here
 * once, the same on every platform, as a list of paths with what may be
 * done under each; then the platform's own mechanism enforces that list:
 * unveil(2) and pledge(2) on OpenBSD, Landlock on Linux, nothing
 * elsewhere (with a -v note).
 *
 * The list, for each selected account, from its syncmail.conf entry
 * completed by its ssh config: the target that main resolved for it
 * (account_resolve), the one the account connects with:
 *
 *	local Maildirs		read, write, create, remove, rename between
 *				tmp/ and new/ (read only in a dry run)
 *	identity files, .pub	read
 *	known_hosts		read; written in place with accept-new, or
 *				created in its directory when missing
 *	~/.ssh			read: the default keys and their .pub
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
 * anyway: only after its ssh config resolved, and before it connects.
 *
 * A proxy command turns the file system part off: its child inherits the
 * sandbox and may run anything (ssh -W reads its own config, keys and
 * known_hosts, and writes them).
 *
 * No ssh config is read inside the sandbox: each is read once, before
 * it closes, and the accounts connect with that reading.  So neither an
 * ssh-config file nor what it includes needs to be allowed, and an
 * Include anywhere is honoured with the sandbox on.
 */
#include <sys/types.h>
#include <sys/stat.h>

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
#include "maildir/maildir.h"
#include "sftp/sshconfig.h"
#include "syncmail/sandbox.h"
#include "util/note.h"

/* Adds path (copied) to l.  Returns 0 or -1 with err set. */
static int
sandbox_add(struct sandbox_paths *l, const char *path, enum sandbox_how how,
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
		return error_errno(err, ERR_MAILBOX, "sandbox");
	l->rules = r;
	if ((r[l->n].path = strdup(path)) == NULL)
		return error_errno(err, ERR_MAILBOX, "sandbox");
	r[l->n++].how = how;
	return 0;
}

/* Declared first so the compiler checks fmt against its arguments. */
static int
sandbox_addf(struct sandbox_paths *l, enum sandbox_how how, struct error *err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * As sandbox_add, for a path built from fmt.  A path over 4095 bytes is
 * skipped and returns 0: it could not be opened either, so there is
 * nothing to allow.  Returns 0, or -1 with err set (memory ran out).
 */
static int
sandbox_addf(struct sandbox_paths *l, enum sandbox_how how, struct error *err,
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
sandbox_paths_free(struct sandbox_paths *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->rules[i].path);
	free(l->rules);
	if (l->ruleset != -1)
		close(l->ruleset);
	memset(l, 0, sizeof(*l));
	l->ruleset = -1;
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
sandbox_appendable(struct sandbox_paths *l, const char *path, int acceptnew,
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
		return error_errno(err, ERR_MAILBOX, "sandbox");
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
 * ~/.ssh is readable (the default keys and their .pub files, for an
 * account that names no identity file); a link in it to a file or directory elsewhere (dotfile
 * managers make them) is followed to its target, which becomes readable
 * too.
 */
static int
sandbox_dotssh(struct sandbox_paths *l, const char *home, struct error *err)
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
 * A Maildir an account delivers to (maildir set), or a directory it
 * saves attachments in, made (when missing) and added to l: with
 * templated set, path is a route's, holding %N, and what is added is
 * the directory above its first %N, beneath which every path the route
 * can name lies (the groups are made safe as single names, so none can
 * climb out).  In a dry run nothing is made and all is read only.
 * Returns 0 or -1 with err set.
 */
static int
sandbox_maildir(struct sandbox_paths *l, const char *path, int templated,
    int maildir, const struct sandbox_options *o, struct error *err)
{
	struct maildir md;
	struct error ignored;
	char dir[4096], *s;

	if (!templated) {
		if (!o->dryrun && !maildir) {
			error_clear(&ignored);
			(void)maildir_mkdirs(path, &ignored);
		} else if (!o->dryrun) {
			/* the account reports any failure when it runs */
			memset(&md, 0, sizeof(md));
			error_clear(&ignored);
			(void)maildir_open(&md, path, 1, &ignored);
			maildir_close(&md);
		}
		return sandbox_add(l, path, o->dryrun ? SB_READ : SB_MAILDIR,
		    err);
	}
	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return error_set(err, ERR_CONFIG, "%s: path too long", path);
	/* config_path made it absolute: a "/" comes before any %N */
	if ((s = strchr(dir, '%')) != NULL)
		*s = '\0';
	if ((s = strrchr(dir, '/')) != NULL)
		s[s == dir ? 1 : 0] = '\0';
	if (!o->dryrun) {
		error_clear(&ignored);
		(void)maildir_mkdirs(dir, &ignored);
	}
	return sandbox_add(l, dir, o->dryrun ? SB_READ : SB_MAILDIR, err);
}

/* What a pull's or a route's DEST d delivers to, added to l as above. */
static int
sandbox_dest(struct sandbox_paths *l, const struct dest *d,
    const struct sandbox_options *o, struct error *err)
{
	if (d->kind == DEST_MAILDIR && d->path != NULL)
		return sandbox_maildir(l, d->path, d->templated, 1, o, err);
	if (d->kind != DEST_ATTACH)
		return 0;
	if (d->maildir != NULL && sandbox_maildir(l, d->maildir,
	    d->maildir_templated, 1, o, err) == -1)
		return -1;
	return sandbox_maildir(l, d->path, d->templated, 0, o, err);
}

/*
 * What the account of at needs, added to l, from its target.  One whose
 * ssh config did not resolve needs nothing: it fails with that error
 * when it runs, before it touches anything.  Returns 0 or -1 with err
 * set.
 */
static int
sandbox_account(struct sandbox_paths *l, const struct account_target *at,
    const struct sandbox_options *o, struct error *err)
{
	const struct account *a = at->acct;
	const struct sshconfig_target *t = &at->t;
	size_t i, j;

	if (!at->resolved)
		return 0;
	if (t->proxy_command != NULL && !l->proxy) {
		l->proxy = 1;
		snprintf(l->off, sizeof(l->off), "account %s runs a proxy "
		    "command, which may need any file", a->name);
	}
	if (!o->dryrun && account_dests(a, DEST_PIPE))
		l->sendfd = 1;
	if (!o->dryrun && account_dests(a, DEST_ATTACH))
		l->mime = 1;
	for (i = 0; i < a->npulls; i++) {
		if (sandbox_maildir(l, a->pulls[i].local, 0, 1, o, err) == -1 ||
		    sandbox_dest(l, &a->pulls[i].dest, o, err) == -1)
			return -1;
		/* The filter's originals are moved there (SPEC 8). */
		if (a->pulls[i].quarantine != NULL && sandbox_maildir(l,
		    a->pulls[i].quarantine, 0, 1, o, err) == -1)
			return -1;
		for (j = 0; j < a->pulls[i].nroutes; j++)
			if (sandbox_dest(l, &a->pulls[i].routes[j].dest, o,
			    err) == -1)
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

int
sandbox_enter(const struct account_target *sel, size_t nsel,
    const struct sandbox_options *o, struct error *err)
{
	struct sandbox_paths l;
	size_t i;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.ruleset = -1;
	for (i = 0; i < nsel; i++)
		if (sandbox_account(&l, &sel[i], o, err) == -1)
			goto out;
	if (sandbox_dotssh(&l, o->home, err) == -1)
		goto out;
	if ((rc = sandbox_ready(&l, o->forks, err)) == 1)
		rc = sandbox_close(&l, o->forks, 0, err);
out:
	sandbox_paths_free(&l);
	return rc == -1 ? -1 : 0;
}
