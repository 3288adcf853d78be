/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What syncmail says: everything it prints but the log (mlog.c).  Errors
 * and warnings go to stderr as "syncmail: ACCOUNT: message"; -v lines to
 * stdout; progress to stderr only when it is a terminal and -q was not
 * given.  Each line goes out in one write(2): accounts running in
 * processes of their own (-j) never mix their lines.
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
 * The progress of an account's run (SPEC 2), on stderr when it is a
 * terminal and -q was not given; else all of these are no-ops.  One
 * line per account: messages and bytes done of the total, percent, rate
 * over the last seconds, time left, the fields on the right dropped to
 * fit the terminal's width (read at each redraw).  An account with
 * nothing to do shows nothing.
 *
 * say_progress_start begins account's line (the name must outlive the
 * run).  say_progress gives the numbers of its current pull (engine.h's
 * struct run) and redraws at most every 100 ms; say_progress_pull_end
 * adds them for good to the account's, which the next pull's add to.
 * say_progress_finish ends the line with a newline, drawn once more
 * with the account's final numbers.
 */
void	 say_progress_start(const char *account);
void	 say_progress(uint64_t done, uint64_t total, uint64_t bytes,
	    uint64_t totalbytes);
void	 say_progress_pull_end(void);
void	 say_progress_finish(void);

/*
 * From now on several accounts' processes (-j) share the terminal:
 * instead of one line redrawn in place, each prints a whole line every
 * few seconds and when it is done, never overwriting another's.  Called
 * before the processes are forked.
 */
void	 say_progress_shared(void);

/*
 * The first stop signal was seen: once per process, a line saying how
 * many messages are being finished and that a second signal stops at
 * once (with the progress only: on a terminal, without -q).
 */
void	 say_stopping(uint64_t inflight);

#endif
