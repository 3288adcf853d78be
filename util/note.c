/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <stdarg.h>
#include <stdio.h>

#include "util/note.h"

static note_sink *sink;

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
