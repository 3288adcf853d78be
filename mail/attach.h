/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A message's attachments saved as files in a directory DIR (SPEC 8,
 * Attachments), in two phases so that a caller with a write-ahead
 * record can make it exactly once across crashes:
 *
 * 1. attach_extract() parses the message in a child process, confined
 *    (compat/confine.h: no network, no other program, files written
 *    only beneath DIR) and bounded (CPU time, address space, nesting
 *    depth, file size, descriptors), which writes each attachment,
 *    decoded, to DIR as PREFIX+N (N = 0, 1, ...; O_EXCL, mode 0666 less
 *    the umask), fsyncs it, fsyncs DIR at the end, and tells the parent
 *    each file's temporary name, wanted name, size and type.  Nothing
 *    is renamed.  A message the child cannot parse within its limits
 *    has nothing to save: the result says why (the warning's text), and
 *    the temporary files written are removed.
 * 2. The caller records the temporary names, then attach_place() moves
 *    each to the first free name of NAME, NAME-2.EXT, NAME-3.EXT, ...
 *    without ever replacing a file, and attach_sync_dir() makes the
 *    moves durable.
 *
 * After a crash, attach_leftovers() lists the temporary files with a
 * prefix (and their link counts: a count above 1 is a move by link()
 * that the crash cut before its unlink(), so the file is already in
 * place), and attach_remove() removes them.
 *
 * An attachment is a leaf MIME part anywhere in the message (inside
 * attached messages too; the body of a single-part message counts) with
 * a file name (Content-Disposition filename or Content-Type name, RFC
 * 2231 and RFC 2047 decoded, by GMime) or with Content-Disposition
 * "attachment", whose type matches one of the patterns.  Its content is
 * decoded (base64, quoted-printable, uuencode) as it is written, never
 * held whole in memory.  Its wanted name is the last component of its
 * file name (split at "/" and "\") made safe (mail/safename.h); without
 * one (or with an empty one), "attachment" and an extension for its
 * type ("attachment.pdf"; none for a type not in a short table).
 */
#ifndef SYNCMAIL_ATTACH_H
#define SYNCMAIL_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "mail/safename.h"
#include "util/error.h"

#define ATTACH_PREFIX_MAX	200	/* bytes of a temporary name's prefix */
#define ATTACH_TMP_SIZE		(ATTACH_PREFIX_MAX + 12)	/* PREFIX+N */
#define ATTACH_TYPE_SIZE	128	/* "type/subtype" and its NUL */
#define ATTACH_FILES_MAX	1000	/* attachments of one message */

/*
 * The defaults (see the README, "Attachments").  Memory: GMime streams
 * a part's content from the message file, so a parse of a 50 MB
 * attachment grows by less than 16 MiB; what needs more is a huge
 * header section, which GMime holds whole (a 40 MB header field needs
 * more than 16 MiB): 256 MiB lets any real message through.  CPU time:
 * the slowest message of the tests takes well under a second.  Depth:
 * GMime stops nesting at 1024 levels by itself; 64 is deeper than any
 * mail client writes.
 */
#define ATTACH_CPU_SECONDS	10
#define ATTACH_MEMORY		(256UL * 1024 * 1024)
#define ATTACH_DEPTH		64

struct attach_limits {
	unsigned int	 cpu_seconds;	/* the child's CPU time */
	unsigned int	 wall_seconds;	/* its time at all, for a child that
					   waits instead of computing; 0:
					   3 * cpu_seconds + 5 */
	size_t		 memory;	/* bytes its address space may grow
					   by beyond what it inherited; 0:
					   no limit (nor in the sanitizer
					   build: compat/confine.h) */
	unsigned int	 depth;		/* MIME levels: the message's own
					   part is 1, each multipart's or
					   attached message's parts one more */
	/*
	 * For tests: called in the child once it is confined and
	 * limited, before it parses, with DIR's descriptor (to try what
	 * the confinement refuses, or to spin).  NULL in the program.
	 */
	void		(*child_hook)(int dirfd);
};

/* One file written by phase 1. */
struct attach_file {
	char		 tmp[ATTACH_TMP_SIZE];	/* PREFIX+N, in DIR */
	char		 name[SAFENAME_SIZE];	/* the wanted name, safe */
	char		 type[ATTACH_TYPE_SIZE];/* its MIME type, lower case */
	uint64_t	 size;			/* its bytes, decoded */
};

struct attach_result {
	struct attach_file *files;	/* n of them, in the message's order */
	size_t		 n;
	int		 parsed;	/* 0: the child could not parse the
					   message within its limits; n is
					   then 0 */
	char		 why[512];	/* then why, as a warning's text */
	int		 confined;	/* the CONFINE_* bits (compat/confine.h)
					   that held in the child */
};

/*
 * Phase 1.  msgfd: the message, a regular file, read from offset 0 (its
 * offset is left anywhere).  dirfd: DIR, opened O_DIRECTORY.  prefix: the
 * temporary names' start, with no "/", at most ATTACH_PREFIX_MAX bytes,
 * beginning with "." so that the files are hidden; no file in DIR may
 * start with it (the caller makes it unique per message, e.g.
 * ".syncmail-TAG-SEQ-", and removes leftovers first).  types: ntypes
 * patterns of attachment-types ("application/pdf"; "*" any run of
 * bytes, "?" one, case ignored: util/match.h), a part's "type/subtype"
 * matching one of them; ntypes 0 matches every type.  lim: NULL for the
 * defaults.
 *
 * Returns 0 with *res filled (parsed 1 and the files, or parsed 0 and
 * why: nothing to save, nothing left in DIR), or -1 with err set when
 * the work failed here and a later try may succeed: no process, a
 * descriptor, DIR refusing a file or full (then too nothing of ours is
 * left in DIR).  res is the caller's, freed with attach_result_free()
 * either way.  The child is waited for by its pid: SIGCHLD must not be
 * ignored.  stdio buffers are the caller's to flush before (the child
 * leaves by _exit and never flushes them, but valgrind does).
 */
int	 attach_extract(int msgfd, int dirfd, const char *prefix,
	    char *const *types, size_t ntypes, const struct attach_limits *lim,
	    struct attach_result *res, struct error *err);

/* Frees what res holds; it may be zeroed or freed already. */
void	 attach_result_free(struct attach_result *res);

/*
 * Phase 2, one file: moves DIR/tmp to the first of name, name-2.ext,
 * name-3.ext, ... (safename_numbered) that does not exist, never
 * replacing one (compat_rename_noreplace), and writes the name it took
 * into final.  Returns 0, or -1 with err set (tmp is then where it was).
 * name must be a safe name (as phase 1 gives it).
 */
int	 attach_place(int dirfd, const char *tmp, const char *name,
	    char final[SAFENAME_SIZE], struct error *err);

/* fsync(2) of DIR, after the moves.  0, or -1 with err set. */
int	 attach_sync_dir(int dirfd, struct error *err);

/* A temporary file found by attach_leftovers(). */
struct attach_leftover {
	char		 name[ATTACH_TMP_SIZE + 32];
	uint64_t	 nlink;		/* above 1: already linked in place */
};

/*
 * The regular files in DIR whose names start with prefix (a shorter
 * prefix than phase 1's finds all of its calls'), sorted by name, into
 * *list (*n of them; the caller frees *list with free()).  Returns 0, or
 * -1 with err set.
 */
int	 attach_leftovers(int dirfd, const char *prefix,
	    struct attach_leftover **list, size_t *n, struct error *err);

/*
 * Removes the regular files in DIR whose names start with prefix, then
 * fsyncs DIR when it removed one; *removed (when not NULL) counts them.
 * Returns 0, or -1 with err set.
 */
int	 attach_remove(int dirfd, const char *prefix, size_t *removed,
	    struct error *err);

#endif
