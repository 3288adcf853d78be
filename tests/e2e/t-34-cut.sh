#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Connection cut at byte N: a relay (tests/hostile/cutrelay.py) between
# syncmail and sshd closes the TCP connection (orderly or with a reset,
# alternately) after N bytes in both directions together, for N spread
# over a whole transfer of 300 messages (measured first, uncut through the
# relay), plus a few points inside the SSH handshake.  After each cut
# syncmail exits 75 (0 if the cut came after the transfer's last reply),
# with no partial message local and nothing deleted that is not local;
# a following direct run delivers every message exactly once.
. "$(dirname "$0")/lib.sh"
setup
conf_add timeout 10
# The local side on tmpfs: these are network faults, not power cuts, and
# 50 runs of fsyncs on a slow disk would take most of the time.
mount -t tmpfs -o size=64m,mode=755 tmpfs "$T/local" || fail "mount tmpfs"
track_mount "$T/local"
POINTS=${POINTS:-20}
FAIL_LOG=$T/cuts.log
: >"$FAIL_LOG"

# The 300 messages, made once (owned by the remote user: "stage" is
# remote for lib.sh), linked into the remote new/ for each cut.
# 500 to 3000 bytes each: the many small messages of a morning's mail,
# where per-message bookkeeping, not bulk data, fills the stream.
mkdir "$T/stage"
_gen "$T/stage" "$TEST_USER" 600 $(awk 'BEGIN { srand(34)
	for (i = 1; i <= 300; i++)
		printf "%d.M%dP%dQ%d.cuthost:%d\n", 1700000000 + i * 7, i * 131,
		    4000 + i, i, 500 + int(rand() * 2500) }')
[ "$(count_files "$T/stage")" = 300 ] || fail "made $(count_files "$T/stage") messages, want 300"
RELAY_N=0

# relay CUT fin|rst: starts the relay; RELAY_PID, RELAY_REPORT; $CONF uses it.
relay()
{
	RELAY_N=$((RELAY_N + 1))
	RELAY_REPORT=$T/relay$RELAY_N.report
	rm -f "$T/relay.port"
	/usr/bin/python3 "$ROOT/tests/hostile/cutrelay.py" "$T/relay.port" \
	    "$PORT" "$1" "$2" "$RELAY_REPORT" 2>>"$T/relay.log" &
	RELAY_PID=$!
	track_pid "$RELAY_PID" python3
	rl_n=50
	while [ ! -s "$T/relay.port" ] && [ "$rl_n" -gt 0 ]; do
		sleep 0.1
		rl_n=$((rl_n - 1))
	done
	[ -s "$T/relay.port" ] || fail "the relay did not start"
	rl_port=$(cat "$T/relay.port")
	echo "[127.0.0.1]:$rl_port $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
	use_port "$rl_port"
}

# fresh: the remote new/ holds the 300 messages, nothing is local.
fresh()
{
	rm -rf "$T/local/Maildir"
	find "$REMOTE/new" -mindepth 1 -delete
	# Hard links: fast, and a remote delete only drops the link.
	ln "$T/stage/"* "$REMOTE/new/" || fail "link the messages"
}

# Uncut, through the relay: how many bytes the whole transfer takes.
fresh
relay -1 fin
run_syncmail -q
assert_rc 0 "the uncut run through the relay"
wait_exit "$RELAY_PID" 10
check_exactly_once
read -r TOTAL how <"$RELAY_REPORT"
[ "$how" = end ] && [ "$TOTAL" -gt 100000 ] ||
	fail "the uncut run: relay says '$TOTAL $how'"
echo "uncut: $TOTAL bytes" >>"$FAIL_LOG"

# The handshake (version strings, key exchange, auth), then POINTS cuts
# evenly over the whole transfer, each moved by up to a twentieth of the
# spacing so that runs of the test cover other bytes.
points="40 2500"
i=1
while [ "$i" -le "$POINTS" ]; do
	points="$points $((TOTAL * i / (POINTS + 1) + $(rand $((TOTAL / (POINTS + 1) / 20 + 1)))))"
	i=$((i + 1))
done
points="$points $((TOTAL - 200))"

ncut=0
nzero=0
for n in $points; do
	ncut=$((ncut + 1))
	how=fin
	[ $((ncut % 2)) = 0 ] && how=rst
	fresh
	relay "$n" "$how"
	run_syncmail -q
	wait_exit "$RELAY_PID" 10
	read -r relayed rhow <"$RELAY_REPORT"
	local_n=$(($(count_files "$LOCAL/new") + $(count_files "$LOCAL/cur")))
	echo "cut at $n ($how): exit $RC, relay '$relayed $rhow', $local_n local, $(count_files "$REMOTE/new") remote" >>"$FAIL_LOG"
	case $RC in
	75) grep -q . "$T/err" || fail "cut at $n: exit 75 without a message" ;;
	0)
		# Only a cut after the last reply may leave a clean run.
		[ "$rhow" = end ] || [ "$n" -ge $((TOTAL * 95 / 100)) ] ||
			fail "cut at $n of $TOTAL bytes: exit 0"
		check_exactly_once
		nzero=$((nzero + 1))
		;;
	86) fail "cut at $n: ASan or UBSan finding (exit 86)" ;;
	*) fail "cut at $n ($how): exit $RC, want 75" ;;
	esac
	check_no_partial

	use_port "$PORT"
	run_syncmail -q
	assert_rc 0 "the direct run after a cut at $n"
	check_exactly_once
	check_tmp_empty
done
note "$ncut cuts over $TOTAL bytes ($nzero after the last reply)"
