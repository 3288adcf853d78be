#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Watch mode when time or the network stands still (SPEC 9), at
# watch-interval 1, through a relay (tests/hostile/stallrelay.py).
# A connection that goes silent (no FIN, no reset: the relay stops
# forwarding it) is noticed by the next look's unanswered STAT within
# timeout (5 s), and the new connection moves what arrived: within 10 s,
# nothing on stderr (the first reconnect healed it), -v saying it
# reconnected.  A watch stopped with SIGSTOP for 5 s (more than 3 intervals)
# and continued reconnects at once, without waiting out a timeout, and
# moves what arrived meanwhile within 3 s, -v saying it resumed.
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 1
conf_add timeout 5

/usr/bin/python3 "$ROOT/tests/hostile/stallrelay.py" "$T/relay.port" "$PORT" \
    "$T/relay.count" 2>>"$T/relay.log" &
RELAY_PID=$!
track_pid "$RELAY_PID" python3
n=50
while [ ! -s "$T/relay.port" ] && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
[ -s "$T/relay.port" ] || fail "the relay did not start"
rport=$(cat "$T/relay.port")
echo "[127.0.0.1]:$rport $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
use_port "$rport"

mkmsgs "$REMOTE/new" 3 small
start_syncmail -v -w
WATCH=$BG_PID
wait_for_files "$LOCAL/new" 3 20 || fail "the first run moved $(count_files "$LOCAL/new") of 3"

# The silent drop.
kill -USR1 "$RELAY_PID"
cut=$(now_ms)
mkmsgs "$REMOTE/new" 2 small
wait_for_files "$LOCAL/new" 5 10 ||
	fail "10 s after the connection went silent, $(count_files "$LOCAL/new") of 5 messages"
took=$(($(now_ms) - cut))
grep -q ': reconnecting$' "$BG_OUT" ||
	fail "-v does not say it reconnected: $(grep -v ': moved ' "$BG_OUT")"
[ -s "$BG_ERR" ] && fail "a drop healed by the first reconnect printed: $(head -n 2 "$BG_ERR")"

# stop_asleep PID: SIGSTOP while PID sleeps between two looks: in ppoll
# (syscall 271 on x86_64, 73 on arm64; the looks' waits are poll), as
# /proc/PID/syscall says, before and after the stop.  Stopped inside a
# look instead, the look's own answers after SIGCONT prove the
# connection alive, and nothing is to be said: the test could not tell.
stop_asleep()
{
	case $(uname -m) in
	x86_64) sa_nr=271 ;;
	aarch64) sa_nr=73 ;;
	*) sa_nr= ;;
	esac
	sa_n=300
	while [ "$sa_n" -gt 0 ]; do
		sa_n=$((sa_n - 1))
		if [ -n "$sa_nr" ] &&
		    [ "$(cut -d' ' -f1 "/proc/$1/syscall")" != "$sa_nr" ]; then
			sleep 0.01
			continue
		fi
		kill -STOP "$1"
		sleep 0.1
		[ -z "$sa_nr" ] ||
		    [ "$(cut -d' ' -f1 "/proc/$1/syscall")" = "$sa_nr" ] && return 0
		kill -CONT "$1"
	done
	fail "syncmail -w was never found asleep between looks"
}

# The stopped process.
sleep 2
stop_asleep "$WATCH"
mkmsgs "$REMOTE/new" 2 small
sleep 5
kill -CONT "$WATCH"
cont=$(now_ms)
wait_for_files "$LOCAL/new" 7 3 ||
	fail "3 s after SIGCONT, $(count_files "$LOCAL/new") of 7 messages"
resumed=$(($(now_ms) - cont))
grep -q 'resumed after [0-9]* s: reconnecting' "$BG_OUT" ||
	fail "-v does not say the watch resumed: $(grep -v ': moved ' "$BG_OUT")"

kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "SIGTERM: status $WAIT_RC, want 143"
[ -s "$BG_ERR" ] && fail "unexpected stderr: $(head -n 2 "$BG_ERR")"
check_exactly_once
check_tmp_empty
note "silent drop: mail moved ${took} ms after it (timeout 5); after SIGSTOP for 5 s: ${resumed} ms after SIGCONT"
