/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * An error carries its whole context (account, path, operation, cause) in
 * one message, filled where the failure happens, and its kind: what went
 * wrong, not what it means for the exit status.  Code under sftp/ and
 * maildir/ only fills these; the program reports them, and maps each kind
 * to an exit status in one place (syncmail/status.c).
 */
#ifndef SYNCMAIL_ERROR_H
#define SYNCMAIL_ERROR_H

#include <stdarg.h>

enum error_kind {
	ERR_NONE = 0,	/* unset */
	ERR_MAILBOX,	/* one message or one Maildir, here or on the server;
			   the account's other work goes on */
	ERR_TRANSIENT,	/* the network, a timeout, a lock held: a later run
			   may succeed */
	ERR_NOHOST,	/* the resolver says the host name does not exist */
	ERR_NOALGO,	/* no algorithm in common with the server */
	ERR_DENIED,	/* authentication refused, a host key unknown or
			   changed */
	ERR_CONFIG,	/* a configuration file is wrong */
	ERR_USAGE	/* the command line is wrong */
};

struct error {
	int	 kind;		/* enum error_kind */
	char	 msg[1024];
};

/* Sets the message from fmt and the kind; returns -1 for "return error_set(...)". */
int	 error_set(struct error *, int kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* As error_set, with ": strerror(errno)" appended. */
int	 error_errno(struct error *, int kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * As error_set, the message prefixed by "file:line: ", as every config
 * reader reports where it stopped.  The va_list form is for their own
 * printf-like wrappers.
 */
int	 error_vat(struct error *, int kind, const char *file, int line,
	    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Prepends "prefix: " to an already set message. */
void	 error_prefix(struct error *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 error_clear(struct error *);

#endif
