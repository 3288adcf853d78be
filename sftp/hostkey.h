/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Known hosts (SPEC section 6), read line by line by us: libssh2 1.10's
 * reader stops at the first line it cannot parse and ignores @revoked.
 * Keys are compared as the raw SSH wire blobs ("string type, ...").
 */
#ifndef SYNCMAIL_HOSTKEY_H
#define SYNCMAIL_HOSTKEY_H

#include <stddef.h>

#include "util/error.h"

/* One key of the known_hosts file that applies to the host looked up. */
struct hostkey_known {
	char		*type;		/* "ssh-ed25519", "ecdsa-sha2-nistp256", ... */
	unsigned char	*blob;		/* decoded base64 key */
	size_t		 bloblen;
	int		 revoked;	/* from a "@revoked" line */
	int		 line;
};

struct hostkey_set {
	char			*path;	/* the known_hosts file */
	char			*name;	/* "host" or "[host]:port" as matched */
	struct hostkey_known	*keys;
	size_t			 nkeys;
	int			 hashed;	/* the file's entries are mostly hashed */
	/* lines with unknown key types or markers, for a -v note */
	int			 skipped;
};

enum hostkey_verdict {
	HOSTKEY_MATCH,		/* a non-revoked entry has exactly this key */
	HOSTKEY_UNKNOWN,	/* no entry for this host at all */
	HOSTKEY_CHANGED,	/* entries for this host, none with this key */
	HOSTKEY_REVOKED		/* this key is listed under @revoked */
};

/*
 * Reads the known_hosts file at path and keeps the entries (plain names,
 * comma lists, wildcard patterns with "!" negation, "|1|salt|hash" hashed
 * names) that match host at port: "host" for port 22, else "[host]:port".
 * A missing file is an empty set, not an error.  Returns 0, or -1 with err
 * set (ERR_DENIED) when the file exists but cannot be read.  The set is
 * freed with hostkey_set_free.
 */
int	 hostkey_load(const char *path, const char *host, int port,
	    struct hostkey_set *set, struct error *err);

/*
 * Parses one known_hosts line (no newline) for hostname "name" (already in
 * "[host]:port" form where needed).  Returns 1 and fills *key when the line
 * applies to name, 0 when it does not apply or is a comment or blank,
 * -1 when it cannot be parsed or has an unknown key type.  Pure; the fuzz
 * target and unit tests drive it.
 */
int	 hostkey_parse_line(const char *line, const char *name,
	    struct hostkey_known *key);

/* Judges the server's key blob against the set.  Revoked wins over match. */
enum hostkey_verdict hostkey_verify(const struct hostkey_set *,
	    const unsigned char *blob, size_t len);

/*
 * A comma-separated list, in libssh2's method_pref syntax, of the host key
 * algorithms the set holds keys of, ed25519 first, so the server is asked
 * for a key we can check.  Empty string when the set has no usable key.
 * Returns a pointer into a static buffer.
 */
const char *hostkey_algorithms(const struct hostkey_set *);

/* "SHA256:" and the unpadded base64 of the key blob's SHA-256, as ssh-keygen -l. */
void	 hostkey_fingerprint(const unsigned char *blob, size_t len,
	    char *out, size_t outlen);

/* The key type name at the start of a blob, or "unknown"; into out. */
void	 hostkey_blob_type(const unsigned char *blob, size_t len,
	    char *out, size_t outlen);

/*
 * Appends one line for the key to path (creating it, mode 0600), hashed
 * when set->hashed, and fsyncs it; the file is never rewritten.  For
 * host-key-check accept-new.  Returns 0 or -1 with err set.
 */
int	 hostkey_append(const struct hostkey_set *, const unsigned char *blob,
	    size_t len, struct error *err);

void	 hostkey_set_free(struct hostkey_set *);
void	 hostkey_known_free(struct hostkey_known *);

#endif
