/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "syncmail/say.h"
#include "util/prompt.h"

int say_verbose;
int say_quiet;

static int progress_shown;
static struct timespec progress_last;

/*
 * Whether progress lines may be on stderr's terminal: drawn by this
 * process or, with -j, by another account's.
 */
static int
progress_possible(void)
{
	return !say_quiet && isatty(STDERR_FILENO);
}

/*
 * The line goes out in one write: with -j another account's process
 * writes to the same terminal, and a progress redraw (which begins with
 * a carriage return) between the pieces of a line would overwrite its
 * start.  Where progress may be drawn, the line first clears the one
 * the cursor is on, which can be another account's unfinished progress
 * line: that one is drawn again below.
 */
void
say_warn(const char *account, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	size_t n, off = 0;
	ssize_t w;
	int len;

	say_progress_end();
	fflush(stdout);
	len = snprintf(line, sizeof(line), "%ssyncmail: %s%s",
	    progress_possible() ? "\r\033[K" : "", account != NULL ? account :
	    "", account != NULL ? ": " : "");
	n = len < 0 ? 0 : (size_t)len;
	va_start(ap, fmt);
	if (n < sizeof(line) &&
	    (len = vsnprintf(line + n, sizeof(line) - n, fmt, ap)) > 0)
		n += (size_t)len;
	va_end(ap);
	/* a long message is cut, but still ends its line */
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fflush(stderr);
	while (off < n) {
		if ((w = write(STDERR_FILENO, line + off, n - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
}

static void	vout(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
vout(const char *account, const char *fmt, va_list ap)
{
	say_progress_end();
	if (account != NULL)
		printf("%s: ", account);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void
say_info(int level, const char *account, const char *fmt, ...)
{
	va_list ap;

	if (say_verbose < level)
		return;
	va_start(ap, fmt);
	vout(account, fmt, ap);
	va_end(ap);
}

void
say_out(const char *account, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout(account, fmt, ap);
	va_end(ap);
}

void
say_progress(const char *account, uint64_t done, uint64_t total,
    uint64_t bytes, uint64_t totalbytes, int final)
{
	struct timespec now;
	long ms;

	if (!progress_possible())
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - progress_last.tv_sec) * 1000 +
	    (now.tv_nsec - progress_last.tv_nsec) / 1000000;
	if (!final && progress_shown && ms < 100)
		return;
	/*
	 * Not over another account's passphrase prompt: a redraw waits for
	 * the next one, the account's last line for the prompt's answer.
	 */
	if (!prompt_screen_take(final))
		return;
	progress_last = now;
	fprintf(stderr, "\r\033[K%s: %llu/%llu messages, %.1f/%.1f MB",
	    account, (unsigned long long)done, (unsigned long long)total,
	    bytes / 1048576.0, totalbytes / 1048576.0);
	if (final) {
		fputc('\n', stderr);
		progress_shown = 0;
	} else
		progress_shown = 1;
	fflush(stderr);
	prompt_screen_done();
}

void
say_progress_end(void)
{
	if (!progress_shown)
		return;
	progress_shown = 0;
	/* a prompt shown elsewhere has cleared the line already */
	if (!prompt_screen_take(0))
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	prompt_screen_done();
}

void
say_note(int level, const char *account, const char *line)
{
	if (level == 0)
		say_warn(account, "%s", line);
	else
		say_info(level, account, "%s", line);
}
