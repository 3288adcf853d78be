/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Why a handshake found no algorithm in common (SPEC 2: exit 76).
 * libssh2 1.10 frees the server's KEXINIT before it reports that no
 * algorithm is in common, and does not say which kind is missing; so
 * during the handshake libssh2 receives through a callback of ours that
 * keeps a copy of the server's first bytes, and on that failure the
 * server's lists are parsed from the copy and held against libssh2's.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sftp/hostkey.h"
#include "sftp/kex.h"
#include "sftp/session.h"

/*
 * How much of the server's first bytes is kept: its version line (and any
 * lines before it) and its KEXINIT, about 1 to 2 KB from the servers we
 * know.
 */
#define PEEK_MAX	16384

/*
 * libssh2's receive callback: recv(2), as libssh2's own (a negative errno
 * on failure), keeping a copy of the first PEEK_MAX bytes while s->peek
 * is set.  s comes as libssh2's abstract pointer (session_open passes it
 * to libssh2_session_init_ex).
 */
static ssize_t
kex_recv(libssh2_socket_t fd, void *buf, size_t len, int flags,
    void **abstract)
{
	struct session *s = *abstract;
	ssize_t n;
	size_t keep;

	if ((n = recv(fd, buf, len, flags)) == -1)
		return -errno;
	if (s->peek != NULL && n > 0 && s->peeklen < PEEK_MAX) {
		keep = PEEK_MAX - s->peeklen;
		if ((size_t)n < keep)
			keep = (size_t)n;
		memcpy(s->peek + s->peeklen, buf, keep);
		s->peeklen += keep;
	}
	return n;
}

/*
 * The callback is set whether or not the copy could be had: without it,
 * kex_recv is plain recv(2).
 */
void
kex_peek_start(struct session *s)
{
	s->peek = malloc(PEEK_MAX);
	s->peeklen = 0;
	libssh2_session_callback_set(s->ssh, LIBSSH2_CALLBACK_RECV,
	    (void *)kex_recv);
}

/* Drops the copy once the handshake is over: it is of no more use. */
void
kex_peek_stop(struct session *s)
{
	free(s->peek);
	s->peek = NULL;
}

/* The first eight name-lists of a KEXINIT, in its order (RFC 4253 7.1). */
enum kex_list {
	KEX_KEX, KEX_HOSTKEY, KEX_CRYPT_CS, KEX_CRYPT_SC, KEX_MAC_CS,
	KEX_MAC_SC, KEX_COMP_CS, KEX_COMP_SC, KEX_NLISTS
};

struct kexinit {
	char		*buf;		/* the lists, each NUL-terminated */
	const char	*list[KEX_NLISTS];
};

static size_t
kex_get32(const unsigned char *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
	    p[3];
}

/*
 * Finds the server's KEXINIT in the len bytes at p: the first packet after
 * its version line, which may follow other lines (RFC 4253 4.2), and is
 * not encrypted.  Copies its first eight name-lists into k, any byte that
 * is no printable ASCII replaced by '?' (they go into a message).  Every
 * length is the server's claim, checked against what was kept.  Returns
 * 0 (k->buf to be freed by the caller) or -1 when no whole KEXINIT is
 * there.
 */
static int
kex_parse(const unsigned char *p, size_t len, struct kexinit *k)
{
	const unsigned char *nl, *pay;
	size_t off = 0, line, plen, paylen, q, n, i, j;
	char *out;

	k->buf = NULL;
	do {
		if ((nl = memchr(p + off, '\n', len - off)) == NULL)
			return -1;
		line = off;
		off = (size_t)(nl - p) + 1;
	} while (off - line < 4 || memcmp(p + line, "SSH-", 4) != 0);
	if (len - off < 5)
		return -1;
	plen = kex_get32(p + off);
	/* packet length, then padding length, payload, padding */
	if (plen > len - off - 4 || plen < 1 || p[off + 4] >= plen)
		return -1;
	pay = p + off + 5;
	paylen = plen - 1 - p[off + 4];
	/* SSH_MSG_KEXINIT (20), a 16-byte cookie, then the lists */
	if (paylen < 17 || pay[0] != 20)
		return -1;
	/* the lists and their NULs take less room than their lengths did */
	if ((k->buf = malloc(paylen)) == NULL)
		return -1;
	out = k->buf;
	for (q = 17, i = 0; i < KEX_NLISTS; i++) {
		if (paylen - q < 4 || (n = kex_get32(pay + q)) > paylen - q - 4) {
			free(k->buf);
			k->buf = NULL;
			return -1;
		}
		q += 4;
		for (j = 0; j < n; j++)
			out[j] = pay[q + j] > ' ' && pay[q + j] < 0x7f ?
			    (char)pay[q + j] : '?';
		out[n] = '\0';
		k->list[i] = out;
		out += n + 1;
		q += n;
	}
	return 0;
}

/* Whether the comma-separated list holds name. */
static int
kex_list_has(const char *list, const char *name, size_t namelen)
{
	const char *p = list, *comma;
	size_t n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == namelen && memcmp(p, name, n) == 0)
			return 1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Whether the comma-separated lists a and b share a name. */
static int
kex_lists_meet(const char *a, const char *b)
{
	const char *comma;
	size_t n;

	for (;;) {
		comma = strchr(a, ',');
		n = comma != NULL ? (size_t)(comma - a) : strlen(a);
		if (n > 0 && kex_list_has(b, a, n))
			return 1;
		if (comma == NULL)
			return 0;
		a = comma + 1;
	}
}

/*
 * Everything libssh2 has of one kind (LIBSSH2_METHOD_*), comma-separated
 * in buf; "?" when it cannot say.
 */
static void
kex_ours(struct session *s, int type, char *buf, size_t size)
{
	const char **algs = NULL;
	int i, n;

	buf[0] = '\0';
	n = libssh2_session_supported_algs(s->ssh, type, &algs);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(buf, ",", size);
		strlcat(buf, algs[i], size);
	}
	if (n > 0)
		libssh2_free(s->ssh, algs);
	if (buf[0] == '\0')
		strlcpy(buf, "?", size);
}

/*
 * The handshake ended in LIBSSH2_ERROR_KEX_FAILURE: no algorithm of some
 * kind is in common.  Names each such kind with the server's list and
 * libssh2's, in err with ERR_NOALGO: that does not pass with time,
 * one side must gain an algorithm the other has.  Only the host key types
 * were asked for (pinned, those that set holds); when the server has a
 * type libssh2 has, but not one of those, it is the question of a
 * changed host key instead (ERR_DENIED).  Without the server's
 * KEXINIT, what libssh2 lacks is said in general.  Returns -1.
 */
int
kex_failure(struct session *s, const struct hostkey_set *set,
    const char *pinned, struct error *err)
{
	static const struct {
		int		 type;
		const char	*what;
	} kinds[KEX_NLISTS] = {
		{ LIBSSH2_METHOD_KEX, "key exchange" },
		{ LIBSSH2_METHOD_HOSTKEY, "host key type" },
		{ LIBSSH2_METHOD_CRYPT_CS, "cipher" },
		{ LIBSSH2_METHOD_CRYPT_SC, "cipher (server to client)" },
		{ LIBSSH2_METHOD_MAC_CS, "MAC" },
		{ LIBSSH2_METHOD_MAC_SC, "MAC (server to client)" },
		{ LIBSSH2_METHOD_COMP_CS, "compression" },
		{ LIBSSH2_METHOD_COMP_SC, "compression (server to client)" },
	};
	struct kexinit k;
	char ours[1024], msg[sizeof(err->msg)];
	const char *version = libssh2_version(0);
	size_t i;
	int first;

	if (s->peek == NULL || kex_parse(s->peek, s->peeklen, &k) == -1)
		return error_set(err, ERR_NOALGO, "SSH handshake: no key "
		    "exchange, cipher, MAC or host key algorithm in common "
		    "with the server (libssh2 %s has aes-ctr and aes-cbc "
		    "ciphers, no chacha20 or aes-gcm%s%s%s%s)", version,
		    pinned[0] != '\0' ? "; it asked only for the host key "
		    "types that " : "", pinned[0] != '\0' ? set->path : "",
		    pinned[0] != '\0' ? " holds for the host: " : "", pinned);
	msg[0] = '\0';
	for (i = 0; i < KEX_NLISTS; i++) {
		kex_ours(s, kinds[i].type, ours, sizeof(ours));
		if (i == KEX_HOSTKEY && pinned[0] != '\0') {
			if (kex_lists_meet(pinned, k.list[i]))
				continue;
			if (kex_lists_meet(ours, k.list[i])) {
				error_set(err, ERR_DENIED, "the server offers "
				    "host key types %s; %s holds for %s only "
				    "%s: the host key may have changed, which "
				    "may be an attack.  If the change is "
				    "expected, remove the old key with: "
				    "ssh-keygen -R '%s' -f %s", k.list[i],
				    set->path, set->name, pinned, set->name,
				    set->path);
				free(k.buf);
				return -1;
			}
		} else if (kex_lists_meet(ours, k.list[i]))
			continue;
		/* the other direction's twin, when it says the same */
		if ((i == KEX_CRYPT_SC || i == KEX_MAC_SC || i == KEX_COMP_SC) &&
		    strcmp(k.list[i], k.list[i - 1]) == 0 &&
		    !kex_lists_meet(ours, k.list[i - 1]))
			continue;
		first = msg[0] == '\0';
		strlcat(msg, first ? "no " : ", no ", sizeof(msg));
		strlcat(msg, kinds[i].what, sizeof(msg));
		strlcat(msg, first ? " in common with the server (it offers " :
		    " in common (it offers ", sizeof(msg));
		strlcat(msg, k.list[i][0] != '\0' ? k.list[i] : "none",
		    sizeof(msg));
		strlcat(msg, "; libssh2 ", sizeof(msg));
		strlcat(msg, version, sizeof(msg));
		strlcat(msg, " has ", sizeof(msg));
		strlcat(msg, ours, sizeof(msg));
		strlcat(msg, ")", sizeof(msg));
	}
	free(k.buf);
	if (msg[0] == '\0')
		strlcpy(msg, "no algorithm in common with the server, though "
		    "each of its lists has one of libssh2's", sizeof(msg));
	return error_set(err, ERR_NOALGO, "SSH handshake: %s; this "
	    "does not pass with time: one side must gain an algorithm the "
	    "other has", msg);
}
