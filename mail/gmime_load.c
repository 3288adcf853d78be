/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/* GMime loaded at run time: see mail/gmime_load.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "mail/gmime_load.h"

/* The library's file name (its soname on Linux), from the Makefile. */
#ifndef GMIME_LIBRARY
#define GMIME_LIBRARY "libgmime-3.0.so.0"
#endif

struct gmime gm;

int
gmime_load(char *why, size_t whysize)
{
	void *lib;
	const char *e;

	/*
	 * RTLD_NOW: every symbol bound here, before the confinement; never
	 * closed, the child exits with it.  dlsym on the library's handle
	 * also finds GLib's and GObject's functions, which it depends on.
	 */
	if ((lib = dlopen(GMIME_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(why, whysize, "cannot load GMime: %s",
		    e != NULL ? e : GMIME_LIBRARY);
		return -1;
	}
#define GMIME_LOOKUP(f) \
	if ((*(void **)&gm.f = dlsym(lib, #f)) == NULL) { \
		snprintf(why, whysize, "cannot load GMime: %s: no %s", \
		    GMIME_LIBRARY, #f); \
		return -1; \
	}
	GMIME_FUNCS(GMIME_LOOKUP)
#undef GMIME_LOOKUP
	return 0;
}
