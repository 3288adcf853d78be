/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The inside of the engine that runs one pull (pull.h): the state of a
 * run, shared by the files that each own one step of it:
 *
 *   list.c	lists REMOTE/new and REMOTE/tmp, sorts, drops repeated names
 *   recover.c	what the record and the local Maildir say of earlier runs
 *   fetch.c	proves each file with LSTAT, downloads it into tmp/, and
 *		deletes the server's copy once it is delivered
 *   route.c	where each message goes (SPEC 8): the routes matched against
 *		its header section, and the Maildirs they name, opened once
 *   pipe.c	a pipe: a message given to a command, exactly once
 *   save.c	attachments: a message's attachments saved in a directory,
 *		exactly once, then the message delivered or dropped
 *   filter.c	a message through its pull's filter before it is routed,
 *		its original to the quarantine, exactly once
 *   preview.c	the dry run's routing, from header sections read into memory
 *   batch.c	hands downloaded messages to the commit thread (maildir/committer.c)
 *		and takes its results
 *   pull.c	the order of the steps, the quotas and the dry run
 *
 * The per-message order of SPEC 4 never changes:
 *
 *   download into tmp/ -> size checked, mtime set, fsync -> fsync tmp/ ->
 *   name in the record, fsync -> rename into new/ (no replace) ->
 *   fsync new/ -> REMOVE on the server -> drop from the record.
 *
 * Only the SFTP client (sftp/client.c) knows request ids: the engine tags
 * each request with the index of its message.
 */
#ifndef SYNCMAIL_ENGINE_H
#define SYNCMAIL_ENGINE_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "mail/header.h"
#include "maildir/commit.h"
#include "maildir/localset.h"
#include "maildir/names.h"
#include "maildir/tmppool.h"
#include "syncmail/pull.h"
#include "syncmail/status.h"
#include "maildir/committer.h"

/*
 * How much is in flight.  A small file costs two round trips in flight
 * (OPEN, then READ and CLOSE), so the files open at once grow with the
 * round trip, measured by the SFTP INIT (fetch_window): 128 for each
 * FILES_RTT_MS of round trip, at least 128 (near, more would only add
 * work in progress) and at most FILES_INFLIGHT_MAX (remote handles open
 * at once, which servers bound).  The channel
 * window (stream.c) bounds the bytes that can actually be on the way to
 * us, and so our memory.  Each file may have two READs in flight.
 */
#define FILES_INFLIGHT	128	/* remote files open at once, near */
#define FILES_RTT_MS	25
#define FILES_INFLIGHT_MAX 512
#define READ_CHUNK	32768	/* what every SFTP server serves in one READ */
/*
 * READDIRs in flight per directory: READDIRS at first, one more for each
 * answer with names, up to READDIRS_MAX (list.c).  A server answers a
 * READDIR with about a hundred names (OpenSSH's), some 20 KB: at most
 * about 1.3 MB in flight, within the channel's window.
 */
#define READDIRS	8
#define READDIRS_MAX	64
#define LSTATS_INFLIGHT	256	/* LSTATs in flight... */
#define LSTAT_AHEAD	512	/* ...at most this many messages ahead */
#define BATCH_MIN	32	/* a batch waits for this many messages... */
#define BATCH_MAX	1024
#define BATCH_WAIT_MS	100	/* ...or this long, or the end of the downloads */
#define REQS_INFLIGHT	1024	/* requests in flight, all kinds together */
/*
 * A listing is cut short at LIST_KEEP candidates or LIST_READ entries:
 * memory stays bounded whatever the size of new/ (a backlog, or a
 * hostile server's endless list), and the rest waits for the next run.
 */
#define LIST_KEEP	50000
#define LIST_READ	500000
#define TMP_OLD		(36 * 3600)
#define SPACE_RESERVE	(1024 * 1024)

/*
 * A Maildir that messages of the pull go to: the pull's own (dests[0],
 * the job's, whose tmp/ holds every download and whose record notes
 * every delivery) or a route's, opened the first time a message goes
 * there.  Each is held apart (never moved once made) because the
 * commit thread uses md and local while the network loop may open the
 * next.
 */
struct dest_maildir {
	char		*path;
	struct maildir	*md;
	struct localset	*local;		/* its unique names of the listing */
	struct maildir	 own_md;	/* md and local, for a route's */
	struct localset	 own_local;
};

/*
 * An attachments destination (save.c): DIR, and the Maildir the message
 * then goes to, an index in run.dests, or SAVE_NO_MAILDIR.
 */
struct save_dest {
	char		*dir;
	uint32_t	 maildir;
};
#define SAVE_NO_MAILDIR	UINT32_MAX

/* struct message's dest for a discard, a pipe, and attachments. */
#define TO_DISCARD	UINT32_MAX
#define TO_PIPE		(UINT32_MAX - 1)
#define TO_SAVE		(UINT32_MAX - 2)
/* struct message's route for a pipe that is the pull's own DEST. */
#define ROUTE_PULL	UINT16_MAX

enum message_state {
	MSG_WAIT,	/* listed, not started */
	MSG_OPEN,	/* OPEN sent */
	MSG_READ,	/* handle held, reading into tmp/ */
	MSG_READY,	/* downloaded and closed, waiting for its batch */
	MSG_PIPE,	/* downloaded, waiting for its command (pipe.c) or
			   its attachments' saving (save.c) */
	MSG_COMMIT,	/* with the commit thread */
	MSG_REMOVE,	/* in new/, REMOVE sent */
	MSG_DONE,
	MSG_SKIP,	/* left on the server on purpose */
	MSG_FAIL	/* left on the server after an error */
};

/* What an LSTAT of the message's own says (the listing is not proof). */
enum message_proof {
	PROOF_NONE,	/* not asked yet */
	PROOF_ASKED,	/* LSTAT sent */
	PROOF_REGULAR	/* a regular file of the listed size: may be opened */
};

/*
 * One listed message.  There may be hundreds of thousands: what only a
 * file being read needs is small or allocated only while it is open.
 */
struct message {
	char		*name;
	uint64_t	 size;
	uint64_t	 next_off;	/* next byte to ask for */
	uint64_t	 got;		/* bytes written */
	uint8_t		*handle;	/* only while the remote file is open */
	uint32_t	 atime, mtime;
	uint32_t	 perms;
	unsigned int	 tmpseq;	/* its file in tmp/ (tmppool_name) */
	uint32_t	 dest;		/* index in run.dests, TO_DISCARD,
					   TO_PIPE or TO_SAVE */
	uint32_t	 save;		/* TO_SAVE: index in run.saves */
	char		*matches;	/* TO_PIPE: the groups, "v\0" each */
	uint16_t	 route;		/* TO_PIPE: the route's index, or
					   ROUTE_PULL */
	uint8_t		 nmatches;
	int		 fd;
	uint16_t	 handlelen;
	uint16_t	 reads;		/* READs in flight */
	uint8_t		 state;		/* enum message_state */
	uint8_t		 has_perms, has_size;
	uint8_t		 earlier;	/* delivered by an earlier run: remove only */
	uint8_t		 verify;	/* the record says delivered: check the file */
	uint8_t		 handle_open;
	uint8_t		 eof_seen;	/* the server said the file ends at size */
	uint8_t		 proof;		/* enum message_proof */
	uint8_t		 filtered;	/* filter.c has set its dest (and its
					   file may be the filter's output) */
};

struct run {
	const struct pull_job *job;
	const char	*account;
	struct sftp	*c;
	char		 remote[4096];	/* REMOTE without trailing slashes */
	struct message	*msgs;
	size_t		 nmsgs;
	size_t		 msgcap;
	size_t		 next;		/* next message to start */
	size_t		 next_lstat;	/* next message to prove (LSTAT) */
	size_t		 next_remove;	/* next earlier delivery to remove */
	size_t		*active;	/* messages in MSG_OPEN or MSG_READ */
	size_t		 nactive;
	size_t		*ready;		/* messages in MSG_READY */
	size_t		 nready;
	struct timespec	 ready_since;
	struct committer committer;
	struct tmppool	 pool;		/* tmp files made ahead */
	struct commit_item *items;	/* the batch with the committer */
	char		(*tmpnames)[TMPPOOL_NAME];	/* its tmp files */
	size_t		*batch;		/* its messages */
	size_t		 nbatch;
	int		 nfiles, nreads, nlstats;	/* in flight */
	int		 files_max;	/* nfiles' bound (fetch_window) */
	struct localset	 local;		/* unique names in new/ and cur/ */
	struct dest_maildir **dests;	/* [0]: the pull's own Maildir */
	size_t		 ndests;
	struct save_dest *saves;	/* attachments destinations (save.c) */
	size_t		 nsaves;
	size_t		*pipeq;		/* messages in MSG_PIPE, listing order */
	size_t		 npipeq, pipe_next;
	uint8_t		*hdrbuf;	/* a header section read to route */
	size_t		 hdrcap;
	struct pull_stats *st;
	uint64_t	 total, totalbytes, done, donebytes;
	int		 status;
	int		 nonew;		/* the local side is broken (disk full,
					   tmp/ unusable...): start nothing new */
	int		 removes_sent;	/* for the "remove-sent" crash point */
	int		 short_reads;	/* the server read short mid-file */
	int		 truncated;	/* the listing of new/ was cut short */
	int		 selected;	/* select_msgs has counted the totals */
	uint64_t	 remove_failed;	/* delivered, remote delete failed */
	uint32_t	 remove_status;	/* the first failure's SFTP status */
	int		 remove_mixed;	/* other failures had other statuses */
};

/* names_printable for a NUL-terminated name. */
static inline void
printable(const char *name, char *buf, size_t size)
{
	names_printable(name, strlen(name), buf, size);
}

/* pull.c: the name of m's file in tmp/; buf has TMPPOOL_NAME bytes. */
const char *run_tmpname(const struct run *, const struct message *m,
	    char *buf);
/*
 * pull.c: forgets name's delivery, durably, and only then removes its
 * tmp file tmp (a recorded name whose tmp file is gone reads as done).
 * drop is record_drop (its "f" line too) or record_drop_delivery (the
 * "f" line kept: the quarantine may have its original); note, unless -1,
 * an enum record_note set after the drop, in the same sync.  0, or -1
 * with err set and the file left.
 */
int	 run_forget(struct run *, const char *name, const char *tmp,
	    int (*drop)(struct record *, const char *, struct error *),
	    int note, struct error *err);

/*
 * list.c: lists REMOTE/new (the candidates, r->msgs) and REMOTE/tmp (old
 * files there are warned about).  On a failure that lets the account go
 * on, the handles it opened are closed; the caller drains the rest.
 */
int	 list_dirs(struct run *, struct error *err);
/* Sorts the candidates by name, keeping one of a name listed twice. */
int	 list_sort(struct run *, struct error *err);
/* The candidate called name in the sorted list, or NULL. */
struct message *list_find(struct run *, const char *name);
/* What a file type is called in a warning ("a symbolic link"). */
const char *list_type_name(uint32_t perms);

/* recover.c: see each function. */
int	 recover_reconcile(struct run *, struct error *err);
int	 recover_scan(struct run *, struct error *err);
int	 recover_verify(struct run *, struct error *err);

/* fetch.c: see each function. */
int	 fetch_send(struct run *, int type, size_t mi, uint64_t off,
	    uint32_t len, struct error *err);
int	 fetch_close_handle(struct run *, size_t mi, struct error *err);
int	 fetch_prove(struct run *, int unlisted, struct error *err);
int	 fetch_transfer(struct run *, struct error *err);
void	 fetch_window(struct run *);
void	 fetch_report_removes(struct run *);
/*
 * Message mi is done locally (delivered, piped, saved): with keep it
 * stays on the server, else its REMOVE is sent.  0, or -1 with err set.
 */
int	 fetch_delivered(struct run *, size_t mi, struct error *err);

/* route.c: see each function. */
int	 route_start(struct run *, struct error *err);
int	 route_dest_open(struct run *, const char *path, uint32_t *idx,
	    struct error *err);
int	 route_message(struct run *, size_t mi, struct error *err);
int	 route_header(struct run *, size_t mi, const struct header *h,
	    struct error *err);
/*
 * m goes to the pull's own DEST: its Maildir, its command, or its
 * attachments DIR (with the pull's Maildir, when it names one).  0, or
 * -1 with err set.
 */
int	 route_pull_dest(struct run *, struct message *m, struct error *err);
/* mi's header section is too large to route: the pull's DEST, warned. */
int	 route_too_large(struct run *, size_t mi, struct error *err);
/* The DEST of a message going to a pipe: its route's or its pull's. */
const struct dest *route_pipe_dest(const struct run *, const struct message *m);
/*
 * Whether the first got bytes of a message of size bytes, found as h,
 * hold its whole header section: an empty line ended it, the message
 * ended, or HEADER_READ bytes are read (mail/header.h).  The dry run's reads
 * from the server (preview.c) and the run's from tmp/ stop by this.
 */
int	 route_header_whole(const struct header *h, size_t got,
	    uint64_t size);
const char *route_dest_name(const struct run *, const struct message *m);
void	 route_stop(struct run *);

/* pipe.c: gives message mi to its command, exactly once. */
int	 pipe_message(struct run *, size_t mi, struct error *err);
/*
 * What pipe.c and filter.c share: m's command environment (PIPE_ENV
 * buffers of PIPE_ENV_SIZE bytes, pointed to by env; returns how many),
 * and the first lines of a command's stderr made printable.
 */
#define PIPE_ENV	15	/* SPEC 8's 6 variables, a route's 9 groups */
#define PIPE_ENV_SIZE	8192	/* one variable, at most */
size_t	 pipe_env(struct run *, struct message *m, int redelivery,
	    char (*buf)[PIPE_ENV_SIZE], const char **env);
void	 pipe_stderr_lines(const struct command_result *res, char *buf,
	    size_t size);
/*
 * Also shared: runs m through spec's command on the runner and waits for
 * its answer, which a second signal ends.  The caller sets spec's
 * command, in_fd, out_fd and out_limit; the rest is filled here: m's
 * environment (redelivery: SYNCMAIL_REDELIVERY=1), its size, the
 * timeout.  Returns 0 with res filled: the command ran, or could not be
 * started (COMMAND_NOT_STARTED: warned about, the warning calling it
 * what, "pipe" or "filter", and r->status partial); or -1 with err set
 * (a second signal, the runner gone: what the command did is not known).
 */
int	 pipe_run(struct run *, struct message *m, struct command_spec *spec,
	    const char *what, int redelivery, struct command_result *res,
	    struct error *err);

/* filter.c: see each function. */
int	 filter_wanted(const struct run *, const struct message *m);
int	 filter_message(struct run *, size_t mi, struct error *err);
int	 filter_reconcile(struct run *, struct error *err);
const char *filter_dry_note(const struct run *);

/* save.c: see each function. */
/*
 * The index in r->saves of DIR dir with maildir (or NULL), which is
 * opened (route_dest_open) the first time.  0, or -1 with err set.
 */
int	 save_dest_open(struct run *, const char *dir, const char *maildir,
	    uint32_t *idx, struct error *err);
int	 save_message(struct run *, size_t mi, struct error *err);
/*
 * A recorded message (name, its tmp file tmp still there) that was
 * going to the attachments DIR dir and then to maildir ("" when none),
 * as its record's DEST says (record_attach_parse).  Returns 1 when it is
 * finished now (its tmp file gone: delivered), 0 when nothing of it was
 * placed (its files are removed: the caller drops it), 2 when it cannot
 * be finished now (warned about: it stays recorded, and on the server),
 * or -1 with err set.
 */
int	 save_recover(struct run *, const char *name, const char *tmp,
	    const char *dir, const char *maildir, struct error *err);
void	 save_stop(struct run *);

/* preview.c: -n with routes: each message's dest, from its header section. */
int	 preview_routes(struct run *, struct error *err);

/* batch.c: see each function. */
int	 batch_due(struct run *);
void	 batch_submit(struct run *);
int	 batch_finish(struct run *, int rc, const struct error *local,
	    struct error *err);

#endif
