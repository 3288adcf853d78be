/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Fuzz target for hostkey_parse_line (sftp/hostkey.c): one known_hosts
 * line.  The function takes a C string, so the input is copied and
 * NUL-terminated; a newline in it is kept (the loader never passes one,
 * but the parser must not misbehave on it).  Each line is tried against
 * a few host names: plain, "[host]:port", and one that matches the
 * hashed seeds, and NULL (syntax only).  A key that parses is also
 * fingerprinted and named, as syncmail does with the server's key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sftp/hostkey.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *names[] = {
	"mail.example.com",
	"[127.0.0.1]:2222",
	"192.0.2.7",
	NULL,		/* syntax only */
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hostkey_known key;
	char fp[128], type[64];
	char *line;
	size_t i;
	int rc;

	if ((line = malloc(len + 1)) == NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = hostkey_parse_line(line, names[i], &key);
		if (rc < -1 || rc > 1)
			abort();
		if (rc == 1) {
			if (key.type == NULL || key.blob == NULL ||
			    key.bloblen == 0)
				abort();
			hostkey_fingerprint(key.blob, key.bloblen, fp,
			    sizeof(fp));
			hostkey_blob_type(key.blob, key.bloblen, type,
			    sizeof(type));
			if (strncmp(fp, "SHA256:", 7) != 0 ||
			    strcmp(type, key.type) != 0)
				abort();
			hostkey_known_free(&key);
		}
	}
	free(line);
	return 0;
}
