/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/readfile.h"

int
readfile(int fd, size_t max, char **bufp, size_t *lenp)
{
	char *buf = NULL, *nbuf;
	size_t len = 0, size = 0;
	ssize_t r;

	*bufp = NULL;
	*lenp = 0;
	for (;;) {
		if (len == size) {
			/* One byte past max tells a file of max bytes from more. */
			if (size > max) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			size = size == 0 ? 8192 : size * 2;
			if (size > max + 1)
				size = max + 1;
			if ((nbuf = realloc(buf, size)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, size - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += r;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}
