/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Passphrase prompts, one at a time.  With -j the accounts run in child
 * processes sharing one terminal.  Two readpassphrase calls at once put
 * both prompts on one line, and worse: the second saves the terminal
 * with echo already off, the first restores echo while the second still
 * reads (its passphrase shows in clear), and the second then leaves the
 * terminal without echo.  So a prompt holds a lock from before its first
 * attempt to after its last, and the other processes wait for it.
 *
 * The lock is a POSIX record lock (fcntl) on an unlinked file made
 * before the fork.  Record locks belong to the process, so the children
 * exclude each other through the descriptor they inherit (flock(2)
 * locks belong to the open file, which they share, and would not);
 * the kernel drops a dead holder's lock, so nobody waits forever; and a
 * wait for it ends on a signal, since our handlers have no SA_RESTART.
 *
 * readpassphrase restores the terminal itself on SIGINT, SIGTERM, SIGHUP
 * and the like, but not on SIGKILL.  The lock file's first byte is set
 * while a prompt is on: the next process to take the lock, or the
 * parent at the end, finds it set after such a death and restores the
 * terminal settings saved before the fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/prompt.h"

static int prompt_fd = -1;	/* the lock file; -1: one process, no lock */
static int prompt_depth;	/* how many holds this process has taken */
static int prompt_clear;	/* a prompt clears its line first */
static int prompt_saved_ok;	/* prompt_saved holds the terminal's */
static struct termios prompt_saved;

/* Locks (F_SETLKW, F_SETLK) or unlocks (F_UNLCK) the lock's one byte. */
static int
prompt_lock(int cmd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 1;
	return fcntl(prompt_fd, cmd, &fl);
}

/* Sets the lock file's mark: c is '1' while a prompt is on. */
static void
prompt_mark(char c)
{
	if (pwrite(prompt_fd, &c, 1, 0) != 1)
		return;	/* then a death mid-prompt goes unrepaired */
}

/* Writes s to the terminal, if there is one; a broken one is no news. */
static void
prompt_tty_write(const char *s)
{
	ssize_t n;
	int fd;

	if ((fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC)) == -1)
		return;
	n = write(fd, s, strlen(s));
	(void)n;
	close(fd);
}

/*
 * Whether the last holder died with its prompt on, its terminal
 * without echo: then the saved settings are put back.
 */
static void
prompt_repair(void)
{
	char c = '0';
	int fd;

	if (pread(prompt_fd, &c, 1, 0) != 1 || c != '1')
		return;
	if (prompt_saved_ok &&
	    (fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) != -1) {
		tcsetattr(fd, TCSAFLUSH, &prompt_saved);
		close(fd);
		/* the dead prompt's line stays unanswered: leave it */
		prompt_tty_write("\n");
	}
	prompt_mark('0');
}

int
prompt_init(int clearline, int shared, struct error *err)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	prompt_clear = clearline;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) != -1) {
		/* only a terminal with echo on is one worth restoring */
		prompt_saved_ok = tcgetattr(fd, &prompt_saved) == 0 &&
		    (prompt_saved.c_lflag & ECHO);
		close(fd);
	}
	if (!shared)
		return 0;
	if (dir == NULL || dir[0] != '/' ||
	    (size_t)snprintf(path, sizeof(path), "%s/syncmail-prompt.XXXXXX",
	    dir) >= sizeof(path))
		snprintf(path, sizeof(path), "/tmp/syncmail-prompt.XXXXXX");
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return error_errno(err, ERR_TRANSIENT, "the passphrase prompts' "
		    "lock: %s", path);
	/* the descriptor is all the processes need; nothing is left behind */
	unlink(path);
	prompt_fd = fd;
	prompt_mark('0');
	return 0;
}

int
prompt_begin(void)
{
	if (prompt_fd != -1 && prompt_depth == 0) {
		if (prompt_lock(F_SETLKW, F_WRLCK) == -1 && errno == EINTR)
			return -1;
		/* another failure leaves us unlocked: prompt all the same */
		prompt_repair();
		prompt_mark('1');
	}
	prompt_depth++;
	/*
	 * Another account's progress line may end where the prompt would
	 * begin; it is drawn again once the prompt is answered.
	 */
	if (prompt_clear)
		prompt_tty_write("\r\033[K");
	return 0;
}

int
prompt_read(const char *prompt, char *buf, size_t size)
{
	if (readpassphrase(prompt, buf, size, RPP_REQUIRE_TTY) == NULL) {
		if (errno == 0)
			errno = ENOTTY;
		return -1;
	}
	return 0;
}

void
prompt_end(void)
{
	if (prompt_depth == 0 || --prompt_depth > 0 || prompt_fd == -1)
		return;
	prompt_mark('0');
	prompt_lock(F_SETLK, F_UNLCK);
}

int
prompt_screen_take(int wait)
{
	if (prompt_fd != -1 && prompt_depth == 0 &&
	    prompt_lock(wait ? F_SETLKW : F_SETLK, F_WRLCK) == -1 &&
	    (errno == EAGAIN || errno == EACCES || errno == EINTR))
		return 0;
	/* held, or no lock to be had: the line is drawn */
	prompt_depth++;
	return 1;
}

void
prompt_screen_done(void)
{
	if (prompt_depth == 0 || --prompt_depth > 0 || prompt_fd == -1)
		return;
	prompt_lock(F_SETLK, F_UNLCK);
}

void
prompt_finish(void)
{
	if (prompt_fd == -1)
		return;
	/* the processes have ended, and their locks with them */
	if (prompt_lock(F_SETLK, F_WRLCK) == 0) {
		prompt_repair();
		prompt_lock(F_SETLK, F_UNLCK);
	}
	close(prompt_fd);
	prompt_fd = -1;
}
