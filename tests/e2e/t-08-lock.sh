#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The account lock: while one syncmail runs an account, a second one on
# the same account exits 75 at once (without waiting) and touches
# nothing; the first exits 0; nothing is delivered twice.
. "$(dirname "$0")/lib.sh"
setup

# 1. The second run starts while the first is visibly moving mail.
mkmsgs "$REMOTE/new" 1500
start_syncmail -q
first=$BG_PID
first_err=$BG_ERR
wait_for_files "$LOCAL/new" 1 60 || fail "the first run delivered nothing within 60 s"
pid_alive "$first" || fail "the first run finished too soon for this test"
RUN_TIMEOUT=20
t0=$(now_ms)
run_syncmail -q
took=$(($(now_ms) - t0))
still=0
pid_alive "$first" && still=1
assert_rc 75 "the second run while the first holds the lock"
grep -q '^syncmail: test: ' "$T/err" || fail "the second run gave no 'syncmail: test: ...' message"
wait_exit "$first" 120
[ "$WAIT_RC" = 0 ] || { cat "$first_err"; fail "the first run exited $WAIT_RC, want 0"; }
[ "$still" = 1 ] || note "(the first run ended while the second ran)"
check_exactly_once
check_tmp_empty

# 2. Both started at the same moment: one 0, one 75.
mkmsgs "$REMOTE/new" 1000
start_syncmail -q
a=$BG_PID
start_syncmail -q
b=$BG_PID
wait_exit "$a" 120
ra=$WAIT_RC
wait_exit "$b" 120
rb=$WAIT_RC
case "$ra $rb" in
"0 75"|"75 0") ;;
*) cat "$T/bg2.err" "$T/bg3.err"; fail "two simultaneous runs exited $ra and $rb, want 0 and 75" ;;
esac
check_exactly_once
check_tmp_empty
note "a run refused by the lock took ${took} ms"
