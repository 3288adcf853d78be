#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The cost of idling in watch mode: syncmail -w at the default
# watch-interval (10 s) with nothing to move, against the e2e tests'
# private sshd on 127.0.0.1, through a relay that counts the bytes of the
# TCP connection (tests/hostile/stallrelay.py).  After IDLE_SECONDS
# (default 600) it prints the bytes both ways and syncmail's CPU time
# (user + system, from /proc), each also scaled to one hour.  The first
# run, connection and handshake included, is left out: counting starts
# 15 s in.  Linux, as root (it starts sshd):
#
#	sh tests/bench/idle.sh
#	IDLE_SECONDS=120 sh tests/bench/idle.sh
E2E_DIR=$(cd "$(dirname "$0")/../e2e" && pwd)
. "$E2E_DIR/lib.sh"
IDLE_SECONDS=${IDLE_SECONDS:-600}
setup

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

# bytes: the relay's count, asked for and waited on.
bytes()
{
	rm -f "$T/relay.count"
	kill -USR2 "$RELAY_PID"
	b_n=50
	while [ ! -s "$T/relay.count" ] && [ "$b_n" -gt 0 ]; do
		sleep 0.1
		b_n=$((b_n - 1))
	done
	cat "$T/relay.count"
}

# cpu_ms PID: its user and system time, in ms.
cpu_ms()
{
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, "")
		print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"
}

start_syncmail -w
WATCH=$BG_PID
sleep 15
pid_alive "$WATCH" || fail "syncmail -w ended: $(cat "$BG_ERR")"
b0=$(bytes)
c0=$(cpu_ms "$WATCH")
sleep "$IDLE_SECONDS"
pid_alive "$WATCH" || fail "syncmail -w ended: $(cat "$BG_ERR")"
b1=$(bytes)
c1=$(cpu_ms "$WATCH")
kill -TERM "$WATCH"
wait_exit "$WATCH" 20
db=$((b1 - b0))
dc=$((c1 - c0))
echo "idle watch, watch-interval 10, $IDLE_SECONDS s: $db bytes on the connection" \
    "(both ways), $dc ms CPU; per hour: $((db * 3600 / IDLE_SECONDS)) bytes," \
    "$((dc * 3600 / IDLE_SECONDS)) ms CPU"
