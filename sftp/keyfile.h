/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What a key file says without being used (keyfile.c): its public key,
 * whether it is RSA, whether it is encrypted.  None asks a passphrase.
 */
#ifndef SYNCMAIL_KEYFILE_H
#define SYNCMAIL_KEYFILE_H

#include <stddef.h>

/*
 * The public key of the key file at path, from the .pub beside it, else
 * from the key file (an OpenSSH-format key carries it in the clear,
 * encrypted or not; an unencrypted PEM one gives it up).  Sets *blob
 * (the caller's to free) and *bloblen, *blob NULL when none tells.
 */
void	 keyfile_pubkey(const char *path, unsigned char **blob,
	    size_t *bloblen);

/* Whether the key at path is RSA, judged by its .pub file or PEM header. */
int	 keyfile_is_rsa(const char *path);

/* Whether the private key file at path is encrypted. */
int	 keyfile_is_encrypted(const char *path);

#endif
