/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for sftp/sshconfig.c: ssh's line splitting, Host patterns
 * with "*", "?" and "!", first-value-wins, Match with each criterion
 * (exec through a real /bin/sh), Include (real files in a temporary
 * directory), %-tokens and "~", IdentitiesOnly, HostKeyAlias, ProxyJump
 * and its interplay with ProxyCommand, unknown and refused keywords with
 * their file:line, and the errors.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sftp/sshconfig.h"
#include "util/match.h"
#include "check.h"

/* A Host pattern against a name, as the reader matches them. */
#define G(p, s)	match_glob((p), strlen(p), (s), strlen(s))

/* The query for host as the tests ask: home /home/al, local user al. */
static const struct sshconfig_query *
query(const char *host, const char *home)
{
	static struct sshconfig_query q;

	memset(&q, 0, sizeof(q));
	q.host = host;
	q.home = home;
	q.localuser = "al";
	return &q;
}

static int
parse(const char *text, const char *host, struct sshconfig_host *h,
    struct error *err)
{
	memset(h, 0, sizeof(*h));
	error_clear(err);
	return sshconfig_parse(text, strlen(text), "cfg",
	    query(host, "/home/al"), 0, h, err);
}

static void
test_split(void)
{
	char buf[256], *w[8];
	const char *rest;
	size_t rl;
	int n;

	CHECK(sshconfig_split("  HostName   mail.example.org  ", buf, w, 8,
	    &n, &rest, &rl) == 0);
	CHECK(n == 2);
	CHECK_STR(w[0], "HostName");
	CHECK_STR(w[1], "mail.example.org");
	CHECK(rl == 16 && strncmp(rest, "mail.example.org", rl) == 0);

	CHECK(sshconfig_split("Port=2222", buf, w, 8, &n, &rest, &rl) == 0);
	CHECK(n == 2);
	CHECK_STR(w[0], "Port");
	CHECK_STR(w[1], "2222");
	CHECK(sshconfig_split("Port = 2222", buf, w, 8, &n, &rest, &rl) == 0);
	CHECK(n == 2);
	CHECK_STR(w[1], "2222");

	CHECK(sshconfig_split("IdentityFile \"/a b/c\" # comment", buf, w, 8,
	    &n, &rest, &rl) == 0);
	CHECK(n == 2);
	CHECK_STR(w[1], "/a b/c");
	CHECK(sshconfig_split("Host a\"b c\"d e", buf, w, 8, &n, &rest,
	    &rl) == 0);
	CHECK(n == 3);
	CHECK_STR(w[1], "ab cd");
	CHECK_STR(w[2], "e");

	CHECK(sshconfig_split("ProxyCommand ssh -W %h:%p \"jump host\"  ",
	    buf, w, 8, &n, &rest, &rl) == 0);
	CHECK(rl == 24 && strncmp(rest, "ssh -W %h:%p \"jump host\"", rl) == 0);

	CHECK(sshconfig_split("   # only a comment", buf, w, 8, &n, &rest,
	    &rl) == 0 && n == 0);
	CHECK(sshconfig_split("", buf, w, 8, &n, &rest, &rl) == 0 && n == 0);
	CHECK(sshconfig_split("User \"open", buf, w, 8, &n, &rest, &rl) == -1);
	/* more words than pointers: counted, not stored */
	CHECK(sshconfig_split("Host a b c d", buf, w, 2, &n, &rest, &rl) == 0);
	CHECK(n == 5);
}

static void
test_match(void)
{
	char *p1[] = { "mail" };
	char *p2[] = { "*.example.org", "!bad.example.org" };
	char *p3[] = { "!bad" };
	char *p4[] = { "m?il", "other" };

	CHECK(G("*", "anything"));
	CHECK(G("*", ""));
	CHECK(G("a*b*c", "aXXbYYc"));
	CHECK(!G("a*b*c", "aXXbYY"));
	CHECK(G("m?il", "mail"));
	CHECK(!G("m?il", "mil"));
	CHECK(G("MAIL", "mail"));
	CHECK(G("**x", "x"));

	CHECK(match_words(p1, 1, "mail"));
	CHECK(match_words(p1, 1, "Mail"));
	CHECK(!match_words(p1, 1, "mail2"));
	CHECK(match_words(p2, 2, "a.example.org"));
	CHECK(!match_words(p2, 2, "bad.example.org"));
	CHECK(!match_words(p2, 2, "example.org"));
	/* a negation alone never matches */
	CHECK(!match_words(p3, 1, "good"));
	CHECK(!match_words(p3, 1, "bad"));
	CHECK(match_words(p4, 2, "other"));
	CHECK(match_words(p4, 2, "mxil"));
}

static void
test_parse(void)
{
	struct sshconfig_host h;
	struct error e;

	CHECK(parse("# global\n"
	    "Compression yes\n"
	    "Host other\n"
	    "  HostName wrong\n"
	    "  Port 1\n"
	    "Host mail m?x !never\n"
	    "  HostName 127.0.0.1\n"
	    "  port 2222\n"
	    "  USER bob\n"
	    "  IdentityFile ~/.ssh/one\n"
	    "  UserKnownHostsFile /kh/one /kh/two\n"
	    "  StrictHostKeyChecking accept-new\n"
	    "  ProxyCommand nc %h %p\n"
	    "  ForwardAgent yes\n"
	    "Match host mail\n"
	    "  HostName frommatch\n"
	    "  IdentityFile /from/match\n"
	    "Host *\n"
	    "  HostName late\n"
	    "  User late\n"
	    "  IdentityFile %d/.ssh/two\n"
	    "  StrictHostKeyChecking no\n", "mail", &h, &e) == 0);
	CHECK_STR(h.hostname, "127.0.0.1");
	CHECK(h.port == 2222);
	CHECK_STR(h.user, "bob");
	CHECK(h.nidentities == 2);
	if (h.nidentities == 2) {
		CHECK_STR(h.identities[0], "~/.ssh/one");
		CHECK_STR(h.identities[1], "%d/.ssh/two");
	}
	CHECK_STR(h.known_hosts, "/kh/one");
	CHECK(h.check == SSHCONFIG_CHECK_ACCEPT_NEW);
	CHECK_STR(h.check_where, "cfg:12");
	CHECK(h.proxy_set);
	CHECK_STR(h.proxy_command, "nc %h %p");
	sshconfig_host_free(&h);
	CHECK(h.hostname == NULL && h.identities == NULL);

	/* Only the Host * block applies to another host. */
	CHECK(parse("Host mail\nHostName x\nHost *\nHostName y\n"
	    "StrictHostKeyChecking no\nProxyCommand none\n", "z", &h, &e) == 0);
	CHECK_STR(h.hostname, "y");
	CHECK(h.check == SSHCONFIG_CHECK_NO);
	CHECK_STR(h.check_where, "cfg:5");
	CHECK(h.proxy_set && h.proxy_command == NULL);
	sshconfig_host_free(&h);

	/* Lines before any Host apply to all. */
	CHECK(parse("User early\nHost x\nUser later\n", "x", &h, &e) == 0);
	CHECK_STR(h.user, "early");
	sshconfig_host_free(&h);

	/* Nothing applies: all unset. */
	CHECK(parse("Host a\nPort 5\n", "b", &h, &e) == 0);
	CHECK(h.port == 0 && h.hostname == NULL && !h.proxy_set &&
	    h.check == SSHCONFIG_CHECK_UNSET);
	sshconfig_host_free(&h);

	/* Errors name file and line; only applying lines are judged. */
	CHECK(parse("Host a\nPort 0\n", "b", &h, &e) == 0);
	sshconfig_host_free(&h);
	CHECK(parse("Host a\nPort 0\n", "a", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:2: Port must be 1-65535");
	CHECK(e.kind == ERR_CONFIG);
	sshconfig_host_free(&h);
	CHECK(parse("Port 99999\n", "a", &h, &e) == -1);
	sshconfig_host_free(&h);
	CHECK(parse("Port 22x\n", "a", &h, &e) == -1);
	sshconfig_host_free(&h);
	CHECK(parse("\n\nHost\n", "a", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:3: Host needs a pattern");
	sshconfig_host_free(&h);
	CHECK(parse("User \"x\n", "a", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:1: unterminated quote");
	sshconfig_host_free(&h);
	CHECK(parse("HostName\n", "a", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:1: HostName needs a value");
	sshconfig_host_free(&h);
	CHECK(parse("StrictHostKeyChecking maybe\n", "a", &h, &e) == -1);
	sshconfig_host_free(&h);
	CHECK(sshconfig_parse("User a\0b\n", 9, "cfg", query("a", NULL), 0,
	    &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:1: NUL byte in line");
	sshconfig_host_free(&h);
}

/* IdentitiesOnly: a flag as ssh takes it, the first applying value wins. */
static void
test_identities_only(void)
{
	struct sshconfig_host h;
	struct error e;

	/* unset: no, and not seen */
	CHECK(parse("Host mail\nUser bob\n", "mail", &h, &e) == 0);
	CHECK(!h.identities_only_set && !h.identities_only);
	sshconfig_host_free(&h);

	/* inside a Host block */
	CHECK(parse("Host mail\n  IdentitiesOnly yes\n  IdentityFile ~/k\n",
	    "mail", &h, &e) == 0);
	CHECK(h.identities_only_set && h.identities_only);
	CHECK(h.nidentities == 1);
	sshconfig_host_free(&h);
	CHECK(parse("Host mail\n  IdentitiesOnly no\n", "mail", &h, &e) == 0);
	CHECK(h.identities_only_set && !h.identities_only);
	sshconfig_host_free(&h);

	/* before any Host: for every host; keyword and value in any case */
	CHECK(parse("identitiesonly=YES\nHost other\nUser x\n", "mail", &h,
	    &e) == 0);
	CHECK(h.identities_only_set && h.identities_only);
	sshconfig_host_free(&h);
	CHECK(parse("IdentitiesOnly true\n", "mail", &h, &e) == 0);
	CHECK(h.identities_only);
	sshconfig_host_free(&h);
	CHECK(parse("IdentitiesOnly false\n", "mail", &h, &e) == 0);
	CHECK(h.identities_only_set && !h.identities_only);
	sshconfig_host_free(&h);

	/* the first value wins, both ways, also over a later Host * */
	CHECK(parse("Host mail\n  IdentitiesOnly yes\n  IdentitiesOnly no\n"
	    "Host *\n  IdentitiesOnly no\n", "mail", &h, &e) == 0);
	CHECK(h.identities_only);
	sshconfig_host_free(&h);
	CHECK(parse("IdentitiesOnly no\nHost mail\n  IdentitiesOnly yes\n",
	    "mail", &h, &e) == 0);
	CHECK(h.identities_only_set && !h.identities_only);
	sshconfig_host_free(&h);

	/* not from a block for another host, nor from a Match for one */
	CHECK(parse("Host other\n  IdentitiesOnly yes\n"
	    "Match host other\n  IdentitiesOnly yes\n"
	    "Host mail\n  User bob\n", "mail", &h, &e) == 0);
	CHECK(!h.identities_only_set && !h.identities_only);
	sshconfig_host_free(&h);

	/* a wrong value is an error where it applies, no value either */
	CHECK(parse("Host mail\n  IdentitiesOnly maybe\n", "mail", &h,
	    &e) == -1);
	CHECK_STR(e.msg, "cfg:2: IdentitiesOnly: unknown value (yes or no)");
	CHECK(e.kind == ERR_CONFIG);
	sshconfig_host_free(&h);
	CHECK(parse("Host other\n  IdentitiesOnly maybe\n", "mail", &h,
	    &e) == 0);
	sshconfig_host_free(&h);
	CHECK(parse("IdentitiesOnly\n", "mail", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:1: IdentitiesOnly needs a value");
	sshconfig_host_free(&h);
}

static void
test_expand(void)
{
	struct sshconfig_tokens t = { "/home/al", "al", "127.0.0.1", "mail",
	    "2222", "bob", "alias", "1000", "box.example.net", "box",
	    "0123abcd" };
	struct error e;
	char *s;

	CHECK(sshconfig_expand("nc %h %p", "hpr", 0, &t, "ProxyCommand", &s,
	    &e) == 0);
	CHECK_STR(s, "nc 127.0.0.1 2222");
	free(s);
	CHECK(sshconfig_expand("~/.ssh/id_%r@%h-%u-%n%%", "dhnru", 1, &t,
	    "IdentityFile", &s, &e) == 0);
	CHECK_STR(s, "/home/al/.ssh/id_bob@127.0.0.1-al-mail%");
	free(s);
	CHECK(sshconfig_expand("%k %i %l %L %C", "CikLl", 0, &t, "x", &s,
	    &e) == 0);
	CHECK_STR(s, "alias 1000 box.example.net box 0123abcd");
	free(s);
	CHECK(sshconfig_expand("%d/x", "d", 1, &t, "IdentityFile", &s,
	    &e) == 0);
	CHECK_STR(s, "/home/al/x");
	free(s);
	CHECK(sshconfig_expand("~", "", 1, &t, "x", &s, &e) == 0);
	CHECK_STR(s, "/home/al");
	free(s);
	/* "~" only at the start, and only when asked for */
	CHECK(sshconfig_expand("a~/b", "", 1, &t, "x", &s, &e) == 0);
	CHECK_STR(s, "a~/b");
	free(s);
	CHECK(sshconfig_expand("~/b", "", 0, &t, "x", &s, &e) == 0);
	CHECK_STR(s, "~/b");
	free(s);
	CHECK(sshconfig_expand("nc %h %x", "hpr", 0, &t, "proxy-command", &s,
	    &e) == -1);
	CHECK(s == NULL);
	CHECK_STR(e.msg, "proxy-command: unknown token \"%x\" (known: %% and "
	    "%hpr)");
	CHECK(sshconfig_expand("nc %d", "hpr", 0, &t, "p", &s, &e) == -1);
	CHECK(sshconfig_expand("50%", "hpr", 0, &t, "p", &s, &e) == -1);
	t.home = NULL;
	CHECK(sshconfig_expand("~/x", "", 1, &t, "IdentityFile", &s, &e) == -1);
}

static void
writefile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* write_size PATH TEXT N: TEXT, then comment lines up to N bytes. */
static void
write_size(const char *path, const char *text, size_t n)
{
	char line[64];
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	memset(line, '#', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	fputs(text, f);
	for (n -= strlen(text); n >= sizeof(line); n -= sizeof(line))
		fwrite(line, 1, sizeof(line), f);
	fwrite(line + sizeof(line) - n, 1, n, f);
	fclose(f);
}

/* err's message starts with "cfg:LINE: " and then want. */
static int
at(const struct error *e, int line, const char *want)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "cfg:%d: ", line);
	return e->kind == ERR_CONFIG &&
	    strncmp(e->msg, prefix, strlen(prefix)) == 0 &&
	    strncmp(e->msg + strlen(prefix), want, strlen(want)) == 0;
}

/*
 * Every keyword is looked up: one ssh does not know is an error
 * anywhere, unless an IgnoreUnknown that applies came first; one that
 * would make ssh connect otherwise is an error where it applies, unless
 * its first value is harmless; the others change nothing.
 */
static void
test_keywords(void)
{
	static const char *refused[] = {
		"CertificateFile ~/.ssh/id_ed25519-cert.pub",
		"PKCS11Provider /usr/lib/opensc-pkcs11.so",
		"SmartcardDevice /usr/lib/opensc-pkcs11.so",
		"SecurityKeyProvider /usr/lib/sk.so",
		"IdentityAgent ~/.gnupg/S.gpg-agent.ssh",
		"IdentityAgent none",
		"BindAddress 192.0.2.1",
		"BindInterface eth1",
		"AddressFamily inet6",
		"CanonicalizeHostname yes",
		"Ciphers aes256-gcm@openssh.com",
		"MACs hmac-sha2-512",
		"KexAlgorithms curve25519-sha256",
		"HostKeyAlgorithms +ssh-rsa",
		"PubkeyAcceptedAlgorithms +ssh-rsa",
		"PubkeyAcceptedKeyTypes +ssh-rsa",
		"RequiredRSASize 4096",
		"RevokedHostKeys ~/.ssh/revoked",
		"KnownHostsCommand /bin/true",
		"PubkeyAuthentication no",
		"PreferredAuthentications password",
	};
	struct sshconfig_host h;
	struct error e;
	char text[256], kw[64];
	size_t i;

	/* what changes nothing about where and how: ignored */
	CHECK(parse("ServerAliveInterval 30\nControlMaster auto\n"
	    "ControlPath ~/.ssh/cm-%r@%h:%p\nCompression yes\nForwardAgent yes\n"
	    "GSSAPIAuthentication yes\nSendEnv LANG LC_*\nProtocol 2\n"
	    "Host mail\n  HostName x\n  LogLevel QUIET\n", "mail", &h, &e) == 0);
	CHECK_STR(h.hostname, "x");
	sshconfig_host_free(&h);

	/* unknown: an error anywhere, naming the line and the keyword */
	CHECK(parse("Host other\n  Hots x\n", "mail", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:2: unknown keyword \"Hots\": ssh refuses it too "
	    "(IgnoreUnknown before it would skip it)");
	CHECK(e.kind == ERR_CONFIG);
	sshconfig_host_free(&h);
	CHECK(parse("Match host nomatch\n\n  UseKeychain yes\n", "mail", &h,
	    &e) == -1);
	CHECK(at(&e, 3, "unknown keyword \"UseKeychain\""));
	sshconfig_host_free(&h);
	CHECK(parse("User a\nfoo=bar\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 2, "unknown keyword \"foo\""));
	sshconfig_host_free(&h);

	/* IgnoreUnknown: a pattern list, any case, from its line on */
	CHECK(parse("IgnoreUnknown UseKeychain,Foo*\nHost mail\n"
	    "  usekeychain yes\n  FooBar 1\n  User bob\n", "mail", &h,
	    &e) == 0);
	CHECK_STR(h.user, "bob");
	sshconfig_host_free(&h);
	CHECK(parse("UseKeychain yes\nIgnoreUnknown UseKeychain\n", "mail",
	    &h, &e) == -1);
	CHECK(at(&e, 1, "unknown keyword \"UseKeychain\""));
	sshconfig_host_free(&h);
	/* ... only where it applies, and the first that applies wins */
	CHECK(parse("Host other\nIgnoreUnknown UseKeychain\nHost *\n"
	    "UseKeychain yes\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 4, "unknown keyword"));
	sshconfig_host_free(&h);
	CHECK(parse("IgnoreUnknown A\nIgnoreUnknown B\nB 1\n", "mail", &h,
	    &e) == -1);
	CHECK(at(&e, 3, "unknown keyword \"B\""));
	sshconfig_host_free(&h);

	/* refused where they apply, with file:line and the keyword */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(text, sizeof(text), "Host mail\n  User bob\n  %s\n",
		    refused[i]);
		snprintf(kw, sizeof(kw), "%.*s", (int)strcspn(refused[i], " "),
		    refused[i]);
		CHECK(parse(text, "mail", &h, &e) == -1);
		CHECK(at(&e, 3, kw));
		CHECK(strstr(e.msg, " would make ssh connect otherwise, and "
		    "syncmail does not apply it") != NULL);
		sshconfig_host_free(&h);
		/* not in a block for another host */
		CHECK(parse(text, "other", &h, &e) == 0);
		sshconfig_host_free(&h);
	}
	CHECK(parse("certificatefile x\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 1, "certificatefile would make ssh connect otherwise"));
	sshconfig_host_free(&h);

	/* values that mean what syncmail does anyway pass */
	CHECK(parse("AddressFamily any\nIdentityAgent SSH_AUTH_SOCK\n"
	    "PKCS11Provider none\nSecurityKeyProvider internal\n"
	    "CanonicalizeHostname no\nPubkeyAuthentication yes\n"
	    "PreferredAuthentications gssapi-with-mic,publickey\n"
	    "KnownHostsCommand none\n", "mail", &h, &e) == 0);
	sshconfig_host_free(&h);
	/* the first applying value decides, as in ssh */
	CHECK(parse("Host mail\n  AddressFamily any\nHost *\n"
	    "  AddressFamily inet\n", "mail", &h, &e) == 0);
	sshconfig_host_free(&h);
	CHECK(parse("Host mail\n  AddressFamily inet6\nHost *\n"
	    "  AddressFamily any\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 2, "AddressFamily would"));
	sshconfig_host_free(&h);
	CHECK(parse("Host other\n  AddressFamily any\nHost *\n"
	    "  AddressFamily inet\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 4, "AddressFamily would"));
	sshconfig_host_free(&h);
}

/* Match: each criterion, negation, lists, all, exec, and the errors. */
static void
test_match_blocks(void)
{
	struct sshconfig_query q;
	struct sshconfig_host h;
	struct error e;
	char dir[] = "/tmp/test_sshconfig.XXXXXX", text[512], path[256];
	char got[128];
	FILE *f;

	/* host: the HostName so far; originalhost: the name asked for */
	CHECK(parse("Host mail\n  HostName real.example.org\n"
	    "Match host real.example.org\n  User m1\n", "mail", &h, &e) == 0);
	CHECK_STR(h.user, "m1");
	sshconfig_host_free(&h);
	CHECK(parse("Host mail\n  HostName real.example.org\n"
	    "Match host mail\n  User m1\n", "mail", &h, &e) == 0);
	CHECK(h.user == NULL);
	sshconfig_host_free(&h);
	CHECK(parse("Match host mail\n  User m1\n", "mail", &h, &e) == 0);
	CHECK_STR(h.user, "m1");
	sshconfig_host_free(&h);
	CHECK(parse("HostName other\nMatch originalhost MAIL\n  User m2\n",
	    "mail", &h, &e) == 0);
	CHECK_STR(h.user, "m2");
	sshconfig_host_free(&h);
	/* HostName's %h is the name asked for */
	CHECK(parse("HostName %h.example.org\nMatch host *.example.org\n"
	    "  Port 2\n", "mail", &h, &e) == 0);
	CHECK(h.port == 2);
	sshconfig_host_free(&h);

	/* user: syncmail.conf's, else User so far, else ours; case kept */
	memset(&h, 0, sizeof(h));
	q = *query("mail", "/home/al");
	q.user = "carol";
	snprintf(text, sizeof(text), "User bob\nMatch user carol\n  Port 3\n");
	CHECK(sshconfig_parse(text, strlen(text), "cfg", &q, 0, &h, &e) == 0);
	CHECK(h.port == 3);
	sshconfig_host_free(&h);
	CHECK(parse("User bob\nMatch user bob\n  Port 4\n", "mail", &h,
	    &e) == 0);
	CHECK(h.port == 4);
	sshconfig_host_free(&h);
	CHECK(parse("Match user a?\n  Port 5\n", "mail", &h, &e) == 0);
	CHECK(h.port == 5);
	sshconfig_host_free(&h);
	CHECK(parse("Match user AL\n  Port 5\n", "mail", &h, &e) == 0);
	CHECK(h.port == 0);
	sshconfig_host_free(&h);
	/* localuser */
	CHECK(parse("Match localuser x,al\n  Port 6\n", "mail", &h, &e) == 0);
	CHECK(h.port == 6);
	sshconfig_host_free(&h);
	CHECK(parse("Match !localuser al\n  Port 6\n", "mail", &h, &e) == 0);
	CHECK(h.port == 0);
	sshconfig_host_free(&h);

	/* every criterion must hold; "!" negates; lists with "!" */
	CHECK(parse("Match !host other,x* originalhost m*\n  Port 7\n",
	    "mail", &h, &e) == 0);
	CHECK(h.port == 7);
	sshconfig_host_free(&h);
	CHECK(parse("Match host mail !originalhost mail\n  Port 8\n", "mail",
	    &h, &e) == 0);
	CHECK(h.port == 0);
	sshconfig_host_free(&h);
	CHECK(parse("Match host m*,!mail\n  Port 8\n", "mail", &h, &e) == 0);
	CHECK(h.port == 0);
	sshconfig_host_free(&h);

	/* all; a Match ends a Host block, a Host line ends a Match's */
	CHECK(parse("Host other\nMatch all\n  Port 9\nHost other\n  Port 10\n"
	    "Host *\n  User u\n", "mail", &h, &e) == 0);
	CHECK(h.port == 9);
	CHECK_STR(h.user, "u");
	sshconfig_host_free(&h);
	CHECK(parse("Match !all\n  Port 9\n", "mail", &h, &e) == 0);
	CHECK(h.port == 0);
	sshconfig_host_free(&h);
	/* canonical: there is no canonicalization pass */
	CHECK(parse("Match canonical\n  Port 1\nMatch !canonical\n  User c\n",
	    "mail", &h, &e) == 0);
	CHECK(h.port == 0);
	CHECK_STR(h.user, "c");
	sshconfig_host_free(&h);

	/* exec: through /bin/sh, exit status 0 matches */
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(text, sizeof(text), "Match host mail exec \"test -f %s/flag\""
	    "\n  Port 11\n", dir);
	CHECK(parse(text, "mail", &h, &e) == 0);
	CHECK(h.port == 0);
	sshconfig_host_free(&h);
	snprintf(path, sizeof(path), "%s/flag", dir);
	writefile(path, "");
	CHECK(parse(text, "mail", &h, &e) == 0);
	CHECK(h.port == 11);
	sshconfig_host_free(&h);
	/* negated */
	snprintf(text, sizeof(text), "Match !exec \"test -f %s/flag\"\n"
	    "  Port 12\n", dir);
	CHECK(parse(text, "mail", &h, &e) == 0);
	CHECK(h.port == 0);
	sshconfig_host_free(&h);
	/* ssh's tokens; stdout is not ours (it goes to /dev/null) */
	snprintf(text, sizeof(text), "HostName %%h.example.org\nUser bob\n"
	    "Match exec \"echo %%h %%n %%p %%r %%u %%d %%k >%s/out; echo "
	    "stdout\"\n", dir);
	CHECK(parse(text, "mail", &h, &e) == 0);
	snprintf(path, sizeof(path), "%s/out", dir);
	memset(got, 0, sizeof(got));
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(got, sizeof(got), f) == NULL)
			got[0] = '\0';
		fclose(f);
	}
	CHECK_STR(got, "mail.example.org mail 22 bob al /home/al "
	    "mail.example.org\n");
	sshconfig_host_free(&h);
	/* not run when a criterion before it failed */
	snprintf(text, sizeof(text), "Match host nomatch exec \"touch "
	    "%s/ran\"\n", dir);
	CHECK(parse(text, "mail", &h, &e) == 0);
	snprintf(path, sizeof(path), "%s/ran", dir);
	CHECK(access(path, F_OK) == -1);
	sshconfig_host_free(&h);
	/* nor where it is not to be run at all (the fuzzer) */
	memset(&h, 0, sizeof(h));
	q = *query("mail", "/home/al");
	q.no_exec = 1;
	snprintf(text, sizeof(text), "\nMatch exec \"touch %s/ran\"\n", dir);
	CHECK(sshconfig_parse(text, strlen(text), "cfg", &q, 0, &h, &e) == -1);
	CHECK(at(&e, 2, "Match exec is not run here"));
	CHECK(access(path, F_OK) == -1);
	sshconfig_host_free(&h);
	CHECK(parse("Match exec \"echo %z\"\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 1, "Match exec: unknown token \"%z\""));
	sshconfig_host_free(&h);
	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	if (system(text) != 0)
		printf("could not remove %s\n", dir);

	/* the errors */
	CHECK(parse("Match\n", "mail", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:1: Match needs a criterion");
	sshconfig_host_free(&h);
	CHECK(parse("Match host\n", "mail", &h, &e) == -1);
	CHECK_STR(e.msg, "cfg:1: Match host needs an argument");
	sshconfig_host_free(&h);
	CHECK(parse("Match all host x\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 1, "Match: \"all\" cannot be combined"));
	sshconfig_host_free(&h);
	CHECK(parse("Match host x all\nPort 1\n", "mail", &h, &e) == 0);
	sshconfig_host_free(&h);
	CHECK(parse("Match tagged x\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 1, "Match: unknown criterion \"tagged\""));
	sshconfig_host_free(&h);
	CHECK(parse("Match final host x\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 1, "Match final"));
	sshconfig_host_free(&h);
}

/* ProxyJump: the hops checked, and the first of it and ProxyCommand wins. */
static void
test_jump(void)
{
	static const char *good[] = { "jump", "bob@jump", "jump:2222",
	    "bob@jump.example.org:2222", "ssh://bob@jump:22", "[::1]:2200",
	    "a,b,c", "u@a:1,b:65535,ssh://c" };
	static const char *bad[] = { "-oProxyCommand=x", "a,,b", "a,", ":22",
	    "a:0", "a:65536", "a:22x", "@a", "bob@", "a;b", "'a'", "a b",
	    "[::1", "-u@a", "a@-b", "::1" };
	struct sshconfig_host h;
	struct error e;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "ProxyJump %s\n", good[i]);
		CHECK(parse(text, "mail", &h, &e) == 0);
		CHECK(h.proxy_set && h.proxy_command == NULL);
		CHECK_STR(h.proxy_jump, good[i]);
		sshconfig_host_free(&h);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "\nProxyJump \"%s\"\n", bad[i]);
		CHECK(parse(text, "mail", &h, &e) == -1);
		CHECK(at(&e, 2, "ProxyJump"));
		sshconfig_host_free(&h);
	}
	CHECK(parse("Host mail\n  ProxyJump j1,bob@j2:2222\n"
	    "  ProxyCommand nc %h %p\n", "mail", &h, &e) == 0);
	CHECK_STR(h.proxy_jump, "j1,bob@j2:2222");
	CHECK(h.proxy_command == NULL);
	sshconfig_host_free(&h);
	CHECK(parse("ProxyCommand nc %h %p\nProxyJump j\n", "mail", &h,
	    &e) == 0);
	CHECK_STR(h.proxy_command, "nc %h %p");
	CHECK(h.proxy_jump == NULL);
	sshconfig_host_free(&h);
	CHECK(parse("ProxyJump none\nProxyCommand nc\nProxyJump j\n", "mail",
	    &h, &e) == 0);
	CHECK(h.proxy_set && h.proxy_command == NULL && h.proxy_jump == NULL);
	sshconfig_host_free(&h);
	CHECK(parse("ProxyCommand none\nProxyJump j\n", "mail", &h, &e) == 0);
	CHECK(h.proxy_set && h.proxy_command == NULL && h.proxy_jump == NULL);
	sshconfig_host_free(&h);
	CHECK(parse("ProxyJump a b\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 1, "ProxyJump takes one comma-separated list"));
	sshconfig_host_free(&h);

	/* HostKeyAlias: first wins, a host name only */
	CHECK(parse("Host mail\n  HostKeyAlias mail-key\nHost *\n"
	    "  HostKeyAlias late\n", "mail", &h, &e) == 0);
	CHECK_STR(h.host_key_alias, "mail-key");
	sshconfig_host_free(&h);
	CHECK(parse("HostKeyAlias a,b\n", "mail", &h, &e) == -1);
	CHECK(at(&e, 1, "HostKeyAlias: \"a,b\" is no host name"));
	sshconfig_host_free(&h);
	CHECK(parse("HostKeyAlias *\n", "mail", &h, &e) == -1);
	sshconfig_host_free(&h);
}

static void
test_include(void)
{
	struct sshconfig_host h;
	struct error e;
	char dir[] = "/tmp/test_sshconfig.XXXXXX", path[256], home[256];
	char text[512];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(home, sizeof(home), "%s", dir);
	snprintf(path, sizeof(path), "%s/.ssh", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.ssh/conf.d", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.ssh/conf.d/b.conf", dir);
	writefile(path, "Host mail\n  Port 2200\n");
	snprintf(path, sizeof(path), "%s/.ssh/conf.d/a.conf", dir);
	/* A Host line inside changes the state only within the file. */
	writefile(path, "Host other\nUser a-other\n");
	snprintf(path, sizeof(path), "%s/.ssh/inactive", dir);
	writefile(path, "Host *\nUser never\n");
	snprintf(path, sizeof(path), "%s/.ssh/loop", dir);
	writefile(path, "Include loop\n");

	snprintf(path, sizeof(path), "%s/.ssh/config", dir);
	writefile(path, "Host mail\n"
	    "Include conf.d/*.conf\n"
	    "HostName after-include\n"
	    "Host nomatch\n"
	    "Include inactive\n"
	    "Host *\n"
	    "Include missing/*.conf\n"
	    "User last\n");
	CHECK(sshconfig_load(path, query("mail", home), 1, &h, &e) == 0);
	CHECK(h.port == 2200);
	CHECK_STR(h.hostname, "after-include");
	CHECK_STR(h.user, "last");
	sshconfig_host_free(&h);

	/* Include with an absolute path, at top level */
	snprintf(text, sizeof(text), "Include %s/.ssh/conf.d/b.conf\n", dir);
	CHECK(sshconfig_parse(text, strlen(text), "top", query("mail", home),
	    0, &h, &e) == 0);
	CHECK(h.port == 2200);
	sshconfig_host_free(&h);

	/* An unknown keyword in a file included where nothing applies:
	 * still an error, naming that file and its line. */
	snprintf(path, sizeof(path), "%s/.ssh/unknown", dir);
	writefile(path, "Host *\n  Bogus yes\n");
	snprintf(text, sizeof(text), "Host nomatch\nInclude unknown\n");
	CHECK(sshconfig_parse(text, strlen(text), "top", query("mail", home),
	    0, &h, &e) == -1);
	CHECK(strstr(e.msg, "/.ssh/unknown:2: unknown keyword \"Bogus\"") !=
	    NULL);
	sshconfig_host_free(&h);
	unlink(path);

	snprintf(path, sizeof(path), "%s/.ssh/loop", dir);
	CHECK(sshconfig_load(path, query("mail", home), 1, &h, &e) == -1);
	CHECK(strstr(e.msg, "Include nested more than 16 deep") != NULL);
	sshconfig_host_free(&h);

	/* The size limit: 1 MiB is read, a byte more is not. */
	snprintf(path, sizeof(path), "%s/.ssh/big", dir);
	write_size(path, "Host mail\nPort 2201\n", 1048576);
	CHECK(sshconfig_load(path, query("mail", home), 1, &h, &e) == 0);
	CHECK(h.port == 2201);
	sshconfig_host_free(&h);
	write_size(path, "Host mail\nPort 2201\n", 1048577);
	CHECK(sshconfig_load(path, query("mail", home), 1, &h, &e) == -1);
	CHECK(strstr(e.msg, "big: larger than 1048576 bytes") != NULL);
	sshconfig_host_free(&h);
	write_size(path, "Host mail\nPort 2201\n", 1900000);
	CHECK(sshconfig_load(path, query("mail", home), 1, &h, &e) == -1);
	CHECK(strstr(e.msg, "big: larger than 1048576 bytes") != NULL);
	sshconfig_host_free(&h);
	unlink(path);

	snprintf(path, sizeof(path), "%s/.ssh/absent", dir);
	CHECK(sshconfig_load(path, query("mail", home), 0, &h, &e) == 0);
	sshconfig_host_free(&h);
	CHECK(sshconfig_load(path, query("mail", home), 1, &h, &e) == -1);
	CHECK(strstr(e.msg, "No such file") != NULL);
	sshconfig_host_free(&h);

	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	if (system(text) != 0)
		printf("could not remove %s\n", dir);
}

/* A hand-made account as config_parse would leave it. */
static void
account_init(struct ssh_account *a, const char *sshconf)
{
	static char *none[] = { NULL };

	memset(a, 0, sizeof(*a));
	a->name = "t";
	a->host = "mail";
	a->identities = none;
	a->known_hosts = "/home/al/.ssh/known_hosts";
	a->ssh_config = sshconf;
	a->file = "syncmail.conf";
}

static void
test_resolve(void)
{
	struct sshconfig_target t;
	struct ssh_account a;
	struct error e;
	char dir[] = "/tmp/test_sshconfig.XXXXXX", path[256], cmd[512];
	char *ids[] = { "/own/key", NULL };

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/config", dir);
	writefile(path, "Host mail\n"
	    "  HostName %h.example.org\n"
	    "  Port 2222\n"
	    "  User bob\n"
	    "  IdentityFile ~/.ssh/id_%r\n"
	    "  IdentityFile keys/%h\n"
	    "  UserKnownHostsFile ~/kh_%n\n"
	    "  StrictHostKeyChecking accept-new\n"
	    "  ProxyCommand ssh -W %h:%p jump\n");

	/* Nothing set in syncmail.conf: all from the ssh config. */
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK_STR(t.alias, "mail");
	CHECK_STR(t.host, "mail.example.org");
	CHECK(t.port == 2222);
	CHECK_STR(t.user, "bob");
	CHECK(t.nidentities == 2);
	if (t.nidentities == 2) {
		CHECK_STR(t.identities[0], "/home/al/.ssh/id_bob");
		CHECK_STR(t.identities[1], "/home/al/keys/mail.example.org");
	}
	CHECK_STR(t.known_hosts, "/home/al/kh_mail");
	CHECK(t.check == HOSTKEY_CHECK_ACCEPT_NEW);
	CHECK_STR(t.proxy_command, "ssh -W mail.example.org:2222 jump");
	CHECK_STR(t.from, "Port User HostName IdentityFile UserKnownHostsFile "
	    "StrictHostKeyChecking ProxyCommand");
	sshconfig_target_free(&t);

	/* syncmail.conf's values win, one by one. */
	account_init(&a, path);
	a.port = 22;
	a.user = "carol";
	a.identities = ids;
	a.nidentities = 1;
	a.known_hosts = "/kh";
	a.known_hosts_given = 1;
	a.hostkey_check = HOSTKEY_CHECK_YES;
	a.hostkey_check_given = 1;
	a.proxy_command = "nc %h %p %r %%";
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK_STR(t.host, "mail.example.org");
	CHECK(t.port == 22);
	CHECK_STR(t.user, "carol");
	CHECK(t.nidentities == 1 && strcmp(t.identities[0], "/own/key") == 0);
	CHECK_STR(t.known_hosts, "/kh");
	CHECK(t.check == HOSTKEY_CHECK_YES);
	CHECK_STR(t.proxy_command, "nc mail.example.org 22 carol %");
	CHECK_STR(t.from, "HostName");
	sshconfig_target_free(&t);
	a.proxy_command = "none";
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(t.proxy_command == NULL);
	sshconfig_target_free(&t);

	/* No ssh config: syncmail.conf and the defaults. */
	account_init(&a, NULL);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK_STR(t.host, "mail");
	CHECK(t.port == 22);
	CHECK_STR(t.user, "al");
	CHECK(t.nidentities == 0);
	CHECK_STR(t.known_hosts, "/home/al/.ssh/known_hosts");
	CHECK(t.check == HOSTKEY_CHECK_YES);
	CHECK(t.proxy_command == NULL);
	CHECK_STR(t.from, "");
	sshconfig_target_free(&t);

	/* The default file may be missing; a named one may not. */
	snprintf(path, sizeof(path), "%s/absent", dir);
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	sshconfig_target_free(&t);
	a.ssh_config_given = 1;
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == -1);
	CHECK(e.kind == ERR_CONFIG);
	sshconfig_target_free(&t);

	/* StrictHostKeyChecking no: refused unless syncmail.conf decides. */
	snprintf(path, sizeof(path), "%s/config", dir);
	writefile(path, "Host *\n  StrictHostKeyChecking no\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == -1);
	CHECK(e.kind == ERR_CONFIG);
	CHECK(strncmp(e.msg, path, strlen(path)) == 0 &&
	    strncmp(e.msg + strlen(path), ":2: \"StrictHostKeyChecking no\" "
	    "is refused", 36) == 0);
	CHECK(strstr(e.msg, "syncmail.conf") != NULL);
	sshconfig_target_free(&t);
	a.hostkey_check_given = 1;
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(t.check == HOSTKEY_CHECK_YES);
	sshconfig_target_free(&t);

	/* IdentitiesOnly reaches the target, and limits syncmail.conf's keys. */
	writefile(path, "Host mail\n  IdentitiesOnly yes\n"
	    "  IdentityFile ~/.ssh/mail_key\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(t.identities_only);
	CHECK(t.nidentities == 1 &&
	    strcmp(t.identities[0], "/home/al/.ssh/mail_key") == 0);
	CHECK_STR(t.from, "IdentityFile IdentitiesOnly");
	sshconfig_target_free(&t);
	a.identities = ids;
	a.nidentities = 1;
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(t.identities_only);
	CHECK(t.nidentities == 1 && strcmp(t.identities[0], "/own/key") == 0);
	sshconfig_target_free(&t);
	writefile(path, "Host mail\n  IdentitiesOnly no\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(!t.identities_only);
	CHECK_STR(t.from, "");
	sshconfig_target_free(&t);
	account_init(&a, NULL);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(!t.identities_only);
	sshconfig_target_free(&t);

	/*
	 * ProxyJump: the command ssh runs for it, with -F this file; the
	 * target is the HostName and port, quoted.  syncmail.conf's
	 * proxy-command wins over it as over ProxyCommand.
	 */
	writefile(path, "Host mail\n  HostName 10.0.0.2\n  Port 2200\n"
	    "  ProxyJump j1,bob@j2:2222\n  HostKeyAlias mail-key\n"
	    "  UserKnownHostsFile ~/kh_%k\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	snprintf(cmd, sizeof(cmd), "ssh -F '%s' -l 'bob' -p 2222 -J 'j1' "
	    "-W '[10.0.0.2]:2200' 'j2'", path);
	CHECK_STR(t.proxy_command, cmd);
	CHECK_STR(t.host_key_alias, "mail-key");
	CHECK_STR(t.known_hosts, "/home/al/kh_mail-key");
	CHECK_STR(t.from, "Port HostName UserKnownHostsFile HostKeyAlias "
	    "ProxyJump");
	sshconfig_target_free(&t);
	a.proxy_command = "none";
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(t.proxy_command == NULL);
	sshconfig_target_free(&t);
	writefile(path, "Host mail\n  HostName it's\n  ProxyJump jump\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	snprintf(cmd, sizeof(cmd), "ssh -F '%s' -W '[it'\\''s]:22' 'jump'",
	    path);
	CHECK_STR(t.proxy_command, cmd);
	CHECK(t.host_key_alias == NULL);
	sshconfig_target_free(&t);

	/* Match user sees syncmail.conf's user, as ssh's -l */
	writefile(path, "Match user carol\n  Port 2300\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(t.port == 22);
	sshconfig_target_free(&t);
	a.user = "carol";
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == 0);
	CHECK(t.port == 2300);
	sshconfig_target_free(&t);

	/* A refused keyword in the ssh config: its file and line. */
	writefile(path, "Host *\n  User bob\n  IdentityAgent /run/agent\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == -1);
	CHECK(e.kind == ERR_CONFIG);
	CHECK(strncmp(e.msg, path, strlen(path)) == 0 &&
	    strncmp(e.msg + strlen(path), ":3: IdentityAgent would", 23) == 0);
	sshconfig_target_free(&t);

	/* A bad token in the ssh config names the file. */
	writefile(path, "Host *\n  ProxyCommand nc %h %z\n");
	account_init(&a, path);
	CHECK(sshconfig_resolve(&a, "/home/al", "al", &t, &e) == -1);
	CHECK(strstr(e.msg, "unknown token \"%z\"") != NULL);
	CHECK(strncmp(e.msg, path, strlen(path)) == 0);
	sshconfig_target_free(&t);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
}

int
main(void)
{
	test_split();
	test_match();
	test_parse();
	test_identities_only();
	test_expand();
	test_keywords();
	test_match_blocks();
	test_jump();
	test_include();
	test_resolve();
	return check_done();
}
