/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * syncmail: pull new mail from Maildirs on SSH servers into local
 * Maildirs, exactly once.  main() is the only place that exits.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/crypto.h>

#include "compat/compat.h"
#include "sftp/auth.h"
#include "syncmail/account.h"
#include "syncmail/config.h"
#include "syncmail/mlog.h"
#include "syncmail/sandbox.h"
#include "syncmail/say.h"
#include "syncmail/selection.h"
#include "syncmail/status.h"
#include "syncmail/watch.h"
#include "util/fault.h"
#include "util/note.h"
#include "util/prompt.h"

#define SYNCMAIL_VERSION "0.1"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stop_now;
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t stop_sent;	/* signals a process sent (kill) */
static volatile sig_atomic_t reload_requested;	/* -w: SIGHUP */

/*
 * A signal a process sent (SI_USER: kill(1), a service manager) may have
 * been sent to us alone, and run_accounts passes it on to the accounts'
 * processes.  One the kernel sent (a terminal's ^C, a hangup) went to
 * the whole foreground process group, children included: passed on, it
 * would reach them twice, and its second time stop them at once.
 */
static void
on_signal(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (stop_requested)
		stop_now = 1;
	stop_requested = 1;
	stop_signal = sig;
	if (si != NULL && si->si_code == SI_USER && stop_sent < 2)
		stop_sent++;
}

/* -w: SIGHUP reads the config again (SPEC 9), in the main process. */
static void
on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR	"/usr/local/share/examples/syncmail"
#endif

static void
usage(FILE *f)
{
	fprintf(f, "usage: syncmail [-hnqvVw] [-c file] [-j jobs] "
	    "[account ...]\n");
}

/* -h and --help: the synopsis and a line per flag, on stdout. */
static void
help(void)
{
	usage(stdout);
	printf("  -c file  config file (default ~/.config/syncmail/config, "
	    "else ~/.syncmail.conf)\n"
	    "  -h       this help (--help)\n"
	    "  -j jobs  how many accounts at once (default 1)\n"
	    "  -n       dry run: list what would be moved, change nothing\n"
	    "  -q       quiet: only errors and warnings\n"
	    "  -v       one line per message; -vv protocol detail\n"
	    "  -V       versions of syncmail, libssh2 and OpenSSL "
	    "(--version)\n"
	    "  -w       watch: after the first run, move new mail as it "
	    "arrives\n"
	    "  account  only these accounts\n"
	    "See syncmail(1) and syncmail.conf(5).\n");
}

static void
version(void)
{
	printf("syncmail %s\nlibssh2 %s (RSA keys sign with %s)\n%s\n",
	    SYNCMAIL_VERSION, libssh2_version(0), auth_rsa_sha2() ?
	    "rsa-sha2-512/256" : "SHA-1 only", OpenSSL_version(OPENSSL_VERSION));
}

/*
 * The config file when -c is not given: $XDG_CONFIG_HOME/syncmail/config
 * (~/.config when unset) if it exists, else ~/.syncmail.conf.  When
 * neither exists, returns NULL with the message for the first run in
 * why: both names, the man page and the example.
 */
static const char *
default_config(const char *home, char *buf, size_t size, char *why,
    size_t whysize)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char xdgpath[4096];

	if (xdg != NULL && xdg[0] == '/')
		snprintf(xdgpath, sizeof(xdgpath), "%s/syncmail/config", xdg);
	else
		snprintf(xdgpath, sizeof(xdgpath), "%s/.config/syncmail/config",
		    home);
	if (access(xdgpath, F_OK) == 0) {
		strlcpy(buf, xdgpath, size);
		return buf;
	}
	snprintf(buf, size, "%s/.syncmail.conf", home);
	if (access(buf, F_OK) == 0)
		return buf;
	snprintf(why, whysize, "no config file: neither %s nor %s exists; "
	    "see syncmail.conf(5), and the commented example %s/"
	    "syncmail.conf.example", xdgpath, buf, EXAMPLES_DIR);
	return NULL;
}

/*
 * Installs the handlers of the run: a first SIGINT, SIGTERM or SIGHUP
 * asks the accounts to finish what is in flight and start nothing new,
 * a second to stop at once (on_signal); with watch set, SIGHUP asks for
 * the config to be read again instead (on_hup).  SIGPIPE is ignored so
 * that a proxy command or server gone away is a write error, not our
 * death.  Child processes for -j and -w inherit all of it.
 */
static void
setup_signals(int watch)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a wait must wake up to see the signal. */
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!watch)
		sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = on_hup;
	if (watch)
		sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Over a file size limit, write() must fail, not kill us mid-message. */
	sigaction(SIGXFSZ, &sa, NULL);
}

/*
 * Runs the selected accounts, up to jobs at once in child processes.
 * Returns the worst status.
 */
static int
run_accounts(struct account_target *sel, size_t nsel, int jobs,
    const struct run_options *o)
{
	pid_t *pids;
	size_t next = 0, running = 0, i;
	int status = STATUS_OK, ws, forwarded = 0;
	pid_t pid;

	if (jobs <= 1 || nsel <= 1) {
		for (i = 0; i < nsel && !stop_requested; i++)
			status = status_worst(status, account_run(&sel[i], o));
		return status;
	}
	if ((pids = calloc(nsel, sizeof(*pids))) == NULL) {
		say_warn(NULL, "out of memory");
		return STATUS_PARTIAL;
	}
	say_progress_shared();
	while (next < nsel || running > 0) {
		while (running < (size_t)jobs && next < nsel &&
		    !stop_requested) {
			fflush(NULL);
			if ((pid = fork()) == -1) {
				say_warn(sel[next].acct->name, "fork: %s",
				    strerror(errno));
				status = status_worst(status, STATUS_TEMPFAIL);
				next++;
				continue;
			}
			if (pid == 0) {
				int rc;

				/* Only its own runner: the others' must see
				 * their engine go when it does. */
				for (i = 0; i < nsel; i++)
					if (i != next)
						runner_detach(&sel[i].runner);
				rc = account_run(&sel[next], o);

				fflush(NULL);
				_exit(rc);
			}
			runner_detach(&sel[next].runner);
			pids[next++] = pid;
			running++;
		}
		if (running == 0)
			break;
		pid = waitpid(-1, &ws, 0);
		if (pid == -1) {
			if (errno != EINTR)
				break;
			/* Pass a signal sent to us alone on to the children. */
			for (; forwarded < stop_sent; forwarded++)
				for (i = 0; i < next; i++)
					if (pids[i] > 0)
						kill(pids[i], stop_signal);
			continue;
		}
		for (i = 0; i < next; i++)
			if (pids[i] == pid)
				break;
		if (i == next)
			continue;	/* a runner, its account done */
		pids[i] = 0;
		running--;
		if (WIFEXITED(ws))
			status = status_worst(status, WEXITSTATUS(ws));
		else
			status = status_worst(status, STATUS_PARTIAL);
	}
	free(pids);
	return status;
}

/*
 * -w: the main process supervises one process per watched account (SPEC
 * 9).  It touches no Maildir and no network; it reads the config, at the
 * start and at each SIGHUP, so it stays outside the sandbox, and each
 * account's process enters a sandbox of its own account's paths as soon
 * as it is forked (the paths of an account added by a SIGHUP are not
 * known before).  An account's process is, in watches[]:
 */
enum watch_state {
	WATCH_PENDING,		/* to be started */
	WATCH_RUNNING,		/* pid is watching it */
	WATCH_ENDED		/* its watch ended (a permanent failure) */
};

struct watch_proc {
	enum watch_state state;
	pid_t		 pid;
};

/*
 * An account's process told to stop by a SIGHUP (its account removed or
 * changed): its new reading, if any, starts only once it is gone, as it
 * holds the account's locks until then.
 */
struct watch_retired {
	char		*name;
	pid_t		 pid;
	struct runner	 runner;	/* its pipes' runner, reaped here */
};

struct watch_sup {
	struct selection *cur;
	const struct selection_args *args;
	const struct run_options *o;
	const struct sandbox_options *so;
	struct watch_proc *procs;	/* one per cur->at */
	struct watch_retired *ret;
	size_t		 nret;
	pid_t		 parent;
	int		 status;
};

/* Whether a process told to stop still watches the account named name. */
static int
watch_retiring(const struct watch_sup *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nret; i++)
		if (strcmp(w->ret[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * Starts the process of account i: its runner first (here, outside the
 * sandbox: the commands run with the user's rights, SPEC 8), then the
 * fork; the child enters the account's own sandbox and watches.  Says
 * what failed; the account is then ended with 75.
 */
static void
watch_start(struct watch_sup *w, size_t i)
{
	struct account_target *at = &w->cur->at[i];
	struct watch_proc *p = &w->procs[i];
	struct error err;
	pid_t pid;
	int rc;

	p->state = WATCH_ENDED;
	if (account_pipes(at->acct) && runner_start(&at->runner, &err) == -1) {
		say_warn(at->acct->name, "%s", err.msg);
		w->status = status_worst(w->status, status_of(&err));
		return;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		say_warn(at->acct->name, "fork: %s", strerror(errno));
		w->status = status_worst(w->status, STATUS_TEMPFAIL);
		runner_stop(&at->runner);
		return;
	}
	if (pid == 0) {
		/* The config is the main process's to read again. */
		signal(SIGHUP, SIG_IGN);
		/*
		 * A watch never ends on its own: one whose parent was
		 * killed stops as at a SIGTERM (where the platform can say
		 * so).
		 */
		if (compat_parent_death_signal(SIGTERM) == 0 &&
		    getppid() != w->parent)
			raise(SIGTERM);
		if (sandbox_enter(at, 1, w->so, &err) == -1) {
			say_warn(at->acct->name, "sandbox: %s", err.msg);
			fflush(NULL);
			_exit(status_of(&err));
		}
		fault_sandbox_probe();
		rc = watch_account(at, w->o);
		fflush(NULL);
		_exit(rc);
	}
	/* The runner must see its engine go when the child does. */
	runner_detach(&at->runner);
	p->state = WATCH_RUNNING;
	p->pid = pid;
}

/* Sends sig to every account's process, also those told to stop. */
static void
watch_kill(const struct watch_sup *w, int sig)
{
	size_t i;

	for (i = 0; i < w->cur->n; i++)
		if (w->procs[i].state == WATCH_RUNNING)
			kill(w->procs[i].pid, sig);
	for (i = 0; i < w->nret; i++)
		kill(w->ret[i].pid, sig);
}

/* Whether a and b, two readings of an account, connect and move the same. */
static int
watch_same(const struct account_target *a, const struct account_target *b)
{
	const struct sshconfig_target *s = &a->t, *t = &b->t;
	size_t i;

	if (!config_account_same(a->acct, b->acct) ||
	    a->resolved != b->resolved)
		return 0;
	if (!a->resolved)
		return strcmp(a->err.msg, b->err.msg) == 0;
	if (strcmp(s->host, t->host) != 0 || s->port != t->port ||
	    strcmp(s->user, t->user) != 0 ||
	    s->nidentities != t->nidentities ||
	    s->identities_only != t->identities_only ||
	    (s->known_hosts == NULL) != (t->known_hosts == NULL) ||
	    (s->known_hosts != NULL &&
	    strcmp(s->known_hosts, t->known_hosts) != 0) ||
	    (s->host_key_alias == NULL) != (t->host_key_alias == NULL) ||
	    (s->host_key_alias != NULL &&
	    strcmp(s->host_key_alias, t->host_key_alias) != 0) ||
	    s->check != t->check ||
	    (s->proxy_command == NULL) != (t->proxy_command == NULL) ||
	    (s->proxy_command != NULL &&
	    strcmp(s->proxy_command, t->proxy_command) != 0))
		return 0;
	for (i = 0; i < s->nidentities; i++)
		if (strcmp(s->identities[i], t->identities[i]) != 0)
			return 0;
	return 1;
}

/*
 * SIGHUP: the config read again.  One with an error, in the file or in
 * an account's ssh config, is warned about and the old one kept (SPEC
 * 9).  Else an account left as it was keeps its process, one removed or
 * changed is told to stop (SIGTERM: it finishes what is in flight), and
 * one added, changed or whose watch had ended is started (watch_run, once
 * nothing watches it any more).  Returns 0, or -1 when memory ran out
 * (the old config is kept).
 */
static int
watch_reload(struct watch_sup *w)
{
	struct selection next;
	struct watch_proc *procs;
	struct watch_retired *r;
	const struct account_target *bad;
	struct account_target *old;
	struct error err;
	size_t i, j;

	if (selection_load(&next, w->args, &err) == -1) {
		say_warn(NULL, "SIGHUP: %s; the config read before goes on",
		    err.msg);
		return 0;
	}
	if ((bad = selection_config_error(&next)) != NULL) {
		say_warn(bad->acct->name, "SIGHUP: %s; the config read before "
		    "goes on", bad->err.msg);
		selection_free(&next);
		return 0;
	}
	if ((procs = calloc(next.n + 1, sizeof(*procs))) == NULL ||
	    (r = reallocarray(w->ret, w->nret + w->cur->n + 1,
	    sizeof(*r))) == NULL) {
		free(procs);
		selection_free(&next);
		say_warn(NULL, "SIGHUP: out of memory");
		return -1;
	}
	w->ret = r;
	for (i = 0; i < w->cur->n; i++) {
		old = &w->cur->at[i];
		if (w->procs[i].state != WATCH_RUNNING)
			continue;
		for (j = 0; j < next.n; j++)
			if (strcmp(next.at[j].acct->name, old->acct->name) == 0)
				break;
		if (j < next.n && watch_same(old, &next.at[j])) {
			procs[j] = w->procs[i];
			next.at[j].runner = old->runner;
			old->runner.pid = -1;
			continue;
		}
		if ((r[w->nret].name = strdup(old->acct->name)) == NULL) {
			/* Not told to stop: it watches on, unchanged. */
			say_warn(old->acct->name, "SIGHUP: out of memory");
			continue;
		}
		say_info(1, old->acct->name, "%s: stopping its watch",
		    j < next.n ? "changed" : "removed");
		r[w->nret].pid = w->procs[i].pid;
		r[w->nret].runner = old->runner;
		old->runner.pid = -1;
		w->nret++;
		kill(w->procs[i].pid, SIGTERM);
	}
	selection_free(w->cur);
	*w->cur = next;
	free(w->procs);
	w->procs = procs;
	say_info(1, NULL, "SIGHUP: %s read again, %zu accounts",
	    w->args->file, next.n);
	return 0;
}

/*
 * Marks the process pid as gone, with its wait status ws: an account's
 * (its status counts), one told to stop (its runner reaped) or a
 * runner's (none reaps it again).
 */
static void
watch_reaped(struct watch_sup *w, pid_t pid, int ws)
{
	int rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : STATUS_PARTIAL;
	size_t i;

	for (i = 0; i < w->cur->n; i++) {
		if (w->procs[i].state == WATCH_RUNNING &&
		    w->procs[i].pid == pid) {
			w->procs[i].state = WATCH_ENDED;
			w->status = status_worst(w->status, rc);
			return;
		}
		if (w->cur->at[i].runner.pid == pid)
			w->cur->at[i].runner.pid = -1;
	}
	for (i = 0; i < w->nret; i++) {
		if (w->ret[i].pid == pid) {
			w->status = status_worst(w->status, rc);
			runner_stop(&w->ret[i].runner);
			free(w->ret[i].name);
			w->ret[i] = w->ret[--w->nret];
			return;
		}
		if (w->ret[i].runner.pid == pid)
			w->ret[i].runner.pid = -1;
	}
}

/*
 * Watches the accounts of cur, each in its own process, until a signal
 * stops them or all ended; cur is replaced at each SIGHUP that reads a
 * good config.  Returns the worst status of the accounts' processes.
 */
static int
watch_run(struct selection *cur, const struct selection_args *args,
    const struct run_options *o, const struct sandbox_options *so)
{
	struct watch_sup w;
	size_t i;
	int ws, forwarded = 0, alive;
	pid_t pid;

	memset(&w, 0, sizeof(w));
	w.cur = cur;
	w.args = args;
	w.o = o;
	w.so = so;
	w.parent = getpid();
	w.status = STATUS_OK;
	if ((w.procs = calloc(cur->n + 1, sizeof(*w.procs))) == NULL) {
		say_warn(NULL, "out of memory");
		return STATUS_PARTIAL;
	}
	say_progress_shared();
	for (;;) {
		/*
		 * The signals first, each time round: a stop or SIGUSR1
		 * sent to us alone passed on to the accounts, a SIGHUP's
		 * config read.  One that came while a process was being
		 * reaped is not left waiting for the next to end.
		 */
		for (; forwarded < stop_sent; forwarded++)
			watch_kill(&w, stop_signal);
		if (watch_woken())
			watch_kill(&w, SIGUSR1);
		if (reload_requested && !stop_requested) {
			reload_requested = 0;
			if (watch_reload(&w) == -1)
				w.status = status_worst(w.status,
				    STATUS_PARTIAL);
		}
		alive = w.nret > 0;
		for (i = 0; i < cur->n; i++) {
			if (w.procs[i].state == WATCH_PENDING &&
			    !stop_requested &&
			    !watch_retiring(&w, cur->at[i].acct->name))
				watch_start(&w, i);
			if (w.procs[i].state == WATCH_RUNNING)
				alive = 1;
		}
		if (!alive)
			break;
		if ((pid = waitpid(-1, &ws, 0)) != -1) {
			watch_reaped(&w, pid, ws);
			continue;
		}
		/* EINTR: a signal, passed on at the top. */
		if (errno != EINTR)
			break;
	}
	for (i = 0; i < w.nret; i++) {
		runner_stop(&w.ret[i].runner);
		free(w.ret[i].name);
	}
	free(w.ret);
	free(w.procs);
	return w.status;
}

/*
 * In order: --help or --version alone, the flags, the user and home
 * directory, the config file, the accounts named (in config order, or
 * all) and each one's ssh config (selection_load), libssh2, the sandbox
 * (with -w, each account's process enters its own: watch_start), the
 * signal handlers, then the accounts.  Every early failure returns its status
 * after freeing what was made.  Returns the worst account status, or
 * 128 + the number of a signal once one came, as a shell reports it.
 */
int
main(int argc, char *argv[])
{
	struct selection cur;
	struct selection_args args;
	struct error err;
	struct run_options o;
	struct sandbox_options so;
	struct account_target *sel;
	struct passwd *pw;
	const char *home, *cfgpath = NULL;
	char defpath[4096], why[9000], *end;
	size_t nsel = 0, i;
	int ch, jobs = 1, status;
	long l;

	memset(&o, 0, sizeof(o));
	/* The two long options people try first, as the only argument. */
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		help();
		return STATUS_OK;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		version();
		return STATUS_OK;
	}
	while ((ch = getopt(argc, argv, "c:hj:nqvVw")) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'h':
			help();
			return STATUS_OK;
		case 'j':
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || l < 1 || l > 64) {
				fprintf(stderr, "syncmail: -j %s: want 1 to 64\n",
				    optarg);
				return STATUS_USAGE;
			}
			jobs = (int)l;
			break;
		case 'n':
			o.dryrun = 1;
			break;
		case 'q':
			say_quiet = 1;
			break;
		case 'v':
			say_verbose++;
			break;
		case 'V':
			version();
			return STATUS_OK;
		case 'w':
			o.watch = 1;
			break;
		default:
			usage(stderr);
			return STATUS_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (o.watch && o.dryrun) {
		fprintf(stderr, "syncmail: -n and -w together: a dry run "
		    "watches nothing\n");
		usage(stderr);
		return STATUS_USAGE;
	}
	note_set_sink(say_note);
	if (say_quiet)
		say_verbose = 0;

	if ((pw = getpwuid(getuid())) == NULL) {
		fprintf(stderr, "syncmail: who am I? no passwd entry for uid "
		    "%ld\n", (long)getuid());
		return STATUS_CONFIG;
	}
	if ((home = getenv("HOME")) == NULL || home[0] != '/')
		home = pw->pw_dir;
	if (cfgpath == NULL && (cfgpath = default_config(home, defpath,
	    sizeof(defpath), why, sizeof(why))) == NULL) {
		fprintf(stderr, "syncmail: %s\n", why);
		return STATUS_CONFIG;
	}
	memset(&args, 0, sizeof(args));
	args.file = cfgpath;
	args.home = home;
	args.user = pw->pw_name;
	args.names = argv;
	args.nnames = argc;
	if (selection_load(&cur, &args, &err) == -1) {
		fprintf(stderr, "syncmail: %s\n", err.msg);
		if (err.kind == ERR_USAGE)
			usage(stderr);
		return status_of(&err);
	}
	sel = cur.at;
	nsel = cur.n;

	if (libssh2_init(0) != 0) {
		fprintf(stderr, "syncmail: libssh2_init failed\n");
		selection_free(&cur);
		return STATUS_TEMPFAIL;
	}
	/* Watched accounts are watched at the same time (SPEC 9). */
	if (o.watch)
		jobs = nsel > 0 ? (int)nsel : 1;
	/*
	 * Each account's ssh config was read by selection_load, once,
	 * before the sandbox closes: the sandbox allows what the targets
	 * name, and each account connects with its target (SPEC 6).  A
	 * config error there is one (SPEC 2: 78 stops everything before any
	 * account runs); any other failure the account reports when it
	 * runs, as the others run.
	 */
	status = STATUS_OK;
	for (i = 0; i < nsel; i++)
		if (!sel[i].resolved && sel[i].err.kind == ERR_CONFIG) {
			fprintf(stderr, "syncmail: %s: %s\n",
			    sel[i].acct->name, sel[i].err.msg);
			status = STATUS_CONFIG;
		}
	/*
	 * The processes that run the routes' pipes, before the sandbox:
	 * Landlock would forbid them exec (SPEC 8: commands run with the
	 * user's rights, outside it).  With -w each is started as its
	 * account's process is (watch_start).
	 */
	for (i = 0; i < nsel && status == STATUS_OK && !o.dryrun &&
	    !o.watch; i++)
		if (account_pipes(sel[i].acct) &&
		    runner_start(&sel[i].runner, &err) == -1) {
			fprintf(stderr, "syncmail: %s: %s\n",
			    sel[i].acct->name, err.msg);
			status = status_of(&err);
		}
	if (status != STATUS_OK) {
		libssh2_exit();
		selection_free(&cur);
		return status;
	}
	/*
	 * Before the fork and the sandbox: the accounts' processes take
	 * turns at the terminal through a lock they inherit (SPEC 6).
	 * Without one they must not run at once.  With -w a SIGHUP may
	 * add accounts: always the lock.
	 */
	if (prompt_init(isatty(STDERR_FILENO) && !say_quiet, o.watch ||
	    (jobs > 1 && nsel > 1), &err) == -1) {
		fprintf(stderr, "syncmail: %s: the accounts run one at a "
		    "time\n", err.msg);
		jobs = 1;
	}
	/* After libssh2_init: OpenSSL has read its config by now. */
	memset(&so, 0, sizeof(so));
	so.home = home;
	so.dryrun = o.dryrun;
	so.forks = jobs > 1 && nsel > 1;
	/*
	 * With -w the main process stays outside: it reads the config again
	 * at a SIGHUP, and each account's process enters its own sandbox
	 * (watch_start).
	 */
	if (!o.watch && sandbox_enter(sel, nsel, &so, &err) == -1) {
		fprintf(stderr, "syncmail: sandbox: %s\n", err.msg);
		libssh2_exit();
		selection_free(&cur);
		return status_of(&err);
	}
	if (!o.watch)
		fault_sandbox_probe();
	/*
	 * Until an account starts nothing is half done, so a signal keeps
	 * its default action and ends the process at once, even while the
	 * config or an ssh config is read; from here on the first one
	 * lets the accounts finish what is in flight.
	 */
	setup_signals(o.watch);
	if (o.watch)
		watch_signals();
	/* Before -j forks: the accounts' processes would each say it. */
	for (i = 0; i < nsel && !o.dryrun; i++)
		if (sel[i].acct->log_syslog) {
			mlog_syslog_check();
			break;
		}
	o.stop = &stop_requested;
	o.abort = &stop_now;
	if (o.watch) {
		so.forks = 0;
		status = watch_run(&cur, &args, &o, &so);
	} else
		status = run_accounts(sel, nsel, jobs, &o);
	prompt_finish();
	libssh2_exit();
	selection_free(&cur);
	fflush(NULL);
	if (stop_signal != 0)
		return 128 + stop_signal;
	return status;
}
