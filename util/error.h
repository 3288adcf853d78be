/*
 * An error carries its whole context (account, path, operation, cause) in
 * one message, filled where the failure happens, and a sysexits(3) status
 * that tells the caller what kind of failure it was.  Code under sftp/ and
 * maildir/ only fills these; main() reports them.
 */
#ifndef SYNCMAIL_ERROR_H
#define SYNCMAIL_ERROR_H

#include <stdarg.h>

/* Exit statuses from SPEC section 2, in sysexits(3) numbering. */
#define STATUS_OK		0
#define STATUS_PARTIAL		1	/* some messages could not be moved */
#define STATUS_USAGE		64
#define STATUS_TEMPFAIL		75	/* network, timeout, lock held */
#define STATUS_PROTOCOL		76	/* no algorithm in common with the server */
#define STATUS_NOPERM		77	/* auth failed, host key unknown/changed */
#define STATUS_CONFIG		78

struct error {
	int	 status;	/* one of STATUS_*, 0 while unset */
	char	 msg[1024];
};

/* Sets the message from fmt and the status; returns -1 for "return error_set(...)". */
int	 error_set(struct error *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* As error_set, with ": strerror(errno)" appended. */
int	 error_errno(struct error *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * As error_set, the message prefixed by "file:line: ", as every config
 * reader reports where it stopped.  The va_list form is for their own
 * printf-like wrappers.
 */
int	 error_vat(struct error *, int status, const char *file, int line,
	    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Prepends "prefix: " to an already set message. */
void	 error_prefix(struct error *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 error_clear(struct error *);

/* The worst of two statuses in the order 1 > 77 > 76 > 75 > 0 (SPEC 2). */
int	 status_worst(int, int);

#endif
