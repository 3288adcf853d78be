/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Crash points for tests: the sanitizer build (make asan, used by make
 * check) compiles them in; the program users build does not.  With
 * SYNCMAIL_FAULT=NAME:N in the environment, the Nth time the point NAME
 * is passed the process kills itself with SIGKILL, exactly as a power cut
 * or kill -9 would stop it there (tests/e2e/t-18-crash-points.sh).
 */
#ifndef SYNCMAIL_FAULT_H
#define SYNCMAIL_FAULT_H

#ifdef SYNCMAIL_FAULTS
void	 fault_point(const char *name);
#else
#define fault_point(name) do { } while (0)
#endif

/*
 * Whether the test asks for the syncfs commit path on any file system
 * (SYNCMAIL_TEST_SYNCFS=1), to show that the power-cut test sees the loss
 * that syncfs on FUSE causes (tests/e2e/t-41-powercut.sh).  Always 0 in
 * the program users build.
 */
#ifdef SYNCMAIL_FAULTS
int	 fault_syncfs_forced(void);
#else
#define fault_syncfs_forced() 0
#endif

/*
 * Whether the test asks to leave out the flush named (SYNCMAIL_TEST_SKIP
 * =NAME): "route-new", the flush of a route's Maildir's new/ after the
 * moves into it (maildir/commit.c); "mkdir", the flush of the directory
 * above a directory made or found (maildir/maildir.c); "save-dir", the
 * flushes of an attachments DIR after its files' moves and after the
 * list's removal (syncmail/save.c); "quarantine-new", the flush of the
 * quarantine's new/ after an original's move (syncmail/filter.c).  The
 * power-cut test's self-check shows that its rounds lose mail without
 * any one of them (tests/e2e/t-59-powercut-dests.sh), so that they can
 * see such a bug.  Always 0 in the program users build.
 */
#ifdef SYNCMAIL_FAULTS
int	 fault_skip(const char *name);
#else
#define fault_skip(name) 0
#endif

/*
 * The sandbox probe, for tests/e2e/t-39-sandbox.sh: called right after
 * the sandbox is entered.  Each PATH of SYNCMAIL_SANDBOX_PROBE=PATH[:PATH
 * ...] is opened for reading, each of SYNCMAIL_SANDBOX_PROBE_CREATE is
 * created (O_EXCL, and removed again); one line each on stderr:
 * "syncmail: sandbox probe: read PATH: ok", or the error instead of ok.
 */
#ifdef SYNCMAIL_FAULTS
void	 fault_sandbox_probe(void);
#else
#define fault_sandbox_probe() do { } while (0)
#endif

#endif
