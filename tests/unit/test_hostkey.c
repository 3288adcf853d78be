/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for sftp/hostkey.c.  Keys come from ssh-keygen run into a
 * temp dir, and ssh-keygen is also the judge of hashed names and
 * fingerprints, so the code is checked against OpenSSH and not against
 * itself.  Fixed vectors cover the same ground in case ssh-keygen changes.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sftp/hostkey.h"
#include "tests/unit/check.h"
#include "util/error.h"

/* ssh-keygen -t ed25519 made these, then ssh-keygen -H, -l -E sha256. */
#define FIXED_B64	"AAAAC3NzaC1lZDI1NTE5AAAAIO6IRZdNMANjHXbU" \
			"l99oZ8uXqooWeDO+XW4ibiPMx7/5"
#define FIXED_HASHED	"|1|HTPdIdXHxqb1fwBSoVx2iegD4ZI=" \
			"|83b/W2RhYo9vJX+rpZp585JIgv0="
#define FIXED_HOST	"fixed.example.org"
#define FIXED_FP	"SHA256:Wpbet6PX2B5YrN4t+/UR/vanmrYxWBszA+rBaiFbssc"

struct key {
	const char	*file;		/* under the temp dir */
	const char	*gen;		/* ssh-keygen -t and -b */
	char		 type[64];
	char		 b64[4096];
	unsigned char	 blob[4096];
	size_t		 len;
};

enum { K_ED, K_ED2, K_EC256, K_EC384, K_EC521, K_RSA, K_DSA, K_NKEYS };

static struct key keys[K_NKEYS] = {
	{ "ed", "ed25519", "", "", "", 0 },
	{ "ed2", "ed25519", "", "", "", 0 },
	{ "ec256", "ecdsa -b 256", "", "", "", 0 },
	{ "ec384", "ecdsa -b 384", "", "", "", 0 },
	{ "ec521", "ecdsa -b 521", "", "", "", 0 },
	{ "rsa", "rsa -b 1024", "", "", "", 0 },
	{ "dsa", "dsa", "", "", "", 0 },
};

static char tmpdir[] = "/tmp/test_hostkey.XXXXXX";

static int
run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static const char *
tpath(const char *name)
{
	static char buf[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* Independent of the code under test: OpenSSL's decoder, less padding. */
static int
b64_decode(const char *s, unsigned char *out, size_t cap)
{
	size_t len = strlen(s);
	int n;

	if (len == 0 || len / 4 * 3 > cap)
		return -1;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s,
	    (int)len)) < 0)
		return -1;
	while (len > 0 && s[len - 1] == '=') {
		len--;
		n--;
	}
	return n;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fwrite(data, 1, len, fp);
	fclose(fp);
}

static void
vwrite_str(const char *path, const char *mode, const char *fmt, va_list ap)
{
	char buf[65536];
	FILE *fp;
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		fprintf(stderr, "write_str: too long\n");
		exit(2);
	}
	if ((fp = fopen(path, mode)) == NULL) {
		perror(path);
		exit(2);
	}
	fwrite(buf, 1, n, fp);
	fclose(fp);
}

static void
write_str(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwrite_str(path, "w", fmt, ap);
	va_end(ap);
}

static void
append_str(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwrite_str(path, "a", fmt, ap);
	va_end(ap);
}

static char *
read_all(const char *path)
{
	static char buf[65536];
	FILE *fp;
	size_t n;

	buf[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* "name TYPE BASE64" for key k; at most four alive at once. */
static const char *
kline(const char *name, int k)
{
	static char buf[4][8192];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s %s %s", name, keys[k].type,
	    keys[k].b64);
	return buf[i];
}

static void
gen_keys(void)
{
	char pub[1100], *p, *sp;
	int k, n;

	for (k = 0; k < K_NKEYS; k++) {
		struct key *key = &keys[k];

		if (run("ssh-keygen -q -N '' -C test -t %s -f %s", key->gen,
		    tpath(key->file)) != 0) {
			fprintf(stderr, "ssh-keygen -t %s failed\n", key->gen);
			exit(2);
		}
		snprintf(pub, sizeof(pub), "%s.pub", tpath(key->file));
		p = read_all(pub);
		if ((sp = strchr(p, ' ')) == NULL)
			exit(2);
		*sp = '\0';
		strlcpy(key->type, p, sizeof(key->type));
		p = sp + 1;
		if ((sp = strchr(p, ' ')) != NULL)
			*sp = '\0';
		strlcpy(key->b64, p, sizeof(key->b64));
		n = b64_decode(key->b64, key->blob, sizeof(key->blob));
		if (n <= 0)
			exit(2);
		key->len = n;
	}
}

/* An expected failure: -1, ERR_DENIED, the path in the message. */
static int
load_fails(const char *file, const char *host, int port)
{
	struct hostkey_set set;
	struct error err;
	int ok;

	error_clear(&err);
	ok = hostkey_load(tpath(file), host, port, &set, &err) == -1 &&
	    err.kind == ERR_DENIED &&
	    strstr(err.msg, tpath(file)) != NULL &&
	    set.keys == NULL && set.path == NULL && set.name == NULL;
	hostkey_set_free(&set);
	return ok;
}

static int
load(const char *file, const char *host, int port, struct hostkey_set *set)
{
	struct error err;

	error_clear(&err);
	if (hostkey_load(tpath(file), host, port, set, &err) == -1) {
		printf("load %s: %s\n", file, err.msg);
		return -1;
	}
	return 0;
}

/* Verdict for host:port against file for key k, loading and freeing. */
static int
verdict(const char *file, const char *host, int port, int k)
{
	struct hostkey_set set;
	int v;

	if (load(file, host, port, &set) == -1)
		return -1;
	v = hostkey_verify(&set, keys[k].blob, keys[k].len);
	hostkey_set_free(&set);
	return v;
}

/* parse_line result, with the key freed; *type gets its type. */
static int
parse(const char *line, const char *name)
{
	struct hostkey_known key;
	int rc;

	rc = hostkey_parse_line(line, name, &key);
	if (rc != 1 && (key.type != NULL || key.blob != NULL))
		printf("parse: key filled on %d\n", rc);
	hostkey_known_free(&key);
	return rc;
}

static void
test_fixed(void)
{
	struct hostkey_known key;
	unsigned char blob[128];
	char out[128], line[512];
	int n;

	n = b64_decode(FIXED_B64, blob, sizeof(blob));
	CHECK(n == 51);

	snprintf(line, sizeof(line), "%s ssh-ed25519 %s", FIXED_HASHED,
	    FIXED_B64);
	CHECK(hostkey_parse_line(line, FIXED_HOST, &key) == 1);
	CHECK_STR(key.type, "ssh-ed25519");
	CHECK(key.bloblen == (size_t)n && key.revoked == 0 &&
	    memcmp(key.blob, blob, n) == 0);
	hostkey_known_free(&key);
	CHECK(key.type == NULL && key.blob == NULL);
	CHECK(parse(line, "fixed.example.com") == 0);
	CHECK(parse(line, "fixed.example.org.") == 0);
	CHECK(parse(line, NULL) == 0);
	/* One bit off in the hash, and in its unused last bits. */
	line[strlen(FIXED_HASHED) - 5] ^= 1;
	CHECK(parse(line, FIXED_HOST) == 0);
	line[strlen(FIXED_HASHED) - 5] ^= 1;
	line[strlen(FIXED_HASHED) - 2] ^= 1;
	CHECK(parse(line, FIXED_HOST) == -1);

	hostkey_fingerprint(blob, n, out, sizeof(out));
	CHECK_STR(out, FIXED_FP);
	hostkey_fingerprint(blob, n, out, 12);
	CHECK_STR(out, "SHA256:Wpbe");
	/* SHA-256 of nothing, as sha256sum | base64 shows. */
	hostkey_fingerprint((const unsigned char *)"", 0, out, sizeof(out));
	CHECK_STR(out, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");

	hostkey_blob_type(blob, n, out, sizeof(out));
	CHECK_STR(out, "ssh-ed25519");
	hostkey_blob_type(blob, 3, out, sizeof(out));
	CHECK_STR(out, "unknown");
	hostkey_blob_type((const unsigned char *)"\0\0\0\3a\nb", 7, out,
	    sizeof(out));
	CHECK_STR(out, "unknown");
	hostkey_blob_type((const unsigned char *)"\xff\xff\xff\xff", 4, out,
	    sizeof(out));
	CHECK_STR(out, "unknown");
	hostkey_blob_type(NULL, 0, out, sizeof(out));
	CHECK_STR(out, "unknown");
}

static void
test_syntax(void)
{
	char line[8192], b64[256];
	unsigned char blob[64];

	CHECK(parse("", "h") == 0);
	CHECK(parse("   \t ", "h") == 0);
	CHECK(parse("# h ssh-ed25519 " FIXED_B64, "h") == 0);
	CHECK(parse("   # comment", "h") == 0);
	CHECK(parse("h ssh-ed25519 " FIXED_B64, "h") == 1);
	CHECK(parse("  h\tssh-ed25519\t" FIXED_B64 "  a comment here\r",
	    "h") == 1);
	CHECK(parse("h ssh-ed25519 " FIXED_B64, "other") == 0);
	CHECK(parse("hello", "hello") == -1);
	CHECK(parse("h ssh-ed25519", "h") == -1);
	CHECK(parse("h ssh-ed25519 AAAA$$$$", "h") == -1);
	CHECK(parse("h ssh-foo " FIXED_B64, "h") == -1);
	CHECK(parse("h sk-ssh-ed25519@openssh.com " FIXED_B64, "h") == -1);
	CHECK(parse("h 2048 35 1234567", "h") == -1);
	/* The blob says ed25519: a line that calls it K_RSA is not trusted. */
	CHECK(parse("h ssh-rsa " FIXED_B64, "h") == -1);
	CHECK(parse("@cert-authority h ssh-ed25519 " FIXED_B64, "h") == -1);
	CHECK(parse("@cert-authority *.example ssh-ed25519 " FIXED_B64,
	    "x") == -1);
	CHECK(parse("@bogus h ssh-ed25519 " FIXED_B64, "h") == -1);
	CHECK(parse("@revoked", "h") == -1);
	CHECK(parse("@revoked h ssh-ed25519 " FIXED_B64, "h") == 1);
	/* Unpadded base64, padding inside, a missing byte. */
	snprintf(line, sizeof(line), "h ssh-ed25519 %.*s", 67, FIXED_B64);
	CHECK(parse(line, "h") == -1);
	CHECK(parse("h ssh-ed25519 AAAAC3Nz=C1lZDI1NTE5AAAAIO6IRZdNMANjHXbU"
	    "l99oZ8uXqooWeDO+XW4ibiPMx7/5", "h") == -1);
	/* A blob cut short, and one with a byte too many. */
	b64_decode(FIXED_B64, blob, sizeof(blob));
	EVP_EncodeBlock((unsigned char *)b64, blob, 50);
	snprintf(line, sizeof(line), "h ssh-ed25519 %s", b64);
	CHECK(parse(line, "h") == -1);
	blob[51] = 0;
	EVP_EncodeBlock((unsigned char *)b64, blob, 52);
	snprintf(line, sizeof(line), "h ssh-ed25519 %s", b64);
	CHECK(parse(line, "h") == -1);
	/* Hashed fields that are not: wrong version, no hash, short salt. */
	CHECK(parse("|2|HTPdIdXHxqb1fwBSoVx2iegD4ZI="
	    "|83b/W2RhYo9vJX+rpZp585JIgv0="
	    " ssh-ed25519 " FIXED_B64, "h") == -1);
	CHECK(parse("|1|HTPdIdXHxqb1fwBSoVx2iegD4ZI= ssh-ed25519 " FIXED_B64,
	    "h") == -1);
	CHECK(parse("|1|AAAA|83b/W2RhYo9vJX+rpZp585JIgv0= ssh-ed25519 "
	    FIXED_B64, "h") == -1);
	CHECK(parse("|1||| ssh-ed25519 " FIXED_B64, "h") == -1);
	CHECK(parse("| ssh-ed25519 " FIXED_B64, "h") == -1);
}

static void
test_patterns(void)
{
	char line[512];

#define P(pat, name)	(snprintf(line, sizeof(line), "%s ssh-ed25519 %s", \
	(pat), FIXED_B64), parse(line, (name)))
	CHECK(P("a.example.com,b.example.com", "a.example.com") == 1);
	CHECK(P("a.example.com,b.example.com", "b.example.com") == 1);
	CHECK(P("a.example.com,b.example.com", "c.example.com") == 0);
	CHECK(P("a.example.com,b.example.com", "a.example") == 0);
	CHECK(P("a.example.com,b.example.com", "example.com") == 0);
	CHECK(P("*.example.com", "x.example.com") == 1);
	CHECK(P("*.example.com", "a.b.example.com") == 1);
	CHECK(P("*.example.com", "example.com") == 0);
	CHECK(P("*.example.com", "x.example.org") == 0);
	CHECK(P("host?.ex", "host1.ex") == 1);
	CHECK(P("host?.ex", "host12.ex") == 0);
	CHECK(P("host?.ex", "host.ex") == 0);
	CHECK(P("*", "anything") == 1);
	CHECK(P("*.example.com,!bad.example.com", "bad.example.com") == 0);
	CHECK(P("*.example.com,!bad.example.com", "good.example.com") == 1);
	CHECK(P("!bad.example.com,*.example.com", "bad.example.com") == 0);
	CHECK(P("!bad.example.com", "bad.example.com") == 0);
	/* A negation alone never makes a line apply. */
	CHECK(P("!bad.example.com", "good.example.com") == 0);
	CHECK(P("*,!10.0.0.?", "10.0.0.5") == 0);
	CHECK(P("*,!10.0.0.?", "10.0.0.50") == 1);
	CHECK(P("Mail.Example.COM", "mail.example.com") == 1);
	CHECK(P("[mail.example.com]:2222", "[mail.example.com]:2222") == 1);
	CHECK(P("[mail.example.com]:2222", "mail.example.com") == 0);
	CHECK(P("mail.example.com", "[mail.example.com]:2222") == 0);
	CHECK(P("[*.example.com]:2222", "[mail.example.com]:2222") == 1);
	CHECK(P("[*.example.com]:2222", "[mail.example.com]:22222") == 0);
	CHECK(P("a,,b", "b") == 1);
	/* Many stars that cannot match: must answer, not backtrack forever. */
	CHECK(P("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") == 0);
	CHECK(P("*a*?*a*", "xaya") == 1);
#undef P
}

static void
test_port(void)
{
	struct hostkey_set set;
	char *s;

	write_str(tpath("kh_port"), "%s\n%s\n%s\n",
	    kline("[srv.example]:2222", K_ED),
	    kline("srv.example", K_ED2),
	    kline("[other.example]:*", K_EC256));
	CHECK(load("kh_port", "srv.example", 2222, &set) == 0);
	CHECK_STR(set.name, "[srv.example]:2222");
	CHECK(set.nkeys == 1 && set.keys[0].line == 1);
	CHECK(hostkey_verify(&set, keys[K_ED].blob, keys[K_ED].len) ==
	    HOSTKEY_MATCH);
	CHECK(hostkey_verify(&set, keys[K_ED2].blob, keys[K_ED2].len) ==
	    HOSTKEY_CHANGED);
	hostkey_set_free(&set);
	CHECK(set.keys == NULL && set.name == NULL && set.nkeys == 0);

	CHECK(load("kh_port", "srv.example", 22, &set) == 0);
	CHECK_STR(set.name, "srv.example");
	CHECK(set.nkeys == 1 && set.keys[0].line == 2);
	CHECK(hostkey_verify(&set, keys[K_ED2].blob, keys[K_ED2].len) ==
	    HOSTKEY_MATCH);
	CHECK(hostkey_verify(&set, keys[K_ED].blob, keys[K_ED].len) ==
	    HOSTKEY_CHANGED);
	hostkey_set_free(&set);

	CHECK(verdict("kh_port", "srv.example", 2200, K_ED) == HOSTKEY_UNKNOWN);
	CHECK(verdict("kh_port", "other.example", 2200, K_EC256) ==
	    HOSTKEY_MATCH);
	CHECK(verdict("kh_port", "other.example", 22, K_EC256) ==
	    HOSTKEY_UNKNOWN);
	/* Host names are case-blind, as in ssh. */
	CHECK(verdict("kh_port", "SRV.Example", 2222, K_ED) == HOSTKEY_MATCH);
	CHECK(load("kh_port", "SRV.Example", 22, &set) == 0);
	CHECK_STR(set.name, "srv.example");
	CHECK_STR(set.path, tpath("kh_port"));
	hostkey_set_free(&set);

	/* Names that would write a different entry are refused. */
	CHECK(load_fails("kh_port", "*", 22));
	CHECK(load_fails("kh_port", "a b", 22));
	CHECK(load_fails("kh_port", "a,b", 22));
	CHECK(load_fails("kh_port", "a\nb", 22));
	CHECK(load_fails("kh_port", "", 22));
	s = malloc(2000);
	memset(s, 'a', 1999);
	s[1999] = '\0';
	CHECK(load_fails("kh_port", s, 22));
	free(s);
	CHECK(verdict("kh_port", "fe80::1%eth0", 22, K_ED) == HOSTKEY_UNKNOWN);
}

static void
test_hashed(void)
{
	struct hostkey_set set;
	const char *s;

	write_str(tpath("kh_hash"), "%s\n%s\n%s\n%s ssh-ed25519 %s\n",
	    kline("alpha.example", K_ED),
	    kline("[beta.example]:2222", K_EC384),
	    kline("gamma.example,delta.example", K_RSA),
	    FIXED_HASHED, FIXED_B64);
	CHECK(load("kh_hash", "alpha.example", 22, &set) == 0);
	CHECK(set.hashed == 0);	/* 3 plain lines, 1 hashed */
	hostkey_set_free(&set);

	CHECK(run("ssh-keygen -q -H -f %s >/dev/null 2>&1",
	    tpath("kh_hash")) == 0);
	s = read_all(tpath("kh_hash"));
	CHECK(strncmp(s, "|1|", 3) == 0);
	CHECK(strstr(s, "alpha") == NULL && strstr(s, "beta") == NULL &&
	    strstr(s, "delta") == NULL);

	CHECK(load("kh_hash", "alpha.example", 22, &set) == 0);
	CHECK(set.hashed == 1);
	CHECK(set.skipped == 0);
	CHECK(set.nkeys == 1);
	CHECK(hostkey_verify(&set, keys[K_ED].blob, keys[K_ED].len) ==
	    HOSTKEY_MATCH);
	hostkey_set_free(&set);
	CHECK(verdict("kh_hash", "beta.example", 2222, K_EC384) ==
	    HOSTKEY_MATCH);
	CHECK(verdict("kh_hash", "beta.example", 22, K_EC384) ==
	    HOSTKEY_UNKNOWN);
	CHECK(verdict("kh_hash", "gamma.example", 22, K_RSA) == HOSTKEY_MATCH);
	CHECK(verdict("kh_hash", "delta.example", 22, K_RSA) == HOSTKEY_MATCH);
	CHECK(verdict("kh_hash", "delta.example", 22, K_ED) ==
	    HOSTKEY_CHANGED);
	CHECK(verdict("kh_hash", "epsilon.example", 22, K_ED) ==
	    HOSTKEY_UNKNOWN);
	CHECK(verdict("kh_hash", "alpha.exampl", 22, K_ED) == HOSTKEY_UNKNOWN);
}

static void
test_garbage(void)
{
	static const char nul[] =
	    "host.example\0ssh-ed25519 " FIXED_B64 "\n";
	struct hostkey_set set;
	char buf[16384];
	size_t n = 0;

#define ADD(s, len)	do {						\
	memcpy(buf + n, (s), (len));					\
	n += (len);							\
} while (0)
#define ADDS(s)		ADD((s), strlen(s))
	ADDS("this is not a known_hosts line\n");
	ADDS("\x01\x02\xff\xfe binary\n");
	ADDS("host.example ssh-ed25519 AAAA!!!!\n");
	ADDS("host.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n");
	ADDS("@cert-authority host.example ssh-ed25519 " FIXED_B64 "\n");
	ADDS("host.example ssh-foo " FIXED_B64 "\n");
	ADDS("host.example\n");
	ADD(nul, sizeof(nul) - 1);
	ADDS("# a comment\n\n   \n");
	ADDS(kline("host.example", K_EC521));
	ADDS("\n");
	ADDS("|1|garbage|x ssh-ed25519 " FIXED_B64 "\n");
	ADDS(kline("host.example", K_DSA));	/* no newline at the end */
#undef ADD
#undef ADDS
	write_file(tpath("kh_garbage"), buf, n);
	CHECK(load("kh_garbage", "host.example", 22, &set) == 0);
	CHECK(set.nkeys == 2);
	CHECK(set.skipped == 9);
	CHECK(set.hashed == 0);
	if (set.nkeys == 2) {
		CHECK_STR(set.keys[0].type, "ecdsa-sha2-nistp521");
		CHECK(set.keys[0].line == 12);
		CHECK_STR(set.keys[1].type, "ssh-dss");
		CHECK(set.keys[1].line == 14);
	}
	CHECK(hostkey_verify(&set, keys[K_EC521].blob, keys[K_EC521].len) ==
	    HOSTKEY_MATCH);
	CHECK(hostkey_verify(&set, keys[K_DSA].blob, keys[K_DSA].len) ==
	    HOSTKEY_MATCH);
	hostkey_set_free(&set);

	/* Skipped hashed lines do not make the file count as hashed. */
	write_str(tpath("kh_garbage"),
	    "%s\n%s ssh-rsa AAAA\n%s ssh-ed25519 AAAA\n",
	    kline("host.example", K_ED), FIXED_HASHED, FIXED_HASHED);
	CHECK(load("kh_garbage", "host.example", 22, &set) == 0);
	CHECK(set.nkeys == 1 && set.skipped == 2 && set.hashed == 0);
	hostkey_set_free(&set);
}

/* Labels that lie about the blob, with the same number of fields. */
static void
test_labels(void)
{
	char line[8192];

	snprintf(line, sizeof(line), "h ssh-rsa %s", keys[K_EC256].b64);
	CHECK(parse(line, "h") == -1);
	snprintf(line, sizeof(line), "h ecdsa-sha2-nistp384 %s",
	    keys[K_EC256].b64);
	CHECK(parse(line, "h") == -1);
	snprintf(line, sizeof(line), "h ecdsa-sha2-nistp256 %s",
	    keys[K_RSA].b64);
	CHECK(parse(line, "h") == -1);
	snprintf(line, sizeof(line), "h ecdsa-sha2-nistp256 %s",
	    keys[K_EC256].b64);
	CHECK(parse(line, "h") == 1);
	snprintf(line, sizeof(line), "h ssh-dss %s", keys[K_DSA].b64);
	CHECK(parse(line, "h") == 1);
}

static void
test_revoked(void)
{
	struct hostkey_set set;

	/* Revoked wins whichever line comes first. */
	write_str(tpath("kh_rev1"), "%s\n@revoked %s\n",
	    kline("h.example", K_ED), kline("h.example", K_ED));
	CHECK(verdict("kh_rev1", "h.example", 22, K_ED) == HOSTKEY_REVOKED);
	write_str(tpath("kh_rev2"), "@revoked %s\n%s\n%s\n",
	    kline("*", K_ED2), kline("h.example", K_ED),
	    kline("h.example", K_ED2));
	CHECK(verdict("kh_rev2", "h.example", 22, K_ED2) == HOSTKEY_REVOKED);
	CHECK(verdict("kh_rev2", "h.example", 22, K_ED) == HOSTKEY_MATCH);
	CHECK(verdict("kh_rev2", "h.example", 22, K_EC256) ==
	    HOSTKEY_CHANGED);
	/* A revoked key alone does not make a host known. */
	CHECK(verdict("kh_rev2", "new.example", 22, K_EC256) ==
	    HOSTKEY_UNKNOWN);
	CHECK(verdict("kh_rev2", "new.example", 22, K_ED2) == HOSTKEY_REVOKED);
	/* @revoked obeys its host patterns, as in OpenSSH. */
	write_str(tpath("kh_rev3"), "@revoked %s\n%s\n",
	    kline("other.example", K_ED), kline("h.example", K_ED));
	CHECK(verdict("kh_rev3", "h.example", 22, K_ED) == HOSTKEY_MATCH);
	CHECK(verdict("kh_rev3", "other.example", 22, K_ED) ==
	    HOSTKEY_REVOKED);

	CHECK(load("kh_rev2", "h.example", 22, &set) == 0);
	CHECK(set.nkeys == 3 && set.keys[0].revoked == 1 &&
	    set.keys[1].revoked == 0);
	CHECK_STR(hostkey_algorithms(&set), "ssh-ed25519");
	hostkey_set_free(&set);
}

static void
test_verdicts(void)
{
	struct hostkey_set set;
	struct error err;

	write_str(tpath("kh_v"), "%s\n", kline("h.example", K_ED));
	CHECK(verdict("kh_v", "h.example", 22, K_ED) == HOSTKEY_MATCH);
	CHECK(verdict("kh_v", "h.example", 22, K_ED2) == HOSTKEY_CHANGED);
	CHECK(verdict("kh_v", "h.example", 22, K_RSA) == HOSTKEY_CHANGED);
	CHECK(verdict("kh_v", "i.example", 22, K_ED) == HOSTKEY_UNKNOWN);

	/* A missing file is an empty set. */
	CHECK(load("no_such_file", "h.example", 22, &set) == 0);
	CHECK(set.nkeys == 0 && set.skipped == 0 && set.hashed == 0);
	CHECK_STR(set.path, tpath("no_such_file"));
	CHECK(hostkey_verify(&set, keys[K_ED].blob, keys[K_ED].len) ==
	    HOSTKEY_UNKNOWN);
	CHECK_STR(hostkey_algorithms(&set), "");
	hostkey_set_free(&set);
	CHECK(hostkey_verify(NULL, keys[K_ED].blob, keys[K_ED].len) ==
	    HOSTKEY_UNKNOWN);

	/* A file that cannot be read is an error naming it. */
	error_clear(&err);
	CHECK(hostkey_load(tmpdir, "h.example", 22, &set, &err) == -1);
	CHECK(err.kind == ERR_DENIED);
	CHECK(strstr(err.msg, tmpdir) != NULL);
	CHECK(set.keys == NULL && set.path == NULL);
	hostkey_set_free(&set);
}

static void
test_algorithms(void)
{
	struct hostkey_set set;

	write_str(tpath("kh_alg"), "%s\n%s\n%s\n%s\n",
	    kline("h.example", K_RSA), kline("h.example", K_ED),
	    kline("h.example", K_EC256), kline("h.example", K_DSA));
	append_str(tpath("kh_alg"), "%s\n%s\n@revoked %s\n%s\n",
	    kline("*.example", K_EC521), kline("h.example", K_ED2),
	    kline("h.example", K_EC384), kline("x.example", K_EC384));
	append_str(tpath("kh_alg"), "%s\n",
	    kline("h.example,!h.example", K_ED));
	CHECK(load("kh_alg", "h.example", 22, &set) == 0);
	CHECK(set.nkeys == 7);
	CHECK_STR(hostkey_algorithms(&set), "ssh-ed25519,ecdsa-sha2-nistp521,"
	    "ecdsa-sha2-nistp256,ssh-rsa,ssh-dss");
	hostkey_set_free(&set);
	CHECK(load("kh_alg", "x.example", 22, &set) == 0);
	CHECK_STR(hostkey_algorithms(&set),
	    "ecdsa-sha2-nistp521,ecdsa-sha2-nistp384");
	hostkey_set_free(&set);
	CHECK(load("kh_alg", "y.example", 22, &set) == 0);
	CHECK_STR(hostkey_algorithms(&set), "ecdsa-sha2-nistp521");
	hostkey_set_free(&set);
	CHECK(load("kh_alg", "y.example.org", 22, &set) == 0);
	CHECK_STR(hostkey_algorithms(&set), "");
	hostkey_set_free(&set);
	CHECK_STR(hostkey_algorithms(NULL), "");
}

static void
test_fingerprints(void)
{
	char want[256], got[128], *p;
	int k;

	for (k = 0; k < K_NKEYS; k++) {
		CHECK(run("ssh-keygen -l -E sha256 -f %s.pub > %s",
		    tpath(keys[k].file), tpath("fp")) == 0);
		p = read_all(tpath("fp"));
		/* "256 SHA256:... comment (ED25519)" */
		if ((p = strchr(p, ' ')) == NULL) {
			CHECK(p != NULL);
			continue;
		}
		strlcpy(want, p + 1, sizeof(want));
		if ((p = strchr(want, ' ')) != NULL)
			*p = '\0';
		hostkey_fingerprint(keys[k].blob, keys[k].len, got,
		    sizeof(got));
		CHECK_STR(got, want);
		hostkey_blob_type(keys[k].blob, keys[k].len, got, sizeof(got));
		CHECK_STR(got, keys[k].type);
	}
}

/* Whether ssh-keygen itself finds name in file. */
static int
keygen_finds(const char *file, const char *name)
{
	return run("ssh-keygen -F '%s' -f %s >/dev/null 2>&1", name,
	    tpath(file)) == 0;
}

static void
test_append(void)
{
	struct hostkey_set set;
	struct error err;
	struct stat st;
	unsigned char salt[64], hash[64], want[20];
	unsigned int wantlen = 0;
	char expect[8192], *s, *last, *bar = NULL;
	int saltlen, hashlen;

	/* A new file in a directory that is not there yet. */
	CHECK(load("sub/known_hosts", "new.example", 22, &set) == 0);
	CHECK(set.nkeys == 0 && set.hashed == 0);
	error_clear(&err);
	CHECK(hostkey_append(&set, keys[K_ED].blob, keys[K_ED].len, &err) == 0);
	hostkey_set_free(&set);
	CHECK(stat(tpath("sub"), &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(tpath("sub/known_hosts"), &st) == 0 &&
	    (st.st_mode & 0777) == 0600);
	snprintf(expect, sizeof(expect), "%s\n", kline("new.example", K_ED));
	CHECK_STR(read_all(tpath("sub/known_hosts")), expect);
	CHECK(verdict("sub/known_hosts", "new.example", 22, K_ED) ==
	    HOSTKEY_MATCH);
	CHECK(keygen_finds("sub/known_hosts", "new.example"));

	/* A file without a final newline gets one first. */
	write_str(tpath("kh_app"), "%s", kline("old.example", K_RSA));
	CHECK(load("kh_app", "New.Example", 2200, &set) == 0);
	CHECK(hostkey_verify(&set, keys[K_EC256].blob, keys[K_EC256].len) ==
	    HOSTKEY_UNKNOWN);
	CHECK(hostkey_append(&set, keys[K_EC256].blob, keys[K_EC256].len,
	    &err) == 0);
	CHECK(hostkey_append(&set, keys[K_EC521].blob, keys[K_EC521].len,
	    &err) == 0);
	hostkey_set_free(&set);
	snprintf(expect, sizeof(expect), "%s\n%s\n%s\n",
	    kline("old.example", K_RSA), kline("[new.example]:2200", K_EC256),
	    kline("[new.example]:2200", K_EC521));
	CHECK_STR(read_all(tpath("kh_app")), expect);
	CHECK(verdict("kh_app", "new.example", 2200, K_EC256) == HOSTKEY_MATCH);
	CHECK(verdict("kh_app", "new.example", 2200, K_EC521) == HOSTKEY_MATCH);
	CHECK(verdict("kh_app", "old.example", 22, K_RSA) == HOSTKEY_MATCH);
	CHECK(keygen_finds("kh_app", "[new.example]:2200"));

	/* A mostly hashed file gets a hashed line. */
	write_str(tpath("kh_apph"), "%s\n%s\n", kline("a.example", K_ED),
	    kline("b.example", K_ED2));
	CHECK(run("ssh-keygen -q -H -f %s >/dev/null 2>&1",
	    tpath("kh_apph")) == 0);
	CHECK(load("kh_apph", "hashed.example", 2222, &set) == 0);
	CHECK(set.hashed == 1);
	CHECK(hostkey_verify(&set, keys[K_DSA].blob, keys[K_DSA].len) ==
	    HOSTKEY_UNKNOWN);
	CHECK(hostkey_append(&set, keys[K_DSA].blob, keys[K_DSA].len,
	    &err) == 0);
	hostkey_set_free(&set);
	s = read_all(tpath("kh_apph"));
	CHECK(strstr(s, "hashed") == NULL);
	CHECK(strlen(s) > 0 && s[strlen(s) - 1] == '\n');
	s[strlen(s) - 1] = '\0';
	last = strrchr(s, '\n');
	CHECK(last != NULL && strncmp(last + 1, "|1|", 3) == 0);
	if (last != NULL && strncmp(last + 1, "|1|", 3) == 0)
		bar = strchr(last + 4, '|');
	CHECK(bar != NULL);
	if (bar != NULL) {
		/* Check the hash with OpenSSL directly, not with our code. */
		*bar = '\0';
		saltlen = b64_decode(last + 4, salt, sizeof(salt));
		CHECK(saltlen == 20);
		s = strchr(bar + 1, ' ');
		CHECK(s != NULL && strncmp(s + 1, keys[K_DSA].type,
		    strlen(keys[K_DSA].type)) == 0);
		if (s != NULL)
			*s = '\0';
		hashlen = b64_decode(bar + 1, hash, sizeof(hash));
		CHECK(hashlen == 20);
		HMAC(EVP_sha1(), salt, saltlen,
		    (const unsigned char *)"[hashed.example]:2222", 21, want,
		    &wantlen);
		CHECK(wantlen == 20 && hashlen == 20 &&
		    memcmp(want, hash, 20) == 0);
	}
	CHECK(verdict("kh_apph", "hashed.example", 2222, K_DSA) ==
	    HOSTKEY_MATCH);
	CHECK(verdict("kh_apph", "a.example", 22, K_ED) == HOSTKEY_MATCH);
	CHECK(keygen_finds("kh_apph", "[hashed.example]:2222"));
	CHECK(!keygen_finds("kh_apph", "[hashed.example]:2223"));

	/* Refusals: a malformed key, a bad name, no path. */
	CHECK(load("kh_app", "x.example", 22, &set) == 0);
	error_clear(&err);
	CHECK(hostkey_append(&set, keys[K_ED].blob, keys[K_ED].len - 1,
	    &err) == -1);
	CHECK(err.kind == ERR_DENIED);
	CHECK(strstr(err.msg, tpath("kh_app")) != NULL);
	CHECK(hostkey_append(&set, (const unsigned char *)"\0\0\0\7ssh-foo",
	    11, &err) == -1);
	free(set.name);
	set.name = strdup("*");
	CHECK(hostkey_append(&set, keys[K_ED].blob, keys[K_ED].len,
	    &err) == -1);
	hostkey_set_free(&set);
	CHECK(hostkey_append(&set, keys[K_ED].blob, keys[K_ED].len,
	    &err) == -1);
	CHECK(strcmp(read_all(tpath("kh_app")), expect) == 0);

	/* A directory where the file should be. */
	CHECK(load_fails("sub", "x.example", 22));
	memset(&set, 0, sizeof(set));
	set.path = strdup(tpath("sub"));
	set.name = strdup("x.example");
	error_clear(&err);
	CHECK(hostkey_append(&set, keys[K_ED].blob, keys[K_ED].len,
	    &err) == -1);
	CHECK(strstr(err.msg, tpath("sub")) != NULL);
	hostkey_set_free(&set);
}

/*
 * Arbitrary bytes and every mutation of a good line: no crash, no leak
 * (under valgrind), and only the documented results.
 */
static void
test_noise(void)
{
	static const char alpha[] = "|1@#!*?,[]: \t=+/Aa0zZssh-ed25519\x01\xff";
	struct hostkey_known key;
	char line[512], good[512];
	unsigned char blob[300];
	char out[64];
	size_t i, len;
	int j, rc, bad = 0, ok = 0;

	srandom(1);
	for (j = 0; j < 20000; j++) {
		len = random() % sizeof(line);
		for (i = 0; i < len; i++)
			line[i] = j % 2 ? alpha[random() % (sizeof(alpha) - 1)]
			    : (char)(random() % 255 + 1);
		line[len] = '\0';
		rc = hostkey_parse_line(line, "h", &key);
		if (rc < -1 || rc > 1)
			bad++;
		hostkey_known_free(&key);

		len = random() % sizeof(blob);
		for (i = 0; i < len; i++)
			blob[i] = random();
		hostkey_blob_type(blob, len, out, sizeof(out));
		hostkey_fingerprint(blob, len, out, sizeof(out));
	}
	snprintf(good, sizeof(good), "h,*.x ssh-ed25519 %s", FIXED_B64);
	for (len = 0; len <= strlen(good); len++) {
		snprintf(line, sizeof(line), "%.*s", (int)len, good);
		rc = hostkey_parse_line(line, "h", &key);
		if (rc == 1)
			ok++;
		if (rc < -1 || rc > 1)
			bad++;
		hostkey_known_free(&key);
	}
	CHECK(ok == 1);	/* only the whole line */
	for (i = 0; i < strlen(good); i++) {
		for (j = 1; j < 256; j++) {
			strlcpy(line, good, sizeof(line));
			line[i] = j;
			rc = hostkey_parse_line(line, "h", &key);
			if (rc < -1 || rc > 1 ||
			    (rc == 1 && (key.blob == NULL || key.type == NULL)))
				bad++;
			hostkey_known_free(&key);
		}
	}
	CHECK(bad == 0);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	gen_keys();
	test_fixed();
	test_syntax();
	test_patterns();
	test_port();
	test_hashed();
	test_garbage();
	test_labels();
	test_revoked();
	test_verdicts();
	test_algorithms();
	test_fingerprints();
	test_append();
	test_noise();
	run("rm -rf %s", tmpdir);
	return check_done();
}
