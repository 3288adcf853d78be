/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What the engine's unit tests (test_engine, test_crash) both need on
 * the local side: the sftp-server to run, Maildirs to make, files to
 * count.
 */
#ifndef SYNCMAIL_FIXTURE_H
#define SYNCMAIL_FIXTURE_H

/* $SFTP_SERVER, else OpenSSH's sftp-server. */
const char *fixture_sftp_server(void);

/* mkdir -p path, mode 0700; errors are the later checks' to find. */
void	 fixture_mkdirs(const char *path);

/* A Maildir at path: tmp/ and cur/, and new/ when with_new is set. */
void	 fixture_mkmaildir(const char *path, int with_new);

/* Names in dir that do not start with '.', or -1 if it cannot be read. */
int	 fixture_count_files(const char *dir);

/* The same in maildir/sub ("new", "tmp"). */
int	 fixture_count_in(const char *maildir, const char *sub);

#endif
