/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Fuzz target for config_parse (syncmail/config.c): any bytes, as a
 * config file read from disk would be.  The parser must never read past
 * the buffer, never leak, and leave *cfg empty on error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syncmail/config.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *homes[] = { "/home/fuzz", "/", NULL };
static const char *users[] = { "fuzzer", NULL, "" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config cfg;
	struct error err;
	char *text;

	/*
	 * A copy of exactly len bytes, so that reading one past the end is
	 * caught by ASan (the parser takes a length, not a C string).
	 */
	if ((text = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	memset(&cfg, 0, sizeof(cfg));
	memset(&err, 0, sizeof(err));
	/*
	 * The home directory and local user vary with the input's length, so
	 * that "~/" with a root or unknown home and a missing user are
	 * reached too, while one input always takes the same path.
	 */
	if (config_parse(text, len, "fuzz.conf", homes[len % 3],
	    users[len % 3], &cfg, &err) == 0) {
		size_t i;

		/* What account.c relies on for every account. */
		for (i = 0; i < cfg.naccounts; i++) {
			const struct account *a = &cfg.accounts[i];

			if (a->name == NULL || a->host == NULL ||
			    a->npulls == 0 || a->pulls[0].local[0] != '/' ||
			    config_account(&cfg, a->name) != a)
				abort();
		}
	} else {
		/* On error the config is empty and the message is set. */
		if (cfg.naccounts != 0 || cfg.accounts != NULL ||
		    err.msg[0] == '\0' || memchr(err.msg, '\0',
		    sizeof(err.msg)) == NULL)
			abort();
	}
	config_free(&cfg);
	free(text);
	return 0;
}
