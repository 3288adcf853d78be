/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What syncmail says: everything it prints but the log (mlog.c).  Errors
 * and warnings go to stderr as "syncmail: ACCOUNT: message"; -v lines to
 * stdout; progress to stderr only when it is a terminal and -q was not
 * given.
 */
#ifndef SYNCMAIL_SAY_H
#define SYNCMAIL_SAY_H

#include <stdint.h>

extern int say_verbose;		/* -v count */
extern int say_quiet;		/* -q */

/* "syncmail: ACCOUNT: ..." on stderr; account may be NULL. */
void	 say_warn(const char *account, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* On stdout when verbosity is at least level. */
void	 say_info(int level, const char *account, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Always on stdout (dry run listing). */
void	 say_out(const char *account, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Where the lower layers' notes go (util/note.h): level 0 as a warning,
 * the others as say_info at that level.
 */
void	 say_note(int level, const char *account, const char *line);

/*
 * A progress line on a terminal, redrawn at most every 100 ms unless
 * final; say_progress_end clears it.  No-ops when stderr is no terminal.
 */
void	 say_progress(const char *account, uint64_t done, uint64_t total,
	    uint64_t bytes, uint64_t totalbytes, int final);
void	 say_progress_end(void);

#endif
