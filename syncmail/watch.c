/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Watch mode (watch.h, SPEC 9).  After the first run the account keeps
 * its connection and its locks, and every watch-interval seconds looks
 * at each pull's REMOTE/new.  A look that finds nothing new costs one
 * round trip: an LSTAT of every pull's new/ at once.  Only a pull whose
 * new/ may hold something is run, by pull_run, as a run without -w runs
 * it: SPEC 4 and 8's exactly-once rules hold unchanged, and a look is
 * simply a small run.
 *
 * When a new/ may hold something: its mtime moved since the STAT that
 * preceded the last listing; or that listing came within two seconds of
 * that mtime (SFTP v3 mtimes are whole seconds: a message delivered in
 * the same second, after the listing, leaves the mtime as it was); or
 * the last listing moved mail (max-messages, a cut-short listing or keep
 * may have left more); or ten looks went by without a listing, which
 * bounds what a server clock far behind ours, or a file system that
 * keeps no directory mtimes, can delay.
 *
 * A look is also the check that the connection lives (libssh2 1.10's
 * keepalives never read their replies): its STAT must be answered
 * within timeout.  A failed look reconnects at once; a failed reconnect
 * starts an outage, said once, tried again after 1 s, 2 s, 4 s, ... at
 * most 5 minutes, each delay up to half shorter at random (accounts cut
 * off together do not come back together), and its end said once.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "syncmail/say.h"
#include "syncmail/status.h"
#include "syncmail/watch.h"

#define WATCH_LIST_EVERY	10	/* a listing at least every tenth look */
#define WATCH_RACE_SECONDS	2	/* a listing this close to the mtime */
#define WATCH_BACKOFF_MAX_MS	(5 * 60 * 1000)

static volatile sig_atomic_t woken;	/* SIGUSR1: look now */

/* What the looks know of one pull's REMOTE/new. */
struct watch_pull {
	char		 path[8192];	/* REMOTE/new */
	int		 known;		/* mtime and listed_at are set */
	uint32_t	 mtime;		/* new/'s, by the STAT before the last listing */
	time_t		 listed_at;	/* our clock at that STAT */
	int		 looks;		/* looks since that listing */
	int		 again;		/* the last listing moved mail: list again */
	int		 have;		/* this look's STAT gave seen */
	uint32_t	 seen;
	char		 failed[sizeof(((struct error *)0)->msg)];
					/* the pull's last error, said once */
};

struct watch {
	const struct account *a;
	const struct run_options *o;
	struct account_live al;
	struct watch_pull *wp;		/* a->npulls */
	struct pull_stats st;		/* the whole watch's */
	int		 status;	/* the worst outcome of the messages */
};

static void
on_usr1(int sig)
{
	(void)sig;
	woken = 1;
}

/*
 * The handler of SIGUSR1, restarting interrupted calls or not: main's
 * wait for the accounts' processes must be woken to pass the signal on;
 * a process that looks must not see an EINTR it did not ask for in the
 * middle of a look (the sleep between looks, ppoll, is woken all the
 * same: it never restarts).
 */
static void
watch_handler(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigaction(SIGUSR1, &sa, NULL);
}

void
watch_signals(void)
{
	watch_handler(0);
}

int
watch_woken(void)
{
	int was = woken;

	woken = 0;
	return was;
}

static long long
ms_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

static long long
now_ms(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return ms_of(&t);
}

/*
 * Sleeps until the monotonic millisecond until, or a signal that stops
 * the account or asks for a look.  The signals are blocked between the
 * test of their flags and the sleep, which unblocks them (ppoll): one
 * that comes in between is not lost until the next look.
 */
static void
watch_sleep(const struct watch *w, long long until)
{
	sigset_t block, old;
	struct timespec left;
	long long ms;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	while (!*w->o->stop && !woken &&
	    (ms = until - now_ms(CLOCK_MONOTONIC)) > 0) {
		left.tv_sec = ms / 1000;
		left.tv_nsec = (ms % 1000) * 1000000;
		(void)ppoll(NULL, 0, &left, &old);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Whether err ends the watch of the account (SPEC 9): 1 or 0. */
static int
watch_permanent(const struct error *err)
{
	switch (status_of(err)) {
	case STATUS_NOHOST:
	case STATUS_PROTOCOL:
	case STATUS_NOPERM:
	case STATUS_CONFIG:
		return 1;
	}
	return 0;
}

/*
 * LSTATs every pull's new/ at once: one round trip.  Sets each pull's
 * have and seen.  A new/ that is missing, unreadable or no directory
 * (a symbolic link's own mtime says nothing of its target's entries)
 * has no mtime: that pull is listed, and the listing says what is
 * wrong.  Returns 0, or -1 with err set when the connection failed.
 */
static int
watch_stat(struct watch *w, struct error *err)
{
	struct sftp *c = &w->al.c;
	struct proto_reply rep;
	struct sftp_req q;
	struct watch_pull *p;
	struct error ignored;
	size_t i;
	int rc;

	for (i = 0; i < w->a->npulls; i++) {
		w->wp[i].have = 0;
		/* Too long for a packet: the pull's own run says so. */
		(void)sftp_send_lstat(c, w->wp[i].path, i, &ignored);
	}
	while (sftp_inflight(c) > 0) {
		if (sftp_pump(c, 1, err) == -1)
			return -1;
		while ((rc = sftp_reply(c, &rep, &q, err)) == 1) {
			if (q.tag >= w->a->npulls)
				continue;
			p = &w->wp[q.tag];
			if (rep.type == SSH_FXP_ATTRS &&
			    (rep.attrs.flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
			    (rep.attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
			    S_ISDIR(rep.attrs.permissions)) {
				p->have = 1;
				p->seen = rep.attrs.mtime;
			}
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Whether pull p's new/ may hold something new (see the top): 1 or 0. */
static int
watch_due(const struct watch_pull *p)
{
	return !p->known || !p->have || p->again || p->seen != p->mtime ||
	    p->listed_at - (time_t)p->mtime <= WATCH_RACE_SECONDS ||
	    p->looks >= WATCH_LIST_EVERY;
}

/*
 * A pull that failed alone (its remote Maildir cannot be listed, a
 * local error): warned about when the error is new, at -v when it is
 * the one said last, so that a mailbox gone for a day does not fill the
 * log with one line a look.
 */
static void
watch_pull_failed(struct watch *w, struct watch_pull *p,
    const struct error *err)
{
	if (strcmp(p->failed, err->msg) == 0) {
		say_info(1, w->a->name, "%s (still)", err->msg);
		return;
	}
	say_warn(w->a->name, "%s", err->msg);
	strlcpy(p->failed, err->msg, sizeof(p->failed));
}

/*
 * One look: the STAT of every new/, then a run of each pull that may
 * have something (all of them when all is set: the first run, and the
 * first look on a new connection).  Returns 0, or -1 with err set when
 * the connection failed; a pull that failed alone is warned about.
 */
static int
watch_look(struct watch *w, int all, struct error *err)
{
	struct watch_pull *p;
	struct timespec deadline;
	uint64_t before;
	time_t at;
	size_t i;
	int rc;

	/* Each look is a run: its own deadline, its own timeout. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += w->a->deadline;
	w->al.s.deadline = deadline;
	session_progress(&w->al.s);
	at = time(NULL);
	if (watch_stat(w, err) == -1)
		return -1;
	for (i = 0; i < w->a->npulls && !*w->o->stop; i++) {
		p = &w->wp[i];
		p->looks++;
		if (!all && !watch_due(p))
			continue;
		before = w->st.moved;
		rc = account_pull(&w->al, i, &w->st, err);
		if (rc == -1 && err->kind != ERR_MAILBOX)
			return -1;
		p->looks = 0;
		if (rc == -1) {
			watch_pull_failed(w, p, err);
			p->known = 0;
			continue;
		}
		w->status = status_worst(w->status, rc);
		p->failed[0] = '\0';
		p->known = p->have;
		p->mtime = p->seen;
		p->listed_at = at;
		p->again = w->st.moved > before;
	}
	return 0;
}

/*
 * The next delay of an outage after tries failed reconnects: 1 s
 * doubling to WATCH_BACKOFF_MAX_MS, less up to half of it at random.
 */
static long long
watch_backoff(int tries)
{
	long long ms = 1000;

	while (--tries > 0 && ms < WATCH_BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > WATCH_BACKOFF_MAX_MS)
		ms = WATCH_BACKOFF_MAX_MS;
	return ms - arc4random_uniform((uint32_t)(ms / 2) + 1);
}

/*
 * The first run: as account_run, with its progress, its -v total and
 * its line in the log.  Returns 0 connected, or -1 with err set and
 * said: as a run without -w says it when it ends the watch, else with
 * the news that the watch goes on trying.
 */
static int
watch_first(struct watch *w, struct error *err)
{
	struct timespec start, end;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	say_progress_start(w->a->name);
	if ((rc = account_connect(&w->al, w->a->deadline, err)) == 0 &&
	    (rc = watch_look(w, 1, err)) == -1)
		account_drop(&w->al);
	if (*w->o->stop && !*w->o->abort)
		say_stopping(0);
	say_progress_finish();
	if (w->st.moved > 0)
		say_info(1, w->a->name, "%llu messages, %llu bytes",
		    (unsigned long long)w->st.moved,
		    (unsigned long long)w->st.bytes);
	if (rc == -1 && watch_permanent(err)) {
		say_warn(w->a->name, "%s", err->msg);
		w->status = status_worst(w->status, status_of(err));
	} else if (rc == -1)
		say_warn(w->a->name, "%s; trying again, less and less often",
		    err->msg);
	clock_gettime(CLOCK_MONOTONIC, &end);
	mlog_run(&w->al.log, rc == 0 ? w->status : status_of(err),
	    w->st.moved, w->st.bytes, (long)(ms_of(&end) - ms_of(&start)));
	return rc;
}

/*
 * The watch after the first run, until a stop or a permanent failure.
 * Returns the worst status of the messages and that failure.
 */
static int
watch_loop(struct watch *w, int connected)
{
	const struct account *a = w->a;
	struct error err;
	long long next, now, late, gap, lastgap, down = 0;
	long long interval = (long long)a->watch_interval * 1000;
	int tries = connected ? 0 : 1, said = !connected, all = 0;

	lastgap = now_ms(CLOCK_BOOTTIME) - now_ms(CLOCK_MONOTONIC);
	now = now_ms(CLOCK_MONOTONIC);
	next = now + (connected ? interval : watch_backoff(tries));
	if (!connected)
		down = now;
	while (!*w->o->stop) {
		/* A look longer than the interval is not lateness. */
		if ((now = now_ms(CLOCK_MONOTONIC)) > next)
			next = now;
		watch_sleep(w, next);
		if (*w->o->stop)
			break;
		/* Asked for by a person: a full look, the STAT trusted in nothing. */
		if (woken)
			all = 1;
		woken = 0;
		now = now_ms(CLOCK_MONOTONIC);
		/*
		 * A resume from suspend: the boot clock ran on while the
		 * monotonic one stood still, or a look far overdue (a
		 * stopped process, a clock that counts suspend too).  The
		 * connection is likely dead and would take a timeout to
		 * say so: a new one is quicker.
		 */
		gap = now_ms(CLOCK_BOOTTIME) - now;
		late = now - next;
		if (w->al.connected && (gap - lastgap > 1000 ||
		    late > 2 * interval)) {
			say_info(1, a->name, "resumed after %lld s: "
			    "reconnecting", (gap - lastgap > late ?
			    gap - lastgap : late) / 1000);
			account_drop(&w->al);
		}
		lastgap = gap;
		if (!w->al.connected) {
			if (account_connect(&w->al, a->deadline, &err) == -1) {
				if (watch_permanent(&err)) {
					say_warn(a->name, "%s; no longer "
					    "watched", err.msg);
					return status_worst(w->status,
					    status_of(&err));
				}
				if (tries++ == 0) {
					down = now;
					said = 1;
					say_warn(a->name, "%s; trying again, "
					    "less and less often", err.msg);
				} else
					say_info(2, a->name, "%s", err.msg);
				next = now_ms(CLOCK_MONOTONIC) +
				    watch_backoff(tries);
				continue;
			}
			if (said)
				say_warn(a->name, "connected again, after "
				    "%lld s and %d tries", (now_ms(
				    CLOCK_MONOTONIC) - down + 500) / 1000,
				    tries + 1);
			tries = said = 0;
			all = 1;
		}
		next = now_ms(CLOCK_MONOTONIC) + interval;
		if (watch_look(w, all, &err) == -1) {
			if (*w->o->abort)
				break;
			/* Healed by the first reconnect, this says nothing. */
			say_info(1, a->name, "%s: reconnecting", err.msg);
			account_drop(&w->al);
			next = now_ms(CLOCK_MONOTONIC);
			continue;
		}
		all = 0;
	}
	if (!*w->o->abort && w->al.connected)
		say_stopping(0);
	return w->status;
}

int
watch_account(const struct account_target *at, const struct run_options *o)
{
	struct watch w;
	struct timespec start;
	struct error err;
	size_t i, len;
	int status;

	watch_handler(SA_RESTART);
	memset(&w, 0, sizeof(w));
	w.a = at->acct;
	w.o = o;
	w.status = STATUS_OK;
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (account_open(&w.al, at, o, &err) == -1) {
		say_warn(w.a->name, "%s", err.msg);
		return account_close(&w.al, status_of(&err), NULL, NULL);
	}
	if ((w.wp = calloc(w.a->npulls, sizeof(*w.wp))) == NULL) {
		say_warn(w.a->name, "out of memory");
		return account_close(&w.al, STATUS_PARTIAL, NULL, NULL);
	}
	for (i = 0; i < w.a->npulls; i++) {
		/* As pull_run names it: without trailing slashes. */
		len = strlcpy(w.wp[i].path, w.a->pulls[i].remote,
		    sizeof(w.wp[i].path));
		while (len > 1 && len < sizeof(w.wp[i].path) &&
		    w.wp[i].path[len - 1] == '/')
			w.wp[i].path[--len] = '\0';
		strlcat(w.wp[i].path, "/new", sizeof(w.wp[i].path));
	}
	if (watch_first(&w, &err) == -1 && watch_permanent(&err))
		status = w.status;
	else
		status = watch_loop(&w, w.al.connected);
	free(w.wp);
	return account_close(&w.al, status, &w.st, &start);
}
