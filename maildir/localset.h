/*
 * The unique names (the part before ':') of the messages already in a
 * local Maildir's new/ and cur/, to tell a message about to be delivered
 * from one that is already there (SPEC 4).
 *
 * A Maildir may hold hundreds of thousands of messages and almost never
 * holds the one being delivered, so the set keeps only a 64-bit hash of
 * each unique name: at most 16 bytes a message instead of its names.  A
 * hit (the same message again, another message under the same unique
 * name, or a collision of hashes) is rare; the first one builds the full
 * map from unique name to local file, with one more scan of new/ and
 * cur/, and a file that has gone from where the map says makes the next
 * lookup scan again.
 */
#ifndef SYNCMAIL_LOCALSET_H
#define SYNCMAIL_LOCALSET_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "maildir.h"
#include "nameset.h"

struct localset {
	uint64_t	*slots;		/* hashes of unique names; 0: empty */
	size_t		 cap;		/* power of two, or 0 */
	size_t		 count;
	struct nameset	 map;		/* unique name -> "new/NAME" or "cur/NAME" */
	int		 mapped;	/* map is built */
};

/* Adds the messages in md's new/ and cur/.  0, or -1 with err set. */
int	 localset_scan(struct localset *, const struct maildir *,
	    struct error *err);

/*
 * Looks for a local message with the unique name of name: 1 with its
 * path relative to the Maildir ("new/NAME" or "cur/NAME") in local,
 * 0 if there is none, -1 with err set.
 */
int	 localset_find(struct localset *, const struct maildir *,
	    const char *name, char *local, size_t localsize,
	    struct error *err);

/*
 * Notes a message just delivered as local ("new/NAME").  0, or -1 with
 * err set.
 */
int	 localset_add(struct localset *, const char *local, struct error *err);

/*
 * The file localset_find returned is gone (the user's mail client moved
 * or deleted it meanwhile): the next lookup scans again.
 */
void	 localset_stale(struct localset *);

void	 localset_free(struct localset *);

#endif
