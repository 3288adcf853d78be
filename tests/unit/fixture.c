/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/* The local side of the engine's unit tests; see fixture.h. */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

const char *
fixture_sftp_server(void)
{
	const char *p = getenv("SFTP_SERVER");

	return p != NULL ? p : "/usr/lib/openssh/sftp-server";
}

void
fixture_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", path);
	for (i = 1; buf[i] != '\0'; i++)
		if (buf[i] == '/') {
			buf[i] = '\0';
			mkdir(buf, 0700);
			buf[i] = '/';
		}
	mkdir(buf, 0700);
}

void
fixture_mkmaildir(const char *path, int with_new)
{
	char sub[PATH_MAX + 8];

	fixture_mkdirs(path);
	snprintf(sub, sizeof(sub), "%s/tmp", path);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/cur", path);
	mkdir(sub, 0700);
	if (with_new) {
		snprintf(sub, sizeof(sub), "%s/new", path);
		mkdir(sub, 0700);
	}
}

int
fixture_count_files(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
fixture_count_in(const char *maildir, const char *sub)
{
	char dir[PATH_MAX + 8];

	snprintf(dir, sizeof(dir), "%s/%s", maildir, sub);
	return fixture_count_files(dir);
}
