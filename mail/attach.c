/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Attachments saved (SPEC 8): the parent's side (fork, the answer read
 * and checked, the moves, the leftovers) and the child's (confined, it
 * parses with GMime and writes the files).  See mail/attach.h.
 *
 * Why a child: the parser reads bytes from anyone who can send mail,
 * and GMime is a large C library with a history of loops and crashes on
 * hostile input (Debian 12's 3.2.13 still loops forever on some
 * parameter lists, gmime issue #165).  A child with limits turns each of
 * those into "could not parse", and what a compromised parser can do
 * into "write files in DIR".  The parent trusts nothing the child says:
 * each name is checked, each size read from the file itself.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "compat/compat.h"
#include "compat/confine.h"
#include "mail/attach.h"
#include "mail/gmime_load.h"
#include "mail/safename.h"
#include "util/error.h"
#include "util/match.h"

/* What the child says, one record per write: less than PIPE_BUF, so
   each arrives whole. */
struct attach_msg {
	char		 kind;		/* one of the ATTACH_MSG_* */
	int		 errnum;	/* ATTACH_MSG_ERROR: errno */
	int		 confined;	/* ATTACH_MSG_DONE: CONFINE_* bits */
	unsigned int	 created;	/* the last word: PREFIX+0 to
					   PREFIX+created-1 exist */
	char		 tmp[ATTACH_TMP_SIZE];
	char		 name[SAFENAME_SIZE];
	char		 type[ATTACH_TYPE_SIZE];
	char		 text[256];	/* UNPARSED, ERROR: what and why */
};

#define ATTACH_MSG_FILE		'F'	/* a file written and flushed */
#define ATTACH_MSG_UNPARSED	'U'	/* stopped: not within the limits */
#define ATTACH_MSG_ERROR	'E'	/* stopped: a local failure */
#define ATTACH_MSG_DONE		'D'	/* all written, DIR flushed */

/* The child's descriptors, moved there so that it can close the rest. */
#define CHILD_MSG_FD	3
#define CHILD_DIR_FD	4
#define CHILD_OUT_FD	5

/* How many numbered names attach_place tries before it gives up. */
#define ATTACH_PLACE_MAX	100000

/* Extensions for a part without a name: the types mail mostly carries. */
static const struct {
	const char	*type;
	const char	*ext;
} attach_exts[] = {
	{ "application/pdf", ".pdf" },
	{ "application/zip", ".zip" },
	{ "application/gzip", ".gz" },
	{ "application/json", ".json" },
	{ "application/xml", ".xml" },
	{ "application/msword", ".doc" },
	{ "application/vnd.ms-excel", ".xls" },
	{ "application/vnd.ms-powerpoint", ".ppt" },
	{ "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document", ".docx" },
	{ "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet", ".xlsx" },
	{ "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation", ".pptx" },
	{ "application/vnd.oasis.opendocument.text", ".odt" },
	{ "application/vnd.oasis.opendocument.spreadsheet", ".ods" },
	{ "application/pgp-signature", ".asc" },
	{ "application/pkcs7-signature", ".p7s" },
	{ "image/jpeg", ".jpg" },
	{ "image/png", ".png" },
	{ "image/gif", ".gif" },
	{ "image/tiff", ".tif" },
	{ "image/webp", ".webp" },
	{ "image/heic", ".heic" },
	{ "image/bmp", ".bmp" },
	{ "image/svg+xml", ".svg" },
	{ "text/plain", ".txt" },
	{ "text/html", ".html" },
	{ "text/csv", ".csv" },
	{ "text/calendar", ".ics" },
	{ "text/vcard", ".vcf" },
	{ "text/x-vcard", ".vcf" },
	{ "audio/mpeg", ".mp3" },
	{ "audio/ogg", ".ogg" },
	{ "video/mp4", ".mp4" },
	{ "message/rfc822", ".eml" },
};

/* The child's state, on its stack. */
struct attach_child {
	int		 out;		/* the pipe to the parent */
	const char	*prefix;
	char *const	*types;
	size_t		 ntypes;
	unsigned int	 depth;		/* the limit */
	unsigned int	 n;		/* files written */
};

/*
 * The sanitizer build's leak check, which runs at exit() and so not at
 * the child's _exit(): called by hand there.  A weak reference, NULL in
 * a build without LeakSanitizer.
 */
extern void __lsan_do_leak_check(void) __attribute__((weak));

/*
 * Whether this process had one thread when it forked the child: only
 * then does the check run there.  After a fork from the engine, whose
 * commit and tmp-file threads LeakSanitizer still lists but cannot
 * stop, it prints a warning per thread on stderr and can only guess;
 * test_attach, single-threaded, is where the child's leaks are checked.
 */
static int
one_thread(void)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n <= 1;
}
static int leak_check;

/*
 * Writes "type/subtype" cleaned into out: ASCII lower case, each byte
 * outside RFC 2045's token characters (and the one "/") made "_", cut to
 * ATTACH_TYPE_SIZE - 1 bytes.  A child's type is read this way by the
 * parent too, so what reaches a log is always plain.
 */
static void
attach_type_clean(const char *s, char out[ATTACH_TYPE_SIZE])
{
	size_t i;
	unsigned char ch;

	for (i = 0; s[i] != '\0' && i < ATTACH_TYPE_SIZE - 1; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		else if (ch <= ' ' || ch >= 0x7f ||
		    strchr("()<>@,;:\\\"[]?=", ch) != NULL)
			ch = '_';
		out[i] = (char)ch;
	}
	out[i] = '\0';
}

static int
attach_type_matches(const struct attach_child *c, const char *type)
{
	size_t i;

	if (c->ntypes == 0)
		return 1;
	for (i = 0; i < c->ntypes; i++)
		if (match_glob(c->types[i], strlen(c->types[i]), type,
		    strlen(type)))
			return 1;
	return 0;
}

/* The wanted name of a part of type (cleaned) with file name fname. */
static void
attach_wanted(const char *fname, const char *type, char out[SAFENAME_SIZE])
{
	const char *last = fname, *p;
	size_t i;

	/* The last component: a sender's path means nothing here. */
	for (p = fname; p != NULL && *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			last = p + 1;
	if (last != NULL && *last != '\0') {
		safename((const uint8_t *)last, strlen(last), out);
		return;
	}
	snprintf(out, SAFENAME_SIZE, "attachment");
	for (i = 0; i < sizeof(attach_exts) / sizeof(attach_exts[0]); i++)
		if (strcmp(attach_exts[i].type, type) == 0) {
			strlcat(out, attach_exts[i].ext, SAFENAME_SIZE);
			break;
		}
}

/* The child writes one record; a failure leaves the parent an early EOF. */
static void
attach_send(int out, const struct attach_msg *m)
{
	const char *p = (const char *)m;
	size_t left = sizeof(*m);
	ssize_t w;

	while (left > 0) {
		if ((w = write(out, p, left)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		left -= (size_t)w;
	}
}

static void
attach_stop(const struct attach_child *c, char kind, int errnum,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The child's last word: UNPARSED or ERROR, with its text. */
static void
attach_stop(const struct attach_child *c, char kind, int errnum,
    const char *fmt, ...)
{
	struct attach_msg m;
	va_list ap;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.errnum = errnum;
	m.created = c->n;
	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	attach_send(c->out, &m);
}

/*
 * The child's state for its SIGXCPU handler, which has no argument: set
 * once in the child, never in the parent.
 */
static const struct attach_child *attach_self;

/*
 * SIGXCPU, at the soft CPU limit: the last word, with the count of the
 * files created, then _exit (the kernel's SIGKILL a second later backs
 * it up).  Only write(2) and _exit(2), which a handler may call.  That
 * it ends in _exit and not in death by a signal also lets valgrind
 * release glibc's own memory as at any exit, so that a check of the
 * child reports no leak that an interrupted parse cannot help.
 */
static void
attach_xcpu(int sig)
{
	static struct attach_msg m;
	const char *p;
	size_t left;
	ssize_t w;

	(void)sig;
	m.kind = ATTACH_MSG_UNPARSED;
	m.created = attach_self->n;
	memcpy(m.text, "CPU", 4);
	for (p = (const char *)&m, left = sizeof(m); left > 0; ) {
		if ((w = write(attach_self->out, p, left)) <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	_exit(4);
}

/*
 * glib's messages in the child.  A fatal one (an allocation over the
 * address space limit ends in g_error) becomes the child's answer, so
 * that the warning says what happened; the others are GMime's remarks
 * on malformed mail, not the user's business.
 */
static void
attach_glib_log(const gchar *domain, GLogLevelFlags level,
    const gchar *message, gpointer data)
{
	const struct attach_child *c = data;

	if ((level & (G_LOG_FLAG_FATAL | G_LOG_LEVEL_ERROR)) == 0)
		return;
	attach_stop(c, ATTACH_MSG_UNPARSED, 0, "%s: %s",
	    domain != NULL ? domain : "glib", message);
	_exit(3);
}

/*
 * Writes one leaf part, decoded, to PREFIX+N and flushes it.  GMime's
 * data wrapper decodes through a filter stream, a buffer at a time,
 * from the message file itself (the parser keeps offsets, not bytes,
 * for a seekable stream).  Returns 0, or -1 when it sent its last word.
 */
static int
attach_write(struct attach_child *c, GMimePart *part, const char *name,
    const char *type)
{
	struct attach_msg m;
	GMimeDataWrapper *content;
	GMimeStream *out;
	struct stat st;
	int fd;

	if (c->n >= ATTACH_FILES_MAX) {
		attach_stop(c, ATTACH_MSG_UNPARSED, 0,
		    "more than %d attachments", ATTACH_FILES_MAX);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.kind = ATTACH_MSG_FILE;
	snprintf(m.tmp, sizeof(m.tmp), "%s%u", c->prefix, c->n);
	strlcpy(m.name, name, sizeof(m.name));
	strlcpy(m.type, type, sizeof(m.type));
	/* 0666: the umask decides, as for any file the user's tools make */
	if ((fd = openat(CHILD_DIR_FD, m.tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0666)) == -1) {
		attach_stop(c, ATTACH_MSG_ERROR, errno, "%s: open", m.tmp);
		return -1;
	}
	c->n++;
	out = gm.g_mime_stream_fs_new(fd);
	content = gm.g_mime_part_get_content(part);
	if (content != NULL &&
	    gm.g_mime_data_wrapper_write_to_stream(content, out) == -1) {
		attach_stop(c, ATTACH_MSG_ERROR, errno, "%s: write", m.tmp);
		gm.g_object_unref(out);
		return -1;
	}
	if (fsync(fd) == -1 || fstat(fd, &st) == -1) {
		attach_stop(c, ATTACH_MSG_ERROR, errno, "%s: fsync", m.tmp);
		gm.g_object_unref(out);
		return -1;
	}
	if (gm.g_mime_stream_close(out) == -1) {
		attach_stop(c, ATTACH_MSG_ERROR, errno, "%s: close", m.tmp);
		gm.g_object_unref(out);
		return -1;
	}
	gm.g_object_unref(out);
	attach_send(c->out, &m);
	return 0;
}

/* A leaf part: saved when it is an attachment of a wanted type. */
static int
attach_leaf(struct attach_child *c, GMimeObject *obj)
{
	GMimeContentDisposition *disp;
	const char *fname;
	char *mime, type[ATTACH_TYPE_SIZE], name[SAFENAME_SIZE];

	disp = gm.g_mime_object_get_content_disposition(obj);
	fname = gm.g_mime_part_get_filename((GMimePart *)obj);
	if ((fname == NULL || *fname == '\0') && (disp == NULL ||
	    !gm.g_mime_content_disposition_is_attachment(disp)))
		return 0;
	mime = gm.g_mime_content_type_get_mime_type(
	    gm.g_mime_object_get_content_type(obj));
	attach_type_clean(mime != NULL ? mime : "application/octet-stream",
	    type);
	gm.g_free(mime);
	if (!attach_type_matches(c, type))
		return 0;
	attach_wanted(fname, type, name);
	return attach_write(c, (GMimePart *)obj, name, type);
}

/*
 * Walks the tree depth first, in the message's order.  Our own
 * recursion is bounded by the limit; GMime's, while it parsed, by its
 * own 1024 levels.  Returns 0, or -1 when it sent its last word.
 */
static int
attach_walk(struct attach_child *c, GMimeObject *obj, unsigned int depth)
{
	GMimeMessage *msg;
	int i, n;

	if (obj == NULL)
		return 0;
	if (depth > c->depth) {
		attach_stop(c, ATTACH_MSG_UNPARSED, 0,
		    "nested deeper than %u levels", c->depth);
		return -1;
	}
	if (gm_is(obj, g_mime_multipart_get_type)) {
		n = gm.g_mime_multipart_get_count((GMimeMultipart *)obj);
		for (i = 0; i < n; i++)
			if (attach_walk(c, gm.g_mime_multipart_get_part(
			    (GMimeMultipart *)obj, i), depth + 1) == -1)
				return -1;
	} else if (gm_is(obj, g_mime_message_part_get_type)) {
		msg = gm.g_mime_message_part_get_message(
		    (GMimeMessagePart *)obj);
		if (msg != NULL)
			return attach_walk(c, gm.g_mime_message_get_mime_part(msg),
			    depth + 1);
	} else if (gm_is(obj, g_mime_part_get_type))
		return attach_leaf(c, obj);
	return 0;
}

/* The parse, once the child is confined.  Returns 0 when all is saved. */
static int
attach_parse(struct attach_child *c)
{
	GMimeParser *parser;
	GMimeStream *in;
	GMimeMessage *msg;
	int rc = -1;

	/* the fs stream starts where the descriptor is */
	if (lseek(CHILD_MSG_FD, 0, SEEK_SET) == -1) {
		attach_stop(c, ATTACH_MSG_ERROR, errno, "message: lseek");
		return -1;
	}
	in = gm.g_mime_stream_fs_new(CHILD_MSG_FD);
	gm.g_mime_stream_fs_set_owner((GMimeStreamFs *)in, FALSE);
	parser = gm.g_mime_parser_new_with_stream(in);
	gm.g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	/* offsets into the file, not copies of the parts' bytes */
	gm.g_mime_parser_set_persist_stream(parser, TRUE);
	msg = gm.g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL)
		attach_stop(c, ATTACH_MSG_UNPARSED, 0,
		    "GMime found no message in it");
	else {
		rc = attach_walk(c, gm.g_mime_message_get_mime_part(msg), 1);
		gm.g_object_unref(msg);
	}
	gm.g_object_unref(parser);
	gm.g_object_unref(in);
	return rc;
}

/* setrlimit: 0, or -1 with errno set. */
static int
attach_rlimit(int what, rlim_t soft, rlim_t hard)
{
	struct rlimit rl;

	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	return setrlimit(what, &rl);
}

/*
 * RLIMIT_NOFILE at n, the hard limit too where it may be lowered;
 * valgrind refuses any change to the hard one (its own descriptors sit
 * under it), and a soft limit is what bounds a parser that leaks
 * descriptors, which is all this is for.
 */
static int
attach_nofile(rlim_t n)
{
	struct rlimit rl;

	if (attach_rlimit(RLIMIT_NOFILE, n, n) == 0)
		return 0;
	if (errno != EPERM || getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	return attach_rlimit(RLIMIT_NOFILE, n < rl.rlim_max ? n : rl.rlim_max,
	    rl.rlim_max);
}

/*
 * The child: never returns.  Its descriptors are the message, DIR and
 * the pipe (and stdin, stdout, stderr: sanitizer reports go there);
 * everything else the parent held (the server's connection above all)
 * is closed before anything is parsed.
 */
static void __attribute__((noreturn))
attach_child(int msgfd, int dirfd, int out, const char *prefix,
    char *const *types, size_t ntypes, const struct attach_limits *lim,
    off_t msgsize)
{
	struct attach_child c;
	struct attach_msg m;
	struct error err;
	int fds[3], confined, status = 1;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.prefix = prefix;
	c.types = types;
	c.ntypes = ntypes;
	c.depth = lim->depth;
	/* out of the way of 3, 4, 5 first, then there */
	if ((fds[0] = fcntl(msgfd, F_DUPFD, 6)) == -1 ||
	    (fds[1] = fcntl(dirfd, F_DUPFD, 6)) == -1 ||
	    (fds[2] = fcntl(out, F_DUPFD, 6)) == -1)
		_exit(2);
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], CHILD_MSG_FD + (int)i) == -1)
			_exit(2);
	closefrom(CHILD_OUT_FD + 1);
	c.out = CHILD_OUT_FD;
	attach_self = &c;
	signal(SIGXCPU, attach_xcpu);
	/* before the limits: the libraries' mappings are not the parse's */
	if (gmime_load(m.text, sizeof(m.text)) == -1) {
		attach_stop(&c, ATTACH_MSG_ERROR, 0, "%s", m.text);
		_exit(1);
	}

	/*
	 * RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL a second later.
	 * RLIMIT_FSIZE: decoding never makes a part larger than the
	 * message, so a larger file is a bug or an attack (SIGXFSZ).
	 * RLIMIT_NOFILE: the three and stdio, one file being written, and
	 * what iconv opens to load a converter.  RLIMIT_CORE: SIGXCPU
	 * would otherwise dump core in the working directory.
	 */
	if (attach_rlimit(RLIMIT_CORE, 0, 0) == -1 ||
	    attach_rlimit(RLIMIT_CPU, lim->cpu_seconds,
	    (rlim_t)lim->cpu_seconds + 1) == -1 ||
	    attach_rlimit(RLIMIT_FSIZE, (rlim_t)msgsize + 65536,
	    (rlim_t)msgsize + 65536) == -1 ||
	    attach_nofile(16) == -1) {
		attach_stop(&c, ATTACH_MSG_ERROR, errno, "setrlimit");
		_exit(1);
	}
	if (lim->memory > 0 && confine_memory(lim->memory) == -1) {
		attach_stop(&c, ATTACH_MSG_ERROR, errno, "memory limit");
		_exit(1);
	}
	if ((confined = confine_parser(CHILD_DIR_FD, &err)) == -1) {
		attach_stop(&c, ATTACH_MSG_ERROR, 0, "%s", err.msg);
		_exit(1);
	}
	gm.g_mime_init();
	gm.g_log_set_default_handler(attach_glib_log, &c);
	if (lim->child_hook != NULL)
		lim->child_hook(CHILD_DIR_FD);
	if (attach_parse(&c) == 0) {
		/* the names PREFIX+N durable too: the record will name them */
		if (fsync(CHILD_DIR_FD) == -1)
			attach_stop(&c, ATTACH_MSG_ERROR, errno, "fsync");
		else {
			memset(&m, 0, sizeof(m));
			m.kind = ATTACH_MSG_DONE;
			m.confined = confined;
			m.created = c.n;
			attach_send(c.out, &m);
			status = 0;
		}
	}
	/* glib's and GMime's caches, freed for the leak checkers */
	gm.g_mime_shutdown();
	if (__lsan_do_leak_check != NULL && leak_check)
		__lsan_do_leak_check();
	_exit(status);
}

void
attach_result_free(struct attach_result *res)
{
	free(res->files);
	res->files = NULL;
	res->n = 0;
}

/*
 * Removes PREFIX+0 to PREFIX+n-1: what a child that stopped wrote.
 */
static void
attach_unwrite(int dirfd, const char *prefix, size_t n)
{
	char tmp[ATTACH_TMP_SIZE];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s%zu", prefix, i);
		(void)unlinkat(dirfd, tmp, 0);
	}
}

/*
 * Checks a FILE record as the nth, against what a good child writes,
 * and appends it to res with its size as DIR has it.  Returns 0, or -1
 * with why set.
 */
static int
attach_take(int dirfd, const char *prefix, const struct attach_msg *m,
    struct attach_result *res, char *why, size_t whysize)
{
	struct attach_file *f, *files;
	char want[ATTACH_TMP_SIZE], safe[SAFENAME_SIZE];
	struct stat st;

	snprintf(want, sizeof(want), "%s%zu", prefix, res->n);
	if (memchr(m->name, '\0', sizeof(m->name)) == NULL ||
	    memchr(m->type, '\0', sizeof(m->type)) == NULL ||
	    memchr(m->tmp, '\0', sizeof(m->tmp)) == NULL ||
	    strcmp(m->tmp, want) != 0 || res->n >= ATTACH_FILES_MAX) {
		snprintf(why, whysize, "the parser's answer is malformed");
		return -1;
	}
	safename((const uint8_t *)m->name, strlen(m->name), safe);
	if (strcmp(safe, m->name) != 0) {
		snprintf(why, whysize, "the parser gave an unsafe name");
		return -1;
	}
	if (fstatat(dirfd, m->tmp, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode)) {
		snprintf(why, whysize, "%s: the parser's file is not there",
		    m->tmp);
		return -1;
	}
	if ((files = reallocarray(res->files, res->n + 1,
	    sizeof(*files))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return -1;
	}
	res->files = files;
	f = &res->files[res->n++];
	memcpy(f->tmp, m->tmp, sizeof(f->tmp));
	memcpy(f->name, m->name, sizeof(f->name));
	attach_type_clean(m->type, f->type);
	f->size = (uint64_t)st.st_size;
	return 0;
}

/* Milliseconds on the monotonic clock. */
static int64_t
attach_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the parent makes of the child's answer and end. */
struct attach_end {
	char		 last;		/* the last record's kind, or 0 */
	struct attach_msg stop;		/* that record */
	int		 timeout;	/* killed by us: over wall_seconds */
	int		 garbage;	/* killed by us: a malformed answer */
	char		 why[256];	/* then why */
};

/*
 * Reads the child's records from fd until its end of file, or until the
 * wall-clock limit (then the child is killed).  Bounded: ATTACH_FILES_MAX
 * files, then one last record.
 */
static void
attach_read(int fd, pid_t pid, int dirfd, const char *prefix,
    unsigned int wall, struct attach_result *res, struct attach_end *end)
{
	struct attach_msg m;
	struct pollfd pfd;
	int64_t deadline = attach_now() + (int64_t)wall * 1000, left;
	size_t got = 0;
	ssize_t r;
	int rc;

	for (;;) {
		if ((left = deadline - attach_now()) <= 0) {
			end->timeout = 1;
			break;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left))
		    == -1 && errno != EINTR) {
			end->garbage = 1;
			snprintf(end->why, sizeof(end->why), "poll: %s",
			    strerror(errno));
			break;
		}
		if (rc <= 0)
			continue;
		r = read(fd, (char *)&m + got, sizeof(m) - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == -1 || got != 0) {
				end->garbage = 1;
				snprintf(end->why, sizeof(end->why),
				    "the parser's answer is cut short");
			}
			return;
		}
		if ((got += (size_t)r) < sizeof(m))
			continue;
		got = 0;
		if (end->last != 0 && end->last != ATTACH_MSG_FILE) {
			end->garbage = 1;
			snprintf(end->why, sizeof(end->why),
			    "the parser said more after its last word");
			break;
		}
		end->last = m.kind;
		if (m.kind == ATTACH_MSG_FILE) {
			if (attach_take(dirfd, prefix, &m, res, end->why,
			    sizeof(end->why)) == -1) {
				end->garbage = 1;
				break;
			}
		} else if (m.kind == ATTACH_MSG_UNPARSED ||
		    m.kind == ATTACH_MSG_ERROR || m.kind == ATTACH_MSG_DONE) {
			end->stop = m;
			end->stop.text[sizeof(m.text) - 1] = '\0';
		} else {
			end->garbage = 1;
			snprintf(end->why, sizeof(end->why),
			    "the parser's answer is malformed");
			break;
		}
	}
	(void)kill(pid, SIGKILL);
}

int
attach_extract(int msgfd, int dirfd, const char *prefix,
    char *const *types, size_t ntypes, const struct attach_limits *lim,
    struct attach_result *res, struct error *err)
{
	static const struct attach_limits defaults = {
		ATTACH_CPU_SECONDS, 0, ATTACH_MEMORY, ATTACH_DEPTH, NULL
	};
	struct attach_end end;
	struct rusage ru;
	struct stat st;
	size_t plen = strlen(prefix);
	unsigned int wall;
	pid_t pid, parent;
	long cpu;
	int p[2], status, sig, rc = 0;

	memset(res, 0, sizeof(*res));
	memset(&end, 0, sizeof(end));
	if (lim == NULL)
		lim = &defaults;
	wall = lim->wall_seconds != 0 ? lim->wall_seconds :
	    3 * lim->cpu_seconds + 5;
	if (plen == 0 || plen > ATTACH_PREFIX_MAX ||
	    strchr(prefix, '/') != NULL)
		return error_set(err, ERR_MAILBOX, "attachments: bad "
		    "temporary name prefix \"%s\"", prefix);
	if (fstat(msgfd, &st) == -1)
		return error_errno(err, ERR_MAILBOX, "attachments: fstat");
	if (!S_ISREG(st.st_mode))
		return error_set(err, ERR_MAILBOX, "attachments: the message "
		    "is no regular file");
	if (pipe2(p, O_CLOEXEC) == -1)
		return error_errno(err, ERR_TRANSIENT, "attachments: pipe");
	parent = getpid();
	leak_check = __lsan_do_leak_check != NULL && one_thread();
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return error_errno(err, ERR_TRANSIENT, "attachments: fork");
	}
	if (pid == 0) {
		/*
		 * A child that outlived a killed parent would go on
		 * writing into DIR while the next run's recovery removes
		 * what it finds there: it dies with its parent.
		 */
		(void)compat_parent_death_signal(SIGKILL);
		if (getppid() != parent)
			_exit(2);
		close(p[0]);
		attach_child(msgfd, dirfd, p[1], prefix, types, ntypes, lim,
		    st.st_size);
	}
	close(p[1]);
	attach_read(p[0], pid, dirfd, prefix, wall, res, &end);
	close(p[0]);
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR) {
			rc = error_errno(err, ERR_TRANSIENT,
			    "attachments: wait");
			goto fail;
		}
	cpu = (long)ru.ru_utime.tv_sec + (long)ru.ru_stime.tv_sec;
	sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

	if (end.garbage || end.timeout) {
		if (end.timeout)
			snprintf(res->why, sizeof(res->why), "the parser took "
			    "more than %u s", wall);
		else
			snprintf(res->why, sizeof(res->why), "%s", end.why);
	} else if (end.last == ATTACH_MSG_ERROR) {
		/* not the message's fault: a later run tries again */
		if (end.stop.errnum != 0) {
			errno = end.stop.errnum;
			rc = error_errno(err, ERR_MAILBOX, "attachments: %s",
			    end.stop.text);
		} else
			rc = error_set(err, ERR_MAILBOX, "attachments: %s",
			    end.stop.text);
		goto fail;
	} else if (end.last == ATTACH_MSG_UNPARSED &&
	    strcmp(end.stop.text, "CPU") != 0)
		snprintf(res->why, sizeof(res->why), "%s", end.stop.text);
	else if (end.last == ATTACH_MSG_UNPARSED || sig == SIGXCPU || (sig == SIGKILL &&
	    cpu >= (long)lim->cpu_seconds))
		snprintf(res->why, sizeof(res->why), "the parser used more "
		    "than its %u s of CPU time", lim->cpu_seconds);
	else if (sig == SIGXFSZ)
		snprintf(res->why, sizeof(res->why), "the parser wrote a file "
		    "larger than the message");
	else if (sig == SIGSYS)
		snprintf(res->why, sizeof(res->why), "the parser made a "
		    "forbidden system call");
	else if (sig != 0)
		snprintf(res->why, sizeof(res->why), "the parser crashed "
		    "(signal %d%s)", sig, sig == SIGSEGV || sig == SIGABRT ?
		    ", perhaps over its memory limit" : "");
	else if (WEXITSTATUS(status) != 0 || end.last != ATTACH_MSG_DONE)
		snprintf(res->why, sizeof(res->why), "the parser ended "
		    "without an answer (status %d)", WEXITSTATUS(status));
	else {
		res->parsed = 1;
		res->confined = end.stop.confined;
		return 0;
	}
	res->parsed = 0;
fail:
	/*
	 * A child that had its last word says how many it created (one
	 * stopped at an O_EXCL refusal must not cost the file that was
	 * there); one that died may have created one more than it said.
	 */
	if (end.last == ATTACH_MSG_ERROR || end.last == ATTACH_MSG_UNPARSED ||
	    end.last == ATTACH_MSG_DONE)
		attach_unwrite(dirfd, prefix, end.stop.created <
		    ATTACH_FILES_MAX ? end.stop.created : ATTACH_FILES_MAX);
	else
		attach_unwrite(dirfd, prefix, res->n + 1);
	attach_result_free(res);
	return rc;
}

int
attach_place(int dirfd, const char *tmp, const char *name,
    char final[SAFENAME_SIZE], struct error *err)
{
	unsigned int i;

	for (i = 1; i <= ATTACH_PLACE_MAX; i++) {
		if (i == 1)
			strlcpy(final, name, SAFENAME_SIZE);
		else
			safename_numbered(name, i, final);
		if (compat_rename_noreplace(dirfd, tmp, dirfd, final) == 0)
			return 0;
		if (errno != EEXIST)
			return error_errno(err, ERR_MAILBOX, "%s: rename to %s",
			    tmp, final);
	}
	return error_set(err, ERR_MAILBOX, "%s: no free name for %s after "
	    "%d tries", tmp, name, ATTACH_PLACE_MAX);
}

int
attach_sync_dir(int dirfd, struct error *err)
{
	if (fsync(dirfd) == -1)
		return error_errno(err, ERR_MAILBOX, "attachments: fsync");
	return 0;
}

static int
attach_leftover_cmp(const void *a, const void *b)
{
	return strcmp(((const struct attach_leftover *)a)->name,
	    ((const struct attach_leftover *)b)->name);
}

/*
 * The work of attach_leftovers and attach_remove: the regular files
 * named prefix* in DIR, listed (list not NULL) or removed.
 */
static int
attach_scan(int dirfd, const char *prefix, struct attach_leftover **list,
    size_t *n, int remove, struct error *err)
{
	struct attach_leftover *l = NULL, *nl;
	struct dirent *de;
	struct stat st;
	size_t plen = strlen(prefix), count = 0;
	DIR *d;
	int fd;

	/* its own descriptor: readdir's offset is not dirfd's to move */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    == -1)
		return error_errno(err, ERR_MAILBOX, "attachments: open");
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return error_errno(err, ERR_MAILBOX, "attachments: opendir");
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (plen == 0 || strncmp(de->d_name, prefix, plen) != 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (remove) {
			if (unlinkat(dirfd, de->d_name, 0) == -1 &&
			    errno != ENOENT) {
				error_errno(err, ERR_MAILBOX, "%s: unlink",
				    de->d_name);
				goto fail;
			}
			count++;
			continue;
		}
		if (strlen(de->d_name) >= sizeof(l->name))
			continue;
		if ((nl = reallocarray(l, count + 1, sizeof(*l))) == NULL) {
			error_errno(err, ERR_MAILBOX, "attachments");
			goto fail;
		}
		l = nl;
		strlcpy(l[count].name, de->d_name, sizeof(l[count].name));
		l[count].nlink = (uint64_t)st.st_nlink;
		count++;
	}
	if (errno != 0) {
		error_errno(err, ERR_MAILBOX, "attachments: readdir");
		goto fail;
	}
	closedir(d);
	if (remove) {
		if (n != NULL)
			*n = count;
		return count > 0 ? attach_sync_dir(dirfd, err) : 0;
	}
	if (count > 1)
		qsort(l, count, sizeof(*l), attach_leftover_cmp);
	*list = l;
	*n = count;
	return 0;
fail:
	closedir(d);
	free(l);
	return -1;
}

int
attach_leftovers(int dirfd, const char *prefix,
    struct attach_leftover **list, size_t *n, struct error *err)
{
	*list = NULL;
	*n = 0;
	return attach_scan(dirfd, prefix, list, n, 0, err);
}

int
attach_remove(int dirfd, const char *prefix, size_t *removed,
    struct error *err)
{
	size_t n = 0;
	int rc;

	rc = attach_scan(dirfd, prefix, NULL, &n, 1, err);
	if (removed != NULL)
		*removed = n;
	return rc;
}
