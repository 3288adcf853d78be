/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A host key apart from the file it is listed in (sftp/hostkey_blob.c):
 * the key types we accept, the shape of an SSH wire blob, and base64 as
 * known_hosts spells blobs and hashed names.  Internal to sftp/hostkey*.c;
 * the rest of the program sees hostkey.h.
 */
#ifndef SYNCMAIL_HOSTKEY_BLOB_H
#define SYNCMAIL_HOSTKEY_BLOB_H

#include <stddef.h>

#define HOSTKEY_MAX_BLOB	65536	/* RSA-16384 is about 2 KiB */

/*
 * The index of the key type named by len bytes at name, or -1 for a type
 * we do not accept.
 */
int	 hostkey_blob_find(const char *name, size_t len);

/*
 * The name of type t, in the order a server is asked for them (ed25519
 * first), or NULL past the last type: a loop from 0 walks them all.
 */
const char *hostkey_blob_name(size_t t);

/*
 * Checks that blob is a well-formed public key of type t (an index from
 * hostkey_blob_find).  Returns 0, or -1 for any other shape.
 */
int	 hostkey_blob_check(const unsigned char *blob, size_t len, int t);

/*
 * Strict base64 into dst (cap bytes): returns 0 with the length in
 * *outlen, or -1 when src is not base64 as known_hosts writes it or
 * would not fit.
 */
int	 hostkey_blob_b64decode(const char *src, size_t len, unsigned char *dst,
	    size_t cap, size_t *outlen);

/*
 * Base64 of src into dst (cap bytes) with a NUL, with "=" padding when
 * pad is set.  Returns the length, or -1 when cap is too small.
 */
int	 hostkey_blob_b64encode(const unsigned char *src, size_t len, char *dst,
	    size_t cap, int pad);

#endif
