/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Host keys as blobs (sftp/hostkey_blob.h): which types we accept and what
 * each one's SSH wire blob holds, strict base64 both ways, and what is
 * shown of a key in messages (its fingerprint and type).  No file is read
 * or written here: sftp/hostkey.c does that with these.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sftp/hostkey.h"
#include "sftp/hostkey_blob.h"

/*
 * The key types we accept, in the order a server is asked for them:
 * ed25519 first, then the strongest ECDSA curve, RSA and DSA last.
 * nstr is how many SSH strings the wire blob holds, so a blob is checked
 * for its shape before it is kept or written to the file.
 */
static const struct {
	const char	*name;
	const char	*curve;	/* ECDSA: the blob's second string */
	size_t		 len2;	/* the second string's size, or 0 */
	int		 nstr;
} hostkey_blob_types[] = {
	{ "ssh-ed25519",		NULL,		32,	2 },
	{ "ecdsa-sha2-nistp521",	"nistp521",	0,	3 },
	{ "ecdsa-sha2-nistp384",	"nistp384",	0,	3 },
	{ "ecdsa-sha2-nistp256",	"nistp256",	0,	3 },
	{ "ssh-rsa",			NULL,		0,	3 },
	{ "ssh-dss",			NULL,		0,	5 },
};
#define HOSTKEY_BLOB_NTYPES \
	(sizeof(hostkey_blob_types) / sizeof(hostkey_blob_types[0]))

static const char hostkey_blob_b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * The value of base64 digit c (RFC 4648's standard alphabet, as
 * known_hosts uses, not the URL-safe one), or -1 for anything else, "="
 * included: the caller decides where padding may stand.
 */
static int
hostkey_blob_b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict base64 as known_hosts writes it: padded to a multiple of four,
 * "=" only at the end, unused last bits zero, so one blob or hash has one
 * spelling, as when OpenSSH compares the encoded text.  Returns 0 and
 * the length in *outlen, or -1 when src is not base64 or would not fit in
 * cap bytes.
 */
int
hostkey_blob_b64decode(const char *src, size_t len, unsigned char *dst,
    size_t cap, size_t *outlen)
{
	size_t i, j, n, o = 0, pad = 0;
	unsigned long w;
	int v;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (src[len - 1] == '=') {
		pad++;
		if (src[len - 2] == '=')
			pad++;
	}
	for (i = 0; i < len; i += 4) {
		int last = (i + 4 == len);

		w = 0;
		for (j = 0; j < 4; j++) {
			if (last && j >= 4 - pad)
				v = 0;
			else if ((v = hostkey_blob_b64val(src[i + j])) == -1)
				return -1;
			w = (w << 6) | (unsigned long)v;
		}
		n = last ? 3 - pad : 3;
		if (cap - o < n || (n < 3 && (w & (0xffffff >> (8 * n))) != 0))
			return -1;
		dst[o++] = (w >> 16) & 0xff;
		if (n > 1)
			dst[o++] = (w >> 8) & 0xff;
		if (n > 2)
			dst[o++] = w & 0xff;
	}
	*outlen = o;
	return 0;
}

/*
 * Base64 of src into dst with a NUL, padded or not (fingerprints are
 * printed without "=").  Returns the length, or -1 when cap is too small.
 */
int
hostkey_blob_b64encode(const unsigned char *src, size_t len, char *dst,
    size_t cap, int pad)
{
	size_t i, o = 0;
	unsigned long w;

	if (len > HOSTKEY_MAX_BLOB || cap < (len + 2) / 3 * 4 + 1)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		w = (unsigned long)src[i] << 16 | src[i + 1] << 8 | src[i + 2];
		dst[o++] = hostkey_blob_b64chars[(w >> 18) & 63];
		dst[o++] = hostkey_blob_b64chars[(w >> 12) & 63];
		dst[o++] = hostkey_blob_b64chars[(w >> 6) & 63];
		dst[o++] = hostkey_blob_b64chars[w & 63];
	}
	if (len - i == 1) {
		w = (unsigned long)src[i] << 16;
		dst[o++] = hostkey_blob_b64chars[(w >> 18) & 63];
		dst[o++] = hostkey_blob_b64chars[(w >> 12) & 63];
		if (pad) {
			dst[o++] = '=';
			dst[o++] = '=';
		}
	} else if (len - i == 2) {
		w = (unsigned long)src[i] << 16 | src[i + 1] << 8;
		dst[o++] = hostkey_blob_b64chars[(w >> 18) & 63];
		dst[o++] = hostkey_blob_b64chars[(w >> 12) & 63];
		dst[o++] = hostkey_blob_b64chars[(w >> 6) & 63];
		if (pad)
			dst[o++] = '=';
	}
	dst[o] = '\0';
	return (int)o;
}

/*
 * Reads one SSH "string" (uint32 length, bytes) at *off.  Returns 0 with
 * the bytes in *s and *slen, or -1 when it runs past the blob.
 */
static int
hostkey_blob_string(const unsigned char *blob, size_t len, size_t *off,
    const unsigned char **s, size_t *slen)
{
	uint32_t n;

	if (len - *off < 4)
		return -1;
	n = (uint32_t)blob[*off] << 24 | (uint32_t)blob[*off + 1] << 16 |
	    (uint32_t)blob[*off + 2] << 8 | blob[*off + 3];
	*off += 4;
	if (n > len - *off)
		return -1;
	*s = blob + *off;
	*slen = n;
	*off += n;
	return 0;
}

int
hostkey_blob_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < HOSTKEY_BLOB_NTYPES; i++)
		if (strlen(hostkey_blob_types[i].name) == len &&
		    memcmp(hostkey_blob_types[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

const char *
hostkey_blob_name(size_t t)
{
	return t < HOSTKEY_BLOB_NTYPES ? hostkey_blob_types[t].name : NULL;
}

/*
 * Checks that blob is a well-formed public key of type t: exactly the
 * strings that type has, the first naming the type, nothing after.
 * Keys are compared as raw blobs, so a malformed one could never match
 * anyway; checking keeps junk out of the set and out of appended lines.
 */
int
hostkey_blob_check(const unsigned char *blob, size_t len, int t)
{
	const unsigned char *s;
	size_t off = 0, slen;
	int i;

	if (len > HOSTKEY_MAX_BLOB)
		return -1;
	for (i = 0; i < hostkey_blob_types[t].nstr; i++) {
		if (hostkey_blob_string(blob, len, &off, &s, &slen) == -1)
			return -1;
		if (i == 0 && (slen != strlen(hostkey_blob_types[t].name) ||
		    memcmp(s, hostkey_blob_types[t].name, slen) != 0))
			return -1;
		if (i == 1 && hostkey_blob_types[t].curve != NULL &&
		    (slen != strlen(hostkey_blob_types[t].curve) ||
		    memcmp(s, hostkey_blob_types[t].curve, slen) != 0))
			return -1;
		if (i == 1 && hostkey_blob_types[t].len2 != 0 &&
		    slen != hostkey_blob_types[t].len2)
			return -1;
		if (i > 0 && slen == 0)
			return -1;
	}
	return off == len ? 0 : -1;
}

/*
 * out gets at most outlen - 1 characters and a NUL; 51 bytes always hold
 * the whole fingerprint.
 */
void
hostkey_fingerprint(const unsigned char *blob, size_t len, char *out,
    size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char b64[64];

	if (outlen == 0)
		return;
	if (EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    hostkey_blob_b64encode(md, mdlen, b64, sizeof(b64), 0) == -1) {
		strlcpy(out, "SHA256:?", outlen);
		return;
	}
	snprintf(out, outlen, "SHA256:%s", b64);
}

/*
 * The type is printed in messages about an untrusted key, so only a short
 * run of printable ASCII is taken for one.
 */
void
hostkey_blob_type(const unsigned char *blob, size_t len, char *out,
    size_t outlen)
{
	const unsigned char *s;
	size_t off = 0, slen, i;

	if (outlen == 0)
		return;
	if (blob == NULL ||
	    hostkey_blob_string(blob, len, &off, &s, &slen) == -1 ||
	    slen == 0 || slen > 64 || slen >= outlen)
		goto unknown;
	for (i = 0; i < slen; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			goto unknown;
	memcpy(out, s, slen);
	out[slen] = '\0';
	return;
unknown:
	strlcpy(out, "unknown", outlen);
}