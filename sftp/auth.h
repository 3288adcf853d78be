/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Public key authentication of one connection (SPEC 6): keys offered in
 * ssh's order, through the ssh-agent or from key files, an encrypted one
 * with its passphrase asked on the terminal.
 */
#ifndef SYNCMAIL_AUTH_H
#define SYNCMAIL_AUTH_H

#include "sftp/session.h"
#include "sftp/sshconfig.h"
#include "util/error.h"

/*
 * Authenticates s, whose handshake and host key check are done, as
 * s->user.  The key files are t's identities, or when t names none,
 * those of ~/.ssh/id_ed25519, id_ecdsa and id_rsa that exist.  Offered
 * in ssh's order: the files' keys the agent holds, through the agent;
 * the agent's other keys unless t->identities_only; the files' keys the
 * agent does not hold, from the files.  None twice.  Returns 0 when
 * authenticated (also when the server asked for nothing), or -1 with
 * err set: ERR_DENIED when the server offers no public key
 * authentication, refuses every key or disconnects for too many
 * failures (the message lists what was tried and why each failed, and
 * for too many failures how many keys were offered and that
 * IdentitiesOnly offers fewer), ERR_TRANSIENT for a failed or timed out
 * exchange or another disconnect.
 */
int	 auth_user(struct session *s, const struct sshconfig_target *t,
	    struct error *err);

/*
 * Whether RSA keys sign as rsa-sha2-256/512 (libssh2 1.11 and later, at
 * build and at run time), or with SHA-1 only (1.10): then the agent's
 * RSA keys are skipped and a refused RSA key file is explained.
 */
int	 auth_rsa_sha2(void);

#endif
