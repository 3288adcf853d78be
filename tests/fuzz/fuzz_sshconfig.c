/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Fuzz target for the ssh_config reader (sftp/sshconfig.c): any bytes, as
 * a user's ~/.ssh/config.  Each input is parsed from memory with
 * sshconfig_parse for a few host names (and once with no home
 * directory), then written to a file and taken through sshconfig_resolve
 * as an account would be, which also expands the %-tokens and "~" of the
 * values that apply.
 *
 * Hermetic: the home directory is a private temporary one made on the
 * first call, whose .ssh holds the input itself (as "config") and a few
 * fixed files for Include to find; it is removed at exit (not after a
 * crash).  An input with an Include that could leave that directory (an
 * absolute name, "..", a backslash) is not run, and returns -1 so that
 * libFuzzer does not keep it: otherwise a run would read whatever the
 * machine holds, /dev/stdin included.  Match exec is never run (no_exec
 * makes it an error): the input would be a shell command.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sftp/sshconfig.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *hosts[] = { "mail", "mail.example.com", "192.0.2.7" };
#define NHOSTS	(sizeof(hosts) / sizeof(hosts[0]))

/* The fixed files of home/.ssh, relative to it; "config" is the input. */
static const struct {
	const char	*name;
	const char	*text;
} files[] = {
	{ "conf.d/a.conf", "Host other\nUser a-other\nPort 2201\n" },
	{ "conf.d/b.conf", "Host mail*\n  Port 2200\n"
	    "  HostName %h.example.org\n  IdentityFile ~/.ssh/id_%r\n" },
	{ "inc", "Host *\nUser inc\nProxyCommand ssh -W %h:%p jump\n"
	    "StrictHostKeyChecking accept-new\n" },
	{ "loop", "Include loop\n" },
	{ "bad", "Host *\nPort 0\n" },
};

/* Half of PATH_MAX: room for the names under it, as the compiler checks. */
static char home[PATH_MAX / 2];
static char config[PATH_MAX];

static void
cleanup(void)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/.ssh/%s", home, files[i].name);
		unlink(path);
	}
	unlink(config);
	snprintf(path, sizeof(path), "%s/.ssh/conf.d", home);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.ssh", home);
	rmdir(path);
	rmdir(home);
}

static void
writefile(const char *path, const void *data, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (len > 0 && write(fd, data, len) != (ssize_t)len)) {
		perror(path);
		abort();
	}
	close(fd);
}

static void
setup(void)
{
	const char *tmp;
	char path[PATH_MAX];
	size_t i;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(home, sizeof(home), "%s/fuzz_sshconfig.XXXXXX",
	    tmp) >= sizeof(home) || mkdtemp(home) == NULL) {
		perror(home);
		abort();
	}
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/.ssh", home);
	if (mkdir(path, 0700) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/.ssh/conf.d", home);
	if (mkdir(path, 0700) == -1)
		abort();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/.ssh/%s", home, files[i].name);
		writefile(path, files[i].text, strlen(files[i].text));
	}
	snprintf(config, sizeof(config), "%s/.ssh/config", home);
}

/*
 * Whether every Include of text names files inside home: the lines are
 * cut and split as sshconfig.c does, and a word is safe if it is not
 * absolute and has no ".." and no "\" (glob's escape), so that neither
 * the name nor its glob can climb out.  "~" is home, "%%" only a "%".
 * Lines the parser would refuse (NUL byte, open quote) are judged too:
 * it costs nothing to be stricter than the parser.
 */
static int
includes_safe(const char *text, size_t len)
{
	char *w[256], *line, *buf;
	const char *s = text, *end = text + len, *nl, *rest;
	size_t restlen;
	int k, n, safe = 1;

	while (safe && s < end) {
		if ((nl = memchr(s, '\n', end - s)) == NULL)
			nl = end;
		if ((line = strndup(s, nl - s)) == NULL ||
		    (buf = malloc(nl - s + 1)) == NULL)
			abort();
		s = nl + 1;
		if (sshconfig_split(line, buf, w, 256, &n, &rest,
		    &restlen) == 0 && n > 0 && strcasecmp(w[0], "Include") == 0) {
			if (n > 256)
				safe = 0;
			for (k = 1; safe && k < n; k++)
				if (w[k][0] == '/' || strstr(w[k], "..") != NULL ||
				    strchr(w[k], '\\') != NULL)
					safe = 0;
		}
		free(line);
		free(buf);
	}
	return safe;
}

static void
check_host(const struct sshconfig_host *h)
{
	if (h->port < 0 || h->port > 65535 ||
	    (h->nidentities > 0) != (h->identities != NULL) ||
	    (h->check != SSHCONFIG_CHECK_UNSET) != (h->check_where != NULL) ||
	    (h->proxy_command != NULL && !h->proxy_set) ||
	    (h->proxy_jump != NULL && (!h->proxy_set ||
	    h->proxy_command != NULL)))
		abort();
}

static void
check_error(const struct error *err)
{
	if (err->kind != ERR_CONFIG || err->msg[0] == '\0' ||
	    memchr(err->msg, '\0', sizeof(err->msg)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char *noids[] = { NULL };
	static char *ids[] = { "/keys/own", "relative/key", NULL };
	struct sshconfig_host h;
	struct sshconfig_query q;
	struct sshconfig_target t;
	struct ssh_account a;
	struct error err;
	char known[PATH_MAX], *text;
	size_t i;

	if (home[0] == '\0')
		setup();
	if (!includes_safe((const char *)data, len))
		return -1;
	/* Include "config" reads this very input back. */
	writefile(config, data, len);

	/*
	 * A copy of exactly len bytes, so that reading one past the end is
	 * caught by ASan (the parser takes a length, not a C string).
	 */
	if ((text = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	/* Each host with the home directory, and one without (HOME unset). */
	for (i = 0; i <= NHOSTS; i++) {
		memset(&h, 0, sizeof(h));
		memset(&q, 0, sizeof(q));
		q.host = hosts[i % NHOSTS];
		q.home = i < NHOSTS ? home : NULL;
		q.localuser = i % 2 ? "fuzzer" : NULL;
		q.user = i == 1 ? "carol" : NULL;
		q.no_exec = 1;
		error_clear(&err);
		if (sshconfig_parse(text, len, "fuzz", &q, 0, &h, &err) == 0)
			check_host(&h);
		else
			check_error(&err);
		sshconfig_host_free(&h);
	}
	free(text);

	/*
	 * The account as config_parse leaves it when syncmail.conf sets only
	 * the host; with the local user known or not (then only the ssh
	 * config's User can name the remote one).  One input in four has
	 * syncmail.conf set everything but the host name, which the ssh
	 * config may still change.
	 */
	snprintf(known, sizeof(known), "%s/.ssh/known_hosts", home);
	memset(&a, 0, sizeof(a));
	a.name = "fuzz";
	a.host = (char *)hosts[len % NHOSTS];
	a.identities = noids;
	a.known_hosts = known;
	a.ssh_config = config;
	a.ssh_config_given = 1;
	a.file = "syncmail.conf";
	a.no_exec = 1;
	if (len % 4 == 3) {
		a.port = 2222;
		a.user = "carol";
		a.identities = ids;
		a.nidentities = 2;
		a.known_hosts_given = 1;
		a.hostkey_check = HOSTKEY_CHECK_ACCEPT_NEW;
		a.hostkey_check_given = 1;
		a.proxy_command = len % 8 == 3 ? "none" : "nc %h %p %r %%";
	}
	error_clear(&err);
	if (sshconfig_resolve(&a, home, len % 2 ? "fuzzer" : NULL, &t,
	    &err) == 0) {
		/* What session.c relies on. */
		if (t.alias == NULL || t.host == NULL || t.user == NULL ||
		    t.known_hosts == NULL || t.port < 1 || t.port > 65535 ||
		    memchr(t.from, '\0', sizeof(t.from)) == NULL)
			abort();
		for (i = 0; i < t.nidentities; i++)
			if (t.identities[i][0] != '/')
				abort();
	} else
		check_error(&err);
	sshconfig_target_free(&t);
	return 0;
}
