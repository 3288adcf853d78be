/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/ioctl.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "syncmail/say.h"
#include "util/prompt.h"

#define REDRAW_MS	100	/* the line in place: at most this often */
#define LINE_MS		5000	/* a shared terminal's lines: this often */
#define RATE_MS		5000	/* the rate is over this much of the past */
#define RATE_MIN_MS	500	/* and is not shown over less */
#define SAMPLES		64	/* RATE_MS / REDRAW_MS, and some */
#define PROGRESS_MAX	512	/* a progress line's bytes, escapes included */

int say_verbose;
int say_quiet;

/* What the account has moved at one time: the rate's window. */
struct sample {
	long long	 ms;
	uint64_t	 bytes;
};

/*
 * The one progress line of this process: accounts run one after the
 * other in it (-j runs each in a process of its own).
 */
static struct {
	int		 checked, on;	/* on: a terminal, and no -q */
	int		 shared;	/* say_progress_shared */
	int		 stop_said;
	const char	*account;
	int		 shown;		/* the line in place is on the screen */
	int		 drawn;		/* a line was drawn for this account */
	long long	 last_ms;	/* its last sample */
	long long	 line_ms;	/* the last whole line (shared) */
	long long	 start_ms;	/* the first numbers with work in them */
	uint64_t	 done, total, bytes, totalbytes;	/* earlier pulls' */
	uint64_t	 cdone, ctotal, cbytes, ctotalbytes;	/* this pull's */
	uint64_t	 line_done, line_bytes;	/* what the last line said */
	struct sample	 s[SAMPLES];
	size_t		 ns, head;	/* s[head] is the oldest */
} pg;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Writes all of buf to stderr in one write(2) when the terminal takes
 * it: a line of one process never has another's in its middle.
 */
static void
put(const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Whether progress is shown: decided once, -q being read by then. */
static int
progress_on(void)
{
	if (!pg.checked) {
		pg.checked = 1;
		pg.on = !say_quiet && isatty(STDERR_FILENO);
	}
	return pg.on;
}

/*
 * Clears the line in place, so that other text can take its row.  A
 * passphrase prompt another process shows has cleared it already.
 */
static void
progress_clear(void)
{
	if (!pg.shown)
		return;
	pg.shown = 0;
	if (!prompt_screen_take(0))
		return;
	put("\r\033[K", 4);
	prompt_screen_done();
}

static void	vline(FILE *, const char *, const char *, const char *,
		    va_list) __attribute__((format(printf, 4, 0)));

/*
 * prefix, "ACCOUNT: " when account is set, the message and a newline,
 * to f in one write: cut at 8 KiB, which no message of ours reaches.
 */
static void
vline(FILE *f, const char *prefix, const char *account, const char *fmt,
    va_list ap)
{
	char buf[8192];
	int n, m;

	if (account != NULL)
		n = snprintf(buf, sizeof(buf), "%s%s: ", prefix, account);
	else
		n = snprintf(buf, sizeof(buf), "%s", prefix);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		n = 0;
	m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	if ((size_t)m >= sizeof(buf) - n - 1)
		m = (int)(sizeof(buf) - n - 2);
	n += m;
	buf[n++] = '\n';
	if (f == stderr)
		put(buf, (size_t)n);
	else {
		fwrite(buf, 1, (size_t)n, f);
		fflush(f);
	}
}

/*
 * Where progress may be drawn, the line first clears the one the cursor
 * is on, which can be an unfinished line of another process (a prompt
 * given up, a redraw): that one is drawn again below.
 */
void
say_warn(const char *account, const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fflush(stdout);
	va_start(ap, fmt);
	vline(stderr, progress_on() ? "\r\033[Ksyncmail: " : "syncmail: ",
	    account, fmt, ap);
	va_end(ap);
}

void
say_info(int level, const char *account, const char *fmt, ...)
{
	va_list ap;

	if (say_verbose < level)
		return;
	progress_clear();
	va_start(ap, fmt);
	vline(stdout, "", account, fmt, ap);
	va_end(ap);
}

void
say_out(const char *account, const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	va_start(ap, fmt);
	vline(stdout, "", account, fmt, ap);
	va_end(ap);
}

void
say_note(int level, const char *account, const char *line)
{
	if (level == 0)
		say_warn(account, "%s", line);
	else
		say_info(level, account, "%s", line);
}

/* The terminal's width, read each time: it may have been resized. */
static size_t
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0)
		return 80;
	return ws.ws_col;
}

/* "1.2/4.5 MB": both in the unit of the total. */
static void
fmt_bytes(char *buf, size_t size, uint64_t done, uint64_t total)
{
	if (total < 1024 * 1024)
		snprintf(buf, size, "%.0f/%.0f kB", done / 1024.0,
		    total / 1024.0);
	else if (total < 1024ULL * 1024 * 1024)
		snprintf(buf, size, "%.1f/%.1f MB", done / 1048576.0,
		    total / 1048576.0);
	else
		snprintf(buf, size, "%.2f/%.2f GB", done / 1073741824.0,
		    total / 1073741824.0);
}

static void
fmt_rate(char *buf, size_t size, double rate)
{
	if (rate < 1024 * 1024)
		snprintf(buf, size, "%.0f kB/s", rate / 1024);
	else
		snprintf(buf, size, "%.1f MB/s", rate / 1048576);
}

static void
fmt_time(char *buf, size_t size, const char *before, double secs,
    const char *after)
{
	long long s = (long long)(secs + 0.5);

	if (s >= 100 * 3600)
		snprintf(buf, size, "%s>99h%s", before, after);
	else if (s >= 3600)
		snprintf(buf, size, "%s%lldh%02lldm%s", before, s / 3600,
		    s / 60 % 60, after);
	else if (s >= 60)
		snprintf(buf, size, "%s%lldm%02llds%s", before, s / 60, s % 60,
		    after);
	else
		snprintf(buf, size, "%s%llds%s", before, s, after);
}

/*
 * Bytes per second over the last RATE_MS, from the samples; -1 while
 * they span less than RATE_MIN_MS.
 */
static double
rate_now(long long now, uint64_t bytes)
{
	const struct sample *o;
	size_t i;

	for (i = 0; i < pg.ns; i++) {
		o = &pg.s[(pg.head + i) % SAMPLES];
		if (now - o->ms <= RATE_MS)
			break;
	}
	if (i == pg.ns)
		return -1;
	if (now - o->ms < RATE_MIN_MS || bytes < o->bytes)
		return -1;
	return (double)(bytes - o->bytes) * 1000 / (double)(now - o->ms);
}

static void
sample_add(long long now, uint64_t bytes)
{
	struct sample *s;

	if (pg.ns < SAMPLES)
		s = &pg.s[(pg.head + pg.ns++) % SAMPLES];
	else {
		s = &pg.s[pg.head];
		pg.head = (pg.head + 1) % SAMPLES;
	}
	s->ms = now;
	s->bytes = bytes;
}

/*
 * The account's line, at most width bytes (account names are ASCII, so
 * bytes are columns), into buf of PROGRESS_MAX bytes.  Fields that do not
 * fit are dropped from the right; the first is cut if even it is too
 * wide.  final: the rate is the whole run's and the time the run took.
 */
static size_t
progress_format(char *buf, size_t width, long long now, int final)
{
	uint64_t done = pg.done + pg.cdone, total = pg.total + pg.ctotal;
	uint64_t bytes = pg.bytes + pg.cbytes;
	uint64_t totalbytes = pg.totalbytes + pg.ctotalbytes;
	char f[5][128];
	double rate, pct;
	size_t len, flen, i, n = 0;

	snprintf(f[n++], sizeof(f[0]), "%s: %llu/%llu messages", pg.account,
	    (unsigned long long)done, (unsigned long long)total);
	fmt_bytes(f[n++], sizeof(f[0]), bytes, totalbytes);
	if (totalbytes > 0)
		pct = (double)bytes * 100 / (double)totalbytes;
	else
		pct = total > 0 ? (double)done * 100 / (double)total : 100;
	snprintf(f[n++], sizeof(f[0]), "%d%%", pct > 100 ? 100 : (int)pct);
	if (final) {
		if (pg.start_ms != 0 && now - pg.start_ms >= RATE_MIN_MS) {
			fmt_rate(f[n++], sizeof(f[0]), (double)bytes * 1000 /
			    (double)(now - pg.start_ms));
			fmt_time(f[n++], sizeof(f[0]), "in ",
			    (now - pg.start_ms) / 1000.0, "");
		}
	} else if ((rate = rate_now(now, bytes)) >= 0) {
		fmt_rate(f[n++], sizeof(f[0]), rate);
		if (rate > 0 && totalbytes > bytes)
			fmt_time(f[n++], sizeof(f[0]), "",
			    (double)(totalbytes - bytes) / rate, " left");
	}
	if (width > PROGRESS_MAX - 1)
		width = PROGRESS_MAX - 1;
	len = strlcpy(buf, f[0], PROGRESS_MAX);
	if (len > width)
		len = width;
	buf[len] = '\0';
	for (i = 1; i < n; i++) {
		flen = strlen(f[i]);
		if (len + 2 + flen > width)
			break;
		memcpy(buf + len, ", ", 2);
		memcpy(buf + len + 2, f[i], flen + 1);
		len += 2 + flen;
	}
	return len;
}

/*
 * Draws the line: in place ("\r", the line, clear to its end), or, on a
 * shared terminal, as a whole line ("\r", clear, the line, newline).
 * One column is left free: a line that fills the last one makes some
 * terminals wrap at once.
 */
static void
progress_draw(long long now, int final)
{
	char line[PROGRESS_MAX], out[PROGRESS_MAX + 16];
	size_t width, len, n = 0;

	/*
	 * Not over another account's passphrase prompt: a redraw waits for
	 * the next one, the account's last line for the prompt's answer.
	 */
	if (!prompt_screen_take(final))
		return;
	width = term_width();
	width = width > 1 ? width - 1 : 1;
	len = progress_format(line, width, now, final);
	/*
	 * A whole line (shared) first clears the row the cursor is on: a
	 * prompt of another account's process may have been left there
	 * unanswered (the process killed).
	 */
	out[n++] = '\r';
	if (pg.shared) {
		memcpy(out + n, "\033[K", 3);
		n += 3;
	}
	memcpy(out + n, line, len);
	n += len;
	if (!pg.shared) {
		memcpy(out + n, "\033[K", 3);
		n += 3;
	}
	if (final || pg.shared)
		out[n++] = '\n';
	put(out, n);
	prompt_screen_done();
	pg.shown = !final && !pg.shared;
	pg.drawn = 1;
}

void
say_progress_shared(void)
{
	pg.shared = 1;
}

void
say_progress_start(const char *account)
{
	int checked = pg.checked, on = pg.on, shared = pg.shared;
	int stop_said = pg.stop_said;

	progress_clear();
	memset(&pg, 0, sizeof(pg));
	pg.checked = checked;
	pg.on = on;
	pg.shared = shared;
	pg.stop_said = stop_said;
	pg.account = account;
}

void
say_progress(uint64_t done, uint64_t total, uint64_t bytes,
    uint64_t totalbytes)
{
	long long now;

	if (pg.account == NULL || !progress_on())
		return;
	pg.cdone = done;
	pg.ctotal = total;
	pg.cbytes = bytes;
	pg.ctotalbytes = totalbytes;
	if (pg.total + total == 0)
		return;
	/* Called at each turn of the transfer loop: mostly nothing to do. */
	now = now_ms();
	if (pg.start_ms == 0) {
		pg.start_ms = now;
		pg.line_ms = now;
	} else if (now - pg.last_ms < REDRAW_MS)
		return;
	pg.last_ms = now;
	sample_add(now, pg.bytes + bytes);
	if (!pg.shared) {
		progress_draw(now, 0);
		return;
	}
	if (now - pg.line_ms < LINE_MS || (pg.done + done == pg.line_done &&
	    pg.bytes + bytes == pg.line_bytes))
		return;
	pg.line_ms = now;
	pg.line_done = pg.done + done;
	pg.line_bytes = pg.bytes + bytes;
	progress_draw(now, 0);
}

void
say_progress_pull_end(void)
{
	pg.done += pg.cdone;
	pg.total += pg.ctotal;
	pg.bytes += pg.cbytes;
	pg.totalbytes += pg.ctotalbytes;
	pg.cdone = pg.ctotal = pg.cbytes = pg.ctotalbytes = 0;
}

void
say_progress_finish(void)
{
	if (pg.account == NULL)
		return;
	say_progress_pull_end();
	if (progress_on() && (pg.drawn || pg.total > 0))
		progress_draw(now_ms(), 1);
	pg.account = NULL;
	pg.shown = 0;
}

void
say_stopping(uint64_t inflight)
{
	char buf[256];
	int n;

	if (pg.stop_said || !progress_on())
		return;
	pg.stop_said = 1;
	progress_clear();
	n = snprintf(buf, sizeof(buf), "\r\033[Ksyncmail: %s%sstopping: finishing "
	    "%llu message%s in flight; interrupt again to stop at once\n",
	    pg.account != NULL ? pg.account : "",
	    pg.account != NULL ? ": " : "", (unsigned long long)inflight,
	    inflight == 1 ? "" : "s");
	if (n > 0)
		put(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
