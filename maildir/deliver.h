/*
 * One message's way into a local Maildir (SPEC 4, steps 4 and 6): a new
 * file in tmp/, made durable, then moved into new/ without ever replacing
 * a file there.
 */
#ifndef SYNCMAIL_DELIVER_H
#define SYNCMAIL_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "maildir.h"
#include "localset.h"

/*
 * Creates tmp/tmpname with O_EXCL, mode 0600.  Returns the fd (the
 * caller's to pass to deliver_close), or -1 with err set.
 */
int	 deliver_create(const struct maildir *, const char *tmpname,
	    struct error *err);

/*
 * Sets the file's times (from the server) and closes fd, whatever the
 * outcome.  The file is flushed to disk later, with its batch
 * (commit_batch).  Returns 0 or -1 with err set.
 */
int	 deliver_close(const struct maildir *, int fd, const char *tmpname,
	    uint32_t atime, uint32_t mtime, struct error *err);

enum deliver_result {
	DELIVER_NEW,		/* moved into new/ as *final */
	DELIVER_DUPLICATE	/* same bytes already local: tmp file removed */
};

/*
 * Moves tmp/tmpname into new/ under name, never replacing a file.  If a
 * message with the same unique name is already local (known from set, or
 * found at the move) and holds the same bytes, the tmp file is dropped:
 * DELIVER_DUPLICATE, with its local name in clash.  If it holds other
 * bytes, the message goes in under a fresh unique name: DELIVER_NEW with
 * final != name and the other file in clash.  final and clash have
 * room for 256 bytes.  The caller flushes new/ afterwards.  Returns the
 * result, or -1 with err set (the tmp file is then still there).
 */
int	 deliver_commit(const struct maildir *, const char *tmpname,
	    const char *name, struct localset *set, char *final, char *clash,
	    struct error *err);

/* Removes tmp/tmpname, if there. */
void	 deliver_discard(const struct maildir *, const char *tmpname);

#endif
