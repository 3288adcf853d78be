/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Public key authentication of one connection (SPEC 6): the ssh-agent,
 * then key files, an encrypted one with its passphrase asked on the
 * terminal.
 */
#ifndef SYNCMAIL_AUTH_H
#define SYNCMAIL_AUTH_H

#include "sftp/session.h"
#include "sftp/sshconfig.h"
#include "util/error.h"

/*
 * Authenticates s, whose handshake and host key check are done, as
 * s->user: with the agent's keys, then t's identity files, or when t
 * names none, those of ~/.ssh/id_ed25519, id_ecdsa and id_rsa that
 * exist.  Returns 0 when authenticated (also when the server asked for
 * nothing), or -1 with err set: ERR_DENIED when the server offers no
 * public key authentication or refuses every key (the message lists
 * what was tried and why each failed), ERR_TRANSIENT for a failed or
 * timed out exchange.
 */
int	 auth_user(struct session *s, const struct sshconfig_target *t,
	    struct error *err);

#endif
