/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What a lower layer has to say while it works, without printing it
 * itself: -v detail (level 1 and 2) and warnings that do not stop its
 * work (level 0).  The program sets where these lines go (note_set_sink);
 * until it does they go nowhere, so tests and fuzz targets stay quiet.
 */
#ifndef SYNCMAIL_NOTE_H
#define SYNCMAIL_NOTE_H

/* Receives one finished line; account may be NULL. */
typedef void	 note_sink(int level, const char *account, const char *line);

void	 note_set_sink(note_sink *);

/*
 * The clock of -vv's timeline: note_clock_start marks the start of a
 * connection (account_connect), note_clock gives the milliseconds
 * since, which its steps (TCP, handshake, authentication, channel,
 * subsystem, SFTP version, listing, transfer) put in their -vv lines so
 * that a slow link's round trips can be counted from the output.
 */
void	 note_clock_start(void);
long	 note_clock(void);

/* Formats a line and hands it to the sink, if there is one. */
void	 note(int level, const char *account, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
