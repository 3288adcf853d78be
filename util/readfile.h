/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Reading a small file (a config) whole.  To the end rather than to
 * st_size: it may be a pipe or growing.
 */
#ifndef SYNCMAIL_READFILE_H
#define SYNCMAIL_READFILE_H

#include <stddef.h>

/*
 * Reads fd to its end into a new buffer *bufp (the caller frees it) of
 * *lenp bytes.  Returns 0, or -1 with errno set (EFBIG when the file
 * holds more than max bytes) and *bufp NULL.
 */
int	 readfile(int fd, size_t max, char **bufp, size_t *lenp);

#endif
