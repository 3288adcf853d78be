/*
 * The SSH transport of one account, on libssh2 in non-blocking mode so
 * that every wait is ours and bounded (libssh2's blocking calls have no
 * timeout unless one is set, and would not see our signals).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hostkey.h"
#include "util/note.h"
#include "session.h"

static long
ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000 +
	    (t->tv_nsec - now.tv_nsec) / 1000000;
}

void
session_progress(struct session *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->last_progress);
}

/*
 * How long a wait may last: until the no-progress timeout or the deadline,
 * whichever comes first.  Returns -1 with err set if one has passed.
 */
static int
wait_budget(struct session *s, long *ms, struct error *err)
{
	struct timespec until = s->last_progress;
	long left, dl;

	if (s->abort != NULL && *s->abort)
		return error_set(err, STATUS_TEMPFAIL, "stopped by signal");
	until.tv_sec += s->timeout;
	left = ms_until(&until);
	dl = ms_until(&s->deadline);
	if (dl <= 0)
		return error_set(err, STATUS_TEMPFAIL,
		    "deadline passed: the rest waits for the next run");
	if (left <= 0)
		return error_set(err, STATUS_TEMPFAIL,
		    "%s:%d: no progress for %d seconds", s->host, s->port,
		    s->timeout);
	*ms = left < dl ? left : dl;
	return 0;
}

/* Waits for fd to be ready for events, or wakefd, within the budget. */
static int
wait_fd(struct session *s, int fd, short events, struct error *err)
{
	struct pollfd pfd[2];
	long ms = 0;
	int n;

	for (;;) {
		if (wait_budget(s, &ms, err) == -1)
			return -1;
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		pfd[1].fd = s->wakefd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, s->wakefd != -1 ? 2 : 1,
		    ms > 1000 ? 1000 : (int)ms);
		if (n > 0)
			return (pfd[1].revents & POLLIN) && !pfd[0].revents ?
			    1 : 0;
		if (n == -1 && errno != EINTR)
			return error_errno(err, STATUS_TEMPFAIL, "poll");
	}
}

int
session_wait(struct session *s, struct error *err)
{
	int dir = libssh2_session_block_directions(s->ssh);
	short events = 0;

	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		events |= POLLOUT;
	if (events == 0)
		events = POLLIN;
	return wait_fd(s, s->fd, events, err);
}

int
session_error(struct session *s, struct error *err, int status,
    const char *what)
{
	char *msg = NULL;
	int len;

	if (s->ssh == NULL ||
	    libssh2_session_last_error(s->ssh, &msg, &len, 0) == 0 ||
	    msg == NULL)
		msg = "unknown error";
	return error_set(err, status, "%s: %s", what, msg);
}

/* Non-blocking connect to one address, bounded by the timeout. */
static int
connect_one(struct session *s, const struct addrinfo *ai, struct error *err)
{
	socklen_t len = sizeof(int);
	int fd, soerr = 0, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return error_errno(err, STATUS_TEMPFAIL, "socket");
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			error_errno(err, STATUS_TEMPFAIL, "connect to %s port %d",
			    s->host, s->port);
			close(fd);
			return -1;
		}
		if (wait_fd(s, fd, POLLOUT, err) == -1) {
			error_prefix(err, "connect to %s port %d", s->host,
			    s->port);
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			soerr = errno;
		if (soerr != 0) {
			errno = soerr;
			error_errno(err, STATUS_TEMPFAIL, "connect to %s port %d",
			    s->host, s->port);
			close(fd);
			return -1;
		}
	}
	/* SFTP is request/reply: Nagle would add latency to every batch. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
tcp_connect(struct session *s, struct error *err)
{
	struct addrinfo hints, *res, *ai;
	char port[16];
	int rc, fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->port);
	if ((rc = getaddrinfo(s->host, port, &hints, &res)) != 0)
		return error_set(err, STATUS_TEMPFAIL, "%s: %s", s->host,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = connect_one(s, ai, err)) != -1)
			break;
		if (s->abort != NULL && *s->abort)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	s->fd = fd;
	return 0;
}

/*
 * The known_hosts line for the server's key, in a new string (NULL when
 * out of memory): what the user checks and adds when the key is unknown.
 */
static char *
hostkey_line(const struct hostkey_set *set, const char *type,
    const unsigned char *blob, size_t len)
{
	char *b64, *line;

	if (len > 65536 || (b64 = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, blob, (int)len);
	if (asprintf(&line, "%s %s %s", set->name, type, b64) == -1)
		line = NULL;
	free(b64);
	return line;
}

/* The line of set's @revoked entry for blob, for the message; 0 if none. */
static int
hostkey_revoked_line(const struct hostkey_set *set,
    const unsigned char *blob, size_t len)
{
	size_t i;

	for (i = 0; i < set->nkeys; i++)
		if (set->keys[i].revoked && set->keys[i].bloblen == len &&
		    memcmp(set->keys[i].blob, blob, len) == 0)
			return set->keys[i].line;
	return 0;
}

/*
 * Checks the server's key against known_hosts (SPEC 6).  Every refusal
 * says what to do next: a cron job that cannot connect tends to get
 * "fixed" by turning the check off, unless the safe way is spelled out.
 */
static int
check_hostkey(struct session *s, struct hostkey_set *set,
    enum hostkey_check mode, struct error *err)
{
	const unsigned char *blob;
	char fp[128], type[64], *line;
	size_t len;
	int ktype;

	blob = (const unsigned char *)libssh2_session_hostkey(s->ssh, &len,
	    &ktype);
	if (blob == NULL)
		return session_error(s, err, STATUS_TEMPFAIL, "host key");
	hostkey_fingerprint(blob, len, fp, sizeof(fp));
	hostkey_blob_type(blob, len, type, sizeof(type));
	switch (hostkey_verify(set, blob, len)) {
	case HOSTKEY_MATCH:
		note(2, s->account, "host key %s %s matches %s", type, fp,
		    set->path);
		return 0;
	case HOSTKEY_REVOKED:
		return error_set(err, STATUS_NOPERM, "host key for %s is "
		    "REVOKED in %s (line %d): %s %s; refusing to connect.  The "
		    "server must get a new host key; then put the new key in "
		    "place of the old one on the other lines for %s in %s, "
		    "and keep the @revoked line (ssh-keygen -R '%s' -f %s "
		    "would remove it too)", set->name, set->path,
		    hostkey_revoked_line(set, blob, len), type, fp, set->name,
		    set->path, set->name, set->path);
	case HOSTKEY_CHANGED:
		return error_set(err, STATUS_NOPERM, "HOST KEY FOR %s HAS "
		    "CHANGED: the server offers %s %s, which %s does not hold; "
		    "this may be an attack.  If the change is expected, remove "
		    "the old key with: ssh-keygen -R '%s' -f %s", set->name,
		    type, fp, set->path, set->name, set->path);
	case HOSTKEY_UNKNOWN:
		if (mode == HOSTKEY_CHECK_ACCEPT_NEW) {
			if (hostkey_append(set, blob, len, err) == -1)
				return -1;
			note(0, s->account, "added host key for %s to %s: "
			    "%s %s", set->name, set->path, type, fp);
			return 0;
		}
		line = hostkey_line(set, type, blob, len);
		error_set(err, STATUS_NOPERM, "host key for %s is unknown: "
		    "%s %s.  If that is the server's key (on the server: "
		    "ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), add this "
		    "line to %s: %s -- or set host-key-check accept-new to "
		    "record it on the next run", set->name, type, fp,
		    strncmp(type, "ssh-", 4) == 0 ? type + 4 : strncmp(type,
		    "ecdsa", 5) == 0 ? "ecdsa" : "*", set->path,
		    line != NULL ? line : "(out of memory)");
		free(line);
		return -1;
	}
	return error_set(err, STATUS_NOPERM, "host key check failed");
}

/* Calls a libssh2 function until it stops saying EAGAIN. */
#define RETRY(s, call, rc, err) do {					\
	while (((rc) = (call)) == LIBSSH2_ERROR_EAGAIN)			\
		if (session_wait((s), (err)) == -1)			\
			break;						\
} while (0)

/* Appends ", what" to the list of methods tried, for the failure message. */
static void
tried_add(char *tried, size_t size, const char *what)
{
	if (tried[0] != '\0')
		strlcat(tried, ", ", size);
	strlcat(tried, what, size);
}

static int
auth_agent(struct session *s, char *tried, size_t triedsize,
    struct error *err)
{
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *id, *prev = NULL;
	int rc, ok = 0, nkeys = 0;
	char what[64];

	if (getenv("SSH_AUTH_SOCK") == NULL) {
		tried_add(tried, triedsize, "no ssh-agent (SSH_AUTH_SOCK is "
		    "not set)");
		return 0;
	}
	if ((agent = libssh2_agent_init(s->ssh)) == NULL)
		return 0;
	/* A local socket: these calls block, but not on the network. */
	if (libssh2_agent_connect(agent) != 0 ||
	    libssh2_agent_list_identities(agent) != 0) {
		note(1, s->account, "ssh-agent: cannot use it");
		tried_add(tried, triedsize, "ssh-agent (cannot connect to "
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
		RETRY(s, libssh2_agent_userauth(agent, s->user, id), rc, err);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			ok = -1;
			break;
		}
		if (rc == 0)
			ok = 1;
	}
	snprintf(what, sizeof(what), "ssh-agent (%d usable keys)", nkeys);
	tried_add(tried, triedsize, what);
out:
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
	return ok;
}

/* Whether the key at path is RSA, judged by its .pub file or PEM header. */
static int
key_is_rsa(const char *path)
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
key_is_encrypted(const char *path)
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
			tried_add(tried, triedsize, what);
			snprintf(hint, hintsize, ".  To use %s from cron, add "
			    "it to an ssh-agent (ssh-add %s) whose SSH_AUTH_SOCK "
			    "syncmail gets", path, path);
			return 0;
		}
		/* the user's typing is not the server's silence */
		session_progress(s);
		RETRY(s, libssh2_userauth_publickey_fromfile_ex(s->ssh,
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
	tried_add(tried, triedsize, what);
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
		tried_add(tried, triedsize, what);
		return 0;
	}
	if (key_is_encrypted(path))
		return auth_encrypted(s, path, tried, triedsize, hint,
		    hintsize, err);
	tried_add(tried, triedsize, path);
	RETRY(s, libssh2_userauth_publickey_fromfile_ex(s->ssh, s->user,
	    strlen(s->user), NULL, path, NULL), rc, err);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return -1;
	if (rc == 0)
		return 1;
	session_progress(s);
	if (rc == LIBSSH2_ERROR_FILE)
		snprintf(hint, hintsize, "; %s could not be loaded: if it is "
		    "encrypted, add it to ssh-agent", path);
	else if (key_is_rsa(path))
		snprintf(hint, hintsize, "; %s is an RSA key, which libssh2 "
		    "1.10 can only sign with SHA-1, refused by OpenSSH 8.8 and "
		    "later: use an ed25519 or ECDSA key", path);
	note(2, s->account, "key %s refused", path);
	return 0;
}

static int
authenticate(struct session *s, const struct sshconfig_target *t,
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
		return session_error(s, err, STATUS_TEMPFAIL,
		    "asking for authentication methods");
	}
	session_progress(s);
	if (strstr(list, "publickey") == NULL)
		return error_set(err, STATUS_NOPERM, "%s@%s offers no public "
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
	return error_set(err, STATUS_NOPERM, "authentication as %s@%s failed; "
	    "tried: %s%s", s->user, s->host, tried[0] ? tried : "no keys",
	    hint[0] ? hint : t->nidentities == 0 && ndefault == 0 ?
	    "; no identity file is configured, and none of ~/.ssh/id_ed25519, "
	    "id_ecdsa, id_rsa exists" : "");
}

/*
 * The transport: a TCP connection, or the proxy command's socketpair.
 * A proxy that dies at once (a typo, a jump host refusing us) shows
 * only as a closed connection; its exit status says why.
 */
static int
transport_open(struct session *s, struct error *err)
{
	if (s->proxy_command == NULL)
		return tcp_connect(s, err);
	note(2, s->account, "proxy command: %s", s->proxy_command);
	if (proxy_start(&s->proxy, s->proxy_command, err) == -1)
		return -1;
	/* the session owns the descriptor from here on */
	s->fd = s->proxy.fd;
	s->proxy.fd = -1;
	return 0;
}

/* Adds the proxy command's fate, if it has ended, to err's message. */
static void
proxy_blame(struct session *s, struct error *err)
{
	char how[64];

	/* its end of the socket closes just before it can be reaped */
	if (s->proxy.pid > 0 && proxy_exited(&s->proxy, 500, how, sizeof(how)))
		error_prefix(err, "proxy command \"%s\" %s", s->proxy_command,
		    how);
}

/*
 * How much of the server's first bytes is kept: its version line (and any
 * lines before it) and its KEXINIT, about 1 to 2 KB from the servers we
 * know.
 */
#define PEEK_MAX	16384

/*
 * libssh2's receive callback: recv(2), as libssh2's own (a negative errno
 * on failure), keeping a copy of the first PEEK_MAX bytes while s->peek
 * is set.  libssh2 1.10 frees the server's KEXINIT before it reports that
 * no algorithm is in common, and does not say which kind is missing.
 */
static ssize_t
session_recv(libssh2_socket_t fd, void *buf, size_t len, int flags,
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
get32(const unsigned char *p)
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
kexinit_parse(const unsigned char *p, size_t len, struct kexinit *k)
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
	plen = get32(p + off);
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
		if (paylen - q < 4 || (n = get32(pay + q)) > paylen - q - 4) {
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
list_has(const char *list, const char *name, size_t namelen)
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
lists_meet(const char *a, const char *b)
{
	const char *comma;
	size_t n;

	for (;;) {
		comma = strchr(a, ',');
		n = comma != NULL ? (size_t)(comma - a) : strlen(a);
		if (n > 0 && list_has(b, a, n))
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
ours_list(struct session *s, int type, char *buf, size_t size)
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
 * libssh2's, in err with STATUS_PROTOCOL: that does not pass with time,
 * one side must gain an algorithm the other has.  Only the host key types
 * were asked for (pinned, those that set holds); when the server has a
 * type libssh2 has, but not one of those, it is the question of a
 * changed host key instead (STATUS_NOPERM).  Without the server's
 * KEXINIT, what libssh2 lacks is said in general.  Returns -1.
 */
static int
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

	if (s->peek == NULL || kexinit_parse(s->peek, s->peeklen, &k) == -1)
		return error_set(err, STATUS_PROTOCOL, "SSH handshake: no key "
		    "exchange, cipher, MAC or host key algorithm in common "
		    "with the server (libssh2 %s has aes-ctr and aes-cbc "
		    "ciphers, no chacha20 or aes-gcm%s%s%s%s)", version,
		    pinned[0] != '\0' ? "; it asked only for the host key "
		    "types that " : "", pinned[0] != '\0' ? set->path : "",
		    pinned[0] != '\0' ? " holds for the host: " : "", pinned);
	msg[0] = '\0';
	for (i = 0; i < KEX_NLISTS; i++) {
		ours_list(s, kinds[i].type, ours, sizeof(ours));
		if (i == KEX_HOSTKEY && pinned[0] != '\0') {
			if (lists_meet(pinned, k.list[i]))
				continue;
			if (lists_meet(ours, k.list[i])) {
				error_set(err, STATUS_NOPERM, "the server offers "
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
		} else if (lists_meet(ours, k.list[i]))
			continue;
		/* the other direction's twin, when it says the same */
		if ((i == KEX_CRYPT_SC || i == KEX_MAC_SC || i == KEX_COMP_SC) &&
		    strcmp(k.list[i], k.list[i - 1]) == 0 &&
		    !lists_meet(ours, k.list[i - 1]))
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
	return error_set(err, STATUS_PROTOCOL, "SSH handshake: %s; this "
	    "does not pass with time: one side must gain an algorithm the "
	    "other has", msg);
}

int
session_open(struct session *s, const struct ssh_account *a,
    const struct sshconfig_target *t, const struct timespec *deadline,
    const volatile sig_atomic_t *abort, struct error *err)
{
	struct hostkey_set set;
	const char *algs;
	int rc, ret = -1;

	memset(&set, 0, sizeof(set));
	s->fd = -1;
	s->wakefd = -1;
	s->ssh = NULL;
	s->proxy.pid = -1;
	s->proxy.fd = -1;
	s->proxy_command = NULL;
	s->peek = NULL;
	s->peeklen = 0;
	s->account = a->name;
	s->timeout = a->timeout;
	s->deadline = *deadline;
	s->abort = abort;
	s->port = t->port;
	if ((s->host = strdup(t->host)) == NULL ||
	    (s->user = strdup(t->user)) == NULL ||
	    (t->proxy_command != NULL && (s->proxy_command =
	    strdup(t->proxy_command)) == NULL))
		return error_errno(err, STATUS_TEMPFAIL, "strdup");
	session_progress(s);
	note(2, s->account, "connecting to %s port %d as %s%s%s%s",
	    s->host, s->port, s->user, t->from[0] ? " (from " : "", t->from,
	    t->from[0] ? " in the ssh config)" : "");

	if (hostkey_load(t->known_hosts, s->host, s->port, &set, err) == -1)
		goto out;
	if (set.skipped > 0)
		note(1, s->account, "%s: %d lines skipped (unknown key "
		    "types, markers or unparseable)", set.path, set.skipped);

	if (transport_open(s, err) == -1)
		goto out;
	if ((s->ssh = libssh2_session_init_ex(NULL, NULL, NULL, s)) == NULL) {
		error_set(err, STATUS_TEMPFAIL, "libssh2_session_init failed");
		goto out;
	}
	/* without the copy, a failure is only named less precisely */
	s->peek = malloc(PEEK_MAX);
	libssh2_session_callback_set(s->ssh, LIBSSH2_CALLBACK_RECV,
	    (void *)session_recv);
	libssh2_session_set_blocking(s->ssh, 0);
	/*
	 * Ask only for the key types known_hosts holds for this host, so
	 * a host known by its ed25519 key does not look unknown because
	 * ECDSA was negotiated.
	 */
	algs = hostkey_algorithms(&set);
	if (algs[0] != '\0' && libssh2_session_method_pref(s->ssh,
	    LIBSSH2_METHOD_HOSTKEY, algs) != 0) {
		session_error(s, err, STATUS_TEMPFAIL, "host key algorithms");
		goto out;
	}
	session_progress(s);
	RETRY(s, libssh2_session_handshake(s->ssh, s->fd), rc, err);
	if (rc == LIBSSH2_ERROR_EAGAIN) {
		error_prefix(err, "SSH handshake with %s port %d", s->host,
		    s->port);
		proxy_blame(s, err);
		goto out;
	}
	if (rc != 0) {
		if (rc == LIBSSH2_ERROR_KEX_FAILURE)
			kex_failure(s, &set, algs, err);
		else
			session_error(s, err, STATUS_TEMPFAIL, "SSH handshake");
		error_prefix(err, "%s port %d", s->host, s->port);
		proxy_blame(s, err);
		goto out;
	}
	free(s->peek);
	s->peek = NULL;
	session_progress(s);
	if (check_hostkey(s, &set, t->check, err) == -1)
		goto out;
	if (authenticate(s, t, err) == -1)
		goto out;
	session_progress(s);
	ret = 0;
out:
	free(s->peek);
	s->peek = NULL;
	hostkey_set_free(&set);
	return ret;
}

void
session_close(struct session *s)
{
	if (s->ssh != NULL) {
		/*
		 * libssh2 frees only in blocking mode (else it may answer
		 * EAGAIN and keep the memory), and the network may be gone:
		 * bound the polite goodbye to a second.
		 */
		libssh2_session_set_timeout(s->ssh, 1000);
		libssh2_session_set_blocking(s->ssh, 1);
		libssh2_session_disconnect(s->ssh, "bye");
		libssh2_session_free(s->ssh);
		s->ssh = NULL;
	}
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
	}
	/* A proxy sees the connection close and leaves; else it is killed. */
	if (s->proxy_command != NULL)
		proxy_stop(&s->proxy, 300);
	free(s->host);
	free(s->user);
	free(s->proxy_command);
	s->host = s->user = s->proxy_command = NULL;
}
