/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/* The accounts a run works on (selection.h). */
#include <stdlib.h>
#include <string.h>

#include "syncmail/selection.h"

int
selection_load(struct selection *s, const struct selection_args *args,
    struct error *err)
{
	size_t i;
	int k;

	memset(s, 0, sizeof(*s));
	if (config_load(args->file, args->home, args->user, &s->cfg,
	    err) == -1)
		return -1;
	for (k = 0; k < args->nnames; k++)
		if (config_account(&s->cfg, args->names[k]) == NULL) {
			error_set(err, ERR_USAGE, "no account \"%s\" in %s",
			    args->names[k], args->file);
			selection_free(s);
			return -1;
		}
	if ((s->at = calloc(s->cfg.naccounts + 1, sizeof(*s->at))) == NULL) {
		error_errno(err, ERR_MAILBOX, "selection");
		selection_free(s);
		return -1;
	}
	/* Config order, whatever the order on the command line. */
	for (i = 0; i < s->cfg.naccounts; i++) {
		for (k = 0; k < args->nnames; k++)
			if (strcmp(s->cfg.accounts[i].name,
			    args->names[k]) == 0)
				break;
		if (args->nnames > 0 && k == args->nnames)
			continue;
		account_resolve(&s->at[s->n++], &s->cfg.accounts[i],
		    args->home, args->user);
	}
	return 0;
}

const struct account_target *
selection_config_error(const struct selection *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->at[i].resolved && s->at[i].err.kind == ERR_CONFIG)
			return &s->at[i];
	return NULL;
}

void
selection_free(struct selection *s)
{
	size_t i;

	if (s->at != NULL)
		for (i = 0; i < s->n; i++)
			account_target_free(&s->at[i]);
	free(s->at);
	config_free(&s->cfg);
	memset(s, 0, sizeof(*s));
}
