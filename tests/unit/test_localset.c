/*
 * Unit tests for maildir/localset.c, the set of unique names already in
 * a local Maildir, on a real Maildir in a temporary directory: found in
 * new/ and in cur/ whatever the info part, not found when absent, a file
 * the user's client moved after the map was built found again at its new
 * place, additions seen with and without the map, and its memory: a few
 * bytes a message, not the names.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir/localset.h"
#include "maildir/maildir.h"
#include "tests/unit/check.h"

static char dir[64];

static void
touch(const char *sub, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(path);
		exit(1);
	}
	close(fd);
}

static void
move(const char *from, const char *to)
{
	char a[512], b[512];

	snprintf(a, sizeof(a), "%s/%s", dir, from);
	snprintf(b, sizeof(b), "%s/%s", dir, to);
	if (rename(a, b) == -1) {
		perror(a);
		exit(1);
	}
}

/* find NAME: what localset_find says, with the path in got. */
static int
find(struct localset *s, const struct maildir *md, const char *name,
    char *got)
{
	struct error err;

	got[0] = '\0';
	return localset_find(s, md, name, got, 300, &err);
}

int
main(void)
{
	struct localset s;
	struct maildir md;
	struct error err;
	char got[300], name[128];
	int i, rc;

	strlcpy(dir, "/tmp/syncmail-localset.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CHECK(maildir_open(&md, dir, 1, &err) == 0);
	touch("new", "1700000001.M1P1Q1.host");
	touch("cur", "1700000002.M2P2Q2.host:2,S");
	touch("cur", "1700000003.M3P3Q3.host:2,RS");
	touch("new", ".hidden");

	memset(&s, 0, sizeof(s));
	/* An empty set finds nothing and needs no scan. */
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 0);
	CHECK(localset_scan(&s, &md, &err) == 0);
	CHECK(s.count == 3);
	CHECK(!s.mapped);

	/* Misses never build the map. */
	CHECK(find(&s, &md, "1700000009.M9P9Q9.host", got) == 0);
	CHECK(find(&s, &md, "1700000001.M1P1Q1.hos", got) == 0);
	CHECK(find(&s, &md, ".hidden", got) == 0);
	CHECK(!s.mapped);

	/* Hits, by unique name whatever the info part on either side. */
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 1);
	CHECK_STR(got, "new/1700000001.M1P1Q1.host");
	CHECK(s.mapped);
	CHECK(find(&s, &md, "1700000002.M2P2Q2.host", got) == 1);
	CHECK_STR(got, "cur/1700000002.M2P2Q2.host:2,S");
	CHECK(find(&s, &md, "1700000003.M3P3Q3.host:2,", got) == 1);
	CHECK_STR(got, "cur/1700000003.M3P3Q3.host:2,RS");
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host:2,T", got) == 1);
	CHECK_STR(got, "new/1700000001.M1P1Q1.host");

	/* Read by the user after the map was built: found at its new place. */
	move("new/1700000001.M1P1Q1.host", "cur/1700000001.M1P1Q1.host:2,S");
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 1);
	CHECK_STR(got, "new/1700000001.M1P1Q1.host");	/* the map's, stale */
	localset_stale(&s);
	CHECK(!s.mapped);
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 1);
	CHECK_STR(got, "cur/1700000001.M1P1Q1.host:2,S");

	/* Added with the map built, and without. */
	touch("new", "1700000004.M4P4Q4.host");
	CHECK(localset_add(&s, "new/1700000004.M4P4Q4.host", &err) == 0);
	CHECK(find(&s, &md, "1700000004.M4P4Q4.host", got) == 1);
	CHECK_STR(got, "new/1700000004.M4P4Q4.host");
	localset_stale(&s);
	touch("new", "1700000005.M5P5Q5.host");
	CHECK(localset_add(&s, "new/1700000005.M5P5Q5.host", &err) == 0);
	CHECK(!s.mapped);
	CHECK(find(&s, &md, "1700000005.M5P5Q5.host", got) == 1);
	CHECK_STR(got, "new/1700000005.M5P5Q5.host");
	CHECK(s.count == 5);

	/* Deleted by the user: the hash stays, the map knows better. */
	snprintf(got, sizeof(got), "%s/new/1700000005.M5P5Q5.host", dir);
	CHECK(unlink(got) == 0);
	localset_stale(&s);
	CHECK(find(&s, &md, "1700000005.M5P5Q5.host", got) == 0);

	/*
	 * Many: every one found, none of 2,000 others, and 8 bytes a hash
	 * at most three quarters full, with no map until a hit.
	 */
	localset_free(&s);
	CHECK(s.count == 0 && s.cap == 0 && !s.mapped);
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.laptop:2,S",
		    1600000000 + i, i * 7, i % 5000, i);
		touch("cur", name);
	}
	CHECK(localset_scan(&s, &md, &err) == 0);
	CHECK(s.count == 20000 + 4);
	CHECK(s.cap == 32768);
	rc = 0;
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.other",
		    1600000000 + i, i * 7, i % 5000, i);
		rc |= find(&s, &md, name, got);
	}
	CHECK(rc == 0);
	CHECK(!s.mapped);
	rc = 1;
	for (i = 0; i < 20000; i += 97) {
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.laptop",
		    1600000000 + i, i * 7, i % 5000, i);
		rc &= find(&s, &md, name, got) == 1 &&
		    strncmp(got, "cur/", 4) == 0 &&
		    strncmp(got + 4, name, strlen(name)) == 0;
	}
	CHECK(rc == 1);
	localset_free(&s);
	maildir_close(&md);

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0);
	}
	return check_done();
}
