/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "syncmail/mlog.h"
#include "syncmail/say.h"

static int syslog_checked;

/* Whether a datagram or stream socket can connect to path. */
static int
syslog_listening(const char *path)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un sun;
	size_t i;
	int fd, ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return 0;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if ((fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0)) == -1)
			continue;
		ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		close(fd);
		if (ok)
			return 1;
	}
	return 0;
}

/*
 * syslog(3) drops its lines without a word when no daemon listens on
 * _PATH_LOG (a container, a minimal system): the user who asked for a
 * log must hear that there is none.  A socket file left by a daemon
 * that is gone refuses the connection: as good as none.
 */
void
mlog_syslog_check(void)
{
	if (syslog_checked)
		return;
	syslog_checked = 1;
	if (!syslog_listening(_PATH_LOG))
		say_warn(NULL, "log syslog: no syslog daemon listening on %s; "
		    "nothing is logged", _PATH_LOG);
}

int
mlog_open(struct mlog *l, const struct account *a, struct error *err)
{
	memset(l, 0, sizeof(*l));
	l->account = a->name;
	l->fd = -1;
	if (a->log_syslog) {
		mlog_syslog_check();
		openlog("syncmail", LOG_PID, LOG_MAIL);
		l->syslog = 1;
		return 0;
	}
	if (a->log_file == NULL)
		return 0;
	l->path = a->log_file;
	l->fd = open(a->log_file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (l->fd == -1)
		return error_errno(err, ERR_MAILBOX, "log %s: open",
		    a->log_file);
	return 0;
}

int
mlog_active(const struct mlog *l)
{
	return l->fd != -1 || l->syslog;
}

/* Declared first so the compiler checks fmt against its arguments. */
static void
mlog_line(struct mlog *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * One line to syslog, or to the file after a UTC stamp and our pid, cut
 * to fit 9000 bytes; nothing when the log is off.  The line is written
 * whole with one write(2) on an O_APPEND descriptor so that runs never
 * interleave.  A failed write is said once per account and otherwise
 * ignored: the log records the deliveries, it never fails one.
 */
static void
mlog_line(struct mlog *l, const char *fmt, ...)
{
	char line[9000], stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;
	int n, m;

	if (!mlog_active(l))
		return;
	va_start(ap, fmt);
	if (l->syslog) {
		vsyslog(LOG_INFO, fmt, ap);
		va_end(ap);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s syncmail[%ld]: ", stamp,
	    (long)getpid());
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	if ((size_t)m >= sizeof(line) - n - 1)
		m = (int)(sizeof(line) - n - 2);
	n += m;
	line[n++] = '\n';
	if (write(l->fd, line, n) != n && !l->failed) {
		l->failed = 1;
		say_warn(l->account, "log %s: write: %s", l->path,
		    strerror(errno ? errno : EIO));
	}
}

void
mlog_message(struct mlog *l, const char *verb, const char *remote,
    const char *local, uint64_t bytes, const uint8_t *sha256)
{
	char hex[65];
	int i;

	if (sha256 == NULL)
		strlcpy(hex, "unknown", sizeof(hex));
	else
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", sha256[i]);
	mlog_line(l, "%s: %s %s to %s, %llu bytes, sha256 %s", l->account,
	    verb, remote, local, (unsigned long long)bytes, hex);
}

void
mlog_run(struct mlog *l, int status, uint64_t moved, uint64_t bytes, long ms)
{
	mlog_line(l, "%s: run ended with status %d: %llu messages, %llu "
	    "bytes, %ld.%03ld s", l->account, status,
	    (unsigned long long)moved, (unsigned long long)bytes, ms / 1000,
	    ms % 1000);
}

void
mlog_close(struct mlog *l)
{
	if (l->fd != -1)
		close(l->fd);
	if (l->syslog)
		closelog();
	l->fd = -1;
	l->syslog = 0;
}
