#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Watch mode and a permanent failure (SPEC 9): an account whose server's
# host key does not match (77) stops being watched with an error, at
# once, not retried; the other account goes on watching (a message
# delivered later still arrives); SIGTERM then ends the watch with 143.
# A watch whose only account fails so exits at once with that status.
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 1
LOCAL2=$T/local/second
REMOTE2=$T/remote/second
mkmaildir "$REMOTE2" "$TEST_USER"
# A known_hosts with another key for the server: host key mismatch.
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" || fail "ssh-keygen"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/other_key.pub")" >"$T/bad_known_hosts"
cat "$CONF" >"$T/good.conf"
cat >"$T/bad.part" <<EOF
account second
	host 127.0.0.1
	port $PORT
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/bad_known_hosts
	ssh-config none
	watch-interval 1
	pull $REMOTE2 $LOCAL2
EOF
cat "$T/good.conf" "$T/bad.part" >"$CONF"

mkmsg "$REMOTE2/new" "1800000101.M1P1.second" 500
start_syncmail -w
WATCH=$BG_PID
mkmsg "$REMOTE/new" "1800000001.M1P1.first" 2000
wait_for_files "$LOCAL/new" 1 10 || fail "account test: no message within 10 s"
# The second account's failure is reported once, and not retried.
sleep 4
n=$(grep -ci "second: .*host key" "$BG_ERR")
[ "$n" -ge 1 ] || fail "no host key error for account second: $(cat "$BG_ERR")"
assert_eq "$n" 1 "host key errors of account second in 5 s (not retried)"
pid_alive "$WATCH" || fail "the watch ended with its other account failing"
# The good account is still watched.
mkmsg "$REMOTE/new" "1800000002.M2P2.first" 2000
wait_for_files "$LOCAL/new" 2 10 || fail "account test no longer watched after account second failed"
assert_eq "$(count_files "$REMOTE2/new")" 1 "account second's message left on the server"
kill -TERM "$WATCH"
wait "$WATCH"
RC=$?
assert_rc 143 "SIGTERM after one account failed for good"

# Only the failing account: the watch ends at once with its status.
{ echo "# second alone"; cat "$T/bad.part"; } >"$CONF"
start_syncmail -w
WATCH=$BG_PID
wait_exit "$WATCH" 15
RC=$WAIT_RC
assert_rc 77 "a watch whose only account has a host key mismatch"
rm -f "$T/orig/"*
note "a host key mismatch stops one account's watch at once (77, one error), the other goes on; alone, the watch exits 77"
