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
 * a second to stop at once (on_signal).  SIGPIPE is ignored so that a
 * proxy command or server gone away is a write error, not our death.
 * Child processes for -j inherit all of it.
 */
static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a wait must wake up to see the signal. */
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Over a file size limit, write() must fail, not kill us mid-message. */
	sigaction(SIGXFSZ, &sa, NULL);
}

/* One account's run, or with -w its first run and its watch. */
static int
run_account(const struct account_target *at, const struct run_options *o)
{
	return o->watch ? watch_account(at, o) : account_run(at, o);
}

/* Frees the selected accounts' targets and the array; NULL is fine. */
static void
selected_free(struct account_target *sel, size_t nsel)
{
	size_t i;

	if (sel == NULL)
		return;
	for (i = 0; i < nsel; i++)
		account_target_free(&sel[i]);
	free(sel);
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
	pid_t pid, parent = getpid();

	if (jobs <= 1 || nsel <= 1) {
		for (i = 0; i < nsel && !stop_requested; i++)
			status = status_worst(status, run_account(&sel[i], o));
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

				/*
				 * A watch never ends on its own: one whose
				 * parent was killed stops as at a SIGTERM
				 * (where the platform can say so).
				 */
				if (o->watch &&
				    compat_parent_death_signal(SIGTERM) == 0 &&
				    getppid() != parent)
					raise(SIGTERM);
				/* Only its own runner: the others' must see
				 * their engine go when it does. */
				for (i = 0; i < nsel; i++)
					if (i != next)
						runner_detach(&sel[i].runner);
				rc = run_account(&sel[next], o);

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
			if (o->watch && watch_woken())
				for (i = 0; i < next; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGUSR1);
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
 * In order: --help or --version alone, the flags, the user and home
 * directory, the config file, the accounts named (in config order, or
 * all), libssh2, each account's ssh config, the sandbox, the signal
 * handlers, then the accounts.  Every early failure returns its status
 * after freeing what was made.  Returns the worst account status, or
 * 128 + the number of a signal once one came, as a shell reports it.
 */
int
main(int argc, char *argv[])
{
	struct config cfg;
	struct error err;
	struct run_options o;
	struct sandbox_options so;
	struct account_target *sel = NULL;
	struct passwd *pw;
	const char *home, *cfgpath = NULL;
	char defpath[4096], why[9000], *end;
	size_t nsel = 0, i;
	int ch, jobs = 1, status;
	long l;

	memset(&cfg, 0, sizeof(cfg));
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
	if (config_load(cfgpath, home, pw->pw_name, &cfg, &err) == -1) {
		fprintf(stderr, "syncmail: %s\n", err.msg);
		return STATUS_CONFIG;
	}
	if ((sel = calloc(cfg.naccounts + 1, sizeof(*sel))) == NULL) {
		fprintf(stderr, "syncmail: out of memory\n");
		config_free(&cfg);
		return STATUS_PARTIAL;
	}
	if (argc == 0) {
		for (i = 0; i < cfg.naccounts; i++)
			sel[nsel++].acct = &cfg.accounts[i];
	} else {
		/* Config order, whatever the order on the command line. */
		for (ch = 0; ch < argc; ch++)
			if (config_account(&cfg, argv[ch]) == NULL) {
				fprintf(stderr, "syncmail: no account \"%s\" "
				    "in %s\n", argv[ch], cfgpath);
				usage(stderr);
				free(sel);
				config_free(&cfg);
				return STATUS_USAGE;
			}
		for (i = 0; i < cfg.naccounts; i++)
			for (ch = 0; ch < argc; ch++)
				if (strcmp(cfg.accounts[i].name, argv[ch]) == 0) {
					sel[nsel++].acct = &cfg.accounts[i];
					break;
				}
	}

	if (libssh2_init(0) != 0) {
		fprintf(stderr, "syncmail: libssh2_init failed\n");
		free(sel);
		config_free(&cfg);
		return STATUS_TEMPFAIL;
	}
	/* Watched accounts are watched at the same time (SPEC 9). */
	if (o.watch)
		jobs = nsel > 0 ? (int)nsel : 1;
	/*
	 * Each account's ssh config is read here, once, before the sandbox
	 * closes: the sandbox allows what the targets name, and each account
	 * connects with its target (SPEC 6).  A config error there is one
	 * (SPEC 2: 78 stops everything before any account runs); any other
	 * failure the account reports when it runs, as the others run.
	 */
	status = STATUS_OK;
	for (i = 0; i < nsel; i++) {
		account_resolve(&sel[i], sel[i].acct, home, pw->pw_name);
		if (!sel[i].resolved && sel[i].err.kind == ERR_CONFIG) {
			fprintf(stderr, "syncmail: %s: %s\n",
			    sel[i].acct->name, sel[i].err.msg);
			status = STATUS_CONFIG;
		}
	}
	/*
	 * The processes that run the routes' pipes, before the sandbox:
	 * Landlock would forbid them exec (SPEC 8: commands run with the
	 * user's rights, outside it).
	 */
	for (i = 0; i < nsel && status == STATUS_OK && !o.dryrun; i++)
		if (account_pipes(sel[i].acct) &&
		    runner_start(&sel[i].runner, &err) == -1) {
			fprintf(stderr, "syncmail: %s: %s\n",
			    sel[i].acct->name, err.msg);
			status = status_of(&err);
		}
	if (status != STATUS_OK) {
		libssh2_exit();
		selected_free(sel, nsel);
		config_free(&cfg);
		return status;
	}
	/*
	 * Before the fork and the sandbox: the accounts' processes take
	 * turns at the terminal through a lock they inherit (SPEC 6).
	 * Without one they must not run at once.
	 */
	if (prompt_init(isatty(STDERR_FILENO) && !say_quiet, jobs > 1 &&
	    nsel > 1, &err) == -1) {
		fprintf(stderr, "syncmail: %s: the accounts run one at a "
		    "time\n", err.msg);
		jobs = 1;
	}
	/* After libssh2_init: OpenSSL has read its config by now. */
	memset(&so, 0, sizeof(so));
	so.home = home;
	so.dryrun = o.dryrun;
	so.forks = jobs > 1 && nsel > 1;
	if (sandbox_enter(sel, nsel, &so, &err) == -1) {
		fprintf(stderr, "syncmail: sandbox: %s\n", err.msg);
		libssh2_exit();
		selected_free(sel, nsel);
		config_free(&cfg);
		return status_of(&err);
	}
	fault_sandbox_probe();
	/*
	 * Until an account starts nothing is half done, so a signal keeps
	 * its default action and ends the process at once, even while the
	 * config or an ssh config is read; from here on the first one
	 * lets the accounts finish what is in flight.
	 */
	setup_signals();
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
	status = run_accounts(sel, nsel, jobs, &o);
	prompt_finish();
	libssh2_exit();
	selected_free(sel, nsel);
	config_free(&cfg);
	fflush(NULL);
	if (stop_signal != 0)
		return 128 + stop_signal;
	return status;
}
