/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maildir/names.h"
#include "maildir/nameset.h"

static int
key_eq(const struct nameset_entry *e, const char *key, size_t len)
{
	return e->key != NULL && strlen(e->key) == len &&
	    memcmp(e->key, key, len) == 0;
}

static struct nameset_entry *
find_slot(const struct nameset *s, const char *key, size_t len)
{
	size_t i;

	for (i = (size_t)names_hash(key, len) & (s->cap - 1);;
	    i = (i + 1) & (s->cap - 1))
		if (s->slots[i].key == NULL || key_eq(&s->slots[i], key, len))
			return &s->slots[i];
}

/*
 * Doubles the table (64 slots the first time) and moves every entry to
 * its slot there: entry pointers taken before are no longer valid.  Keys
 * and values move, they are not copied.  Returns 0, or -1 when memory ran
 * out, the set then unchanged.
 */
static int
grow(struct nameset *s)
{
	struct nameset_entry *old = s->slots, *e;
	size_t oldcap = s->cap, i;

	s->cap = oldcap ? oldcap * 2 : 64;
	if ((s->slots = calloc(s->cap, sizeof(*s->slots))) == NULL) {
		s->slots = old;
		s->cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		e = find_slot(s, old[i].key, strlen(old[i].key));
		*e = old[i];
	}
	free(old);
	return 0;
}

struct nameset_entry *
nameset_put(struct nameset *s, const char *key, size_t len,
    const char *value, uint64_t num)
{
	struct nameset_entry *e;
	char *v = NULL;

	if ((s->count + 1) * 2 > s->cap && grow(s) == -1)
		return NULL;
	if (value != NULL && (v = strdup(value)) == NULL)
		return NULL;
	e = find_slot(s, key, len);
	if (e->key == NULL) {
		if ((e->key = strndup(key, len)) == NULL) {
			free(v);
			return NULL;
		}
		s->count++;
	} else
		free(e->value);
	e->value = v;
	e->num = num;
	return e;
}

struct nameset_entry *
nameset_get(const struct nameset *s, const char *key, size_t len)
{
	struct nameset_entry *e;

	if (s->cap == 0)
		return NULL;
	e = find_slot(s, key, len);
	return e->key != NULL ? e : NULL;
}

void
nameset_del(struct nameset *s, const char *key, size_t len)
{
	struct nameset_entry *e, moved;
	size_t i, j;

	if ((e = nameset_get(s, key, len)) == NULL)
		return;
	free(e->key);
	free(e->value);
	e->key = e->value = NULL;
	s->count--;
	/* Reinsert the rest of the cluster so lookups never stop early. */
	i = (size_t)(e - s->slots);
	for (j = (i + 1) & (s->cap - 1); s->slots[j].key != NULL;
	    j = (j + 1) & (s->cap - 1)) {
		moved = s->slots[j];
		s->slots[j].key = NULL;
		s->slots[j].value = NULL;
		*find_slot(s, moved.key, strlen(moved.key)) = moved;
	}
}

struct nameset_entry *
nameset_next(const struct nameset *s, size_t *pos)
{
	while (*pos < s->cap) {
		struct nameset_entry *e = &s->slots[(*pos)++];

		if (e->key != NULL)
			return e;
	}
	return NULL;
}

void
nameset_free(struct nameset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++) {
		free(s->slots[i].key);
		free(s->slots[i].value);
	}
	free(s->slots);
	s->slots = NULL;
	s->cap = s->count = 0;
}
