#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Signals: the first SIGTERM (or SIGINT, SIGHUP) mid-run lets the messages
# in flight finish and exits 128+N, leaving every message in exactly one
# place (local or remote) and nothing in the local tmp/; a second SIGTERM
# stops at once.  A final run then leaves the exactly-once state.
. "$(dirname "$0")/lib.sh"
setup

# interrupt SIG WANT [SIG2]: runs syncmail on >= 600 messages, sends SIG
# once the first message has arrived (then SIG2 right after, if given),
# and checks the exit status is WANT.
interrupt()
{
	left=$(count_files "$REMOTE/new")
	[ "$left" -ge 600 ] || mkmsgs "$REMOTE/new" $((900 - left))
	before=$(count_files "$LOCAL/new")
	start_syncmail -q
	wait_for_files "$LOCAL/new" $((before + 1)) 60 ||
		fail "SIG$1: no message arrived within 60 s"
	pid_alive "$BG_PID" ||
		fail "SIG$1: the run finished before the signal could be sent (too fast?)"
	kill -"$1" "$BG_PID"
	[ -n "$3" ] && sleep 0.05 && kill -"$3" "$BG_PID" 2>/dev/null
	sent=$(now_ms)
	wait_exit "$BG_PID" 60
	took=$(($(now_ms) - sent))
	[ "$WAIT_RC" = "$2" ] || {
		cat "$BG_ERR"
		fail "SIG$1${3:+ then SIG$3}: exit status $WAIT_RC, want $2"
	}
	[ "$(count_files "$REMOTE/new")" -gt 0 ] ||
		fail "SIG$1: the run went on and moved every message after the signal"
	echo "SIG$1${3:+ $3}: stopped ${took}ms after the signal" >>"$T/notes"
}

interrupt TERM 143
check_once_somewhere
check_tmp_empty
[ -s "$BG_ERR" ] && fail "SIGTERM: unexpected stderr with -q: $(head -n 1 "$BG_ERR")"

interrupt INT 130
check_once_somewhere
check_tmp_empty

interrupt HUP 129
check_once_somewhere
check_tmp_empty

# A second signal: stop at once; the next run must repair everything.
interrupt TERM 143 TERM

run_syncmail -q
assert_rc 0 "the final run"
check_exactly_once
check_tmp_empty
note "$(tr '\n' ';' <"$T/notes")"
