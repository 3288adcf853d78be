#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localset.h"
#include "names.h"

/*
 * FNV-1a.  A name chosen to collide (a hostile server's) costs only the
 * full map being built: what every lookup cost before this set existed.
 */
static uint64_t
hash(const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return h != 0 ? h : 1;
}

/* The slot of h, or the empty slot where it would go. */
static uint64_t *
slot_of(const struct localset *s, uint64_t h)
{
	size_t i;

	for (i = h & (s->cap - 1); s->slots[i] != 0 && s->slots[i] != h;
	    i = (i + 1) & (s->cap - 1))
		;
	return &s->slots[i];
}

static int
put_hash(struct localset *s, uint64_t h)
{
	uint64_t *old = s->slots, *p;
	size_t oldcap = s->cap, i;

	/* At most three quarters full, so that a miss ends soon. */
	if ((s->count + 1) * 4 > s->cap * 3) {
		s->cap = oldcap ? oldcap * 2 : 1024;
		if ((s->slots = calloc(s->cap, sizeof(*s->slots))) == NULL) {
			s->slots = old;
			s->cap = oldcap;
			return -1;
		}
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0)
				*slot_of(s, old[i]) = old[i];
		free(old);
	}
	p = slot_of(s, h);
	if (*p == 0) {
		*p = h;
		s->count++;
	}
	return 0;
}

/* Calls each(s, "sub/NAME") for every message in sub/ (dirfd). */
static int
scan_dir(struct localset *s, const struct maildir *md, int dirfd,
    const char *sub, int (*each)(struct localset *, const char *),
    struct error *err)
{
	struct dirent *de;
	char local[300];
	DIR *d;
	int fd;

	if ((fd = dup(dirfd)) == -1)
		return error_errno(err, STATUS_PARTIAL, "%s/%s", md->path, sub);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return error_errno(err, STATUS_PARTIAL, "%s/%s", md->path, sub);
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(local, sizeof(local), "%s/%s", sub, de->d_name);
		if (each(s, local) == -1) {
			error_errno(err, STATUS_PARTIAL, "%s: out of memory "
			    "listing %s", md->path, sub);
			closedir(d);
			return -1;
		}
		errno = 0;
	}
	if (errno != 0) {
		error_errno(err, STATUS_PARTIAL, "%s/%s: readdir", md->path, sub);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

static int
add_hash(struct localset *s, const char *local)
{
	const char *name = local + 4;	/* after "new/" or "cur/" */

	return put_hash(s, hash(name, names_unique_len(name)));
}

static int
add_map(struct localset *s, const char *local)
{
	const char *name = local + 4;

	return nameset_put(&s->map, name, names_unique_len(name), local,
	    0) == NULL ? -1 : 0;
}

static int
scan(struct localset *s, const struct maildir *md,
    int (*each)(struct localset *, const char *), struct error *err)
{
	if (scan_dir(s, md, md->newfd, "new", each, err) == -1 ||
	    scan_dir(s, md, md->curfd, "cur", each, err) == -1)
		return -1;
	return 0;
}

int
localset_scan(struct localset *s, const struct maildir *md,
    struct error *err)
{
	return scan(s, md, add_hash, err);
}

int
localset_find(struct localset *s, const struct maildir *md,
    const char *name, char *local, size_t localsize, struct error *err)
{
	size_t len = names_unique_len(name);
	struct nameset_entry *e;

	if (s->cap == 0 || *slot_of(s, hash(name, len)) == 0)
		return 0;
	if (!s->mapped) {
		nameset_free(&s->map);
		if (scan(s, md, add_map, err) == -1) {
			nameset_free(&s->map);
			return -1;
		}
		s->mapped = 1;
	}
	if ((e = nameset_get(&s->map, name, len)) == NULL)
		return 0;
	strlcpy(local, e->value, localsize);
	return 1;
}

int
localset_add(struct localset *s, const char *local, struct error *err)
{
	if (add_hash(s, local) == -1 || (s->mapped && add_map(s, local) == -1))
		return error_errno(err, STATUS_PARTIAL, "out of memory");
	return 0;
}

void
localset_stale(struct localset *s)
{
	nameset_free(&s->map);
	s->mapped = 0;
}

void
localset_free(struct localset *s)
{
	free(s->slots);
	s->slots = NULL;
	s->cap = s->count = 0;
	localset_stale(s);
}
