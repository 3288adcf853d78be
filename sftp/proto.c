/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * SFTP v3 packet codec.  No I/O here: see client.c for the channel.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sftp/proto.h"

void
proto_buf_free(struct proto_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
proto_buf_consume(struct proto_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/*
 * Makes room for more bytes after b->len, doubling the capacity (4096
 * bytes first).  Returns 0, or -1 when memory ran out or the size would
 * overflow, b then unchanged: a request is refused whole, never built
 * half.
 */
static int
buf_reserve(struct proto_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= more)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * A packet is built in place: begin reserves the length field, the put_*
 * calls append (space was reserved by begin from the caller's total), and
 * end fills in the length.
 */
static uint8_t *
packet_begin(struct proto_buf *b, size_t bodylen)
{
	uint8_t *start;

	if (bodylen > PROTO_MAX_PACKET || buf_reserve(b, 4 + bodylen) == -1)
		return NULL;
	start = b->data + b->len;
	put_u32(start, (uint32_t)bodylen);
	b->len += 4;
	return start;
}

static void
put_byte(struct proto_buf *b, uint8_t v)
{
	b->data[b->len++] = v;
}

static void
put_int(struct proto_buf *b, uint32_t v)
{
	put_u32(b->data + b->len, v);
	b->len += 4;
}

static void
put_int64(struct proto_buf *b, uint64_t v)
{
	put_int(b, (uint32_t)(v >> 32));
	put_int(b, (uint32_t)v);
}

static void
put_string(struct proto_buf *b, const void *s, size_t len)
{
	put_int(b, (uint32_t)len);
	memcpy(b->data + b->len, s, len);
	b->len += len;
}

int
proto_init(struct proto_buf *b)
{
	if (packet_begin(b, 1 + 4) == NULL)
		return -1;
	put_byte(b, SSH_FXP_INIT);
	put_int(b, 3);
	return 0;
}

/* Requests made of a type, an id and one string. */
static int
request_string(struct proto_buf *b, uint8_t type, uint32_t id,
    const void *s, size_t len)
{
	if (len > PROTO_MAX_PACKET || packet_begin(b, 1 + 4 + 4 + len) == NULL)
		return -1;
	put_byte(b, type);
	put_int(b, id);
	put_string(b, s, len);
	return 0;
}

int
proto_open(struct proto_buf *b, uint32_t id, const char *path,
    uint32_t pflags)
{
	size_t len = strlen(path);

	if (len > PROTO_MAX_PACKET ||
	    packet_begin(b, 1 + 4 + 4 + len + 4 + 4) == NULL)
		return -1;
	put_byte(b, SSH_FXP_OPEN);
	put_int(b, id);
	put_string(b, path, len);
	put_int(b, pflags);
	put_int(b, 0);		/* no attributes */
	return 0;
}

int
proto_close(struct proto_buf *b, uint32_t id, const uint8_t *handle,
    size_t handlelen)
{
	if (handlelen > PROTO_MAX_HANDLE)
		return -1;
	return request_string(b, SSH_FXP_CLOSE, id, handle, handlelen);
}

int
proto_read(struct proto_buf *b, uint32_t id, const uint8_t *handle,
    size_t handlelen, uint64_t offset, uint32_t len)
{
	if (handlelen > PROTO_MAX_HANDLE ||
	    packet_begin(b, 1 + 4 + 4 + handlelen + 8 + 4) == NULL)
		return -1;
	put_byte(b, SSH_FXP_READ);
	put_int(b, id);
	put_string(b, handle, handlelen);
	put_int64(b, offset);
	put_int(b, len);
	return 0;
}

int
proto_opendir(struct proto_buf *b, uint32_t id, const char *path)
{
	return request_string(b, SSH_FXP_OPENDIR, id, path, strlen(path));
}

int
proto_readdir(struct proto_buf *b, uint32_t id, const uint8_t *handle,
    size_t handlelen)
{
	if (handlelen > PROTO_MAX_HANDLE)
		return -1;
	return request_string(b, SSH_FXP_READDIR, id, handle, handlelen);
}

int
proto_remove(struct proto_buf *b, uint32_t id, const char *path)
{
	return request_string(b, SSH_FXP_REMOVE, id, path, strlen(path));
}

int
proto_lstat(struct proto_buf *b, uint32_t id, const char *path)
{
	return request_string(b, SSH_FXP_LSTAT, id, path, strlen(path));
}

long
proto_frame(const uint8_t *buf, size_t len)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = get_u32(buf);
	if (n == 0 || n > PROTO_MAX_PACKET)
		return -1;
	if (len - 4 < n)
		return 0;
	return (long)n + 4;
}

/* A bounds-checked reader over one packet. */
struct reader {
	const uint8_t	*p;
	size_t		 left;
};

static int
get_byte(struct reader *r, uint8_t *v)
{
	if (r->left < 1)
		return -1;
	*v = *r->p;
	r->p++;
	r->left--;
	return 0;
}

static int
get_int(struct reader *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = get_u32(r->p);
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int
get_int64(struct reader *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (get_int(r, &hi) == -1 || get_int(r, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/*
 * Reads an SSH string: *s points into the packet (not copied, not
 * NUL-terminated) and *len is its length.  Returns 0, or -1 when the
 * length the server sent runs past the packet.
 */
static int
get_string(struct reader *r, const uint8_t **s, size_t *len)
{
	uint32_t n;

	if (get_int(r, &n) == -1 || n > r->left)
		return -1;
	*s = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

/*
 * Reads an ATTRS structure (filexfer-02 section 5) into *a, zeroed first
 * so that a field whose flag is not set reads 0.  The owner and the
 * extended pairs are read past and dropped: nothing here uses them.
 * Returns 0, or -1 when a field runs past the packet.
 */
static int
get_attrs(struct reader *r, struct proto_attrs *a)
{
	uint32_t uid, gid, count, i;
	const uint8_t *s;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (get_int(r, &a->flags) == -1)
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_SIZE) && get_int64(r, &a->size) == -1)
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    (get_int(r, &uid) == -1 || get_int(r, &gid) == -1))
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
	    get_int(r, &a->permissions) == -1)
		return -1;
	if ((a->flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
	    (get_int(r, &a->atime) == -1 || get_int(r, &a->mtime) == -1))
		return -1;
	if (a->flags & SSH_FILEXFER_ATTR_EXTENDED) {
		if (get_int(r, &count) == -1)
			return -1;
		/* Each pair takes at least 8 bytes: a huge count fails fast. */
		if (count > r->left / 8)
			return -1;
		for (i = 0; i < count; i++)
			if (get_string(r, &s, &len) == -1 ||
			    get_string(r, &s, &len) == -1)
				return -1;
	}
	return 0;
}

int
proto_parse(const uint8_t *body, size_t len, struct proto_reply *rep)
{
	struct reader r = { body, len };
	const uint8_t *s;
	size_t slen;

	memset(rep, 0, sizeof(*rep));
	if (get_byte(&r, &rep->type) == -1)
		return -1;
	if (rep->type == SSH_FXP_VERSION) {
		if (get_int(&r, &rep->version) == -1)
			return -1;
		rep->rest = r.p;
		rep->restlen = r.left;
		return 0;
	}
	if (get_int(&r, &rep->id) == -1)
		return -1;
	switch (rep->type) {
	case SSH_FXP_STATUS:
		if (get_int(&r, &rep->status) == -1)
			return -1;
		/* Message and language tag are optional in some old servers. */
		if (r.left == 0)
			return 0;
		if (get_string(&r, &s, &slen) == -1)
			return -1;
		rep->text = (const char *)s;
		rep->textlen = slen;
		if (r.left > 0 && get_string(&r, &s, &slen) == -1)
			return -1;
		break;
	case SSH_FXP_HANDLE:
		if (get_string(&r, &rep->handle, &rep->handlelen) == -1 ||
		    rep->handlelen == 0 || rep->handlelen > PROTO_MAX_HANDLE)
			return -1;
		break;
	case SSH_FXP_DATA:
		if (get_string(&r, &rep->data, &rep->datalen) == -1)
			return -1;
		break;
	case SSH_FXP_NAME:
		if (get_int(&r, &rep->count) == -1)
			return -1;
		rep->rest = r.p;
		rep->restlen = r.left;
		/* Entries are checked by proto_names_next. */
		return 0;
	case SSH_FXP_ATTRS:
		if (get_attrs(&r, &rep->attrs) == -1)
			return -1;
		break;
	default:
		return -1;
	}
	return r.left == 0 ? 0 : -1;
}

void
proto_names_init(struct proto_names *it, const struct proto_reply *rep)
{
	it->p = rep->rest;
	it->left = rep->restlen;
	it->count = rep->count;
}

int
proto_names_next(struct proto_names *it, struct proto_name *n)
{
	struct reader r = { it->p, it->left };
	const uint8_t *s, *longname;
	size_t len, longlen;

	if (it->count == 0)
		return r.left == 0 ? 0 : -1;
	if (get_string(&r, &s, &len) == -1 ||
	    get_string(&r, &longname, &longlen) == -1 ||
	    get_attrs(&r, &n->attrs) == -1)
		return -1;
	n->namelen = len;
	n->truncated = len >= sizeof(n->name);
	if (n->truncated)
		len = sizeof(n->name) - 1;
	memcpy(n->name, s, len);
	n->name[len] = '\0';
	it->p = r.p;
	it->left = r.left;
	it->count--;
	return 1;
}

const char *
proto_status_str(uint32_t status)
{
	switch (status) {
	case SSH_FX_OK:
		return "ok";
	case SSH_FX_EOF:
		return "end of file";
	case SSH_FX_NO_SUCH_FILE:
		return "no such file";
	case SSH_FX_PERMISSION_DENIED:
		return "permission denied";
	case SSH_FX_FAILURE:
		return "failure";
	case 5:
		return "bad message";
	case 6:
		return "no connection";
	case 7:
		return "connection lost";
	case 8:
		return "operation unsupported";
	default:
		return "unknown status";
	}
}
