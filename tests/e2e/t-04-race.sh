#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Race with the server's delivery agent: a writer delivers 2000 messages
# into the remote new/ (each written in tmp/, then renamed into new/) while
# syncmail runs again and again.  Files that arrive after a run listed new/
# must be left alone by that run; in the end every message is local exactly
# once and the remote new/ is empty.
. "$(dirname "$0")/lib.sh"
setup

mkdir "$T/stage"
chown "$TEST_USER:" "$T/stage"
mkmsgs "$T/stage" 2000 small
# A delivery agent writes now: no "old file in tmp/" warnings are due.
find "$T/stage" -type f -exec touch {} +
mkmsgs "$REMOTE/new" 100 small

# The delivery agent: tmp/ then a rename into new/, as Maildir wants.
(
	for f in "$T"/stage/*; do
		b=${f##*/}
		mv "$f" "$REMOTE/tmp/$b" && mv "$REMOTE/tmp/$b" "$REMOTE/new/$b" ||
			exit 1
	done
) &
writer=$!
track_pid "$writer" -

runs=0
while pid_alive "$writer"; do
	run_syncmail -q
	runs=$((runs + 1))
	assert_rc 0 "run $runs during the writer's deliveries"
	[ -s "$T/err" ] && fail "run $runs warned: $(head -n 1 "$T/err")"
done
wait "$writer" || fail "the writer failed"
[ "$runs" -ge 2 ] ||
	fail "only $runs syncmail runs overlapped the writer (harness too fast?)"

run_syncmail -q
assert_rc 0 "the run after the writer finished"
check_exactly_once
check_tmp_empty
[ "$(count_entries "$REMOTE/tmp")" = 0 ] || fail "remote tmp/ is not empty"
note "$runs runs overlapped the writer"
