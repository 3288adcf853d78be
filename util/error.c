#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

int
error_set(struct error *e, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->status = status;
	return -1;
}

int
error_errno(struct error *e, int status, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(saved));
	e->status = status;
	errno = saved;
	return -1;
}

int
error_vat(struct error *e, int status, const char *file, int line,
    const char *fmt, va_list ap)
{
	int n;

	n = snprintf(e->msg, sizeof(e->msg), "%s:%d: ", file, line);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	e->status = status;
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
	e->status = 0;
	e->msg[0] = '\0';
}

static int
status_rank(int s)
{
	switch (s) {
	case STATUS_OK:
		return 0;
	case STATUS_TEMPFAIL:
		return 1;
	case STATUS_PROTOCOL:
		return 2;
	case STATUS_NOPERM:
		return 3;
	default:
		return 4;	/* 1 and anything unexpected rank worst */
	}
}

int
status_worst(int a, int b)
{
	return status_rank(a) >= status_rank(b) ? a : b;
}
