/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

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

void
say_warn(const char *account, const char *fmt, ...)
{
	va_list ap;

	say_progress_end();
	fflush(stdout);
	if (account != NULL)
		fprintf(stderr, "syncmail: %s: ", account);
	else
		fprintf(stderr, "syncmail: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

	if (say_quiet || !isatty(STDERR_FILENO))
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
