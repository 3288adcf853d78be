/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Known hosts, read by us line by line (SPEC section 6): the file's lines
 * parsed and matched against the host, the server's key judged, and a new
 * key appended for accept-new.  Every byte of the file is untrusted: a
 * line we cannot make sense of is skipped and counted, never fatal, and
 * every length is checked before it is used.  What a key blob is and its
 * base64 are sftp/hostkey_blob.c's; the fields are found by util/lex.c.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sftp/hostkey.h"
#include "sftp/hostkey_blob.h"
#include "util/error.h"
#include "util/lex.h"
#include "util/match.h"

#define HOSTKEY_HASH_MAGIC	"|1|"
#define HOSTKEY_SHA1_LEN	20
#define HOSTKEY_MAX_NAME	1024

/* Internal result of hostkey_parse, beyond hostkey_parse_line's 1, 0, -1. */
#define HOSTKEY_NOMEM		(-2)

/* HMAC-SHA1 of name keyed by salt: how "|1|salt|hash" names are made. */
static int
hostkey_hash_name(const unsigned char *salt, size_t saltlen,
    const char *name, unsigned char *out)
{
	unsigned int outlen = 0;

	if (HMAC(EVP_sha1(), salt, (int)saltlen, (const unsigned char *)name,
	    strlen(name), out, &outlen) == NULL ||
	    outlen != HOSTKEY_SHA1_LEN)
		return -1;
	return 0;
}

/*
 * A hashed host field "|1|base64salt|base64hash", the whole field (OpenSSH
 * never puts one in a comma list).  Returns 1 when it is name's hash, 0
 * when not, -1 when the field is malformed.  name may be NULL: syntax only.
 */
static int
hostkey_match_hashed(const char *name, const char *f, size_t len)
{
	unsigned char salt[64], hash[64], want[HOSTKEY_SHA1_LEN];
	size_t saltlen, hashlen, mlen = strlen(HOSTKEY_HASH_MAGIC);
	const char *bar;

	if (len < mlen || memcmp(f, HOSTKEY_HASH_MAGIC, mlen) != 0)
		return -1;
	f += mlen;
	len -= mlen;
	if ((bar = memchr(f, '|', len)) == NULL)
		return -1;
	if (hostkey_blob_b64decode(f, bar - f, salt, sizeof(salt),
	    &saltlen) == -1 || saltlen != HOSTKEY_SHA1_LEN)
		return -1;
	len -= bar - f + 1;
	if (hostkey_blob_b64decode(bar + 1, len, hash, sizeof(hash),
	    &hashlen) == -1 || hashlen != HOSTKEY_SHA1_LEN)
		return -1;
	if (name == NULL)
		return 0;
	if (hostkey_hash_name(salt, saltlen, name, want) == -1)
		return 0;
	return CRYPTO_memcmp(want, hash, sizeof(want)) == 0;
}

/*
 * hostkey_parse_line, also telling the caller whether the line was a
 * hashed (*hashed 1) or plain (0) host entry, -1 for anything else, and
 * HOSTKEY_NOMEM apart from a bad line: losing a @revoked key to a failed
 * malloc must fail the load, not pass as a skipped line.  The line is
 * parsed whole before the name is matched, so what counts as skipped does
 * not depend on the host looked up.
 */
static int
hostkey_parse(const char *line, const char *name, struct hostkey_known *key,
    int *hashed)
{
	const char *p = line, *end = line + strlen(line), *f, *hosts, *type;
	const char *b64;
	size_t flen, hostslen, typelen, b64len, bloblen;
	unsigned char *blob = NULL;
	int revoked = 0, t, m;

	memset(key, 0, sizeof(*key));
	*hashed = -1;
	if (lex_empty(line, end - line))
		return 0;
	f = lex_field(&p, end, &flen);
	if (*f == '@') {
		/* @cert-authority is not supported: skipped and counted. */
		if (flen != 8 || memcmp(f, "@revoked", 8) != 0)
			return -1;
		revoked = 1;
		if ((f = lex_field(&p, end, &flen)) == NULL)
			return -1;
	}
	hosts = f;
	hostslen = flen;
	if ((type = lex_field(&p, end, &typelen)) == NULL ||
	    (b64 = lex_field(&p, end, &b64len)) == NULL)
		return -1;
	/* Whatever follows the key is its comment. */
	if ((t = hostkey_blob_find(type, typelen)) == -1)
		return -1;
	if (b64len / 4 * 3 > HOSTKEY_MAX_BLOB + 2)
		return -1;

	if (*hosts == '|') {
		if ((m = hostkey_match_hashed(name, hosts, hostslen)) == -1)
			return -1;
		*hashed = 1;
	} else {
		m = name != NULL && match_list(hosts, hostslen, name);
		*hashed = 0;
	}

	if ((blob = malloc(b64len / 4 * 3 + 1)) == NULL)
		return HOSTKEY_NOMEM;
	if (hostkey_blob_b64decode(b64, b64len, blob, b64len / 4 * 3,
	    &bloblen) == -1 || hostkey_blob_check(blob, bloblen, t) == -1) {
		free(blob);
		*hashed = -1;
		return -1;
	}
	if (!m) {
		free(blob);
		return 0;
	}
	if ((key->type = strdup(hostkey_blob_name(t))) == NULL) {
		free(blob);
		return HOSTKEY_NOMEM;
	}
	key->blob = blob;
	key->bloblen = bloblen;
	key->revoked = revoked;
	return 1;
}

/*
 * On success key owns type and blob (free with hostkey_known_free); on 0
 * or -1 it holds nothing.  Out of memory reads as -1 here; hostkey_load
 * tells the two apart.  name NULL checks the syntax only.
 */
int
hostkey_parse_line(const char *line, const char *name,
    struct hostkey_known *key)
{
	int hashed, rc;

	if ((rc = hostkey_parse(line, name, key, &hashed)) == HOSTKEY_NOMEM)
		rc = -1;
	return rc;
}

/*
 * Host names go into known_hosts verbatim on accept-new: a name with a
 * space, comma, "*", "#" or newline would write a different entry than
 * the one meant (a "*" would trust the key for every host).  Allow only
 * what host names and addresses (IPv6 with a zone) are made of, plus the
 * brackets of "[host]:port" when brackets is set.
 */
static int
hostkey_name_ok(const char *s, int brackets)
{
	size_t n = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++, n++) {
		if (isalnum((unsigned char)*s) || strchr(".-_:%", *s) != NULL)
			continue;
		if (brackets && (*s == '[' || *s == ']'))
			continue;
		return 0;
	}
	return n <= HOSTKEY_MAX_NAME;
}

/*
 * Fills set for host at port from the file at path; set is overwritten,
 * not freed, and is always safe to hostkey_set_free, even after an error
 * (it is then empty).  The caller owns set's contents.  The looked-up name
 * is lowercased, as ssh does before it matches or hashes it.
 */
int
hostkey_load(const char *path, const char *host, int port,
    struct hostkey_set *set, struct error *err)
{
	struct hostkey_known key, *nk;
	FILE *fp = NULL;
	char *line = NULL, *s;
	size_t cap = 0, nalloc = 0;
	ssize_t n;
	int fd, rc, hashed, lineno = 0, nhashed = 0, nplain = 0;

	memset(set, 0, sizeof(*set));
	if (path == NULL || host == NULL || !hostkey_name_ok(host, 0))
		return error_set(err, ERR_DENIED,
		    "%s: invalid host name for known hosts",
		    path != NULL ? path : "known_hosts");
	if ((set->path = strdup(path)) == NULL)
		goto nomem;
	if (port == 22)
		set->name = strdup(host);
	else if (asprintf(&set->name, "[%s]:%d", host, port) == -1)
		set->name = NULL;
	if (set->name == NULL)
		goto nomem;
	for (s = set->name; *s != '\0'; s++)
		*s = tolower((unsigned char)*s);

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		error_errno(err, ERR_DENIED, "%s: open", path);
		goto fail;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		error_errno(err, ERR_DENIED, "%s: fdopen", path);
		close(fd);
		goto fail;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (lineno < INT_MAX)
			lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		/* A NUL would hide the rest of the line from the parser. */
		if (strlen(line) != (size_t)n) {
			set->skipped++;
			continue;
		}
		rc = hostkey_parse(line, set->name, &key, &hashed);
		if (rc == HOSTKEY_NOMEM)
			goto nomem;
		if (rc == -1)
			set->skipped++;
		if (hashed == 1)
			nhashed++;
		else if (hashed == 0)
			nplain++;
		if (rc != 1)
			continue;
		if (set->nkeys == nalloc) {
			nk = reallocarray(set->keys, nalloc ? nalloc * 2 : 8,
			    sizeof(*nk));
			if (nk == NULL) {
				hostkey_known_free(&key);
				goto nomem;
			}
			set->keys = nk;
			nalloc = nalloc ? nalloc * 2 : 8;
		}
		key.line = lineno;
		set->keys[set->nkeys++] = key;
	}
	if (ferror(fp)) {
		error_errno(err, ERR_DENIED, "%s: read", path);
		goto fail;
	}
	set->hashed = nhashed > nplain;
	free(line);
	fclose(fp);
	return 0;

nomem:
	error_errno(err, ERR_DENIED, "%s", path);
fail:
	free(line);
	if (fp != NULL)
		fclose(fp);
	hostkey_set_free(set);
	return -1;
}

/* A NULL set is treated as empty: UNKNOWN. */
enum hostkey_verdict
hostkey_verify(const struct hostkey_set *set, const unsigned char *blob,
    size_t len)
{
	size_t i;
	int known = 0, match = 0;

	if (set == NULL)
		return HOSTKEY_UNKNOWN;
	for (i = 0; i < set->nkeys; i++) {
		const struct hostkey_known *k = &set->keys[i];
		int same = k->bloblen == len &&
		    memcmp(k->blob, blob, len) == 0;

		if (k->revoked) {
			if (same)
				return HOSTKEY_REVOKED;
			/*
			 * A revoked entry alone does not make a host known:
			 * "@revoked * KEY" would otherwise turn every new
			 * host into a changed one.
			 */
			continue;
		}
		known = 1;
		if (same)
			match = 1;
	}
	if (match)
		return HOSTKEY_MATCH;
	return known ? HOSTKEY_CHANGED : HOSTKEY_UNKNOWN;
}

/*
 * Not reentrant: the static buffer holds the result until the next call.
 * Revoked keys are left out: asking for a type only to refuse it is no use.
 */
const char *
hostkey_algorithms(const struct hostkey_set *set)
{
	static char buf[128];
	const char *type;
	size_t i, t;

	buf[0] = '\0';
	if (set == NULL)
		return buf;
	for (t = 0; (type = hostkey_blob_name(t)) != NULL; t++) {
		for (i = 0; i < set->nkeys; i++)
			if (!set->keys[i].revoked &&
			    strcmp(set->keys[i].type, type) == 0)
				break;
		if (i == set->nkeys)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ",", sizeof(buf));
		strlcat(buf, type, sizeof(buf));
	}
	return buf;
}

/*
 * Creates the directory that holds path (0700, as ssh makes ~/.ssh) when
 * it is missing; only the last level, since a missing home is not ours to
 * make.
 */
static int
hostkey_mkparent(const char *path, struct error *err)
{
	char *dir, *slash;
	int rc = 0;

	if ((dir = strdup(path)) == NULL)
		return error_errno(err, ERR_DENIED, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			rc = error_errno(err, ERR_DENIED, "%s: mkdir", dir);
	}
	free(dir);
	return rc;
}

/*
 * A new file's name lives in its directory: without this fsync a power
 * cut could lose a known_hosts that was just created and fsynced.
 */
static int
hostkey_syncparent(const char *path, struct error *err)
{
	char *dir, *slash;
	const char *d;
	int fd, rc = 0;

	if ((dir = strdup(path)) == NULL)
		return error_errno(err, ERR_DENIED, "%s", path);
	d = dir;
	if ((slash = strrchr(dir, '/')) == NULL)
		d = ".";
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		rc = error_errno(err, ERR_DENIED, "%s: open", d);
	else {
		/* Some file systems cannot sync a directory: not our fault. */
		if (fsync(fd) == -1 && errno != EINVAL)
			rc = error_errno(err, ERR_DENIED, "%s: fsync", d);
		close(fd);
	}
	free(dir);
	return rc;
}

/*
 * The line is NAME TYPE BASE64 for set->name, with TYPE taken from the
 * blob, which must be a well-formed key of a type we support (it came from
 * the server).  O_APPEND and one line per call: the file is never rewritten,
 * so nothing the user had in it can be lost.  A missing newline at the end
 * of the file is supplied first so the new entry stays on its own line.
 */
int
hostkey_append(const struct hostkey_set *set, const unsigned char *blob,
    size_t len, struct error *err)
{
	unsigned char salt[HOSTKEY_SHA1_LEN], hash[HOSTKEY_SHA1_LEN];
	char type[80], s64[32], h64[32], *name = NULL, *b64 = NULL;
	char *buf = NULL, last;
	struct stat st;
	size_t b64cap, off, n;
	ssize_t w;
	int fd = -1, t, created, rc = -1;

	if (set == NULL || set->path == NULL || set->name == NULL)
		return error_set(err, ERR_DENIED,
		    "known hosts: no file to append to");
	if (!hostkey_name_ok(set->name, 1))
		return error_set(err, ERR_DENIED,
		    "%s: invalid host name for known hosts", set->path);
	hostkey_blob_type(blob, len, type, sizeof(type));
	if (len > HOSTKEY_MAX_BLOB ||
	    (t = hostkey_blob_find(type, strlen(type))) == -1 ||
	    hostkey_blob_check(blob, len, t) == -1)
		return error_set(err, ERR_DENIED,
		    "%s: not recording a malformed or unsupported %s key",
		    set->path, type);

	if (set->hashed) {
		if (RAND_bytes(salt, sizeof(salt)) != 1 ||
		    hostkey_hash_name(salt, sizeof(salt), set->name,
		    hash) == -1) {
			error_set(err, ERR_DENIED,
			    "%s: cannot hash host name", set->path);
			goto out;
		}
		hostkey_blob_b64encode(salt, sizeof(salt), s64, sizeof(s64), 1);
		hostkey_blob_b64encode(hash, sizeof(hash), h64, sizeof(h64), 1);
		if (asprintf(&name, "%s%s|%s", HOSTKEY_HASH_MAGIC, s64,
		    h64) == -1) {
			name = NULL;
			error_errno(err, ERR_DENIED, "%s", set->path);
			goto out;
		}
	} else if ((name = strdup(set->name)) == NULL) {
		error_errno(err, ERR_DENIED, "%s", set->path);
		goto out;
	}
	b64cap = (len + 2) / 3 * 4 + 1;
	if ((b64 = malloc(b64cap)) == NULL) {
		error_errno(err, ERR_DENIED, "%s", set->path);
		goto out;
	}
	hostkey_blob_b64encode(blob, len, b64, b64cap, 1);

	created = stat(set->path, &st) == -1 && errno == ENOENT;
	if (created && hostkey_mkparent(set->path, err) == -1)
		goto out;
	/* O_RDWR only to read the last byte; every write goes to the end. */
	if ((fd = open(set->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		error_errno(err, ERR_DENIED, "%s: open", set->path);
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		error_errno(err, ERR_DENIED, "%s: fstat", set->path);
		goto out;
	}
	last = '\n';
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1) {
		error_errno(err, ERR_DENIED, "%s: read", set->path);
		goto out;
	}
	if (asprintf(&buf, "%s%s %s %s\n", last == '\n' ? "" : "\n", name,
	    type, b64) == -1) {
		buf = NULL;
		error_errno(err, ERR_DENIED, "%s", set->path);
		goto out;
	}
	n = strlen(buf);
	for (off = 0; off < n; off += w) {
		if ((w = write(fd, buf + off, n - off)) == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			error_errno(err, ERR_DENIED, "%s: write",
			    set->path);
			goto out;
		}
	}
	if (fsync(fd) == -1) {
		error_errno(err, ERR_DENIED, "%s: fsync", set->path);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		error_errno(err, ERR_DENIED, "%s: close", set->path);
		goto out;
	}
	fd = -1;
	if (created && hostkey_syncparent(set->path, err) == -1)
		goto out;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	free(b64);
	free(name);
	return rc;
}

/* Frees the contents of set and empties it; set itself is the caller's. */
void
hostkey_set_free(struct hostkey_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nkeys; i++)
		hostkey_known_free(&set->keys[i]);
	free(set->keys);
	free(set->path);
	free(set->name);
	memset(set, 0, sizeof(*set));
}

/* Frees what key holds, not key itself (keys live in a set's array). */
void
hostkey_known_free(struct hostkey_known *key)
{
	if (key == NULL)
		return;
	free(key->type);
	free(key->blob);
	memset(key, 0, sizeof(*key));
}
