/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The accounts a run works on: the config file read, the accounts named
 * on the command line (or all) chosen in config order, and each one's
 * ssh config read (account_resolve).  main() makes one at the start;
 * watch mode makes another at each SIGHUP (SPEC 9).
 */
#ifndef SYNCMAIL_SELECTION_H
#define SYNCMAIL_SELECTION_H

#include <stddef.h>

#include "syncmail/account.h"
#include "syncmail/config.h"
#include "util/error.h"

struct selection_args {
	const char	*file;		/* the config file */
	const char	*home;		/* the user's home directory */
	const char	*user;		/* the local user name */
	char *const	*names;		/* the accounts named, or none: all */
	int		 nnames;
};

struct selection {
	struct config		 cfg;
	struct account_target	*at;	/* the chosen accounts, config order */
	size_t			 n;
};

/*
 * Reads the config file of args and fills s with the accounts chosen,
 * each resolved: an ssh config that failed leaves its error in the
 * target's err, for the caller to judge (see account_resolve).  Returns
 * 0, or -1 with err set (ERR_CONFIG: the file; ERR_USAGE: a name that
 * is no account) and s empty.  Free with selection_free either way.
 */
int	 selection_load(struct selection *s, const struct selection_args *args,
	    struct error *err);

/*
 * The first chosen account whose ssh config has an error (ERR_CONFIG,
 * which stops every account: SPEC 2), or NULL.
 */
const struct account_target *selection_config_error(const struct selection *);

/* Frees the targets (stopping their runners) and the config; s may be empty. */
void	 selection_free(struct selection *s);

#endif
