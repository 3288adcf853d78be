#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Timeouts everywhere (SPEC 2, 5): a listener that accepts and stays
# silent fails its account within timeout + 2 seconds with exit 75, while
# the other accounts of the same run (before and after it) still move
# their mail; the same with -j.  A proxy command that never speaks fails
# within the timeout too, and is killed (with what it started).
# "deadline" bounds the whole account even when timeout is larger.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
start_silent
mkmaildir "$T/remote/m2" "$TEST_USER"

# timed_run WANT MAXMS ARGS...: run_syncmail ARGS, status WANT, at most
# MAXMS milliseconds; sets TOOK.
timed_run()
{
	tr_want=$1 tr_max=$2
	shift 2
	tr_t0=$(now_ms)
	run_syncmail "$@"
	TOOK=$(($(now_ms) - tr_t0))
	assert_rc "$tr_want" "syncmail $*"
	[ "$TOOK" -le "$tr_max" ] || fail "syncmail $* took $TOOK ms, want at most $tr_max"
}

{
	write_account first "$PORT" "pull $REMOTE $LOCAL"
	write_account silent "$SILENT" "timeout 3" "pull $T/remote/m3 $T/local/m3"
	write_account last "$PORT" "pull $T/remote/m2 $T/local/m2"
} >"$CONF"

# The silent account alone: 75 within timeout + 2 s.
timed_run 75 5000 -q silent
grep -q "^syncmail: silent: .*no progress for 3 seconds" "$T/err" ||
	fail "the silent server's message: $(cat "$T/err")"
note_alone=$TOOK

# With the others, serially and with -j 3: they still move their mail.
want=0
for j in 1 3; do
	want=$((want + 20))
	mkmsgs "$REMOTE/new" 20 small
	mkmsgs "$T/remote/m2/new" 20 small
	timed_run 75 $((5000 + 10000)) -q -j $j
	grep -q "^syncmail: silent: " "$T/err" || fail "-j $j: no error for the silent account"
	grep -q "^syncmail: first: \|^syncmail: last: " "$T/err" &&
		fail "-j $j: the other accounts failed: $(cat "$T/err")"
	[ "$(count_files "$REMOTE/new")" = 0 ] && [ "$(count_files "$T/remote/m2/new")" = 0 ] ||
		fail "-j $j: the other accounts did not move their mail"
	[ "$(count_files "$LOCAL/new")" = "$want" ] ||
		fail "-j $j: want the messages of account first in its Maildir"
done

# A proxy command that never says a word: fails in time, and is killed,
# with the process it started.
marker="sleep 7$PORT"
{
	write_account silentproxy "$PORT" "timeout 2" \
	    "proxy-command \"$marker & $marker\"" "pull $REMOTE $LOCAL"
} >"$CONF"
mkmsgs "$REMOTE/new" 3 small
timed_run 75 4000 -q
grep -q "no progress for 2 seconds" "$T/err" || fail "silent proxy: $(cat "$T/err")"
sleep 0.2
left=$(procs_matching "$marker")
[ -z "$left" ] || fail "the silent proxy command is still running: $left"

# deadline: the whole account, though timeout is larger.
{
	write_account silent "$SILENT" "timeout 60" "deadline 2" "pull $T/remote/m3 $T/local/m3"
} >"$CONF"
timed_run 75 4000 -q
grep -q "deadline passed" "$T/err" || fail "deadline: $(cat "$T/err")"
note "a silent server was given up after $note_alone ms (timeout 3)"
