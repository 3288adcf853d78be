#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Sizes a hostile SFTP server can make hard to prove (tests/hostile/
# hostile.py).  A message that grew since the listing must not be
# delivered cut to the listed size, and its grown copy must stay on the
# server, also when it is served in short DATA replies (legal in SFTP: a
# server may send fewer bytes than asked, so a reply that stops at the
# listed size proves nothing; only an EOF status does), and when the
# server serves at most 32768 bytes per READ (github.com/pkg/sftp's
# server does) and the message is exactly three such READs, so that its
# last READ (32768 bytes and the extra byte) comes back one byte short
# with no short read before it.  A message listed with 2^64-1 bytes
# cannot fit in any free space: it waits on the server unopened, with
# the "do not fit" warning (SPEC 4), whatever the arithmetic of the space
# check and of the READ lengths.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup

# mode		status	stderr names the fault			victim
hostile_case grow-short	 1 'longer than the 100000 bytes listed'	kept
hostile_case grow-cap	 1 'longer than the 98304 bytes listed'		kept 98304
hostile_case size-huge	 1 'do not fit'					unopened
note "$HCASES size faults"
