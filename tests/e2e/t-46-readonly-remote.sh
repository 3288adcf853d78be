#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A remote new/ the remote user cannot write to (a read-only Maildir, here
# chmod 0555 as root): every message is delivered, every remote delete
# fails.  One warning per pull says so, with the count and the cause, and
# suggests keep yes, instead of a warning per message; -v names each
# message; status 1.  The next run delivers nothing twice and says it
# once again; with keep yes the run is clean (0, silent); once new/ is
# writable again, the remote copies go and nothing comes twice.
. "$(dirname "$0")/lib.sh"
setup

N=30
mkmsgs "$REMOTE/new" $N small
chmod 0555 "$REMOTE/new"

# one_warning RUN: stderr is exactly the one warning, for all N messages.
one_warning()
{
	ow_lines=$(grep -c . "$T/err")
	[ "$ow_lines" = 1 ] ||
		fail "$1: $ow_lines lines on stderr, want one for the pull"
	grep -q "new: deleting the server's copy failed for $N delivered messages (permission denied)" "$T/err" ||
		fail "$1: the warning does not give the count and the cause"
	grep -q "keep yes" "$T/err" ||
		fail "$1: the warning does not suggest keep yes"
}

run_syncmail -q
assert_rc 1 "first run, remote new/ read-only"
one_warning "first run"
check_exactly_once -k
check_tmp_empty
[ "$(count_files "$REMOTE/new")" = $N ] ||
	fail "the read-only remote new/ lost messages"

run_syncmail -q
assert_rc 1 "second run, remote new/ still read-only"
one_warning "second run"
check_exactly_once -k

# -v: each message named, on stdout; the one warning on stderr.
run_syncmail -v
assert_rc 1 "third run, -v"
one_warning "third run (-v)"
vn=$(grep -c "deleting the server's copy failed: permission denied" "$T/out")
[ "$vn" = $N ] || fail "-v names $vn failed deletes, want $N"
check_exactly_once -k

conf_add keep yes
run_syncmail -q
assert_rc 0 "keep yes on the read-only Maildir"
assert_quiet "keep yes on the read-only Maildir"
check_exactly_once -k

# Writable again, without keep: the remote copies go, nothing twice.
write_config
chmod 0700 "$REMOTE/new"
run_syncmail -q
assert_rc 0 "remote new/ writable again"
assert_quiet "remote new/ writable again"
check_exactly_once
check_tmp_empty
note "$N messages, one warning per run instead of $N"
