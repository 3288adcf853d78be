/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Fuzz target for the SFTP reply codec (sftp/proto.c): the input is a
 * byte stream as a server would send it.  Packets are framed with
 * proto_frame, parsed with proto_parse, and NAME replies walked with
 * proto_names_next, as sftp/client.c and syncmail/pull.c do.  Each
 * packet body is copied into a buffer of exactly its size so that a read
 * past it is caught.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sftp/proto.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_reply(const uint8_t *body, size_t len, const struct proto_reply *r)
{
	const uint8_t *end = body + len;

	/* Every pointer the parser hands out lies inside the packet. */
	if (r->text != NULL && ((const uint8_t *)r->text < body ||
	    r->textlen > (size_t)(end - (const uint8_t *)r->text)))
		abort();
	if (r->handle != NULL && (r->handle < body ||
	    r->handlelen > (size_t)(end - r->handle) ||
	    r->handlelen > PROTO_MAX_HANDLE))
		abort();
	if (r->data != NULL && (r->data < body ||
	    r->datalen > (size_t)(end - r->data)))
		abort();
	if (r->rest != NULL && (r->rest < body ||
	    r->restlen > (size_t)(end - r->rest)))
		abort();
}

static void
walk_names(const struct proto_reply *r)
{
	struct proto_names it;
	struct proto_name n;
	uint32_t seen = 0;
	int rc;

	proto_names_init(&it, r);
	while ((rc = proto_names_next(&it, &n)) == 1) {
		/* What the pull engine does with each entry. */
		if (n.truncated ? n.namelen < sizeof(n.name) :
		    n.namelen >= sizeof(n.name))
			abort();
		if (strlen(n.name) > n.namelen)
			abort();
		if (++seen > r->count)
			abort();
	}
	if (rc == 0 && seen != r->count)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proto_reply r;
	uint8_t *body;
	long n;

	while (len > 0) {
		n = proto_frame(data, len);
		if (n <= 0)
			break;
		if (n < 5 || (size_t)n > len || n > PROTO_MAX_PACKET + 4)
			abort();
		if ((body = malloc((size_t)n - 4)) == NULL)
			return 0;
		memcpy(body, data + 4, (size_t)n - 4);
		if (proto_parse(body, (size_t)n - 4, &r) == 0) {
			check_reply(body, (size_t)n - 4, &r);
			if (r.type == SSH_FXP_NAME)
				walk_names(&r);
			(void)proto_status_str(r.status);
		}
		free(body);
		data += n;
		len -= (size_t)n;
	}
	return 0;
}
