/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <sys/time.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maildir/names.h"

const char *
names_invalid(const char *name, size_t namelen)
{
	size_t i;

	if (namelen == 0)
		return "empty name";
	if (namelen > 255)
		return "name over 255 bytes";
	if (name[0] == '.')
		return "name starts with a dot";
	for (i = 0; i < namelen; i++) {
		unsigned char c = name[i];

		if (c == '/')
			return "name contains a slash";
		if (c < 0x20 || c == 0x7f)
			return "name contains a control byte";
	}
	return NULL;
}

size_t
names_unique_len(const char *name)
{
	return strcspn(name, ":");
}

void
names_printable(const char *name, size_t namelen, char *out, size_t outsize)
{
	size_t i, o = 0;

	if (outsize == 0)
		return;
	for (i = 0; i < namelen && o + 5 < outsize; i++) {
		unsigned char c = name[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += snprintf(out + o, outsize - o, "\\x%02x", c);
		else
			out[o++] = c;
	}
	if (i < namelen && o + 4 < outsize)
		o += snprintf(out + o, outsize - o, "...");
	out[o] = '\0';
}

int
names_fresh(const char *old, unsigned int n, char *out, size_t outsize)
{
	char host[256];
	struct timeval tv;
	const char *info = strchr(old, ':');
	size_t i;
	int len;

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	/* Maildir reserves '/' and ':' in host names; "\057" and "\072" as qmail. */
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] == '/' || host[i] == ':')
			host[i] = '_';
	gettimeofday(&tv, NULL);
	len = snprintf(out, outsize, "%lld.M%ldP%ldQ%u.%s%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), n, host,
	    info != NULL ? info : "");
	if (len < 0 || (size_t)len >= outsize || len > 255)
		return -1;
	return 0;
}

uint64_t
names_hash(const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return h;
}
