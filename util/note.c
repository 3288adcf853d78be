/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "util/note.h"

static note_sink *sink;
static struct timespec clock_start;

void
note_clock_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &clock_start);
}

long
note_clock(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - clock_start.tv_sec) * 1000 +
	    (now.tv_nsec - clock_start.tv_nsec) / 1000000;
}

void
note_set_sink(note_sink *fn)
{
	sink = fn;
}

void
note(int level, const char *account, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (sink == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sink(level, account, line);
}
