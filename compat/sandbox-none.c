/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/* No sandbox on this platform: said at -v.  See compat/sandbox.h. */
#include "compat/sandbox.h"
#include "util/note.h"

int
sandbox_ready(struct sandbox_paths *l, int forks,
    struct error *err)
{
	(void)l;
	(void)forks;
	(void)err;
	note(1, NULL, "sandbox: off: none on this platform");
	return 0;
}

int
sandbox_close(struct sandbox_paths *l, int forks,
    int quiet, struct error *err)
{
	(void)l;
	(void)forks;
	(void)quiet;
	(void)err;
	return 0;
}
