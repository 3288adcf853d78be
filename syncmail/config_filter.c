/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A pull's "filter" and "quarantine" lines (SPEC 8, Filters and
 * quarantine): at most one of each per pull, after its "pull" line, and
 * a quarantine only where a filter makes originals to keep.
 */
#include <stdlib.h>
#include <string.h>

#include "syncmail/config_int.h"

/*
 * The pull that a "filter" or "quarantine" line (kw) belongs to, the
 * last of the account being read; NULL with the error set when there is
 * none, or when it already has one (first at *line).
 */
static struct pull *
filter_pull(struct parser *p, const char *kw, int line)
{
	struct account *a = &p->cfg.accounts[p->cfg.naccounts - 1];
	struct pull *pl;

	if (a->npulls == 0) {
		config_error(p, "\"%s\" must follow a \"pull\" line of its "
		    "account: it belongs to that pull", kw);
		return NULL;
	}
	pl = &a->pulls[a->npulls - 1];
	if (line != 0) {
		config_error(p, "\"%s\" given twice for the pull at line %d "
		    "(first at line %d)", kw, pl->line, line);
		return NULL;
	}
	return pl;
}

int
config_filter(struct parser *p, const char *command)
{
	struct account *a = &p->cfg.accounts[p->cfg.naccounts - 1];
	struct pull *pl;

	if ((pl = filter_pull(p, "filter", a->npulls == 0 ? 0 :
	    a->pulls[a->npulls - 1].filter_line)) == NULL)
		return -1;
	if ((pl->filter = strdup(command)) == NULL)
		return config_nomem(p);
	pl->filter_line = p->line;
	return 0;
}

int
config_quarantine(struct parser *p, const char *path)
{
	struct account *a = &p->cfg.accounts[p->cfg.naccounts - 1];
	struct pull *pl;

	if ((pl = filter_pull(p, "quarantine", a->npulls == 0 ? 0 :
	    a->pulls[a->npulls - 1].quarantine_line)) == NULL)
		return -1;
	if (strcmp(path, "discard") == 0 || strcmp(path, "pipe") == 0 ||
	    strcmp(path, "attachments") == 0)
		return config_error(p, "\"quarantine\" takes a Maildir, not "
		    "\"%s\": the originals are kept, never dropped", path);
	if (config_path(p, "quarantine", path, &pl->quarantine) == -1)
		return -1;
	pl->quarantine_line = p->line;
	return 0;
}

int
config_filter_check(struct parser *p, const struct pull *pl)
{
	/*
	 * Without a filter nothing is ever quarantined: the line is a
	 * mistake (most likely a filter line given to another pull).
	 */
	if (pl->quarantine != NULL && pl->filter == NULL) {
		p->line = pl->quarantine_line;
		return config_error(p, "\"quarantine\" without a \"filter\" "
		    "for the pull at line %d: nothing would go there",
		    pl->line);
	}
	if (pl->quarantine != NULL && strcmp(pl->quarantine, pl->local) == 0) {
		p->line = pl->quarantine_line;
		return config_error(p, "\"quarantine\" is the pull's own "
		    "Maildir: the originals would be delivered beside the "
		    "filtered messages");
	}
	return 0;
}

void
config_filter_free(struct pull *pl)
{
	free(pl->filter);
	free(pl->quarantine);
	pl->filter = pl->quarantine = NULL;
}
