#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Crash safety: rounds of syncmail killed with SIGKILL at a random moment,
# with mail arriving between rounds, the user reading mail (new/ -> cur/)
# and, once, deleting a delivered message.  After a final clean run every
# message is local exactly once, except the deleted one, which must not
# come back; the remote new/ and the local tmp/ are empty.
. "$(dirname "$0")/lib.sh"
setup
ROUNDS=${ROUNDS:-24}
FAIL_LOG=$T/rounds.log

# Calibrate: how long does a clean run of 300 messages take here?
mkmsgs "$REMOTE/new" 300
t0=$(now_ms)
run_syncmail -q
t1=$(now_ms)
assert_rc 0 "calibration run"
check_exactly_once
D=$((t1 - t0))
[ "$D" -ge 30 ] || D=30

local_count()
{
	echo $(($(count_files "$LOCAL/new") + $(count_files "$LOCAL/cur")))
}

mid=0
deleted=
deleted_kind=
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	left=$(count_files "$REMOTE/new")
	if [ "$left" -lt 150 ]; then
		mkmsgs "$REMOTE/new" 300
	elif [ "$(rand 3)" = 0 ]; then
		mkmsgs "$REMOTE/new" $((20 + $(rand 80)))
	fi
	before=$(local_count)
	ls "$LOCAL/tmp" | sort >"$T/.tmp.before"
	# Uniform over the time a clean run of this many messages takes.
	left=$(count_files "$REMOTE/new")
	delay=$(rand $((D * left / 300 + 1)))
	start_syncmail -q
	sleep_ms "$delay"
	alive=0
	if pid_alive "$BG_PID"; then
		alive=1
		kill -KILL "$BG_PID"
	fi
	wait_exit "$BG_PID" 30
	after=$(local_count)
	echo "round $r: delay ${delay}ms for $left messages, alive=$alive status=$WAIT_RC local $before->$after tmp $(count_entries "$LOCAL/tmp") remote $(count_files "$REMOTE/new")" >>"$T/rounds.log"
	if [ "$alive" = 0 ]; then
		# It finished before the kill: that run must have succeeded.
		[ "$WAIT_RC" = 0 ] || {
			cat "$BG_ERR"
			fail "round $r: an unkilled run (after earlier kills) exited $WAIT_RC"
		}
	elif { [ "$after" != "$before" ] ||
	    ls "$LOCAL/tmp" | sort | comm -13 "$T/.tmp.before" - | grep -q .; } &&
	    [ "$(count_files "$REMOTE/new")" -gt 0 ]; then
		# Killed with messages delivered or files half written.
		mid=$((mid + 1))
	fi

	# The user reads a message now and then.
	if [ "$(rand 3)" = 0 ]; then
		m=$(ls "$LOCAL/new" 2>/dev/null | head -n 1)
		[ -n "$m" ] && mv "$LOCAL/new/$m" "$LOCAL/cur/$m:2,S"
	fi
	# Once, after a kill that delivered something, the user deletes a
	# delivered message: one whose remote copy is still there if a kill
	# ever leaves such a one (the hard case), else any, near the end.
	if [ -z "$deleted" ] && [ "$alive" = 1 ]; then
		sleep 0.2	# let sftp-server finish requests already sent
		ls "$LOCAL/new" | sort >"$T/.l"
		ls "$REMOTE/new" | sort >"$T/.r"
		deleted=$(comm -12 "$T/.l" "$T/.r" | head -n 1)
		deleted_kind="its remote copy still there"
		if [ -z "$deleted" ] && [ "$r" -ge $((ROUNDS - 4)) ]; then
			deleted=$(tail -n 1 "$T/.l")
			deleted_kind="remote copy already gone"
		fi
		if [ -n "$deleted" ]; then
			rm "$LOCAL/new/$deleted" || fail "rm $deleted"
			forget_orig "$deleted"
			echo "round $r: deleted $deleted ($deleted_kind)" >>"$T/rounds.log"
		fi
	fi
done

run_syncmail -q
assert_rc 0 "the final clean run"
[ -n "$deleted" ] || fail "no round delivered anything before its kill"
[ -e "$LOCAL/new/$deleted" ] && fail "deleted message $deleted ($deleted_kind) came back"
check_exactly_once
check_tmp_empty
run_syncmail -q
assert_rc 0 "a run after the final run"
check_exactly_once
if [ "$mid" -lt 5 ]; then
	fail "only $mid of $ROUNDS kills landed mid-transfer; the test did not exercise crashes"
fi
note "$ROUNDS rounds, $mid killed mid-transfer; deleted one delivered message ($deleted_kind)"
