/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The write-ahead record of one pull (SPEC 4): a small file in the local
 * Maildir, "syncmail-state.TAG", that names each message before it
 * appears in new/, and the temporary file it came from.  A recorded
 * message whose temporary file is gone has been delivered: the atomic
 * move is what tells a finished delivery from an unfinished one.  The
 * open record file also carries the lock that keeps two runs apart.
 *
 * Lines: "+\tNAME\tSIZE\tTMPNAME[\tFINAL[\tDEST]]" adds (FINAL: the file
 * made in new/, when its unique name is not NAME's: a fresh name after a
 * clash; DEST: where a route sent it, when not to this Maildir: another
 * Maildir's absolute path, "discard", "pipe", or "attachments\tDIR" with
 * perhaps "\tMAILDIR"; FINAL is then always written), "a\tNAME" that
 * NAME's attachments were written and listed (syncmail/save.c),
 * "r\tNAME" notes that a command was given NAME and its outcome is not
 * known (a run died while it ran, or it was killed at its timeout: the
 * next attempt says so to the command), "w\tNAME" that NAME's warning
 * (over max-size) was given, so that it is not repeated each run,
 * "f\tNAME\tSIZE[\tTMP\tFINAL\tMAILDIR]" that NAME went through its
 * pull's filter (SPEC 8): SIZE is then its size on the server, the "+"
 * line's the filtered file's; with the last three fields its original
 * goes from tmp/TMP into the quarantine MAILDIR/new/FINAL, done once TMP
 * is gone, as for a "+" line.  "-r\tNAME" forgets NAME's "r" note only,
 * "-\tNAME" drops them all, "#" comments.  The tmp file is always in this
 * Maildir's tmp/, wherever the message goes: its being gone is what
 * "delivered" means, for a route's Maildir as for this one.  An older
 * syncmail reads a line with DEST, an "f" or a "-r" line as damaged and
 * stops: never guesses.
 */
#ifndef SYNCMAIL_RECORD_H
#define SYNCMAIL_RECORD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "maildir/maildir.h"
#include "maildir/nameset.h"
#include "util/error.h"

/* A route's discard, as the record's DEST says it. */
#define RECORD_DISCARD	"discard"
/* A route's pipe: its tmp file gone means the command took it whole. */
#define RECORD_PIPE	"pipe"
/*
 * Attachments: "attachments\tDIR[\tMAILDIR]", absolute paths; its tmp
 * file gone means saved, and delivered to MAILDIR when there is one.
 */
#define RECORD_ATTACH	"attachments"
/*
 * The attachments DEST for dir and maildir (NULL: none) into buf (size
 * bytes), the one place that writes it.  0, or -1 when it does not fit.
 */
int	 record_attach_dest(const char *dir, const char *maildir, char *buf,
	    size_t size);
/*
 * An attachments DEST read back: its DIR and MAILDIR ("" when none) into
 * dir and maildir, each of size bytes.  1, 0 when dest is another kind,
 * or -1 when a path does not fit.
 */
int	 record_attach_parse(const char *dest, char *dir, char *maildir,
	    size_t size);
/*
 * The notes a record keeps of a message beside its "+" line, each a line
 * "L\tNAME" of its own letter, all forgotten with the name's "-" line,
 * one alone with a "-L\tNAME" line.
 */
enum record_note {
	NOTE_REDELIVER,	/* "r": given to a command whose outcome is not
			   known (a run died while it ran, or it was killed
			   at its timeout): the next attempt says so */
	NOTE_WARNED,	/* "w": its warning (over max-size, nothing to
			   save) was given, so that it is not repeated
			   each run */
	NOTE_SAVED,	/* "a": its attachments are written and listed in
			   their DIR: a run that dies now is finished by
			   the next (syncmail/save.c) */
	RECORD_NOTES
};

/* A "+" line: two names, a size, a tmp name and up to two paths. */
#define RECORD_LINE_MAX	(2 * 256 + 24 + 64 + 2 * 4096 + 32)

struct record {
	const struct maildir *md;
	char		 name[64];	/* "syncmail-state.TAG" */
	char		 tag[24];	/* 16 hex digits naming this pull */
	char		*source;	/* user@host:port:remote, for the header */
	int		 fd;		/* -1 in a dry run without a record */
	int		 readonly;	/* dry run: never write */
	struct nameset	 entries;	/* key NAME, value TMPNAME, num SIZE */
	struct nameset	 finals;	/* key NAME, value FINAL, when given */
	struct nameset	 dests;		/* key NAME, value DEST, when given */
	struct nameset	 notes[RECORD_NOTES]; /* key NAME, per enum record_note */
	struct nameset	 filtered;	/* key NAME, num its size on the
					   server, value "" or the quarantine's
					   "TMP\tFINAL\tMAILDIR" ("f" lines) */
	char		*pending;	/* lines not yet written */
	size_t		 pendlen;
	size_t		 pendcap;
	size_t		 lines;		/* "+" and "-" lines in the file */
	/*
	 * record_add, record_drop and record_sync may be called from two
	 * threads (the commit worker and the network loop).
	 */
	pthread_mutex_t	 lock;
};

/* The tag of a source: 16 hex digits of its SHA-256, into tag[24]. */
void	 record_tag(const char *source, char *tag);

/*
 * Opens (creating) the record of source in md and takes its lock without
 * waiting: held by another process means -1 with ERR_TRANSIENT.  With
 * readonly set (dry run) nothing is created or locked, and a missing file
 * is an empty record.  A torn last line (a crash mid-write) is dropped.
 * Returns 0 or -1 with err set; record_close either way.
 */
int	 record_open(struct record *, const struct maildir *md,
	    const char *source, int readonly, struct error *err);

/*
 * Notes a message about to be moved from tmp/tmpname into new/; final is
 * the name it takes there when its unique name differs from name's, else
 * NULL; dest the Maildir (absolute path) or RECORD_DISCARD a route sent
 * it to, NULL for this Maildir.  Durable after record_sync.
 */
int	 record_add(struct record *, const char *name, uint64_t size,
	    const char *tmpname, const char *final, const char *dest,
	    struct error *err);

/* Where the recorded message name went: record_add's dest, or NULL. */
const char *record_dest(struct record *, const char *name);

/*
 * The name in new/ that the recorded message name went to, when the
 * record keeps one (record_add's final), else name itself.
 */
const char *record_final(struct record *, const char *name);

/*
 * Notes name with a note of kind ("L\tNAME" line), forgotten with
 * record_drop.  Written with the next record_sync, or at close without
 * a flush: a note that must survive a power cut is followed by a sync.
 * 0, or -1 with err set.
 */
int	 record_note_set(struct record *, enum record_note kind,
	    const char *name, struct error *err);

/* Whether name has a note of kind: 1 or 0. */
int	 record_note(struct record *, enum record_note kind, const char *name);

/* The names with a note of kind (to walk with nameset_next). */
struct nameset *record_notes(struct record *, enum record_note kind);

/*
 * Forgets the note of kind of name alone ("-L\tNAME" line: a command's
 * outcome known again), written with the next sync.  A name without
 * that note writes nothing.  0, or -1 with err set.
 */
int	 record_note_clear(struct record *, enum record_note kind,
	    const char *name, struct error *err);

/*
 * Notes that name went through its pull's filter ("f" line): size is
 * its size on the server; with tmpname set, its original is about to be
 * moved from tmp/tmpname into maildir's (an absolute path) new/final,
 * the quarantine.  A later call replaces what an earlier said.  Durable
 * after record_sync; forgotten with record_drop, kept by
 * record_drop_delivery.
 */
int	 record_filtered_set(struct record *, const char *name, uint64_t size,
	    const char *tmpname, const char *final, const char *maildir,
	    struct error *err);

/*
 * What record_filtered_set noted of name: 0 nothing, 1 filtered (its
 * server size in *size), 2 filtered with its original sent to the
 * quarantine from tmp/TMP, copied into tmp (tmpsize bytes, at least
 * TMPPOOL_NAME; tmp may be NULL with tmpsize 0).
 */
int	 record_filtered(struct record *, const char *name, uint64_t *size,
	    char *tmp, size_t tmpsize);

/* The names with an "f" line (to walk with nameset_next). */
struct nameset *record_filtered_names(struct record *);

/* Writes what is pending and flushes it to disk.  0 or -1 with err. */
int	 record_sync(struct record *, struct error *err);

/*
 * Forgets name: its remote copy is gone, or it was never moved.  Written
 * with the next sync or at close, without a flush of its own: a lost drop
 * only means the next run looks at the name once more.
 */
int	 record_drop(struct record *, const char *name, struct error *err);

/*
 * Forgets name's "+" entry and notes, as record_drop does, but keeps its
 * "f" line: its delivery never happened, while its original may be in
 * the quarantine already, which must not get a second copy.  The "-"
 * line and the "f" line again go into one write, with the next sync.
 */
int	 record_drop_delivery(struct record *, const char *name,
	    struct error *err);

/*
 * Writes what is pending (no flush) and shortens the file when most of
 * it is dropped lines: emptied when nothing is live, else rewritten and
 * renamed in, its lock taken over.  Only while no commit thread writes:
 * between pulls (a watch tidies after each), or at the close.  Returns 0
 * or -1 with err set (the file as it was).
 */
int	 record_tidy(struct record *, struct error *err);

/*
 * record_tidy, then releases the lock and frees.  Returns 0 or -1 with
 * err set; safe on a zeroed record.
 */
int	 record_close(struct record *, struct error *err);

#endif
