/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * GMime, loaded by the attachments child alone (dlopen), not linked into
 * the program.  Linked in, GMime and what it pulls in (GLib, GObject,
 * GIO, GPGME and a dozen more) were mapped and relocated by every run:
 * about 3.7 MiB of resident memory and a few milliseconds at each start,
 * though most runs never parse a message's MIME structure.
 *
 * The calls go through gm, a table with one pointer for each function of
 * GMime, GObject and GLib the child uses, each of its function's own
 * type (the headers still declare them): gm.g_mime_init().  GObject's
 * type-check and cast macros would call their functions unloaded, so
 * the code uses gm_is() and plain casts instead.
 */
#ifndef SYNCMAIL_GMIME_LOAD_H
#define SYNCMAIL_GMIME_LOAD_H

#include <stddef.h>

#include <gmime/gmime.h>

#define GMIME_FUNCS(F) \
	F(g_mime_init) \
	F(g_mime_shutdown) \
	F(g_log_set_default_handler) \
	F(g_free) \
	F(g_object_unref) \
	F(g_type_check_instance_is_a) \
	F(g_mime_stream_fs_new) \
	F(g_mime_stream_fs_set_owner) \
	F(g_mime_stream_close) \
	F(g_mime_parser_new_with_stream) \
	F(g_mime_parser_set_format) \
	F(g_mime_parser_set_persist_stream) \
	F(g_mime_parser_construct_message) \
	F(g_mime_message_get_mime_part) \
	F(g_mime_message_part_get_message) \
	F(g_mime_message_part_get_type) \
	F(g_mime_multipart_get_type) \
	F(g_mime_multipart_get_count) \
	F(g_mime_multipart_get_part) \
	F(g_mime_part_get_type) \
	F(g_mime_part_get_filename) \
	F(g_mime_part_get_content) \
	F(g_mime_data_wrapper_write_to_stream) \
	F(g_mime_object_get_content_disposition) \
	F(g_mime_object_get_content_type) \
	F(g_mime_content_disposition_is_attachment) \
	F(g_mime_content_type_get_mime_type)

struct gmime {
#define GMIME_POINTER(f) __typeof__(f) *f;
	GMIME_FUNCS(GMIME_POINTER)
#undef GMIME_POINTER
};

extern struct gmime gm;

/*
 * Loads GMime and fills gm, before the child confines itself (the
 * library's files are outside what it may read then).  Returns 0, or -1
 * with what went wrong in why.
 */
int	gmime_load(char *why, size_t whysize);

/* Whether obj is an instance of the GObject type that get_type names. */
#define gm_is(obj, get_type) \
	((obj) != NULL && \
	    gm.g_type_check_instance_is_a((GTypeInstance *)(obj), \
	    gm.get_type()))

#endif
