/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Passphrase prompts on the terminal, one at a time across the processes
 * of a run (SPEC 6: prompts never overlap or echo, also with -j), and the
 * terminal kept quiet for the others while one is shown (prompt.c).
 */
#ifndef SYNCMAIL_PROMPT_H
#define SYNCMAIL_PROMPT_H

#include <stddef.h>

#include "util/error.h"

/*
 * Called once by the program before any prompt, and before it forks the
 * processes that may prompt.  clearline: lines that do not end in a
 * newline (progress) may be on the terminal, so a prompt first clears
 * its line.  shared: the accounts run in several processes, so the lock
 * that makes them take turns is made (an unlinked file in $TMPDIR or
 * /tmp, its descriptor inherited).  Also saves the terminal's settings,
 * to restore them should a process die in the middle of a prompt.
 * Returns 0, or -1 with err set when the lock cannot be made (the
 * processes must not prompt at once: the caller runs one at a time).
 */
int	 prompt_init(int clearline, int shared, struct error *err);

/*
 * Takes the terminal for a prompt and the attempts that follow it,
 * waiting while another process holds it, and starts a fresh line.
 * Returns 0, or -1 with errno EINTR when a signal came while waiting.
 * Every 0 is paired with a prompt_end.
 */
int	 prompt_begin(void);

/*
 * Asks prompt on the terminal (never on stdin) with echo off, between
 * prompt_begin and prompt_end, into buf (size bytes, NUL-terminated; the
 * caller's to explicit_bzero).  Returns 0, or -1 with errno set: EINTR
 * when a signal came during the read (the terminal is restored), another
 * value when there is no terminal.
 */
int	 prompt_read(const char *prompt, char *buf, size_t size);

/* Gives the terminal back to the other processes. */
void	 prompt_end(void);

/*
 * For a line drawn without a newline (progress): returns 1 when the
 * caller may write to the terminal now, and holds it until
 * prompt_screen_done.  While another process shows a prompt, waits for
 * it when wait is set (0 when a signal ends the wait), else returns 0 at
 * once: the line is skipped.
 */
int	 prompt_screen_take(int wait);
void	 prompt_screen_done(void);

/*
 * Called by the program when the processes that prompt have ended:
 * restores the terminal when one of them died in the middle of a prompt,
 * and closes the lock.
 */
void	 prompt_finish(void);

#endif
