/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * SFTP version 3 packets (draft-ietf-secsh-filexfer-02), encoded and
 * decoded without I/O so that unit tests and the fuzz target can drive
 * them.  Every length and count read from the server is checked against
 * the packet before use: the server is not trusted.
 */
#ifndef SYNCMAIL_PROTO_H
#define SYNCMAIL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SSH_FXP_INIT		1
#define SSH_FXP_VERSION		2
#define SSH_FXP_OPEN		3
#define SSH_FXP_CLOSE		4
#define SSH_FXP_READ		5
#define SSH_FXP_LSTAT		7
#define SSH_FXP_OPENDIR		11
#define SSH_FXP_READDIR		12
#define SSH_FXP_REMOVE		13
#define SSH_FXP_STATUS		101
#define SSH_FXP_HANDLE		102
#define SSH_FXP_DATA		103
#define SSH_FXP_NAME		104
#define SSH_FXP_ATTRS		105

#define SSH_FX_OK		0
#define SSH_FX_EOF		1
#define SSH_FX_NO_SUCH_FILE	2
#define SSH_FX_PERMISSION_DENIED 3
#define SSH_FX_FAILURE		4

#define SSH_FILEXFER_ATTR_SIZE		0x00000001
#define SSH_FILEXFER_ATTR_UIDGID	0x00000002
#define SSH_FILEXFER_ATTR_PERMISSIONS	0x00000004
#define SSH_FILEXFER_ATTR_ACMODTIME	0x00000008
#define SSH_FILEXFER_ATTR_EXTENDED	0x80000000

#define SSH_FXF_READ		0x00000001

/*
 * The largest packet we accept, as OpenSSH's sftp-client: a reply bigger
 * than this is a broken or hostile server, not a reason to allocate.
 */
#define PROTO_MAX_PACKET	(256 * 1024)
/* The largest handle SFTP v3 allows. */
#define PROTO_MAX_HANDLE	256

/* A growable output buffer; owner frees data with proto_buf_free. */
struct proto_buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

struct proto_attrs {
	uint32_t	 flags;
	uint64_t	 size;
	uint32_t	 permissions;
	uint32_t	 atime;
	uint32_t	 mtime;
};

/* A decoded reply; pointers point into the packet given to proto_parse. */
struct proto_reply {
	uint8_t		 type;
	uint32_t	 id;
	uint32_t	 version;	/* SSH_FXP_VERSION */
	uint32_t	 status;	/* SSH_FXP_STATUS */
	const char	*text;		/* STATUS message, not NUL-terminated */
	size_t		 textlen;
	const uint8_t	*handle;	/* SSH_FXP_HANDLE */
	size_t		 handlelen;
	const uint8_t	*data;		/* SSH_FXP_DATA */
	size_t		 datalen;
	uint32_t	 count;		/* SSH_FXP_NAME: entries, see proto_names */
	const uint8_t	*rest;		/* NAME entries, or VERSION extensions */
	size_t		 restlen;
	struct proto_attrs attrs;	/* SSH_FXP_ATTRS */
};

/* One entry of a NAME reply; name is NUL-terminated in name[]. */
struct proto_name {
	char		 name[1024];
	size_t		 namelen;	/* may be > strlen(name): NUL inside */
	int		 truncated;	/* longer than name[] holds */
	struct proto_attrs attrs;
};

/* Iterator over a NAME reply's entries. */
struct proto_names {
	const uint8_t	*p;
	size_t		 left;
	uint32_t	 count;
};

void	 proto_buf_free(struct proto_buf *);
/* Drops the first n bytes of the buffer. */
void	 proto_buf_consume(struct proto_buf *, size_t n);

/*
 * Requests: each appends one whole packet (length included) to the buffer.
 * They return 0, or -1 if memory ran out or a field is too long for the
 * protocol (the buffer is then unchanged).
 */
int	 proto_init(struct proto_buf *);
int	 proto_open(struct proto_buf *, uint32_t id, const char *path,
	    uint32_t pflags);
int	 proto_close(struct proto_buf *, uint32_t id, const uint8_t *handle,
	    size_t handlelen);
int	 proto_read(struct proto_buf *, uint32_t id, const uint8_t *handle,
	    size_t handlelen, uint64_t offset, uint32_t len);
int	 proto_opendir(struct proto_buf *, uint32_t id, const char *path);
int	 proto_readdir(struct proto_buf *, uint32_t id, const uint8_t *handle,
	    size_t handlelen);
int	 proto_remove(struct proto_buf *, uint32_t id, const char *path);
int	 proto_lstat(struct proto_buf *, uint32_t id, const char *path);

/*
 * Looks at the start of a received byte stream.  Returns the total size of
 * the first packet (4 + its length) when it is complete in buf, 0 when more
 * bytes are needed, -1 when its length is 0 or over PROTO_MAX_PACKET.
 */
long	 proto_frame(const uint8_t *buf, size_t len);

/*
 * Decodes one packet body (after the length field) into *r.  Returns 0, or
 * -1 when the packet is malformed: unknown type, fields running past the
 * end, a handle over PROTO_MAX_HANDLE, or bytes left over.
 */
int	 proto_parse(const uint8_t *body, size_t len, struct proto_reply *r);

/* Starts iterating the entries of a NAME reply. */
void	 proto_names_init(struct proto_names *, const struct proto_reply *);
/*
 * Decodes the next entry into *n.  Returns 1 with an entry, 0 after the
 * last one (when count entries used the packet exactly), -1 when the
 * entries do not fit the packet or do not fill it.
 */
int	 proto_names_next(struct proto_names *, struct proto_name *n);

/* A short English name for an SSH_FX_* status code. */
const char *proto_status_str(uint32_t status);

#endif
