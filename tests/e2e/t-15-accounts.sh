#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Several accounts: one account's failure never stops the others, and the
# exit status is the worst one in the order 1 > 77 > 75 > 0.  A refused
# connection and a server that never answers (timeout) are 75, within the
# timeout; an unknown host key 77; mail that does not fit 1.  The same
# with -j; accounts named on the command line run alone.
. "$(dirname "$0")/lib.sh"
setup

# A server that accepts TCP connections and never says a word.
/usr/bin/python3 - "$T/silent.port" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
EOF
track_pid $! python3
n=50
while [ ! -s "$T/silent.port" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
SILENT=$(cat "$T/silent.port") || fail "the silent server did not start"
REFUSED=$(free_port)

for m in m2 m3 m4 m5; do
	mkmaildir "$T/remote/$m" "$TEST_USER"
done
: >"$T/empty_known_hosts"
mkdir "$T/small"
mount -t tmpfs -o size=1m,mode=700 tmpfs "$T/small" || fail "mount tmpfs"
track_mount "$T/small"

account()
{
	# account NAME PORT KNOWN_HOSTS REMOTE LOCAL
	printf 'account %s\n\thost 127.0.0.1\n\tport %s\n\tuser %s\n' "$1" "$2" "$TEST_USER"
	printf '\tidentity %s\n\tknown-hosts %s\n\tssh-config none\n' "$T/id_ed25519" "$3"
	printf '\ttimeout 2\n\tpull %s %s\n\n' "$4" "$5"
}
{
	echo "# written by t-15-accounts"
	account refused "$REFUSED" "$T/known_hosts" "$T/remote/m2" "$T/local/m2"
	account test "$PORT" "$T/known_hosts" "$REMOTE" "$LOCAL"
	account silent "$SILENT" "$T/known_hosts" "$T/remote/m3" "$T/local/m3"
	account unknown "$PORT" "$T/empty_known_hosts" "$T/remote/m4" "$T/local/m4"
	account full "$PORT" "$T/known_hosts" "$T/remote/m5" "$T/small/m5"
} >"$CONF"

# timed_run WANT SECS ARGS...: run_syncmail ARGS, status WANT, within SECS.
timed_run()
{
	tr_want=$1 tr_secs=$2
	shift 2
	tr_t0=$(now_ms)
	run_syncmail "$@"
	tr_ms=$(($(now_ms) - tr_t0))
	assert_rc "$tr_want" "syncmail $*"
	[ "$tr_ms" -le $((tr_secs * 1000)) ] ||
		fail "syncmail $* took ${tr_ms} ms, want at most ${tr_secs} s"
}

# Mail for the other accounts (which must stay there); $T/orig then keeps
# account test's only.
mkmsg "$T/remote/m5/new" 1700000000.M5P5Q5.toobig $((2 * 1024 * 1024))
for m in m2 m3 m4; do
	mkmsg "$T/remote/$m/new" "1700000000.M1P1Q1.$m" 100
done
reset_orig
mkmsgs "$REMOTE/new" 20 small

# Everything: "full" fails with 1, the worst.
timed_run 1 25 -q
for a in refused silent unknown full; do
	grep -q "^syncmail: $a: " "$T/err" || fail "no 'syncmail: $a: ...' error"
done
grep -q '^syncmail: test: ' "$T/err" && fail "account test reported an error: $(grep '^syncmail: test: ' "$T/err" | head -n 1)"
grep -q 'SHA256:' "$T/err" || fail "no fingerprint for the unknown host key"
check_exactly_once

# Without "full": 77.
mkmsgs "$REMOTE/new" 10 small
timed_run 77 25 -q refused test silent unknown
check_exactly_once
# Without "unknown": 75.
mkmsgs "$REMOTE/new" 10 small
timed_run 75 25 -q refused silent test
check_exactly_once
# The silent server alone: 75 within the 2 s timeout (and some slack).
timed_run 75 10 -q silent
grep -q '^syncmail: silent: ' "$T/err" || fail "no 'syncmail: silent: ...' error"
# Only the named account runs.
mkmsgs "$REMOTE/new" 10 small
timed_run 0 25 -q test
[ -s "$T/err" ] && fail "syncmail test wrote to stderr: $(head -n 1 "$T/err")"
check_exactly_once

# -j 5: all at once, same outcome, and not slower than in series.
mkmsgs "$REMOTE/new" 30 small
timed_run 1 25 -q -j 5
for a in refused silent unknown full; do
	grep -q "^syncmail: $a: " "$T/err" || fail "-j 5: no 'syncmail: $a: ...' error"
done
check_exactly_once
check_tmp_empty
[ -f "$T/remote/m5/new/1700000000.M5P5Q5.toobig" ] || fail "the message that did not fit left the server"
for m in m2 m3 m4; do
	[ -f "$T/remote/$m/new/1700000000.M1P1Q1.$m" ] || fail "a message of the failed account $m left the server"
done
