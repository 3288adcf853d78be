#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Watch mode and signals (SPEC 9): with watch-interval 3600, SIGUSR1
# makes syncmail -w look at once (a message delivered meanwhile moves
# within 2 s), also with two accounts, each watched in a process of its
# own, the signal sent to the main process alone; with the main process
# killed, they end too.  SIGTERM in the middle
# of a watch's transfer ends it with 143, the messages in flight
# finished: each message is then local or still remote, exactly once,
# nothing partial in tmp/, and a run without -w moves the rest.  SIGINT
# while idle: 130.  -n with -w is a usage error (64).
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 3600

run_syncmail -n -w
assert_rc 64 "-n -w"
grep -q 'usage: syncmail \[-hnqvVw\]' "$T/err" || fail "-n -w: no usage line"

start_syncmail -w
WATCH=$BG_PID
sleep 2
mkmsg "$REMOTE/new" "1800000001.M1P1.usr1" 2000
sleep 2
[ "$(count_files "$LOCAL/new")" = 0 ] ||
	fail "a message moved before SIGUSR1, at watch-interval 3600"
kill -USR1 "$WATCH"
wait_for_files "$LOCAL/new" 1 2 || fail "no look within 2 s of SIGUSR1"
kill -INT "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 130 ] || fail "SIGINT while idle: status $WAIT_RC, want 130"
[ -s "$BG_ERR" ] && fail "unexpected stderr: $(head -n 2 "$BG_ERR")"

# Two accounts: each in a process of its own; SIGUSR1 reaches both.
LOCAL2=$T/local/second
REMOTE2=$T/remote/second
mkmaildir "$REMOTE2" "$TEST_USER"
cat >>"$CONF" <<EOF
account second
	host 127.0.0.1
	port $PORT
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	ssh-config none
	watch-interval 3600
	pull $REMOTE2 $LOCAL2
EOF
start_syncmail -w
WATCH=$BG_PID
sleep 2
mkmsg "$REMOTE/new" "1800000002.M2P2.usr1" 2000
_gen "$REMOTE2/new" "$TEST_USER" 600 "1800000003.M3P3.usr1:3000"
sleep 1
kill -USR1 "$WATCH"
wait_for_files "$LOCAL/new" 2 3 || fail "account test: no look within 3 s of SIGUSR1"
wait_for_files "$LOCAL2/new" 1 3 || fail "account second: no look within 3 s of SIGUSR1"
kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "SIGTERM, two accounts: status $WAIT_RC, want 143"
[ -s "$BG_ERR" ] && fail "unexpected stderr: $(head -n 2 "$BG_ERR")"
# The main process killed: its accounts' processes stop too (Linux's
# parent death signal), not watch on forever holding their locks.
start_syncmail -w
WATCH=$BG_PID
sleep 2
kids=$(descendants "$WATCH")
[ "$(echo $kids | wc -w)" = 2 ] || fail "two accounts watched by $(echo $kids | wc -w) processes, want 2"
kill -KILL "$WATCH"
wait "$WATCH" 2>/dev/null
n=100
for k in $kids; do
	while pid_alive "$k" && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	pid_alive "$k" && fail "an account's process outlived the killed syncmail -w by 10 s"
done
# The second account's message is checked here; from now on, only test's.
[ "$(count_files "$LOCAL2/new")" = 1 ] || fail "account second: $(count_files "$LOCAL2/new") messages, want 1"
rm "$T/orig/1800000003.M3P3.usr1"
sed -i '/^account second/,$d' "$CONF"

# SIGTERM in the middle of a look's transfer.
start_syncmail -w
WATCH=$BG_PID
sleep 2
mkmsgs "$REMOTE/new" 600
before=$(count_files "$LOCAL/new")
kill -USR1 "$WATCH"
wait_for_files "$LOCAL/new" $((before + 1)) 30 || fail "no message moved after SIGUSR1"
kill -TERM "$WATCH"
sent=$(now_ms)
wait_exit "$WATCH" 60
took=$(($(now_ms) - sent))
[ "$WAIT_RC" = 143 ] || fail "SIGTERM mid-transfer: status $WAIT_RC, want 143"
left=$(count_files "$REMOTE/new")
[ "$left" -gt 0 ] || fail "the transfer went on to the end after SIGTERM"
[ -s "$BG_ERR" ] && fail "unexpected stderr: $(head -n 2 "$BG_ERR")"
check_once_somewhere
check_tmp_empty
run_syncmail -q
assert_rc 0 "the run after the watch"
check_exactly_once
check_tmp_empty
note "SIGUSR1 looks at once (one and two accounts); SIGTERM mid-transfer: 143 after ${took} ms, $left messages left for the next run"
