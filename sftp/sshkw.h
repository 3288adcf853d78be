/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * The keywords of OpenSSH 9.2's client config (ssh_config(5) as Debian 12
 * ships it, with its GSSAPI key exchange and keepalive additions, and the
 * deprecated and unsupported names ssh still accepts), each with what
 * syncmail does with it (SPEC 6).  A keyword not in the table is one ssh
 * refuses; sshconfig.c refuses it too.
 */
#ifndef SYNCMAIL_SSHKW_H
#define SYNCMAIL_SSHKW_H

enum sshkw_use {
	SSHKW_APPLY,	/* read by sshconfig.c */
	SSHKW_IGNORE,	/* changes nothing about where and how we connect */
	SSHKW_REFUSE	/* would make ssh connect otherwise: a config error
			   where it applies, unless its value is harmless */
};

struct sshkw {
	const char	*name;		/* as ssh_config(5) spells it */
	enum sshkw_use	 use;
	/*
	 * SSHKW_REFUSE only: the values that mean what syncmail does
	 * anyway ("any" for AddressFamily), a NULL-terminated list, NULL
	 * for none; and the index of the keyword's first-value-wins slot
	 * (-1: every value counts, as for CertificateFile).
	 */
	const char *const *harmless;
	int		 slot;
};

/* The number of slots that sshkw_find's entries may name. */
#define SSHKW_SLOTS	16

/*
 * The entry for keyword (any case, as ssh compares), or NULL for one ssh
 * does not know.
 */
const struct sshkw *sshkw_find(const char *keyword);

#endif
