/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A set of names with a small value each: an open-addressing hash table.
 * Keys are copied; the set owns them.  A key is keylen bytes of a C string
 * and holds no NUL byte (message names never do: names_invalid).
 */
#ifndef SYNCMAIL_NAMESET_H
#define SYNCMAIL_NAMESET_H

#include <stddef.h>
#include <stdint.h>

struct nameset_entry {
	char		*key;
	char		*value;		/* owned; may be NULL */
	uint64_t	 num;
};

struct nameset {
	struct nameset_entry *slots;
	size_t		 cap;		/* power of two, or 0 */
	size_t		 count;
};

/*
 * Adds key (keylen bytes) with a copy of value (may be NULL) and num, or
 * replaces the value and num of an existing key.  Returns the entry, or
 * NULL when memory ran out.
 */
struct nameset_entry *nameset_put(struct nameset *, const char *key,
	    size_t keylen, const char *value, uint64_t num);
/* Returns the entry for key, or NULL. */
struct nameset_entry *nameset_get(const struct nameset *, const char *key,
	    size_t keylen);
/* Removes key if present. */
void	 nameset_del(struct nameset *, const char *key, size_t keylen);
/* Iteration: returns the next used entry after *pos, or NULL at the end. */
struct nameset_entry *nameset_next(const struct nameset *, size_t *pos);
void	 nameset_free(struct nameset *);

#endif
