/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The server's host key judged against what known_hosts holds for it
 * (SPEC 6), and the refusals that say what to do next.  sftp/hostkey.c
 * reads and writes known_hosts and matches keys, with no libssh2 (its
 * parser has a fuzz target); this file takes the key from the live
 * session and decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sftp/hostcheck.h"
#include "util/note.h"

/*
 * The known_hosts line for the server's key, in a new string (NULL when
 * out of memory): what the user checks and adds when the key is unknown.
 */
static char *
hostcheck_line(const struct hostkey_set *set, const char *type,
    const unsigned char *blob, size_t len)
{
	char *b64, *line;

	if (len > 65536 || (b64 = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, blob, (int)len);
	if (asprintf(&line, "%s %s %s", set->name, type, b64) == -1)
		line = NULL;
	free(b64);
	return line;
}

/* The line of set's @revoked entry for blob, for the message; 0 if none. */
static int
hostcheck_revoked_line(const struct hostkey_set *set,
    const unsigned char *blob, size_t len)
{
	size_t i;

	for (i = 0; i < set->nkeys; i++)
		if (set->keys[i].revoked && set->keys[i].bloblen == len &&
		    memcmp(set->keys[i].blob, blob, len) == 0)
			return set->keys[i].line;
	return 0;
}

/*
 * Checks the server's key against known_hosts (SPEC 6).  Every refusal
 * says what to do next: a cron job that cannot connect tends to get
 * "fixed" by turning the check off, unless the safe way is spelled out.
 */
int
hostcheck_verify(struct session *s, struct hostkey_set *set,
    enum hostkey_check mode, struct error *err)
{
	const unsigned char *blob;
	char fp[128], type[64], *line;
	size_t len;
	int ktype;

	blob = (const unsigned char *)libssh2_session_hostkey(s->ssh, &len,
	    &ktype);
	if (blob == NULL)
		return session_error(s, err, ERR_TRANSIENT, "host key");
	hostkey_fingerprint(blob, len, fp, sizeof(fp));
	hostkey_blob_type(blob, len, type, sizeof(type));
	switch (hostkey_verify(set, blob, len)) {
	case HOSTKEY_MATCH:
		note(2, s->account, "host key %s %s matches %s", type, fp,
		    set->path);
		return 0;
	case HOSTKEY_REVOKED:
		return error_set(err, ERR_DENIED, "host key for %s is "
		    "REVOKED in %s (line %d): %s %s; refusing to connect.  The "
		    "server must get a new host key; then put the new key in "
		    "place of the old one on the other lines for %s in %s, "
		    "and keep the @revoked line (ssh-keygen -R '%s' -f %s "
		    "would remove it too)", set->name, set->path,
		    hostcheck_revoked_line(set, blob, len), type, fp, set->name,
		    set->path, set->name, set->path);
	case HOSTKEY_CHANGED:
		return error_set(err, ERR_DENIED, "HOST KEY FOR %s HAS "
		    "CHANGED: the server offers %s %s, which %s does not hold; "
		    "this may be an attack.  If the change is expected, remove "
		    "the old key with: ssh-keygen -R '%s' -f %s", set->name,
		    type, fp, set->path, set->name, set->path);
	case HOSTKEY_UNKNOWN:
		if (mode == HOSTKEY_CHECK_ACCEPT_NEW) {
			if (hostkey_append(set, blob, len, err) == -1)
				return -1;
			note(0, s->account, "added host key for %s to %s: "
			    "%s %s", set->name, set->path, type, fp);
			return 0;
		}
		line = hostcheck_line(set, type, blob, len);
		error_set(err, ERR_DENIED, "host key for %s is unknown: "
		    "%s %s.  If that is the server's key (on the server: "
		    "ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), add this "
		    "line to %s: %s -- or set host-key-check accept-new to "
		    "record it on the next run", set->name, type, fp,
		    strncmp(type, "ssh-", 4) == 0 ? type + 4 : strncmp(type,
		    "ecdsa", 5) == 0 ? "ecdsa" : "*", set->path,
		    line != NULL ? line : "(out of memory)");
		free(line);
		return -1;
	}
	return error_set(err, ERR_DENIED, "host key check failed");
}
