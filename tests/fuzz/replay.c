/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Replays fuzz corpora without libFuzzer, for make check: each argument
 * is a file or a directory of files, each file is fed once to the
 * target's LLVMFuzzerTestOneInput.  Built with ASan and UBSan by the
 * system compiler, so a corpus entry that crashes fails the suite.  The
 * name of each input goes to stderr before it runs, so a crash report
 * follows the name of the file that caused it.  Prints one line:
 * "replayed N inputs".
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	struct stat st;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* Exactly the file's size: a read past it is an ASan finding. */
	if ((buf = malloc(st.st_size ? (size_t)st.st_size : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		return -1;
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char *argv[])
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	char **names = NULL, path[4096];
	size_t n, i, cap, total = 0;
	int a, rc = 0;

	for (a = 1; a < argc; a++) {
		if (stat(argv[a], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[a],
			    strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[a]) == -1)
				rc = 1;
			total++;
			continue;
		}
		if ((d = opendir(argv[a])) == NULL) {
			fprintf(stderr, "replay: %s: %s\n", argv[a],
			    strerror(errno));
			return 1;
		}
		n = cap = 0;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((names = realloc(names,
				    cap * sizeof(*names))) == NULL)
					return 1;
			}
			if ((names[n++] = strdup(de->d_name)) == NULL)
				return 1;
		}
		closedir(d);
		/* The same order every time, so a failure reproduces. */
		qsort(names, n, sizeof(*names), cmp_str);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", argv[a],
			    names[i]);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (replay_file(path) == -1)
					rc = 1;
				total++;
			}
			free(names[i]);
		}
	}
	free(names);
	printf("replayed %zu inputs\n", total);
	return rc;
}
