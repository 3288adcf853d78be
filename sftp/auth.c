/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * User authentication of one connection, by public key only (SPEC 6: no
 * passwords): the agent's keys first, then the key files the config
 * names (or ssh's default ones), an encrypted one with its passphrase
 * asked on the terminal.  What was tried is gathered into one list, so
 * that a refusal names every key and why each failed, with a hint for
 * the likely cause (an RSA key libssh2 signs with SHA-1 only, an
 * encrypted key and no terminal).
 */
#include <errno.h>
#include <fcntl.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sftp/auth.h"
#include "util/note.h"

/* Appends ", what" to the list of methods tried, for the failure message. */
static void
auth_tried_add(char *tried, size_t size, const char *what)
{
	if (tried[0] != '\0')
		strlcat(tried, ", ", size);
	strlcat(tried, what, size);
}

/*
 * Tries each key the ssh-agent holds but RSA ones (libssh2 1.10 signs
 * with SHA-1 only, which OpenSSH 8.8 and later refuse), and adds the
 * agent, or why it could not be used, to tried.  The agent's socket is
 * local: connecting and listing block, but not on the network.  Returns
 * 1 when authenticated, 0 when no key of the agent's was accepted, -1
 * with err set when a wait failed.
 */
static int
auth_agent(struct session *s, char *tried, size_t triedsize,
    struct error *err)
{
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *id, *prev = NULL;
	int rc, ok = 0, nkeys = 0;
	char what[64];

	if (getenv("SSH_AUTH_SOCK") == NULL) {
		auth_tried_add(tried, triedsize, "no ssh-agent (SSH_AUTH_SOCK is "
		    "not set)");
		return 0;
	}
	if ((agent = libssh2_agent_init(s->ssh)) == NULL)
		return 0;
	if (libssh2_agent_connect(agent) != 0 ||
	    libssh2_agent_list_identities(agent) != 0) {
		note(1, s->account, "ssh-agent: cannot use it");
		auth_tried_add(tried, triedsize, "ssh-agent (cannot connect to "
		    "SSH_AUTH_SOCK)");
		goto out;
	}
	while (!ok && libssh2_agent_get_identity(agent, &id, prev) == 0) {
		prev = id;
		if (id->blob_len >= 11 && memcmp(id->blob + 4, "ssh-rsa", 7) == 0) {
			note(1, s->account, "ssh-agent: skipping RSA key "
			    "%s: libssh2 1.10 signs with SHA-1 only", id->comment);
			continue;
		}
		nkeys++;
		SESSION_RETRY(s, libssh2_agent_userauth(agent, s->user, id), rc, err);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			ok = -1;
			break;
		}
		if (rc == 0)
			ok = 1;
	}
	snprintf(what, sizeof(what), "ssh-agent (%d usable keys)", nkeys);
	auth_tried_add(tried, triedsize, what);
out:
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
	return ok;
}

/* Whether the key at path is RSA, judged by its .pub file or PEM header. */
static int
auth_key_is_rsa(const char *path)
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

/*
 * Whether the private key file at path is encrypted: an OpenSSH-format
 * key names its cipher ("none" when clear), a PEM one says ENCRYPTED in
 * its header.  0 when it cannot be told (libssh2 will say what is wrong).
 */
static int
auth_key_is_encrypted(const char *path)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	unsigned char *bin = NULL;
	char *buf = NULL, *b64 = NULL, *p, *end;
	size_t len = 0, n = 0, clen;
	ssize_t r;
	int fd, enc = 0, binlen;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	/* a key is a few KB; 64 KB is plenty */
	if ((buf = malloc(65536)) == NULL)
		goto out;
	while (len < 65535 && (r = read(fd, buf + len, 65535 - len)) > 0)
		len += r;
	buf[len] = '\0';
	if (strstr(buf, "ENCRYPTED") != NULL) {
		enc = 1;
		goto out;
	}
	if ((p = strstr(buf, begin)) == NULL ||
	    (end = strstr(p, "-----END")) == NULL)
		goto out;
	p += sizeof(begin) - 1;
	if ((b64 = malloc(end - p + 1)) == NULL ||
	    (bin = malloc(end - p + 1)) == NULL)
		goto out;
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			b64[n++] = *p;
	b64[n] = '\0';
	if (n % 4 != 0 || (binlen = EVP_DecodeBlock(bin,
	    (unsigned char *)b64, (int)n)) < (int)sizeof(magic) + 4 ||
	    memcmp(bin, magic, sizeof(magic)) != 0)
		goto out;
	p = (char *)bin + sizeof(magic);
	clen = (size_t)(unsigned char)p[0] << 24 |
	    (size_t)(unsigned char)p[1] << 16 |
	    (size_t)(unsigned char)p[2] << 8 | (unsigned char)p[3];
	if (clen > (size_t)binlen - sizeof(magic) - 4)
		goto out;
	enc = !(clen == 4 && memcmp(p + 4, "none", 4) == 0);
out:
	/* the buffers held the private key */
	if (buf != NULL)
		freezero(buf, 65536);
	if (b64 != NULL)
		freezero(b64, n + 1);
	if (bin != NULL)
		freezero(bin, n + 1);
	close(fd);
	return enc;
}

/*
 * Asks for the passphrase of the key at path on the terminal and tries
 * the key with it, up to three times as ssh does.  Returns as
 * auth_keyfile; without a terminal, 0 with the reason in tried and hint.
 */
static int
auth_encrypted(struct session *s, const char *path, char *tried,
    size_t triedsize, char *hint, size_t hintsize, struct error *err)
{
	char pass[1024], prompt[4200], what[4200];
	int i, rc = LIBSSH2_ERROR_FILE;

	snprintf(prompt, sizeof(prompt), "syncmail: %s: passphrase for key "
	    "%s: ", s->account, path);
	for (i = 0; i < 3 && rc == LIBSSH2_ERROR_FILE; i++) {
		if (readpassphrase(prompt, pass, sizeof(pass),
		    RPP_REQUIRE_TTY) == NULL) {
			explicit_bzero(pass, sizeof(pass));
			snprintf(what, sizeof(what), "%s (encrypted, and no "
			    "terminal to ask for its passphrase)", path);
			auth_tried_add(tried, triedsize, what);
			snprintf(hint, hintsize, ".  To use %s from cron, add "
			    "it to an ssh-agent (ssh-add %s) whose SSH_AUTH_SOCK "
			    "syncmail gets", path, path);
			return 0;
		}
		/* the user's typing is not the server's silence */
		session_progress(s);
		SESSION_RETRY(s, libssh2_userauth_publickey_fromfile_ex(s->ssh,
		    s->user, strlen(s->user), NULL, path, pass), rc, err);
		explicit_bzero(pass, sizeof(pass));
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return -1;
		if (rc == 0)
			return 1;
		session_progress(s);
		if (rc == LIBSSH2_ERROR_FILE && i < 2)
			note(0, s->account, "%s: wrong passphrase, or the key "
			    "cannot be read; try again", path);
	}
	snprintf(what, sizeof(what), "%s (encrypted%s)", path,
	    rc == LIBSSH2_ERROR_FILE ? ", wrong passphrase" : "");
	auth_tried_add(tried, triedsize, what);
	return 0;
}

/* Returns 1 when authenticated with the key at path, 0 if not, -1 on error. */
static int
auth_keyfile(struct session *s, const char *path, char *tried,
    size_t triedsize, char *hint, size_t hintsize, struct error *err)
{
	int rc;

	if (access(path, R_OK) == -1) {
		char what[4200];

		snprintf(what, sizeof(what), "%s (%s)", path, strerror(errno));
		auth_tried_add(tried, triedsize, what);
		return 0;
	}
	if (auth_key_is_encrypted(path))
		return auth_encrypted(s, path, tried, triedsize, hint,
		    hintsize, err);
	auth_tried_add(tried, triedsize, path);
	SESSION_RETRY(s, libssh2_userauth_publickey_fromfile_ex(s->ssh, s->user,
	    strlen(s->user), NULL, path, NULL), rc, err);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return -1;
	if (rc == 0)
		return 1;
	session_progress(s);
	if (rc == LIBSSH2_ERROR_FILE)
		snprintf(hint, hintsize, "; %s could not be loaded: if it is "
		    "encrypted, add it to ssh-agent", path);
	else if (auth_key_is_rsa(path))
		snprintf(hint, hintsize, "; %s is an RSA key, which libssh2 "
		    "1.10 can only sign with SHA-1, refused by OpenSSH 8.8 and "
		    "later: use an ed25519 or ECDSA key", path);
	note(2, s->account, "key %s refused", path);
	return 0;
}

int
auth_user(struct session *s, const struct sshconfig_target *t,
    struct error *err)
{
	static const char *defaults[] = {
		"/.ssh/id_ed25519", "/.ssh/id_ecdsa", "/.ssh/id_rsa"
	};
	char tried[2048] = "", hint[1024] = "", path[4096];
	const char *home = getenv("HOME");
	char *list;
	size_t i;
	int rc, ndefault = 0;

	do {
		list = libssh2_userauth_list(s->ssh, s->user, strlen(s->user));
		if (list != NULL || libssh2_session_last_errno(s->ssh) !=
		    LIBSSH2_ERROR_EAGAIN)
			break;
	} while (session_wait(s, err) != -1);
	if (list == NULL) {
		if (libssh2_userauth_authenticated(s->ssh))
			return 0;
		if (libssh2_session_last_errno(s->ssh) == LIBSSH2_ERROR_EAGAIN)
			return -1;
		return session_error(s, err, ERR_TRANSIENT,
		    "asking for authentication methods");
	}
	session_progress(s);
	if (strstr(list, "publickey") == NULL)
		return error_set(err, ERR_DENIED, "%s@%s offers no public "
		    "key authentication (only: %s)", s->user, s->host, list);

	if ((rc = auth_agent(s, tried, sizeof(tried), err)) != 0)
		return rc == 1 ? 0 : -1;
	if (t->nidentities > 0) {
		for (i = 0; i < t->nidentities; i++) {
			rc = auth_keyfile(s, t->identities[i], tried,
			    sizeof(tried), hint, sizeof(hint), err);
			if (rc != 0)
				return rc == 1 ? 0 : -1;
		}
	} else if (home != NULL) {
		for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", home, defaults[i]);
			if (access(path, F_OK) == -1)
				continue;
			ndefault++;
			rc = auth_keyfile(s, path, tried, sizeof(tried), hint,
			    sizeof(hint), err);
			if (rc != 0)
				return rc == 1 ? 0 : -1;
		}
	}
	return error_set(err, ERR_DENIED, "authentication as %s@%s failed; "
	    "tried: %s%s", s->user, s->host, tried[0] ? tried : "no keys",
	    hint[0] ? hint : t->nidentities == 0 && ndefault == 0 ?
	    "; no identity file is configured, and none of ~/.ssh/id_ed25519, "
	    "id_ecdsa, id_rsa exists" : "");
}
