/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The diagnosis of a key exchange that found no algorithm in common
 * (SPEC 2: exit 76): which kinds are missing, with the server's list and
 * libssh2's.  sftp/session.c calls it around the handshake.
 */
#ifndef SYNCMAIL_KEX_H
#define SYNCMAIL_KEX_H

#include "sftp/hostkey.h"
#include "sftp/session.h"
#include "util/error.h"

/*
 * Has libssh2 receive through our callback, which keeps a copy of the
 * server's first bytes (its version line and KEXINIT) in s->peek until
 * kex_peek_stop.  Call after libssh2_session_init_ex, which must have
 * been given s as its abstract pointer, and before the handshake.  When
 * the copy cannot be allocated nothing is kept, and kex_failure says
 * less.
 */
void	 kex_peek_start(struct session *s);

/* Frees the copy; safe when there is none, and to call twice. */
void	 kex_peek_stop(struct session *s);

/*
 * For a handshake that ended in LIBSSH2_ERROR_KEX_FAILURE: fills err
 * with each kind of algorithm (key exchange, host key type, cipher, MAC,
 * compression) that the server's KEXINIT, as kept since kex_peek_start,
 * and libssh2 have none of in common, with both lists: ERR_NOALGO.
 * pinned is the host key types asked for ("" for libssh2's defaults),
 * those that set holds for the host; a server that has a type libssh2
 * has, but none of those, is a changed host key instead: ERR_DENIED.
 * Returns -1.
 */
int	 kex_failure(struct session *s, const struct hostkey_set *set,
	    const char *pinned, struct error *err);

#endif
