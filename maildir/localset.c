/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/localset.h"
#include "maildir/names.h"

static int
cmp_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
sort_want(struct localset *s)
{
	if (!s->sorted && s->nwant > 0)
		qsort(s->want, s->nwant, sizeof(s->want[0]), cmp_hash);
	s->sorted = 1;
}

static int
wanted(struct localset *s, const char *name)
{
	uint64_t h = names_hash(name, names_unique_len(name));

	sort_want(s);
	return s->nwant > 0 && bsearch(&h, s->want, s->nwant,
	    sizeof(s->want[0]), cmp_hash) != NULL;
}

int
localset_want(struct localset *s, const char *name, struct error *err)
{
	uint64_t *p;
	size_t cap;

	if (s->nwant == s->wantcap) {
		cap = s->wantcap ? s->wantcap * 2 : 256;
		if ((p = reallocarray(s->want, cap, sizeof(*p))) == NULL)
			return error_errno(err, ERR_MAILBOX, "out of memory");
		s->want = p;
		s->wantcap = cap;
	}
	s->want[s->nwant++] = names_hash(name, names_unique_len(name));
	s->sorted = 0;
	s->mapped = 0;
	return 0;
}

/* Adds the wanted files of sub/ (dirfd) to the map. */
static int
scan_dir(struct localset *s, const struct maildir *md, int dirfd,
    const char *sub, struct error *err)
{
	struct dirent *de;
	char local[300];
	DIR *d;
	int fd;

	if ((fd = dup(dirfd)) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/%s", md->path, sub);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return error_errno(err, ERR_MAILBOX, "%s/%s", md->path, sub);
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !wanted(s, de->d_name)) {
			errno = 0;
			continue;
		}
		snprintf(local, sizeof(local), "%s/%s", sub, de->d_name);
		if (nameset_put(&s->map, de->d_name,
		    names_unique_len(de->d_name), local, 0) == NULL) {
			error_errno(err, ERR_MAILBOX, "%s: out of memory "
			    "listing %s", md->path, sub);
			closedir(d);
			return -1;
		}
		errno = 0;
	}
	if (errno != 0) {
		error_errno(err, ERR_MAILBOX, "%s/%s: readdir", md->path, sub);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

int
localset_scan(struct localset *s, const struct maildir *md,
    struct error *err)
{
	sort_want(s);
	nameset_free(&s->map);
	s->mapped = 0;
	if (scan_dir(s, md, md->newfd, "new", err) == -1 ||
	    scan_dir(s, md, md->curfd, "cur", err) == -1) {
		nameset_free(&s->map);
		return -1;
	}
	s->mapped = 1;
	return 0;
}

int
localset_find(struct localset *s, const struct maildir *md,
    const char *name, char *local, size_t localsize, struct error *err)
{
	struct nameset_entry *e;

	if (!s->mapped && localset_scan(s, md, err) == -1)
		return -1;
	if ((e = nameset_get(&s->map, name, names_unique_len(name))) == NULL)
		return 0;
	strlcpy(local, e->value, localsize);
	return 1;
}

int
localset_add(struct localset *s, const char *local, struct error *err)
{
	const char *name = local + 4;	/* after "new/" or "cur/" */
	size_t len = names_unique_len(name);
	int mapped = s->mapped;

	/* Wanted too, so that a scan again finds it. */
	if (!wanted(s, name)) {
		if (localset_want(s, name, err) == -1)
			return -1;
		sort_want(s);
		s->mapped = mapped;
	}
	if (s->mapped && nameset_put(&s->map, name, len, local, 0) == NULL)
		return error_errno(err, ERR_MAILBOX, "out of memory");
	return 0;
}

void
localset_stale(struct localset *s)
{
	s->mapped = 0;
}

void
localset_free(struct localset *s)
{
	free(s->want);
	s->want = NULL;
	s->nwant = s->wantcap = 0;
	s->sorted = 0;
	nameset_free(&s->map);
	s->mapped = 0;
}
