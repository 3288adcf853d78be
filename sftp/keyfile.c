/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What a key file says without being used: its public key (from the .pub
 * beside it, or from the key file itself as ssh reads it), whether it is
 * RSA, whether it is encrypted.  Read as ssh reads them, with OpenSSL for
 * PEM keys, and never asking for a passphrase.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sftp/keyfile.h"
#include "util/readfile.h"

/* A key file, or the .pub beside it, is a few KB: this bounds a wrong one. */
#define KEYFILE_MAX	65536

/*
 * Decodes the base64 of len bytes at b64, blanks and line ends skipped,
 * into a new buffer *out of *outlen bytes (the caller's to freezero).
 * Returns 0, or -1 when it is not base64 or memory is short.
 */
static int
keyfile_b64decode(const char *b64, size_t len, unsigned char **out,
    size_t *outlen)
{
	char *clean;
	unsigned char *bin = NULL;
	size_t i, n = 0, pad = 0;
	int binlen, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (len >= INT_MAX || (clean = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)b64[i]))
			clean[n++] = b64[i];
	clean[n] = '\0';
	if (n == 0 || n % 4 != 0 || (bin = malloc(n / 4 * 3)) == NULL)
		goto out;
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	if ((binlen = EVP_DecodeBlock(bin, (unsigned char *)clean,
	    (int)n)) < (int)pad) {
		freezero(bin, n / 4 * 3);
		bin = NULL;
		goto out;
	}
	/* the pad bytes decode to zeros: freezero of *outlen clears all */
	*out = bin;
	*outlen = (size_t)binlen - pad;
	rc = 0;
out:
	freezero(clean, len + 1);
	return rc;
}

/*
 * Takes an SSH string (a 32-bit length, then its bytes) off *p, which
 * ends at end.  Returns 0 with it in *s and *len, -1 when it overruns.
 */
static int
keyfile_get_string(const unsigned char **p, const unsigned char *end,
    const unsigned char **s, size_t *len)
{
	size_t n;

	if (end - *p < 4)
		return -1;
	n = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 |
	    (size_t)(*p)[2] << 8 | (*p)[3];
	if (n > (size_t)(end - *p) - 4)
		return -1;
	*s = *p + 4;
	*len = n;
	*p += 4 + n;
	return 0;
}

/* Appends an SSH string of len bytes to buf (cap bytes) at *off. */
static int
keyfile_put_string(unsigned char *buf, size_t cap, size_t *off,
    const void *s, size_t len)
{
	if (len > cap || cap - len < 4 || *off > cap - len - 4)
		return -1;
	buf[(*off)++] = len >> 24;
	buf[(*off)++] = len >> 16;
	buf[(*off)++] = len >> 8;
	buf[(*off)++] = len;
	memcpy(buf + *off, s, len);
	*off += len;
	return 0;
}

/* Returns a copy of len bytes at p in *out (NULL when memory is short). */
static void
keyfile_blob_copy(const void *p, size_t len, unsigned char **out,
    size_t *outlen)
{
	if ((*out = malloc(len > 0 ? len : 1)) == NULL)
		return;
	memcpy(*out, p, len);
	*outlen = len;
}

/*
 * Reads what the private key in the len bytes of buf says without its
 * passphrase: whether it is encrypted (an OpenSSH-format key names its
 * cipher, "none" when clear; a PEM one says ENCRYPTED in its header)
 * and, when blob is not NULL, the public key an OpenSSH-format key
 * carries in the clear, as ssh reads it to match the agent's keys (a
 * new *blob, NULL when there is none).  Returns whether it is encrypted,
 * 0 when it cannot be told (libssh2 will say what is wrong).
 */
static int
keyfile_key_peek(const char *buf, size_t len, unsigned char **blob,
    size_t *bloblen)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	const unsigned char *p, *end, *cipher, *s;
	const char *b64, *b64end;
	unsigned char *bin = NULL;
	size_t binlen = 0, clen, n;
	uint32_t nkeys;
	int enc = 0;

	if (blob != NULL)
		*blob = NULL;
	if ((b64 = memmem(buf, len, begin, sizeof(begin) - 1)) == NULL)
		return memmem(buf, len, "ENCRYPTED", 9) != NULL;
	b64 += sizeof(begin) - 1;
	if ((b64end = memmem(b64, len - (b64 - buf), "-----END", 8)) == NULL ||
	    keyfile_b64decode(b64, b64end - b64, &bin, &binlen) == -1)
		return 0;
	p = bin;
	end = bin + binlen;
	if (binlen < sizeof(magic) || memcmp(p, magic, sizeof(magic)) != 0)
		goto out;
	p += sizeof(magic);
	if (keyfile_get_string(&p, end, &cipher, &clen) == -1)
		goto out;
	enc = !(clen == 4 && memcmp(cipher, "none", 4) == 0);
	/* the KDF's name and options, the key count, the first public key */
	if (blob == NULL || keyfile_get_string(&p, end, &s, &n) == -1 ||
	    keyfile_get_string(&p, end, &s, &n) == -1 || end - p < 4)
		goto out;
	nkeys = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	p += 4;
	if (nkeys >= 1 && keyfile_get_string(&p, end, &s, &n) == 0 && n > 0)
		keyfile_blob_copy(s, n, blob, bloblen);
out:
	/* it held the private key, maybe in the clear */
	freezero(bin, binlen);
	return enc;
}

/* OpenSSL's passphrase callback: none is given, so none is asked for. */
static int
keyfile_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * The public key of an unencrypted PEM ECDSA key in the len bytes of
 * buf, as an SSH blob (a new *blob; NULL when it is no such key).  RSA
 * keys are not needed: the agent's are never offered (keyfile_agent_rsa),
 * so none has to be matched; libssh2 reads ed25519 keys only in
 * OpenSSH's format, which keyfile_key_peek reads.
 */
static void
keyfile_pem_pubkey(const char *buf, size_t len, unsigned char **blob,
    size_t *bloblen)
{
	static const struct {
		const char	*openssl, *ssh;
	} curves[] = {
		{ "prime256v1", "nistp256" }, { "P-256", "nistp256" },
		{ "secp384r1", "nistp384" }, { "P-384", "nistp384" },
		{ "secp521r1", "nistp521" }, { "P-521", "nistp521" }
	};
	unsigned char point[256], out[512];
	char group[64], type[32];
	EVP_PKEY *pk = NULL;
	BIO *bio;
	size_t i, plen = 0, off = 0;

	*blob = NULL;
	if (len > INT_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return;
	pk = PEM_read_bio_PrivateKey(bio, NULL, keyfile_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1 ||
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY,
	    point, sizeof(point), &plen) != 1 || plen == 0 ||
	    point[0] != 0x04)	/* SSH sends the point uncompressed */
		goto out;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(group, curves[i].openssl) == 0)
			break;
	if (i == sizeof(curves) / sizeof(curves[0]))
		goto out;
	snprintf(type, sizeof(type), "ecdsa-sha2-%s", curves[i].ssh);
	if (keyfile_put_string(out, sizeof(out), &off, type, strlen(type)) == 0 &&
	    keyfile_put_string(out, sizeof(out), &off, curves[i].ssh,
	    strlen(curves[i].ssh)) == 0 &&
	    keyfile_put_string(out, sizeof(out), &off, point, plen) == 0)
		keyfile_blob_copy(out, off, blob, bloblen);
out:
	EVP_PKEY_free(pk);
	ERR_clear_error();
}

/*
 * Reads at most KEYFILE_MAX bytes of the file at path into a new
 * NUL-terminated *buf (the caller's to freezero, len + 1 bytes).
 * Returns 0, or -1 with errno set.
 */
static int
keyfile_read(const char *path, char **buf, size_t *len)
{
	char *raw, *p;
	int fd, e;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (readfile(fd, KEYFILE_MAX, &raw, len) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	if ((p = malloc(*len + 1)) == NULL) {
		freezero(raw, *len);
		return -1;
	}
	memcpy(p, raw, *len);
	p[*len] = '\0';
	freezero(raw, *len);
	*buf = p;
	return 0;
}

/*
 * The public key of the key file at path, found as ssh finds it: in the
 * .pub file beside it ("TYPE BASE64 COMMENT"), else in the key file (an
 * OpenSSH-format key carries it in the clear, encrypted or not; an
 * unencrypted PEM one gives it up).  Sets *blob (the caller's to free)
 * and *bloblen, *blob NULL when none of them tells: then the key cannot
 * be matched to the agent's.
 */
void
keyfile_pubkey(const char *path, unsigned char **blob, size_t *bloblen)
{
	char pub[PATH_MAX], *buf, *p, *b64;
	size_t len, n;

	*blob = NULL;
	if ((size_t)snprintf(pub, sizeof(pub), "%s.pub", path) <
	    sizeof(pub) && keyfile_read(pub, &buf, &len) == 0) {
		p = buf + strspn(buf, " \t");
		b64 = p + strcspn(p, " \t\r\n");
		b64 += strspn(b64, " \t");
		n = strcspn(b64, " \t\r\n");
		if (b64 > p && n > 0)
			keyfile_b64decode(b64, n, blob, bloblen);
		freezero(buf, len + 1);
		if (*blob != NULL)
			return;
	}
	if (keyfile_read(path, &buf, &len) == -1)
		return;
	if (!keyfile_key_peek(buf, len, blob, bloblen) &&
	    *blob == NULL)
		keyfile_pem_pubkey(buf, len, blob, bloblen);
	freezero(buf, len + 1);
}

/* Whether the key at path is RSA, judged by its .pub file or PEM header. */
int
keyfile_is_rsa(const char *path)
{
	char pub[4096], line[64];
	FILE *f;
	int rsa = 0;

	snprintf(pub, sizeof(pub), "%s.pub", path);
	if ((f = fopen(pub, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL)
			rsa = strncmp(line, "ssh-rsa ", 8) == 0;
		fclose(f);
		return rsa;
	}
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL)
			rsa = strstr(line, "RSA PRIVATE KEY") != NULL;
		fclose(f);
	}
	return rsa;
}

/* Whether the private key file at path is encrypted (keyfile_key_peek). */
int
keyfile_is_encrypted(const char *path)
{
	char *buf;
	size_t len;
	int enc;

	if (keyfile_read(path, &buf, &len) == -1)
		return 0;
	enc = keyfile_key_peek(buf, len, NULL, NULL);
	freezero(buf, len + 1);
	return enc;
}

