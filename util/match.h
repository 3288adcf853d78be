/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Host name patterns as OpenSSH writes them, in ssh_config Host lines and
 * known_hosts: "*" any run of bytes, "?" one byte, ASCII case ignored;
 * "!pattern" in a list rules a name out whatever else matches.  The
 * files are not trusted to be kind: matching takes at most
 * len(pattern) * len(name) steps, never exponential time.
 */
#ifndef SYNCMAIL_MATCH_H
#define SYNCMAIL_MATCH_H

#include <stddef.h>

/* Whether s (slen bytes) matches the pattern (plen bytes).  1 or 0. */
int	 match_glob(const char *pattern, size_t plen, const char *s,
	    size_t slen);

/*
 * Whether s matches the n patterns of a Host line: some pattern matches
 * and no "!pattern" does.  1 or 0.
 */
int	 match_words(char *const *patterns, size_t n, const char *s);

/*
 * The same for a comma-separated list of len bytes (known_hosts' host
 * field).  1 or 0.
 */
int	 match_list(const char *list, size_t len, const char *s);

/*
 * As match_list with case kept: ssh matches user names so (Match user,
 * Match localuser), host names without case.
 */
int	 match_list_exact(const char *list, size_t len, const char *s);

#endif
