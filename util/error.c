/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

int
error_set(struct error *e, int kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->kind = kind;
	return -1;
}

int
error_errno(struct error *e, int kind, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(saved));
	e->kind = kind;
	errno = saved;
	return -1;
}

int
error_vat(struct error *e, int kind, const char *file, int line,
    const char *fmt, va_list ap)
{
	int n;

	n = snprintf(e->msg, sizeof(e->msg), "%s:%d: ", file, line);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	e->kind = kind;
	return -1;
}

void
error_prefix(struct error *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;
	int n;

	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(e->msg))
		return;
	strlcat(e->msg, ": ", sizeof(e->msg));
	strlcat(e->msg, old, sizeof(e->msg));
}

void
error_clear(struct error *e)
{
	e->kind = ERR_NONE;
	e->msg[0] = '\0';
}
