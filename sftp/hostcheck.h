/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The host key check of one connection (SPEC 6): the key the server
 * showed in the handshake, against the known_hosts entries loaded for
 * the host.
 */
#ifndef SYNCMAIL_HOSTCHECK_H
#define SYNCMAIL_HOSTCHECK_H

#include "sftp/hostkey.h"
#include "sftp/session.h"
#include "sftp/sshconfig.h"
#include "util/error.h"

/*
 * Checks the key of s's finished handshake against set, loaded by
 * hostkey_load for s's host and port.  Returns 0 when set holds it, or
 * when it is unknown and mode is HOSTKEY_CHECK_ACCEPT_NEW (then it has
 * been appended to set's file, and a note says so).  Else returns -1
 * with err set: ERR_DENIED for a key unknown, changed or revoked,
 * naming the key's type and fingerprint, the file, and what to do next;
 * hostkey_append's error when recording a new key fails;
 * ERR_TRANSIENT when libssh2 has no key to give.
 */
int	 hostcheck_verify(struct session *s, struct hostkey_set *set,
	    enum hostkey_check mode, struct error *err);

#endif
