#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A network with a round trip of RTT_MS milliseconds, for the benchmark's
# latency cases.  Linux, as root.
#
#	netns.sh RTT_MS NFDELAY READY_FILE WATCH_PID
#
# Creates two network namespaces, smb-srv (192.0.2.1) and smb-cli
# (192.0.2.2, TEST-NET-1 addresses that exist only inside them), joined by
# a veth pair.  This kernel has no sch_netem, so instead of `tc netem` an
# iptables rule in each namespace sends the packets arriving on the veth to
# NFQUEUE 0 (with --queue-bypass: fail-open whenever no program is bound)
# and one NFDELAY (tests/bench/nfdelay.c) per namespace holds each of them
# RTT_MS/2 ms.  Then it measures the round trip with ping and writes
# "avg min max" (ms) into READY_FILE, and holds the network until it gets
# SIGTERM, SIGINT or SIGHUP or until process WATCH_PID (the benchmark) is
# gone.  On any exit the trap stops the nfdelays it started, by PID, and
# deletes both namespaces, which takes their veth ends and iptables rules
# with them.  Nothing is changed outside the two namespaces.
#
# Processes the caller starts inside the namespaces (sshd, the contenders)
# are the caller's to stop, before this script is told to stop.

SRV=smb-srv
CLI=smb-cli
SRV_ADDR=192.0.2.1
CLI_ADDR=192.0.2.2

[ $# = 4 ] || { echo "usage: netns.sh RTT_MS NFDELAY READY_FILE WATCH_PID" >&2; exit 2; }
RTT=$1
NFDELAY=$2
READY=$3
WATCH=$4
HALF=$((RTT / 2))
PIDS=
LOGDIR=$(mktemp -d /tmp/smb-netns.XXXXXX) || exit 1

say()
{
	echo "netns: $*" >&2
}

cleanup()
{
	trap '' INT TERM HUP
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		n=50
		while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# The nfdelays' closing counts.
	cat "$LOGDIR"/nfdelay.*.log 2>/dev/null | grep -v holding >&2
	for ns in $CLI $SRV; do
		ip netns list 2>/dev/null | grep -q "^$ns\\b" || continue
		left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		[ -z "$left" ] || say "processes still in $ns: $left"
		ip netns del "$ns" || say "could not delete namespace $ns"
	done
	rm -rf "$LOGDIR"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail()
{
	say "$*"
	exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root"
[ -x "$NFDELAY" ] || fail "no nfdelay program at $NFDELAY"

# A namespace left by a run that was killed with SIGKILL: ours by name.
for ns in $CLI $SRV; do
	if ip netns list | grep -q "^$ns\\b"; then
		say "deleting $ns left by an earlier run"
		ip netns del "$ns"
	fi
done

ip netns add $SRV || fail "ip netns add $SRV"
ip netns add $CLI || fail "ip netns add $CLI"
# Both veth ends are created straight inside the namespaces.
ip -n $CLI link add veth0 type veth peer name veth0 netns $SRV ||
	fail "veth pair"
for ns in $SRV $CLI; do
	ip -n "$ns" link set lo up || fail "lo up in $ns"
	ip -n "$ns" link set veth0 up || fail "veth0 up in $ns"
done
ip -n $SRV addr add $SRV_ADDR/24 dev veth0 || fail "address in $SRV"
ip -n $CLI addr add $CLI_ADDR/24 dev veth0 || fail "address in $CLI"

if [ "$HALF" -gt 0 ]; then
	for ns in $SRV $CLI; do
		ip netns exec "$ns" iptables -w -A INPUT -i veth0 \
		    -j NFQUEUE --queue-num 0 --queue-bypass ||
			fail "iptables NFQUEUE rule in $ns"
		ip netns exec "$ns" "$NFDELAY" -q 0 -d "$HALF" \
		    2>"$LOGDIR/nfdelay.$ns.log" &
		PIDS="$PIDS $!"
	done
	# Wait until both are bound to their queue.
	n=100
	while [ "$(cat "$LOGDIR"/nfdelay.*.log 2>/dev/null | grep -c holding)" != 2 ]; do
		for p in $PIDS; do
			kill -0 "$p" 2>/dev/null || {
				cat "$LOGDIR"/nfdelay.*.log >&2
				fail "nfdelay did not start"
			}
		done
		[ "$n" -gt 0 ] || fail "nfdelay did not bind its queue"
		sleep 0.05
		n=$((n - 1))
	done
fi

# The round trip actually measured across the veth (the first ping also
# fills the neighbour caches).
ip netns exec $CLI ping -c 1 -W 5 $SRV_ADDR >/dev/null 2>&1 ||
	fail "no ping answer from $SRV_ADDR"
stats=$(ip netns exec $CLI ping -U -q -c 10 -i 0.2 $SRV_ADDR |
	sed -n 's|.* = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*|\2 \1 \3|p')
[ -n "$stats" ] || fail "ping gave no round-trip figures"
echo "$stats" >"$READY.tmp" && mv "$READY.tmp" "$READY" || fail "write $READY"

# Hold the network while the benchmark lives; a dead nfdelay would make
# the figures lie (fail-open: no delay at all), so that stops us too.
while kill -0 "$WATCH" 2>/dev/null; do
	for p in $PIDS; do
		kill -0 "$p" 2>/dev/null || fail "nfdelay $p died"
	done
	sleep 1 &
	wait $!
done
exit 0
