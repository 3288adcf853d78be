/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * What differs between platforms, behind one name each.  The Makefile
 * picks the implementation.
 */
#ifndef SYNCMAIL_COMPAT_H
#define SYNCMAIL_COMPAT_H

/*
 * Moves fromdir/from to todir/to, never replacing an existing file:
 * returns 0, or -1 with errno set (EEXIST when to exists).  Where the
 * file system can, the move is one atomic rename (Linux renameat2 with
 * RENAME_NOREPLACE), so "from is still there" means "not moved".  Else
 * link() then unlink(): a crash between the two leaves from with a link
 * count above 1, which recovery reads as moved.
 */
int	 compat_rename_noreplace(int fromdir, const char *from, int todir,
	    const char *to);

/*
 * Whether one compat_syncfs of the file system holding fd is known to
 * make the data of every file on it and every directory change durable
 * (a short list of Linux file systems, compat/syncfs.c).  1 or 0; 0 where
 * syncfs does not exist.
 */
int	 compat_syncfs_flushes(int fd);

/*
 * Whether the file system holding fd commits a rename between two
 * directories as one change, made durable whole by an fsync of either
 * (the same list).  1 or 0.
 */
int	 compat_journaled(int fd);

/* syncfs(2): 0, or -1 with errno set (ENOSYS where there is none). */
int	 compat_syncfs(int fd);

/*
 * Asks the kernel to send sig to this process when the thread that
 * forked it ends (Linux PR_SET_PDEATHSIG): a guard for helper processes
 * that must not outlive their parent.  0, or -1 with errno set (ENOSYS
 * where there is no such thing: there the helper relies on its other
 * guards).
 */
int	 compat_parent_death_signal(int sig);

/*
 * Whether the libssh2 built against signs with RSA keys as rsa-sha2-256
 * or rsa-sha2-512 (1.11 and later; the Makefile asks pkg-config), which
 * OpenSSH 8.8 and later require: 1.10 signs with ssh-rsa (SHA-1) only.
 * 1.11 needs no call for it: it offers "ext-info-c" in its default key
 * exchange list (which syncmail leaves alone), reads the server's
 * server-sig-algs and picks the SHA-2 signature for publickey
 * authentication, from a file and through the agent alike.
 */
#ifdef HAVE_LIBSSH2_RSA_SHA2
#define COMPAT_LIBSSH2_RSA_SHA2	1
#else
#define COMPAT_LIBSSH2_RSA_SHA2	0
#endif

#endif
