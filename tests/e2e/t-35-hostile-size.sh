#!/bin/sh
# Sizes a hostile SFTP server can make hard to prove (tests/hostile/
# hostile.py): a message that grew since the listing, served in short
# DATA replies (legal in SFTP: a server may send fewer bytes than asked,
# so only an EOF status proves the end; a short reply that stops at the
# listed size proves nothing), must not be delivered cut to the listed
# size, and its grown copy must stay on the server; a message listed with
# 2^64-1 bytes cannot fit in any free space and waits on the server
# unopened, with the "do not fit" warning (SPEC 4), whatever the
# arithmetic of the space check and of the READ lengths.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup

# mode		status	stderr names the fault			victim
hostile_case grow-short	 1 'longer than the 100000 bytes listed'	kept
hostile_case size-huge	 1 'do not fit'					unopened
note "$HCASES size faults"
