/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for maildir/localset.c, the local messages that share a
 * unique name with a wanted (listed) one, on a real Maildir in a temporary
 * directory: found in new/ and in cur/ whatever the info part, not found
 * when absent or not wanted, a file the user's client moved after the
 * scan found again at its new place, additions found also after a scan
 * again, and memory that follows what is wanted, not the Maildir.
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

	/* Nothing wanted: nothing kept, nothing found. */
	memset(&s, 0, sizeof(s));
	CHECK(localset_scan(&s, &md, &err) == 0);
	CHECK(s.map.count == 0);
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 0);
	localset_free(&s);

	/* Wanted by unique name, whatever the info part on either side. */
	CHECK(localset_want(&s, "1700000001.M1P1Q1.host", &err) == 0);
	CHECK(localset_want(&s, "1700000002.M2P2Q2.host", &err) == 0);
	CHECK(localset_want(&s, "1700000009.M9P9Q9.host:2,", &err) == 0);
	CHECK(localset_want(&s, ".hidden", &err) == 0);
	CHECK(localset_scan(&s, &md, &err) == 0);
	CHECK(s.map.count == 2);	/* 3 is not wanted, .hidden never */
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 1);
	CHECK_STR(got, "new/1700000001.M1P1Q1.host");
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host:2,T", got) == 1);
	CHECK_STR(got, "new/1700000001.M1P1Q1.host");
	CHECK(find(&s, &md, "1700000002.M2P2Q2.host", got) == 1);
	CHECK_STR(got, "cur/1700000002.M2P2Q2.host:2,S");
	CHECK(find(&s, &md, "1700000009.M9P9Q9.host", got) == 0);
	CHECK(find(&s, &md, ".hidden", got) == 0);

	/* Read by the user after the scan: found at its new place. */
	move("new/1700000001.M1P1Q1.host", "cur/1700000001.M1P1Q1.host:2,S");
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 1);
	CHECK_STR(got, "new/1700000001.M1P1Q1.host");	/* stale */
	localset_stale(&s);
	CHECK(find(&s, &md, "1700000001.M1P1Q1.host", got) == 1);
	CHECK_STR(got, "cur/1700000001.M1P1Q1.host:2,S");

	/* Delivered under a name not wanted (a fresh one): found, also
	 * after a scan again. */
	touch("new", "1700000004.M4P4Q4.fresh");
	CHECK(localset_add(&s, "new/1700000004.M4P4Q4.fresh", &err) == 0);
	CHECK(find(&s, &md, "1700000004.M4P4Q4.fresh", got) == 1);
	CHECK_STR(got, "new/1700000004.M4P4Q4.fresh");
	localset_stale(&s);
	CHECK(find(&s, &md, "1700000004.M4P4Q4.fresh", got) == 1);
	CHECK_STR(got, "new/1700000004.M4P4Q4.fresh");
	/* And a wanted one, added while the map is stale. */
	touch("new", "1700000009.M9P9Q9.host");
	localset_stale(&s);
	CHECK(localset_add(&s, "new/1700000009.M9P9Q9.host", &err) == 0);
	CHECK(find(&s, &md, "1700000009.M9P9Q9.host", got) == 1);
	CHECK_STR(got, "new/1700000009.M9P9Q9.host");

	/* Deleted by the user: gone after a scan again. */
	snprintf(got, sizeof(got), "%s/new/1700000004.M4P4Q4.fresh", dir);
	CHECK(unlink(got) == 0);
	localset_stale(&s);
	CHECK(find(&s, &md, "1700000004.M4P4Q4.fresh", got) == 0);
	localset_free(&s);
	CHECK(s.nwant == 0 && s.want == NULL && s.map.count == 0);

	/*
	 * Memory follows what is wanted, not the Maildir: of 20,000 local
	 * messages the map keeps the 100 wanted ones present.
	 */
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.laptop:2,S",
		    1600000000 + i, i * 7, i % 5000, i);
		touch("cur", name);
	}
	for (i = 0; i < 400; i += 2) {
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.laptop",
		    1600000000 + i * 97, i * 97 * 7, i * 97 % 5000, i * 97);
		CHECK(localset_want(&s, name, &err) == 0);
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.other",
		    1600000000 + i, i * 7, i % 5000, i);
		CHECK(localset_want(&s, name, &err) == 0);
	}
	CHECK(localset_scan(&s, &md, &err) == 0);
	/* i * 97 < 20000 for i < 207: 104 of the 200 are local. */
	CHECK(s.map.count == 104);
	rc = 1;
	for (i = 0; i < 400; i += 2) {
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.laptop",
		    1600000000 + i * 97, i * 97 * 7, i * 97 % 5000, i * 97);
		rc &= find(&s, &md, name, got) == (i * 97 < 20000);
		snprintf(name, sizeof(name), "%d.M%dP%dQ%d.other",
		    1600000000 + i, i * 7, i % 5000, i);
		rc &= find(&s, &md, name, got) == 0;
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
