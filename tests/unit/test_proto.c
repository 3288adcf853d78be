/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for sftp/proto.c, the SFTP v3 packet codec.  Requests are
 * compared byte for byte with packets written out by hand from
 * draft-ietf-secsh-filexfer-02, not with the codec's own output.  Replies
 * are built here and fed to the parser whole, cut at every length and with
 * bytes added, each from a buffer of exactly its size so that an
 * out-of-bounds read shows under ASan or valgrind.  A deterministic fuzz
 * loop ends the run (fewer rounds when SYNCMAIL_QUICK is set).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftp/proto.h"
#include "tests/unit/check.h"

/* Compares a buffer's whole contents with the expected bytes. */
#define CHECK_BYTES(b, exp)						\
	CHECK((b)->len == sizeof(exp) &&				\
	    memcmp((b)->data, (exp), sizeof(exp)) == 0)

/* A reply under construction; large enough for every test packet. */
struct pkt {
	uint8_t		 b[8192];
	size_t		 n;
};

static void
pk_u8(struct pkt *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static void
pk_u32(struct pkt *p, uint32_t v)
{
	pk_u8(p, v >> 24);
	pk_u8(p, v >> 16);
	pk_u8(p, v >> 8);
	pk_u8(p, v);
}

static void
pk_u64(struct pkt *p, uint64_t v)
{
	pk_u32(p, (uint32_t)(v >> 32));
	pk_u32(p, (uint32_t)v);
}

static void
pk_mem(struct pkt *p, const void *s, size_t len)
{
	memcpy(p->b + p->n, s, len);
	p->n += len;
}

static void
pk_str(struct pkt *p, const void *s, size_t len)
{
	pk_u32(p, (uint32_t)len);
	pk_mem(p, s, len);
}

static void
pk_cstr(struct pkt *p, const char *s)
{
	pk_str(p, s, strlen(s));
}

/* Starts a reply body: type, and the id unless it is VERSION. */
static void
pk_start(struct pkt *p, uint8_t type, uint32_t id)
{
	p->n = 0;
	pk_u8(p, type);
	if (type != SSH_FXP_VERSION)
		pk_u32(p, id);
}

/*
 * Parses len bytes of body from a heap copy of exactly len bytes, so any
 * read past the end is caught by the sanitizer or valgrind.  The reply's
 * pointers would dangle after the copy is freed, so the caller gets them
 * translated back into body.
 */
static int
parse_exact(const uint8_t *body, size_t len, struct proto_reply *r)
{
	uint8_t *copy;
	int rc;

	if ((copy = malloc(len ? len : 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(copy, body, len);
	rc = proto_parse(copy, len, r);
#define REBASE(f) do {							\
	if (r->f != NULL)						\
		r->f = (const void *)(body + ((const uint8_t *)r->f - copy)); \
} while (0)
	REBASE(text);
	REBASE(handle);
	REBASE(data);
	REBASE(rest);
#undef REBASE
	free(copy);
	return rc;
}

/*
 * Walks the entries of the NAME reply held in p (length len) from an exact
 * heap copy; returns the last proto_names_next result and the number of
 * entries seen.
 */
static int
names_walk(const uint8_t *p, size_t len, unsigned int *entries)
{
	struct proto_reply r;
	struct proto_names it;
	struct proto_name n;
	uint8_t *copy;
	int rc;

	*entries = 0;
	if ((copy = malloc(len ? len : 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(copy, p, len);
	if ((rc = proto_parse(copy, len, &r)) == 0) {
		proto_names_init(&it, &r);
		while ((rc = proto_names_next(&it, &n)) == 1)
			(*entries)++;
	}
	free(copy);
	return rc;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = (uint8_t)v;
}

static void
test_encode(void)
{
	struct proto_buf b = { NULL, 0, 0 };
	static const uint8_t x_init[] = {
		0, 0, 0, 5, 1, 0, 0, 0, 3
	};
	static const uint8_t x_open[] = {
		0, 0, 0, 20, 3, 0x01, 0x02, 0x03, 0x04,
		0, 0, 0, 3, 'a', '/', 'b',
		0, 0, 0, 1,			/* SSH_FXF_READ */
		0, 0, 0, 0			/* attrs: no flags */
	};
	static const uint8_t x_close[] = {
		0, 0, 0, 12, 4, 0, 0, 0, 7, 0, 0, 0, 3, 0x00, 0xff, 0x10
	};
	static const uint8_t x_read1[] = {
		0, 0, 0, 23, 5, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 2, 'h', '1',
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x00, 0x00, 0x80, 0x00
	};
	static const uint8_t x_read2[] = {
		0, 0, 0, 22, 5, 0, 0, 0, 1, 0, 0, 0, 1, 'H',
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff
	};
	static const uint8_t x_read3[] = {
		0, 0, 0, 22, 5, 0, 0, 0, 2, 0, 0, 0, 1, 'H',
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x00, 0x00, 0x00, 0x00
	};
	static const uint8_t x_read4[] = {
		0, 0, 0, 22, 5, 0, 0, 0, 3, 0, 0, 0, 1, 'H',
		0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
		0x00, 0x00, 0x00, 0x01
	};
	static const uint8_t x_opendir[] = {
		0, 0, 0, 20, 11, 0, 0, 0, 0, 0, 0, 0, 11,
		'M', 'a', 'i', 'l', 'd', 'i', 'r', '/', 'n', 'e', 'w'
	};
	static const uint8_t x_readdir[] = {
		0, 0, 0, 10, 12, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 'H'
	};
	static const uint8_t x_remove[] = {
		0, 0, 0, 20, 13, 0, 0, 1, 0, 0, 0, 0, 11,
		'n', 'e', 'w', '/', '1', '.', 'M', ':', '2', ',', 'S'
	};
	static const uint8_t x_lstat[] = {
		0, 0, 0, 9, 7, 0, 0, 0, 2, 0, 0, 0, 0
	};
	static const uint8_t x_two[] = {
		0, 0, 0, 10, 13, 0, 0, 0, 1, 0, 0, 0, 1, 'x',
		0, 0, 0, 10, 7, 0, 0, 0, 2, 0, 0, 0, 1, 'y'
	};
	static const uint8_t x_hnul[] = { 0x00, 0xff, 0x10 };

	CHECK(proto_init(&b) == 0);
	CHECK_BYTES(&b, x_init);
	proto_buf_free(&b);

	CHECK(proto_open(&b, 0x01020304, "a/b", SSH_FXF_READ) == 0);
	CHECK_BYTES(&b, x_open);
	proto_buf_free(&b);

	/* Handles are bytes: a NUL or 0xff inside is sent as is. */
	CHECK(proto_close(&b, 7, x_hnul, sizeof(x_hnul)) == 0);
	CHECK_BYTES(&b, x_close);
	proto_buf_free(&b);

	CHECK(proto_read(&b, 0xdeadbeef, (const uint8_t *)"h1", 2,
	    0x0123456789abcdefULL, 32768) == 0);
	CHECK_BYTES(&b, x_read1);
	proto_buf_free(&b);

	/* Offsets past 4 GiB: the high word must not be lost or swapped. */
	CHECK(proto_read(&b, 1, (const uint8_t *)"H", 1, 1ULL << 32,
	    0xffffffff) == 0);
	CHECK_BYTES(&b, x_read2);
	proto_buf_free(&b);
	CHECK(proto_read(&b, 2, (const uint8_t *)"H", 1, UINT64_MAX, 0) == 0);
	CHECK_BYTES(&b, x_read3);
	proto_buf_free(&b);
	CHECK(proto_read(&b, 3, (const uint8_t *)"H", 1, 0xffffffffULL,
	    1) == 0);
	CHECK_BYTES(&b, x_read4);
	proto_buf_free(&b);

	CHECK(proto_opendir(&b, 0, "Maildir/new") == 0);
	CHECK_BYTES(&b, x_opendir);
	proto_buf_free(&b);

	CHECK(proto_readdir(&b, 0xffffffff, (const uint8_t *)"H", 1) == 0);
	CHECK_BYTES(&b, x_readdir);
	proto_buf_free(&b);

	CHECK(proto_remove(&b, 0x100, "new/1.M:2,S") == 0);
	CHECK_BYTES(&b, x_remove);
	proto_buf_free(&b);

	CHECK(proto_lstat(&b, 2, "") == 0);
	CHECK_BYTES(&b, x_lstat);
	proto_buf_free(&b);

	/* Requests append: the buffer holds the packets in order. */
	CHECK(proto_remove(&b, 1, "x") == 0);
	CHECK(proto_lstat(&b, 2, "y") == 0);
	CHECK_BYTES(&b, x_two);
	proto_buf_free(&b);

	/* Freeing twice and freeing an empty buffer are harmless. */
	proto_buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

/* Many requests in one buffer, well past its first allocation. */
static void
test_encode_many(void)
{
	struct proto_buf b = { NULL, 0, 0 };
	size_t i, off;
	int ok = 1;
	uint8_t h[PROTO_MAX_HANDLE];

	for (i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)i;
	for (i = 0; i < 1000; i++)
		if (proto_read(&b, (uint32_t)i, h, i % (sizeof(h) + 1),
		    (uint64_t)i << 33, (uint32_t)i * 3) == -1)
			ok = 0;
	CHECK(ok);
	CHECK(b.cap >= b.len);
	off = 0;
	for (i = 0; ok && i < 1000; i++) {
		const uint8_t *p = b.data + off;
		size_t hl = i % (sizeof(h) + 1);
		uint64_t o;

		if (off + 4 > b.len || proto_frame(p, b.len - off) !=
		    (long)(4 + 1 + 4 + 4 + hl + 8 + 4)) {
			ok = 0;
			break;
		}
		o = 0;
		for (size_t k = 0; k < 8; k++)
			o = o << 8 | p[13 + hl + k];
		if (p[4] != SSH_FXP_READ || get32(p + 5) != i ||
		    get32(p + 9) != hl || memcmp(p + 13, h, hl) != 0 ||
		    o != (uint64_t)i << 33 ||
		    get32(p + 13 + hl + 8) != i * 3)
			ok = 0;
		off += 4 + 1 + 4 + 4 + hl + 8 + 4;
	}
	CHECK(ok);
	CHECK(off == b.len);
	proto_buf_free(&b);
}

/*
 * A packet that just fits, or just does not fit, in what the buffer has
 * left: every fill level around the first allocations, every small size.
 */
static void
test_encode_boundary(void)
{
	struct proto_buf b = { NULL, 0, 0 };
	static char path[9000];
	size_t pre, add;
	int bad = 0;

	memset(path, 'q', sizeof(path) - 1);
	for (pre = 13; pre < 8300; pre += (pre > 3900 && pre < 4200) ||
	    pre > 8000 ? 1 : 97) {
		for (add = 0; add < 24; add++) {
			const uint8_t *p;

			path[pre - 13] = '\0';
			if (proto_lstat(&b, 1, path) == -1)
				bad++;
			path[pre - 13] = 'q';
			path[add] = '\0';
			if (proto_remove(&b, 2, path) == -1)
				bad++;
			path[add] = 'q';
			p = b.data + pre;
			if (b.len != pre + 13 + add || b.cap < b.len ||
			    get32(p) != 9 + add || p[4] != SSH_FXP_REMOVE ||
			    get32(p + 5) != 2 || get32(p + 9) != add ||
			    memcmp(p + 13, path, add) != 0 ||
			    get32(b.data) != pre - 4)
				bad++;
			proto_buf_free(&b);
		}
	}
	CHECK(bad == 0);
}

/* A field too long for the protocol fails and leaves the buffer as it was. */
static void
test_encode_too_long(void)
{
	struct proto_buf b = { NULL, 0, 0 };
	uint8_t h[PROTO_MAX_HANDLE + 1], *before;
	char *path;
	size_t len, big = 2 * PROTO_MAX_PACKET;

	memset(h, 'h', sizeof(h));
	if ((path = malloc(big + 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(path, 'p', big);
	path[big] = '\0';

	CHECK(proto_init(&b) == 0);
	len = b.len;
	if ((before = malloc(len)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(before, b.data, len);

	CHECK(proto_read(&b, 1, h, PROTO_MAX_HANDLE + 1, 0, 1) == -1);
	CHECK(proto_close(&b, 1, h, PROTO_MAX_HANDLE + 1) == -1);
	CHECK(proto_readdir(&b, 1, h, PROTO_MAX_HANDLE + 1) == -1);
	CHECK(b.len == len && memcmp(b.data, before, len) == 0);

	/* Paths: the body may be PROTO_MAX_PACKET bytes, not one more. */
	CHECK(proto_open(&b, 1, path, SSH_FXF_READ) == -1);
	CHECK(b.len == len && memcmp(b.data, before, len) == 0);
	CHECK(proto_opendir(&b, 1, path) == -1);
	CHECK(proto_remove(&b, 1, path) == -1);
	CHECK(proto_lstat(&b, 1, path) == -1);
	CHECK(proto_close(&b, 1, (const uint8_t *)path, big) == -1);
	CHECK(proto_readdir(&b, 1, (const uint8_t *)path, big) == -1);
	CHECK(b.len == len && memcmp(b.data, before, len) == 0);

	/* open: 1 + 4 + 4 + len + 4 + 4 bytes of body. */
	path[PROTO_MAX_PACKET - 16] = '\0';
	CHECK(proto_open(&b, 1, path, SSH_FXF_READ) == -1);
	CHECK(b.len == len && memcmp(b.data, before, len) == 0);
	path[PROTO_MAX_PACKET - 16] = 'p';
	path[PROTO_MAX_PACKET - 17] = '\0';
	CHECK(proto_open(&b, 1, path, SSH_FXF_READ) == 0);
	CHECK(b.len == len + 4 + PROTO_MAX_PACKET);
	CHECK(memcmp(b.data, before, len) == 0);
	/* What we send, the receiving side's framing would accept. */
	CHECK(proto_frame(b.data + len, b.len - len) ==
	    4 + PROTO_MAX_PACKET);
	b.len = len;
	path[PROTO_MAX_PACKET - 17] = 'p';

	/* One-string requests: 1 + 4 + 4 + len bytes of body. */
	path[PROTO_MAX_PACKET - 8] = '\0';
	CHECK(proto_opendir(&b, 1, path) == -1);
	CHECK(proto_remove(&b, 1, path) == -1);
	CHECK(proto_lstat(&b, 1, path) == -1);
	CHECK(proto_close(&b, 1, (const uint8_t *)path,
	    PROTO_MAX_PACKET - 8) == -1);
	CHECK(proto_readdir(&b, 1, (const uint8_t *)path,
	    PROTO_MAX_PACKET - 8) == -1);
	CHECK(b.len == len && memcmp(b.data, before, len) == 0);
	path[PROTO_MAX_PACKET - 8] = 'p';
	path[PROTO_MAX_PACKET - 9] = '\0';
	CHECK(proto_lstat(&b, 1, path) == 0);
	CHECK(b.len == len + 4 + PROTO_MAX_PACKET);
	CHECK(proto_frame(b.data + len, b.len - len) ==
	    4 + PROTO_MAX_PACKET);
	CHECK(b.data[len + 4] == SSH_FXP_LSTAT);

	/* A handle of exactly PROTO_MAX_HANDLE bytes is fine. */
	b.len = len;
	CHECK(proto_read(&b, 1, h, PROTO_MAX_HANDLE, 0, 1) == 0);
	CHECK(b.len == len + 4 + 1 + 4 + 4 + PROTO_MAX_HANDLE + 8 + 4);

	free(before);
	free(path);
	proto_buf_free(&b);
}

static void
test_consume(void)
{
	struct proto_buf b = { NULL, 0, 0 };
	static const uint8_t second[] = {
		0, 0, 0, 10, 7, 0, 0, 0, 2, 0, 0, 0, 1, 'y'
	};
	static const uint8_t third[] = {
		0, 0, 0, 10, 13, 0, 0, 0, 3, 0, 0, 0, 1, 'z'
	};
	size_t cap;

	CHECK(proto_remove(&b, 1, "x") == 0);
	CHECK(proto_lstat(&b, 2, "y") == 0);
	cap = b.cap;
	proto_buf_consume(&b, 0);
	CHECK(b.len == 28);
	proto_buf_consume(&b, 14);
	CHECK_BYTES(&b, second);
	CHECK(b.cap == cap);
	/* Appending after a consume goes after what is left. */
	CHECK(proto_remove(&b, 3, "z") == 0);
	proto_buf_consume(&b, 14);
	CHECK_BYTES(&b, third);
	/* Partial consume keeps the tail. */
	proto_buf_consume(&b, 13);
	CHECK(b.len == 1 && b.data[0] == 'z');
	proto_buf_consume(&b, 1);
	CHECK(b.len == 0);
	CHECK(proto_remove(&b, 1, "x") == 0);
	proto_buf_consume(&b, 1000);
	CHECK(b.len == 0);
	proto_buf_consume(&b, 1);
	CHECK(b.len == 0);
	CHECK(proto_lstat(&b, 3, "z") == 0);
	CHECK(b.len == 14 && b.data[4] == SSH_FXP_LSTAT);
	proto_buf_free(&b);

	/* An empty buffer that never had memory. */
	proto_buf_consume(&b, 0);
	proto_buf_consume(&b, 5);
	CHECK(b.len == 0 && b.data == NULL);
}

static void
test_frame(void)
{
	uint8_t buf[16] = { 0, 0, 0, 5, 2, 0, 0, 0, 3, 0xaa, 0xbb };
	uint8_t *big;
	size_t i;

	for (i = 0; i < 4; i++)
		CHECK(proto_frame(buf, i) == 0);
	CHECK(proto_frame(NULL, 0) == 0);
	for (i = 4; i < 9; i++)
		CHECK(proto_frame(buf, i) == 0);
	CHECK(proto_frame(buf, 9) == 9);
	CHECK(proto_frame(buf, 11) == 9);

	memset(buf, 0, 4);
	CHECK(proto_frame(buf, 4) == -1);
	CHECK(proto_frame(buf, 16) == -1);
	/* An incomplete header says nothing yet, even if zeros so far. */
	CHECK(proto_frame(buf, 3) == 0);

	put32(buf, 1);
	CHECK(proto_frame(buf, 4) == 0);
	CHECK(proto_frame(buf, 5) == 5);

	/* Oversized lengths are refused from the header alone. */
	put32(buf, 0xffffffff);
	CHECK(proto_frame(buf, 4) == -1);
	CHECK(proto_frame(buf, 16) == -1);
	put32(buf, 0x80000000);
	CHECK(proto_frame(buf, 4) == -1);
	put32(buf, PROTO_MAX_PACKET + 1);
	CHECK(proto_frame(buf, 4) == -1);
	CHECK(proto_frame(buf, 16) == -1);

	/* Exactly PROTO_MAX_PACKET is allowed. */
	if ((big = calloc(1, 4 + PROTO_MAX_PACKET + 8)) == NULL) {
		perror("calloc");
		exit(2);
	}
	put32(big, PROTO_MAX_PACKET);
	CHECK(proto_frame(big, 4) == 0);
	CHECK(proto_frame(big, 4 + PROTO_MAX_PACKET - 1) == 0);
	CHECK(proto_frame(big, 4 + PROTO_MAX_PACKET) == 4 + PROTO_MAX_PACKET);
	CHECK(proto_frame(big, 4 + PROTO_MAX_PACKET + 8) ==
	    4 + PROTO_MAX_PACKET);
	free(big);
}

static void
test_parse_version(void)
{
	struct pkt p;
	struct proto_reply r;
	size_t ext;

	pk_start(&p, SSH_FXP_VERSION, 0);
	pk_u32(&p, 3);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.type == SSH_FXP_VERSION && r.version == 3);
	CHECK(r.restlen == 0);
	CHECK(r.id == 0);

	pk_start(&p, SSH_FXP_VERSION, 0);
	pk_u32(&p, 3);
	ext = p.n;
	pk_cstr(&p, "posix-rename@openssh.com");
	pk_cstr(&p, "1");
	pk_cstr(&p, "fsync@openssh.com");
	pk_cstr(&p, "1");
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.type == SSH_FXP_VERSION && r.version == 3);
	/* The extension pairs are handed over untouched. */
	CHECK(r.rest == p.b + ext);
	CHECK(r.restlen == p.n - ext);
	CHECK(r.restlen == 4 + 24 + 4 + 1 + 4 + 17 + 4 + 1);

	pk_start(&p, SSH_FXP_VERSION, 0);
	pk_u32(&p, 0xfffffff0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.version == 0xfffffff0);

	/* A version field cut short. */
	CHECK(parse_exact(p.b, 0, &r) == -1);
	CHECK(parse_exact(p.b, 1, &r) == -1);
	CHECK(parse_exact(p.b, 4, &r) == -1);
}

static void
test_parse_status(void)
{
	struct pkt p;
	struct proto_reply r;
	size_t msg, afterstatus, aftermsg, i;
	int bad;

	pk_start(&p, SSH_FXP_STATUS, 0x01020304);
	pk_u32(&p, SSH_FX_NO_SUCH_FILE);
	afterstatus = p.n;
	msg = p.n + 4;
	pk_cstr(&p, "No such file");
	aftermsg = p.n;
	pk_cstr(&p, "en");
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.type == SSH_FXP_STATUS);
	CHECK(r.id == 0x01020304);
	CHECK(r.status == SSH_FX_NO_SUCH_FILE);
	CHECK(r.text == (const char *)p.b + msg);
	CHECK(r.textlen == 12);
	CHECK(r.text != NULL && memcmp(r.text, "No such file", 12) == 0);

	/* Old servers stop after the code, or after the message. */
	CHECK(parse_exact(p.b, afterstatus, &r) == 0);
	CHECK(r.status == SSH_FX_NO_SUCH_FILE);
	CHECK(r.text == NULL && r.textlen == 0);
	CHECK(parse_exact(p.b, aftermsg, &r) == 0);
	CHECK(r.textlen == 12 && r.text == (const char *)p.b + msg);

	/* Every other cut is malformed. */
	bad = 0;
	for (i = 0; i < p.n; i++) {
		int rc = parse_exact(p.b, i, &r);

		if (i == afterstatus || i == aftermsg) {
			if (rc != 0)
				bad++;
		} else if (rc != -1) {
			printf("status cut %zu accepted\n", i);
			bad++;
		}
	}
	CHECK(bad == 0);

	/* Trailing bytes after the language tag. */
	pk_u8(&p, 0);
	CHECK(parse_exact(p.b, p.n, &r) == -1);

	/* Empty message and tag. */
	pk_start(&p, SSH_FXP_STATUS, 9);
	pk_u32(&p, SSH_FX_OK);
	pk_str(&p, "", 0);
	pk_str(&p, "", 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.status == SSH_FX_OK && r.id == 9);
	CHECK(r.textlen == 0 && r.text != NULL);

	/* A message length near 2^32 with few bytes behind it. */
	pk_start(&p, SSH_FXP_STATUS, 9);
	pk_u32(&p, SSH_FX_FAILURE);
	pk_u32(&p, 0xffffffff);
	pk_mem(&p, "abcdefgh", 8);
	CHECK(parse_exact(p.b, p.n, &r) == -1);
	/* The language tag's length likewise. */
	pk_start(&p, SSH_FXP_STATUS, 9);
	pk_u32(&p, SSH_FX_FAILURE);
	pk_cstr(&p, "x");
	pk_u32(&p, 0xfffffffc);
	CHECK(parse_exact(p.b, p.n, &r) == -1);

	CHECK(strcmp(proto_status_str(SSH_FX_OK), "ok") == 0);
	CHECK(strcmp(proto_status_str(SSH_FX_EOF), "end of file") == 0);
	CHECK(strcmp(proto_status_str(SSH_FX_NO_SUCH_FILE),
	    "no such file") == 0);
	CHECK(strcmp(proto_status_str(SSH_FX_PERMISSION_DENIED),
	    "permission denied") == 0);
	CHECK(strcmp(proto_status_str(SSH_FX_FAILURE), "failure") == 0);
	CHECK(strcmp(proto_status_str(8), "operation unsupported") == 0);
	CHECK(strcmp(proto_status_str(9), "unknown status") == 0);
	CHECK(strcmp(proto_status_str(0xffffffff), "unknown status") == 0);
}

/*
 * Every proper prefix of a fixed-layout reply is malformed; returns how
 * many were accepted.
 */
static int
cuts_accepted(const struct pkt *p)
{
	struct proto_reply r;
	size_t i;
	int n = 0;

	for (i = 0; i < p->n; i++)
		if (parse_exact(p->b, i, &r) != -1) {
			printf("type %u cut at %zu of %zu accepted\n",
			    p->b[0], i, p->n);
			n++;
		}
	return n;
}

/* One byte more than a fixed-layout reply holds is malformed. */
static int
trailing_rejected(const struct pkt *p)
{
	struct pkt q = *p;
	struct proto_reply r;

	pk_u8(&q, 0);
	return parse_exact(q.b, q.n, &r) == -1;
}

static void
test_parse_handle_data(void)
{
	struct pkt p;
	struct proto_reply r;
	uint8_t h[PROTO_MAX_HANDLE + 1];
	static const uint32_t huge[] = {
		0xffffffff, 0xfffffffe, 0xfffffffc, 0xfffffff8,
		0x80000000, 0x7fffffff, 0x00010000
	};
	size_t i;

	for (i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)(i * 7);

	pk_start(&p, SSH_FXP_HANDLE, 42);
	pk_str(&p, h, 4);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.type == SSH_FXP_HANDLE && r.id == 42);
	CHECK(r.handlelen == 4 && r.handle == p.b + 9);
	CHECK(memcmp(r.handle, h, 4) == 0);
	CHECK(cuts_accepted(&p) == 0);
	CHECK(trailing_rejected(&p));

	pk_start(&p, SSH_FXP_HANDLE, 43);
	pk_str(&p, h, PROTO_MAX_HANDLE);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.handlelen == PROTO_MAX_HANDLE);
	CHECK(memcmp(r.handle, h, PROTO_MAX_HANDLE) == 0);
	CHECK(cuts_accepted(&p) == 0);
	CHECK(trailing_rejected(&p));

	pk_start(&p, SSH_FXP_HANDLE, 44);
	pk_str(&p, h, PROTO_MAX_HANDLE + 1);
	CHECK(parse_exact(p.b, p.n, &r) == -1);
	pk_start(&p, SSH_FXP_HANDLE, 44);
	pk_u32(&p, 1000);
	memset(p.b + p.n, 'h', 1000);
	p.n += 1000;
	CHECK(parse_exact(p.b, p.n, &r) == -1);

	pk_start(&p, SSH_FXP_HANDLE, 45);
	pk_str(&p, "", 0);
	CHECK(parse_exact(p.b, p.n, &r) == -1);

	pk_start(&p, SSH_FXP_DATA, 0xfffffffe);
	pk_str(&p, "hello\0world", 11);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.type == SSH_FXP_DATA && r.id == 0xfffffffe);
	CHECK(r.datalen == 11 && r.data == p.b + 9);
	CHECK(memcmp(r.data, "hello\0world", 11) == 0);
	CHECK(cuts_accepted(&p) == 0);
	CHECK(trailing_rejected(&p));

	pk_start(&p, SSH_FXP_DATA, 1);
	pk_str(&p, "", 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.datalen == 0);
	CHECK(cuts_accepted(&p) == 0);
	CHECK(trailing_rejected(&p));

	pk_start(&p, SSH_FXP_DATA, 2);
	pk_str(&p, h, sizeof(h));
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.datalen == sizeof(h) && memcmp(r.data, h, sizeof(h)) == 0);
	CHECK(cuts_accepted(&p) == 0);

	/* Lengths near 2^32, with and without bytes behind them. */
	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		pk_start(&p, SSH_FXP_DATA, 3);
		pk_u32(&p, huge[i]);
		CHECK(parse_exact(p.b, p.n, &r) == -1);
		pk_mem(&p, h, sizeof(h));
		CHECK(parse_exact(p.b, p.n, &r) == -1);
		pk_start(&p, SSH_FXP_HANDLE, 3);
		pk_u32(&p, huge[i]);
		pk_mem(&p, h, 16);
		CHECK(parse_exact(p.b, p.n, &r) == -1);
	}
	/* One byte short, then exact, then one over. */
	pk_start(&p, SSH_FXP_DATA, 3);
	pk_u32(&p, 17);
	pk_mem(&p, h, 16);
	CHECK(parse_exact(p.b, p.n, &r) == -1);
	pk_u8(&p, 'x');
	CHECK(parse_exact(p.b, p.n, &r) == 0 && r.datalen == 17);
	pk_u8(&p, 'y');
	CHECK(parse_exact(p.b, p.n, &r) == -1);
}

/* Writes attributes with the given flags and fixed values. */
static void
pk_attrs(struct pkt *p, uint32_t flags, uint32_t next)
{
	uint32_t i;

	pk_u32(p, flags);
	if (flags & SSH_FILEXFER_ATTR_SIZE)
		pk_u64(p, 0x0102030405060708ULL);
	if (flags & SSH_FILEXFER_ATTR_UIDGID) {
		pk_u32(p, 1000);
		pk_u32(p, 1001);
	}
	if (flags & SSH_FILEXFER_ATTR_PERMISSIONS)
		pk_u32(p, 0100644);
	if (flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		pk_u32(p, 0x11223344);
		pk_u32(p, 0x55667788);
	}
	if (flags & SSH_FILEXFER_ATTR_EXTENDED) {
		pk_u32(p, next);
		for (i = 0; i < next; i++) {
			pk_cstr(p, "ext@example.com");
			pk_str(p, "\0\1\2", 3);
		}
	}
}

static int
attrs_match(const struct proto_attrs *a, uint32_t flags)
{
	return a->flags == flags &&
	    a->size == (flags & SSH_FILEXFER_ATTR_SIZE ?
	    0x0102030405060708ULL : 0) &&
	    a->permissions == (flags & SSH_FILEXFER_ATTR_PERMISSIONS ?
	    0100644 : 0) &&
	    a->atime == (flags & SSH_FILEXFER_ATTR_ACMODTIME ?
	    0x11223344 : 0) &&
	    a->mtime == (flags & SSH_FILEXFER_ATTR_ACMODTIME ?
	    0x55667788 : 0);
}

static void
test_parse_attrs(void)
{
	static const uint32_t bits[] = {
		SSH_FILEXFER_ATTR_SIZE, SSH_FILEXFER_ATTR_UIDGID,
		SSH_FILEXFER_ATTR_PERMISSIONS, SSH_FILEXFER_ATTR_ACMODTIME,
		SSH_FILEXFER_ATTR_EXTENDED
	};
	struct pkt p;
	struct proto_reply r;
	unsigned int m, k;
	int badparse = 0, badvals = 0, badcuts = 0, badtrail = 0;
	size_t countat;

	/* All 32 combinations of the five flags. */
	for (m = 0; m < 32; m++) {
		uint32_t flags = 0;

		for (k = 0; k < 5; k++)
			if (m & (1u << k))
				flags |= bits[k];
		pk_start(&p, SSH_FXP_ATTRS, m);
		pk_attrs(&p, flags, 2);
		if (parse_exact(p.b, p.n, &r) != 0) {
			printf("attrs flags %08x rejected\n", flags);
			badparse++;
			continue;
		}
		if (r.type != SSH_FXP_ATTRS || r.id != m ||
		    !attrs_match(&r.attrs, flags))
			badvals++;
		badcuts += cuts_accepted(&p);
		if (!trailing_rejected(&p))
			badtrail++;
	}
	CHECK(badparse == 0);
	CHECK(badvals == 0);
	CHECK(badcuts == 0);
	CHECK(badtrail == 0);

	/* Each flag alone, its value checked by name. */
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_attrs(&p, SSH_FILEXFER_ATTR_SIZE, 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.attrs.size == 0x0102030405060708ULL);
	CHECK(p.n == 1 + 4 + 4 + 8);
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_attrs(&p, SSH_FILEXFER_ATTR_UIDGID, 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.attrs.flags == SSH_FILEXFER_ATTR_UIDGID && r.attrs.size == 0);
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_attrs(&p, SSH_FILEXFER_ATTR_PERMISSIONS, 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.attrs.permissions == 0100644);
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_attrs(&p, SSH_FILEXFER_ATTR_ACMODTIME, 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.attrs.atime == 0x11223344 && r.attrs.mtime == 0x55667788);

	/* Extended: zero, one and many pairs. */
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_attrs(&p, SSH_FILEXFER_ATTR_EXTENDED, 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.attrs.flags == SSH_FILEXFER_ATTR_EXTENDED);
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_attrs(&p, SSH_FILEXFER_ATTR_EXTENDED, 1);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_attrs(&p, SSH_FILEXFER_ATTR_EXTENDED | SSH_FILEXFER_ATTR_SIZE, 100);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.attrs.size == 0x0102030405060708ULL);

	/* A count larger than the pairs present. */
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_u32(&p, SSH_FILEXFER_ATTR_EXTENDED);
	countat = p.n;
	pk_u32(&p, 3);
	pk_cstr(&p, "a");
	pk_cstr(&p, "b");
	pk_cstr(&p, "c");
	pk_cstr(&p, "d");
	CHECK(parse_exact(p.b, p.n, &r) == -1);
	p.b[countat + 3] = 2;
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	p.b[countat + 3] = 1;		/* one pair left over */
	CHECK(parse_exact(p.b, p.n, &r) == -1);

	/* Counts far beyond what the packet could hold. */
	{
		static const uint32_t counts[] = {
			0xffffffff, 0x80000000, 0x20000000, 0x1fffffff,
			0x10000, 5
		};

		for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
			pk_start(&p, SSH_FXP_ATTRS, 1);
			pk_u32(&p, SSH_FILEXFER_ATTR_EXTENDED);
			pk_u32(&p, counts[k]);
			pk_str(&p, "", 0);
			pk_str(&p, "", 0);
			pk_str(&p, "", 0);
			pk_str(&p, "", 0);
			CHECK(parse_exact(p.b, p.n, &r) == -1);
		}
	}
	/* The tightest fit: every pair two empty strings. */
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_u32(&p, SSH_FILEXFER_ATTR_EXTENDED);
	pk_u32(&p, 4);
	for (k = 0; k < 8; k++)
		pk_str(&p, "", 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(cuts_accepted(&p) == 0);
	/* An extension string whose length runs past the end. */
	pk_start(&p, SSH_FXP_ATTRS, 1);
	pk_u32(&p, SSH_FILEXFER_ATTR_EXTENDED);
	pk_u32(&p, 1);
	pk_cstr(&p, "name");
	pk_u32(&p, 0xffffffff);
	pk_mem(&p, "12345678", 8);
	CHECK(parse_exact(p.b, p.n, &r) == -1);
}

static void
test_parse_misc(void)
{
	struct pkt p;
	struct proto_reply r;
	static const uint8_t types[] = {
		0, SSH_FXP_INIT, SSH_FXP_OPEN, SSH_FXP_CLOSE, SSH_FXP_READ,
		6, SSH_FXP_LSTAT, SSH_FXP_OPENDIR, SSH_FXP_READDIR,
		SSH_FXP_REMOVE, 100, 106, 200, 201, 255
	};
	size_t i;

	memset(&p, 0, sizeof(p));
	CHECK(parse_exact(p.b, 0, &r) == -1);
	for (i = 0; i < sizeof(types); i++) {
		pk_start(&p, types[i], 1);
		pk_u32(&p, 0);
		pk_str(&p, "abcd", 4);
		CHECK(parse_exact(p.b, p.n, &r) == -1);
		/* Even the bare type and id. */
		CHECK(parse_exact(p.b, 5, &r) == -1);
	}
	/* A reply that fails leaves no stale pointers from an earlier one. */
	pk_start(&p, SSH_FXP_HANDLE, 1);
	pk_str(&p, "h", 1);
	CHECK(parse_exact(p.b, p.n, &r) == 0 && r.handle != NULL);
	CHECK(proto_parse((const uint8_t *)"\x01", 1, &r) == -1);
	CHECK(r.handle == NULL && r.handlelen == 0);
}

/* Writes one NAME entry: filename, longname, attributes. */
static void
pk_entry(struct pkt *p, const void *name, size_t len, uint32_t flags)
{
	pk_str(p, name, len);
	pk_cstr(p, "-rw------- 1 u g 12 Jan 1 00:00 x");
	pk_attrs(p, flags, 1);
}

static void
test_names(void)
{
	struct pkt p;
	struct proto_reply r;
	struct proto_names it;
	static struct proto_name n;
	static const uint32_t fl[3] = {
		SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS |
		    SSH_FILEXFER_ATTR_ACMODTIME,
		0,
		0x8000000f
	};
	static char longname[5000];
	unsigned int seen, k;
	size_t i;
	int bad;

	/* Three entries. */
	pk_start(&p, SSH_FXP_NAME, 77);
	pk_u32(&p, 3);
	pk_entry(&p, "1700000000.M1P2.h:2,S", 21, fl[0]);
	pk_entry(&p, "b", 1, fl[1]);
	pk_entry(&p, "c c", 3, fl[2]);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	CHECK(r.type == SSH_FXP_NAME && r.id == 77 && r.count == 3);
	CHECK(r.rest == p.b + 9 && r.restlen == p.n - 9);
	proto_names_init(&it, &r);
	CHECK(proto_names_next(&it, &n) == 1);
	CHECK_STR(n.name, "1700000000.M1P2.h:2,S");
	CHECK(n.namelen == 21 && !n.truncated);
	CHECK(attrs_match(&n.attrs, fl[0]));
	CHECK(proto_names_next(&it, &n) == 1);
	CHECK_STR(n.name, "b");
	CHECK(n.namelen == 1 && attrs_match(&n.attrs, fl[1]));
	CHECK(proto_names_next(&it, &n) == 1);
	CHECK_STR(n.name, "c c");
	CHECK(n.namelen == 3 && attrs_match(&n.attrs, fl[2]));
	CHECK(proto_names_next(&it, &n) == 0);
	CHECK(proto_names_next(&it, &n) == 0);

	/* Every cut: either the parse fails or the walk ends in -1. */
	bad = 0;
	for (i = 0; i < p.n; i++) {
		int rc = names_walk(p.b, i, &seen);

		if (rc != -1) {
			printf("names cut %zu: %d after %u\n", i, rc, seen);
			bad++;
		}
	}
	CHECK(bad == 0);
	/* Whole packet through the same path. */
	CHECK(names_walk(p.b, p.n, &seen) == 0 && seen == 3);

	/* Count larger than the entries present. */
	p.b[8] = 4;
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 3);
	p.b[5] = 0xff;
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 3);
	p.b[5] = 0;
	/* Count smaller: leftover bytes are an error at the end. */
	p.b[8] = 2;
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 2);
	p.b[8] = 0;
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 0);
	/* Trailing garbage after a correct count. */
	p.b[8] = 3;
	pk_u8(&p, 0);
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 3);

	/* An empty listing. */
	pk_start(&p, SSH_FXP_NAME, 1);
	pk_u32(&p, 0);
	CHECK(names_walk(p.b, p.n, &seen) == 0 && seen == 0);
	CHECK(names_walk(p.b, 8, &seen) == -1);

	/* Names of 1023, 1024 and 5000 bytes. */
	for (i = 0; i < sizeof(longname); i++)
		longname[i] = 'a' + i % 26;
	{
		static const size_t lens[] = { 1023, 1024, 1025, 5000 };

		for (k = 0; k < 4; k++) {
			pk_start(&p, SSH_FXP_NAME, 1);
			pk_u32(&p, 2);
			pk_entry(&p, longname, lens[k], 0);
			pk_entry(&p, "next", 4, 0);
			CHECK(parse_exact(p.b, p.n, &r) == 0);
			proto_names_init(&it, &r);
			CHECK(proto_names_next(&it, &n) == 1);
			CHECK(n.namelen == lens[k]);
			CHECK(n.truncated == (lens[k] >= sizeof(n.name)));
			CHECK(strlen(n.name) == (lens[k] < sizeof(n.name) ?
			    lens[k] : sizeof(n.name) - 1));
			CHECK(strncmp(n.name, longname, strlen(n.name)) == 0);
			/* The walk goes on correctly after a long name. */
			CHECK(proto_names_next(&it, &n) == 1);
			CHECK_STR(n.name, "next");
			CHECK(!n.truncated && n.namelen == 4);
			CHECK(proto_names_next(&it, &n) == 0);
		}
	}

	/* A NUL inside a name: namelen tells, strlen does not. */
	pk_start(&p, SSH_FXP_NAME, 1);
	pk_u32(&p, 2);
	pk_entry(&p, "evil\0.hidden", 12, 0);
	pk_entry(&p, "", 0, 0);
	CHECK(parse_exact(p.b, p.n, &r) == 0);
	proto_names_init(&it, &r);
	CHECK(proto_names_next(&it, &n) == 1);
	CHECK(n.namelen == 12 && strlen(n.name) == 4);
	CHECK(memcmp(n.name, "evil\0.hidden", 12) == 0);
	CHECK(!n.truncated);
	CHECK(proto_names_next(&it, &n) == 1);
	CHECK(n.namelen == 0 && n.name[0] == '\0');
	CHECK(proto_names_next(&it, &n) == 0);

	/* Name and longname lengths near 2^32. */
	pk_start(&p, SSH_FXP_NAME, 1);
	pk_u32(&p, 1);
	pk_u32(&p, 0xffffffff);
	pk_mem(&p, longname, 64);
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 0);
	pk_start(&p, SSH_FXP_NAME, 1);
	pk_u32(&p, 1);
	pk_cstr(&p, "ok");
	pk_u32(&p, 0xfffffff0);
	pk_mem(&p, longname, 64);
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 0);
	/* An entry whose attribute extended count is too large. */
	pk_start(&p, SSH_FXP_NAME, 1);
	pk_u32(&p, 1);
	pk_cstr(&p, "ok");
	pk_cstr(&p, "ok");
	pk_u32(&p, SSH_FILEXFER_ATTR_EXTENDED);
	pk_u32(&p, 0x7fffffff);
	pk_mem(&p, longname, 64);
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 0);

	/* A huge count with no entries fails at once, no long loop. */
	pk_start(&p, SSH_FXP_NAME, 1);
	pk_u32(&p, 0xffffffff);
	CHECK(names_walk(p.b, p.n, &seen) == -1 && seen == 0);
	/* A NAME header cut short. */
	CHECK(names_walk(p.b, 8, &seen) == -1);
}

/* xorshift64*: the fuzz loop is the same on every run and machine. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

/* Valid replies of every type, to be mutated. */
static size_t
fuzz_seeds(struct pkt *seeds)
{
	size_t n = 0;
	struct pkt *p;

	p = &seeds[n++];
	pk_start(p, SSH_FXP_VERSION, 0);
	pk_u32(p, 3);
	pk_cstr(p, "posix-rename@openssh.com");
	pk_cstr(p, "1");

	p = &seeds[n++];
	pk_start(p, SSH_FXP_STATUS, 5);
	pk_u32(p, SSH_FX_EOF);
	pk_cstr(p, "End of file");
	pk_cstr(p, "");

	p = &seeds[n++];
	pk_start(p, SSH_FXP_HANDLE, 6);
	pk_str(p, "\0\0\0\1", 4);

	p = &seeds[n++];
	pk_start(p, SSH_FXP_DATA, 7);
	pk_cstr(p, "From: a@b\r\n\r\nbody\r\n");

	p = &seeds[n++];
	pk_start(p, SSH_FXP_ATTRS, 8);
	pk_attrs(p, 0x8000000f, 2);

	p = &seeds[n++];
	pk_start(p, SSH_FXP_NAME, 9);
	pk_u32(p, 3);
	pk_entry(p, "1.M1P1.h:2,S", 12, 0x8000000f);
	pk_entry(p, "2.M2P2.h", 8, SSH_FILEXFER_ATTR_SIZE);
	pk_entry(p, "x\0y", 3, 0);
	return n;
}

/* Checks what proto_parse and proto_names_next say about one input. */
static int
fuzz_one(const uint8_t *buf, size_t len)
{
	struct proto_reply r;
	struct proto_names it;
	static struct proto_name n;
	const uint8_t *end = buf + len;
	unsigned long entries = 0;
	int rc;

#define INSIDE(ptr, l) ((ptr) == NULL ||				\
	((const uint8_t *)(ptr) >= buf &&				\
	(l) <= (size_t)(end - (const uint8_t *)(ptr))))
	if (proto_parse(buf, len, &r) == -1)
		return 0;
	if (!INSIDE(r.text, r.textlen) || !INSIDE(r.handle, r.handlelen) ||
	    !INSIDE(r.data, r.datalen) || !INSIDE(r.rest, r.restlen))
		return 1;
	if (r.type == SSH_FXP_HANDLE &&
	    (r.handlelen == 0 || r.handlelen > PROTO_MAX_HANDLE))
		return 1;
	if (r.type != SSH_FXP_NAME)
		return 0;
	proto_names_init(&it, &r);
	while ((rc = proto_names_next(&it, &n)) == 1) {
		/* An entry takes at least 12 bytes: the walk must end. */
		if (++entries > r.restlen / 12)
			return 1;
		if (n.truncated != (n.namelen >= sizeof(n.name)) ||
		    strlen(n.name) > n.namelen ||
		    strlen(n.name) >= sizeof(n.name))
			return 1;
	}
	if (rc != 0 && rc != -1)
		return 1;
	if (rc == 0 && entries != r.count)
		return 1;
#undef INSIDE
	return 0;
}

static void
test_fuzz(void)
{
	static struct pkt seeds[8];
	size_t nseeds = fuzz_seeds(seeds), len, i, k;
	unsigned long iters, it, bad = 0, accepted = 0;
	uint8_t tmp[1024], *buf;
	long fr;

	iters = getenv("SYNCMAIL_QUICK") != NULL ? 20000 : 200000;
	for (it = 0; it < iters; it++) {
		uint32_t mode = rng() % 4;

		if (mode == 0) {
			/* Random bytes, mostly with a known type byte. */
			len = rng() % 64;
			for (i = 0; i < len; i++)
				tmp[i] = (uint8_t)rng();
			if (len > 0 && rng() % 4 != 0)
				tmp[0] = seeds[rng() % nseeds].b[0];
		} else {
			const struct pkt *s = &seeds[rng() % nseeds];
			uint32_t nmut = 1 + rng() % 4;

			len = s->n;
			memcpy(tmp, s->b, len);
			for (k = 0; k < nmut; k++) {
				uint32_t op = rng() % 6, at;

				if (len == 0)
					break;
				at = rng() % len;
				switch (op) {
				case 0:		/* flip a bit */
					tmp[at] ^= 1u << (rng() % 8);
					break;
				case 1:		/* a random byte */
					tmp[at] = (uint8_t)rng();
					break;
				case 2:		/* a length-like word */
					if (at + 4 <= len) {
						static const uint32_t w[] = {
							0, 1, 0x7fffffff,
							0x80000000,
							0xfffffff8,
							0xffffffff, 255,
							256, 257, 1024
						};
						uint32_t v = rng() % 2 ?
						    w[rng() % 10] :
						    (uint32_t)len - at +
						    rng() % 9 - 4;

						put32(tmp + at, v);
					}
					break;
				case 3:		/* cut */
					len = at;
					break;
				case 4:		/* append random bytes */
					for (i = rng() % 8; i > 0 &&
					    len < sizeof(tmp); i--)
						tmp[len++] = (uint8_t)rng();
					break;
				default:	/* drop one byte */
					memmove(tmp + at, tmp + at + 1,
					    len - at - 1);
					len--;
					break;
				}
			}
		}
		/* An exact-size copy: overreads show under ASan. */
		if ((buf = malloc(len ? len : 1)) == NULL) {
			perror("malloc");
			exit(2);
		}
		memcpy(buf, tmp, len);
		if (fuzz_one(buf, len)) {
			if (bad++ < 5) {
				printf("fuzz: bad result at iteration %lu:",
				    it);
				for (i = 0; i < len; i++)
					printf(" %02x", buf[i]);
				printf("\n");
			}
		} else {
			struct proto_reply r;

			if (proto_parse(buf, len, &r) == 0)
				accepted++;
		}
		fr = proto_frame(buf, len);
		if (fr != -1 && fr != 0 && (fr < 5 || (size_t)fr > len))
			bad++;
		free(buf);
	}
	CHECK(bad == 0);
	/* The mutations still reach the parser's success paths. */
	CHECK(accepted > iters / 50);
	printf("fuzz: %lu inputs, %lu parsed\n", iters, accepted);
}

int
main(void)
{
	test_encode();
	test_encode_many();
	test_encode_boundary();
	test_encode_too_long();
	test_consume();
	test_frame();
	test_parse_version();
	test_parse_status();
	test_parse_handle_data();
	test_parse_attrs();
	test_parse_misc();
	test_names();
	test_fuzz();
	return check_done();
}
