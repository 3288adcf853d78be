/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The messages already in a local Maildir's new/ and cur/ that share
 * their unique name (the part before ':') with a message about to be
 * delivered, to tell the same message delivered again from another that
 * happens to have its name (SPEC 4).
 *
 * A Maildir may hold hundreds of thousands of messages and almost never
 * holds one being delivered, so the set does not keep the Maildir's
 * names: the scan keeps only the local files whose unique name is one
 * of the wanted ones (the listing's), found by a 64-bit hash of it.  Its
 * memory follows the listing, whatever the size of the Maildir.  A file
 * that has gone from where the set says makes the next lookup scan
 * again.
 */
#ifndef SYNCMAIL_LOCALSET_H
#define SYNCMAIL_LOCALSET_H

#include <stddef.h>
#include <stdint.h>

#include "maildir/maildir.h"
#include "maildir/nameset.h"
#include "util/error.h"

struct localset {
	uint64_t	*want;		/* hashes of the wanted unique names */
	size_t		 nwant, wantcap;
	int		 sorted;
	struct nameset	 map;		/* unique name -> "new/NAME" or "cur/NAME" */
	int		 mapped;	/* map is up to date */
};

/*
 * Notes the unique name of name as wanted: the scan keeps the local
 * files with that unique name.  0, or -1 with err set.
 */
int	 localset_want(struct localset *, const char *name, struct error *err);

/*
 * Finds the local files in md's new/ and cur/ whose unique name is
 * wanted.  0, or -1 with err set.
 */
int	 localset_scan(struct localset *, const struct maildir *,
	    struct error *err);

/*
 * Looks for a local message with the unique name of name, which must
 * have been wanted before the scan (or added since): 1 with its path
 * relative to the Maildir ("new/NAME" or "cur/NAME") in local, 0 if there
 * is none, -1 with err set.
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
