/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * User authentication of one connection, by public key only (SPEC 6: no
 * passwords), offering keys in ssh's order: the keys IdentityFile names
 * (or ssh's default files) that the agent holds, through the agent; then,
 * unless IdentitiesOnly, the agent's other keys; then the named keys the
 * agent does not hold, from their files, an encrypted one with its
 * passphrase asked on the terminal.  A file is matched to the agent's key
 * by its public key (the .pub beside it, or the key file itself), so that
 * no key is offered twice: a server counts every key offered against its
 * MaxAuthTries and disconnects past it ("Too many authentication
 * failures").  What was tried is gathered into one list, so that a
 * refusal names every key and why each failed, with a hint for the
 * likely cause (too many keys offered, an RSA key libssh2 1.10 signs
 * with SHA-1 only, an encrypted key and no terminal).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat/compat.h"
#include "sftp/auth.h"
#include "sftp/keyfile.h"
#include "util/note.h"
#include "util/prompt.h"

int
auth_rsa_sha2(void)
{
	/* the library loaded may be older than the headers built with */
	return COMPAT_LIBSSH2_RSA_SHA2 && libssh2_version(0x010b00) != NULL;
}

/* One key file to offer: named by IdentityFile, or a default that exists. */
struct auth_id {
	char		*path;
	unsigned char	*blob;		/* its public key; NULL: not known */
	size_t		 bloblen;
	int		 by_agent;	/* offered with the agent's copy */
};

/* One authentication: what was offered and why each failed. */
struct auth_run {
	struct session	*s;
	char		 tried[2048];
	char		 hint[1024];
	int		 offered;	/* keys the server was asked to take */
};

/*
 * What the server said when it disconnected: libssh2 answers the call
 * that was waiting with a plain error ("Waiting for USERAUTH response")
 * and passes the server's reason only to its disconnect callback.  That
 * callback's abstract pointer is the struct session, which has no room
 * for it, so the reason is kept here, tagged with its libssh2 session:
 * a process runs its accounts one after the other, their SSH on one
 * thread.  auth_user empties it before and after.
 */
static struct {
	LIBSSH2_SESSION	*ssh;		/* NULL: no disconnect seen */
	int		 reason;
	char		 msg[256];	/* printable only */
} auth_bye;

static void
auth_disconnected(LIBSSH2_SESSION *ssh, int reason, const char *msg,
    int len, const char *lang, int langlen, void **abstract)
{
	size_t i, n;

	(void)lang;
	(void)langlen;
	(void)abstract;
	auth_bye.ssh = ssh;
	auth_bye.reason = reason;
	n = msg != NULL && len > 0 ? (size_t)len : 0;
	if (n >= sizeof(auth_bye.msg))
		n = sizeof(auth_bye.msg) - 1;
	/* the server's words end up on a terminal */
	for (i = 0; i < n; i++)
		auth_bye.msg[i] = isprint((unsigned char)msg[i]) ? msg[i] : '?';
	auth_bye.msg[n] = '\0';
}

/* Whether the server ended r's connection: nothing more can be offered. */
static int
auth_gone(const struct auth_run *r)
{
	return auth_bye.ssh != NULL && auth_bye.ssh == r->s->ssh;
}

/*
 * Whether the server's goodbye says it counted too many failures:
 * OpenSSH's words, or the reason code RFC 4253 has for it.
 */
static int
auth_too_many(void)
{
	static const char words[] = "Too many authentication failures";

	return auth_bye.reason == SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE ||
	    strncasecmp(auth_bye.msg, words, sizeof(words) - 1) == 0;
}

/* Appends ", what" to the list of methods tried, for the failure message. */
static void
auth_tried_add(struct auth_run *r, const char *what)
{
	if (r->tried[0] != '\0')
		strlcat(r->tried, ", ", sizeof(r->tried));
	strlcat(r->tried, what, sizeof(r->tried));
}

/*
 * Offers the key file at path, with its passphrase pass (NULL: none), and
 * counts it as offered unless libssh2 could not load it (a wrong
 * passphrase is found out here, not by the server).  Sets *rc to
 * libssh2's answer.  Returns 1 when authenticated, 0 when not, or -1 with
 * err set when the exchange failed.
 */
static int
auth_offer_file(struct auth_run *r, const char *path, const char *pass,
    int *rc, struct error *err)
{
	struct session *s = r->s;

	SESSION_RETRY(s, libssh2_userauth_publickey_fromfile_ex(s->ssh,
	    s->user, strlen(s->user), NULL, path, pass), *rc, err);
	if (*rc == LIBSSH2_ERROR_EAGAIN)
		return -1;
	if (*rc != LIBSSH2_ERROR_FILE)
		r->offered++;
	return *rc == 0;
}

/*
 * Asks for the passphrase of the key at path on the terminal and tries
 * the key with it, up to three times as ssh does, holding the terminal
 * from the first prompt to the last so that another account's prompt
 * comes only after (util/prompt.h).  Returns as auth_keyfile; without a
 * terminal, 0 with the reason in tried and hint; -1 with err set when a
 * signal came during a prompt or the wait for one.
 */
static int
auth_encrypted(struct auth_run *r, const char *path, struct error *err)
{
	struct session *s = r->s;
	char pass[1024], prompt[4200], what[4200];
	int i, ok = 0, rc = LIBSSH2_ERROR_FILE;

	snprintf(prompt, sizeof(prompt), "syncmail: %s: passphrase for key "
	    "%s: ", s->account, path);
	if (prompt_begin() == -1)
		return error_set(err, ERR_TRANSIENT, "%s: stopped by a signal "
		    "while waiting to ask for its passphrase", path);
	for (i = 0; i < 3 && rc == LIBSSH2_ERROR_FILE; i++) {
		if (prompt_read(prompt, pass, sizeof(pass)) == -1) {
			explicit_bzero(pass, sizeof(pass));
			if (errno == EINTR) {
				ok = error_set(err, ERR_TRANSIENT, "%s: stopped "
				    "by a signal while asking for its "
				    "passphrase", path);
				break;
			}
			snprintf(what, sizeof(what), "%s (encrypted, and no "
			    "terminal to ask for its passphrase)", path);
			auth_tried_add(r, what);
			snprintf(r->hint, sizeof(r->hint), ".  To use %s from "
			    "cron, add it to an ssh-agent (ssh-add %s) whose "
			    "SSH_AUTH_SOCK syncmail gets", path, path);
			prompt_end();
			/* the wait for the terminal was no server silence */
			session_progress(s);
			return 0;
		}
		/* the user's typing is not the server's silence */
		session_progress(s);
		ok = auth_offer_file(r, path, pass, &rc, err);
		explicit_bzero(pass, sizeof(pass));
		if (ok != 0)
			break;
		session_progress(s);
		if (rc == LIBSSH2_ERROR_FILE && i < 2)
			note(0, s->account, "%s: wrong passphrase, or the key "
			    "cannot be read; try again", path);
	}
	prompt_end();
	if (ok != 0)
		return ok;
	snprintf(what, sizeof(what), "%s (encrypted%s)", path,
	    rc == LIBSSH2_ERROR_FILE ? ", wrong passphrase" : "");
	auth_tried_add(r, what);
	return 0;
}

/* Returns 1 when authenticated with the key at path, 0 if not, -1 on error. */
static int
auth_keyfile(struct auth_run *r, const char *path, struct error *err)
{
	struct session *s = r->s;
	int ok, rc;

	if (access(path, R_OK) == -1) {
		char what[4200];

		snprintf(what, sizeof(what), "%s (%s)", path, strerror(errno));
		auth_tried_add(r, what);
		return 0;
	}
	if (keyfile_is_encrypted(path))
		return auth_encrypted(r, path, err);
	auth_tried_add(r, path);
	if ((ok = auth_offer_file(r, path, NULL, &rc, err)) != 0)
		return ok;
	session_progress(s);
	if (auth_gone(r))
		return 0;
	if (rc == LIBSSH2_ERROR_FILE)
		snprintf(r->hint, sizeof(r->hint), "; %s could not be loaded: "
		    "if it is encrypted, add it to ssh-agent", path);
	else if (!auth_rsa_sha2() && keyfile_is_rsa(path))
		snprintf(r->hint, sizeof(r->hint), "; %s is an RSA key, which "
		    "libssh2 1.10 can only sign with SHA-1, refused by OpenSSH "
		    "8.8 and later: use an ed25519 or ECDSA key", path);
	note(2, s->account, "key %s refused", path);
	return 0;
}

/*
 * Connects to the ssh-agent and has it list its keys.  Returns it (for
 * auth_agent_close), or NULL with why it cannot be used in tried.  The
 * agent's socket is local: connecting and listing block, but not on the
 * network.
 */
static LIBSSH2_AGENT *
auth_agent_open(struct auth_run *r)
{
	LIBSSH2_AGENT *agent;

	if (getenv("SSH_AUTH_SOCK") == NULL) {
		auth_tried_add(r, "no ssh-agent (SSH_AUTH_SOCK is not set)");
		return NULL;
	}
	if ((agent = libssh2_agent_init(r->s->ssh)) == NULL)
		return NULL;
	if (libssh2_agent_connect(agent) != 0 ||
	    libssh2_agent_list_identities(agent) != 0) {
		note(1, r->s->account, "ssh-agent: cannot use it");
		auth_tried_add(r, "ssh-agent (cannot connect to SSH_AUTH_SOCK)");
		libssh2_agent_disconnect(agent);
		libssh2_agent_free(agent);
		return NULL;
	}
	return agent;
}

/* Ends what auth_agent_open began; NULL is fine. */
static void
auth_agent_close(LIBSSH2_AGENT *agent)
{
	if (agent == NULL)
		return;
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
}

/*
 * Whether the agent's key a is RSA and libssh2 1.10's, which is never
 * offered: 1.10 signs with SHA-1 only, which OpenSSH 8.8 and later
 * refuse, and each refusal counts against the server's MaxAuthTries.
 * With 1.11 it is offered as any other.
 */
static int
auth_agent_rsa(struct auth_run *r, const struct libssh2_agent_publickey *a)
{
	if (auth_rsa_sha2() || a->blob_len < 11 ||
	    memcmp(a->blob + 4, "ssh-rsa", 7) != 0)
		return 0;
	note(1, r->s->account, "ssh-agent: skipping RSA key %s: libssh2 1.10 "
	    "signs with SHA-1 only", a->comment);
	return 1;
}

/* Offers the agent's key a: returns 1 when accepted, 0 if not, -1 on error. */
static int
auth_agent_offer(struct auth_run *r, LIBSSH2_AGENT *agent,
    struct libssh2_agent_publickey *a, struct error *err)
{
	int rc;

	r->offered++;
	SESSION_RETRY(r->s, libssh2_agent_userauth(agent, r->s->user, a), rc,
	    err);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return -1;
	if (rc == 0)
		return 1;
	session_progress(r->s);
	note(2, r->s->account, "ssh-agent: key %s refused", a->comment);
	return 0;
}

/* The key file whose public key is the agent's key a, or NULL. */
static struct auth_id *
auth_id_find(struct auth_id *ids, size_t nids,
    const struct libssh2_agent_publickey *a)
{
	size_t i;

	for (i = 0; i < nids; i++)
		if (ids[i].blob != NULL && ids[i].bloblen == a->blob_len &&
		    memcmp(ids[i].blob, a->blob, a->blob_len) == 0)
			return &ids[i];
	return NULL;
}

/*
 * Whether ids[i] was offered already: its key through the agent, or an
 * earlier file of the same path or key (IdentityFile may repeat one).
 */
static int
auth_id_offered(const struct auth_id *ids, size_t nids, size_t i)
{
	size_t j;

	if (ids[i].by_agent)
		return 1;
	for (j = 0; j < nids; j++) {
		if (j == i || (j > i && !ids[j].by_agent))
			continue;
		if (j < i && strcmp(ids[j].path, ids[i].path) == 0)
			return 1;
		if (ids[i].blob != NULL && ids[j].blob != NULL &&
		    ids[i].bloblen == ids[j].bloblen &&
		    memcmp(ids[i].blob, ids[j].blob, ids[i].bloblen) == 0)
			return 1;
	}
	return 0;
}

/*
 * Offers the keys in ssh's order (see the top of the file) until one is
 * accepted; only is IdentitiesOnly.  Returns 1 when authenticated, 0
 * when no key was accepted or the server disconnected (auth_gone), -1
 * with err set when a wait failed.
 */
static int
auth_offer_all(struct auth_run *r, LIBSSH2_AGENT *agent,
    struct auth_id *ids, size_t nids, int only, struct error *err)
{
	struct libssh2_agent_publickey *a, *prev;
	struct auth_id *id;
	char what[PATH_MAX + 32];
	size_t i;
	int rc = 0, npreferred = 0, nother = 0, nleft = 0, others;

	/* the named keys the agent holds, through it, in the agent's order */
	for (prev = NULL; agent != NULL && rc == 0 && !auth_gone(r) &&
	    libssh2_agent_get_identity(agent, &a, prev) == 0; prev = a) {
		if ((id = auth_id_find(ids, nids, a)) == NULL ||
		    id->by_agent || auth_agent_rsa(r, a))
			continue;
		id->by_agent = 1;
		npreferred++;
		snprintf(what, sizeof(what), "%s (through ssh-agent)",
		    id->path);
		auth_tried_add(r, what);
		note(2, r->s->account, "%s: the ssh-agent holds it", id->path);
		rc = auth_agent_offer(r, agent, a, err);
	}
	/* the agent's other keys, unless IdentitiesOnly */
	others = agent != NULL && rc == 0 && !auth_gone(r);
	for (prev = NULL; others && rc == 0 && !auth_gone(r) &&
	    libssh2_agent_get_identity(agent, &a, prev) == 0; prev = a) {
		if (auth_id_find(ids, nids, a) != NULL)
			continue;
		if (only) {
			nleft++;
			continue;
		}
		if (auth_agent_rsa(r, a))
			continue;
		nother++;
		rc = auth_agent_offer(r, agent, a, err);
	}
	if (others && only)
		snprintf(what, sizeof(what), "ssh-agent (%d other keys not "
		    "offered: IdentitiesOnly)", nleft);
	else if (others)
		snprintf(what, sizeof(what), "ssh-agent (%d %susable keys)",
		    nother, npreferred > 0 ? "other " : "");
	if (others && (!only || nleft > 0))
		auth_tried_add(r, what);
	/* then the named keys from their files */
	for (i = 0; i < nids && rc == 0 && !auth_gone(r); i++)
		if (!auth_id_offered(ids, nids, i))
			rc = auth_keyfile(r, ids[i].path, err);
	return rc;
}

/*
 * The key files to offer, in t's order: t's identities, or ssh's default
 * files that exist, each with its public key if it can be had.  Fills
 * *ids (free with auth_ids_free) and *nids.  Returns 0, or -1 when
 * memory is short.
 */
static int
auth_ids(const struct sshconfig_target *t, struct auth_id **ids,
    size_t *nids)
{
	static const char *defaults[] = {
		"/.ssh/id_ed25519", "/.ssh/id_ecdsa", "/.ssh/id_rsa"
	};
	const char *home = getenv("HOME");
	char *path;
	size_t i, n = t->nidentities > 0 ? t->nidentities :
	    sizeof(defaults) / sizeof(defaults[0]);

	*nids = 0;
	if ((*ids = calloc(n, sizeof(**ids))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (t->nidentities > 0)
			path = strdup(t->identities[i]);
		else if (home == NULL)
			break;
		else if (asprintf(&path, "%s%s", home, defaults[i]) == -1)
			path = NULL;
		if (path == NULL)
			return -1;
		if (t->nidentities == 0 && access(path, F_OK) == -1) {
			free(path);
			continue;
		}
		(*ids)[*nids].path = path;
		keyfile_pubkey((*ids)[*nids].path, &(*ids)[*nids].blob,
		    &(*ids)[*nids].bloblen);
		(*nids)++;
	}
	return 0;
}

static void
auth_ids_free(struct auth_id *ids, size_t nids)
{
	size_t i;

	for (i = 0; i < nids; i++) {
		free(ids[i].path);
		free(ids[i].blob);
	}
	free(ids);
}

/* Fills err for a server that disconnected during r; returns -1. */
static int
auth_gone_error(struct auth_run *r, const struct sshconfig_target *t,
    struct error *err)
{
	struct session *s = r->s;

	if (!auth_too_many())
		return error_set(err, ERR_TRANSIENT, "authentication as %s@%s: "
		    "the server disconnected (\"%s\") after %d keys were "
		    "offered; tried: %s", s->user, s->host, auth_bye.msg,
		    r->offered, r->tried);
	if (t->identities_only)
		return error_set(err, ERR_DENIED, "authentication as %s@%s "
		    "failed: the server disconnected with \"%s\" after %d keys "
		    "were offered (it counts every key offered): IdentitiesOnly "
		    "is set, name fewer keys with IdentityFile; tried: %s",
		    s->user, s->host, auth_bye.msg, r->offered, r->tried);
	return error_set(err, ERR_DENIED, "authentication as %s@%s failed: the "
	    "server disconnected with \"%s\" after %d keys were offered (it "
	    "counts every key offered): to offer only the one it accepts, set "
	    "\"IdentitiesOnly yes\" and \"IdentityFile KEY\" for Host %s in "
	    "the ssh config; tried: %s", s->user, s->host, auth_bye.msg,
	    r->offered, t->alias, r->tried);
}

/*
 * The methods the server offers s->user, asked with a "none" request
 * (libssh2_userauth_list): only once the keys were refused, to say why,
 * as a probe before them would cost every login a round trip.  It also
 * tells a refusal from a connection that failed meanwhile, which libssh2
 * reports alike ("Waiting for USERAUTH response").  NULL when the server
 * does not answer (the connection failed, or it let us in: see
 * libssh2_userauth_authenticated).
 */
static const char *
auth_methods(struct session *s)
{
	struct error ignored;
	char *list;

	do {
		list = libssh2_userauth_list(s->ssh, s->user, strlen(s->user));
		if (list != NULL || libssh2_session_last_errno(s->ssh) !=
		    LIBSSH2_ERROR_EAGAIN)
			break;
	} while (session_wait(s, &ignored) != -1);
	return list;
}

int
auth_user(struct session *s, const struct sshconfig_target *t,
    struct error *err)
{
	struct auth_run r;
	struct auth_id *ids = NULL;
	LIBSSH2_AGENT *agent;
	size_t nids = 0;
	const char *list;
	char what[512];
	int rc, ret = -1;

	memset(&r, 0, sizeof(r));
	r.s = s;
	if (auth_ids(t, &ids, &nids) == -1) {
		auth_ids_free(ids, nids);
		return error_errno(err, ERR_TRANSIENT, "authentication");
	}
	memset(&auth_bye, 0, sizeof(auth_bye));
	libssh2_session_callback_set(s->ssh, LIBSSH2_CALLBACK_DISCONNECT,
	    (void *)auth_disconnected);
	agent = auth_agent_open(&r);
	rc = auth_offer_all(&r, agent, ids, nids, t->identities_only, err);
	if (rc == 1)
		ret = 0;
	else if (rc == 0 && auth_gone(&r))
		auth_gone_error(&r, t, err);
	else if (rc == 0 && (list = auth_methods(s)) == NULL) {
		if (libssh2_userauth_authenticated(s->ssh))
			ret = 0;
		else {
			snprintf(what, sizeof(what), "authentication as %s@%s",
			    s->user, s->host);
			session_error(s, err, ERR_TRANSIENT, what);
		}
	} else if (rc == 0 && strstr(list, "publickey") == NULL)
		error_set(err, ERR_DENIED, "%s@%s offers no public key "
		    "authentication (only: %s)", s->user, s->host, list);
	else if (rc == 0)
		error_set(err, ERR_DENIED, "authentication as %s@%s failed; "
		    "tried: %s%s", s->user, s->host, r.tried[0] ? r.tried :
		    "no keys", r.hint[0] ? r.hint : t->nidentities == 0 &&
		    nids == 0 ? "; no identity file is configured, and none "
		    "of ~/.ssh/id_ed25519, id_ecdsa, id_rsa exists" : "");
	auth_agent_close(agent);
	libssh2_session_callback_set(s->ssh, LIBSSH2_CALLBACK_DISCONNECT, NULL);
	memset(&auth_bye, 0, sizeof(auth_bye));
	auth_ids_free(ids, nids);
	return ret;
}
