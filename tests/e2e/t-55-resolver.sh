#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Resolver failures (SPEC 2): a host name the resolver says does not
# exist (NXDOMAIN: EAI_NONAME; a name with no address: EAI_NODATA) is
# 68, a permanent failure; a resolver that fails (SERVFAIL) or does not
# answer (EAI_AGAIN) is 75, as is a numeric address with no route to it
# (ENETUNREACH).  68 ranks above 75 and below 76 with several accounts.
# None of it depends on this machine's DNS: syncmail runs in a network
# namespace of this test's own (ip netns exec, whose /etc/netns/NAME
# files stand in for /etc/resolv.conf, hosts and nsswitch.conf) with
# only a loopback, where a small DNS server of the test answers on
# 127.0.0.1:53.
. "$(dirname "$0")/lib.sh"
setup
command -v ip >/dev/null 2>&1 || fail "no ip command (iproute2: tests/deps.sh)"

# Machine-wide names, unique to this run: the sanitizer pass's twin may
# run beside us.
NS=syncmail-$(basename "$T")
NSETC=/etc/netns/$NS
DNS_PID=
cleanup()
{
	[ -z "$DNS_PID" ] || kill -KILL "$DNS_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$NSETC"
	teardown
}
trap cleanup EXIT

mkdir -p "$NSETC" || fail "mkdir $NSETC"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$NSETC/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$NSETC/hosts"
printf 'hosts: files dns\n' >"$NSETC/nsswitch.conf"
ip netns add "$NS" || fail "ip netns add $NS"
ip netns exec "$NS" ip link set lo up || fail "lo up in $NS"

# NXDOMAIN for nx.*, SERVFAIL for servfail.*, no records for nodata.*,
# silence for silent.*; every query logged.
cat >"$T/dns.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1], "w").write("ready\n")
log = open(sys.argv[2], "a", buffering=1)
while True:
    q, addr = s.recvfrom(4096)
    if len(q) < 12:
        continue
    qid, flags = struct.unpack(">HH", q[:4])
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    name = ".".join(labels).lower()
    question = q[12:i + 5]
    log.write("%s\n" % name)
    if name.startswith("silent."):
        continue
    rcode = 3 if name.startswith("nx.") else 2 if name.startswith("servfail.") else 0
    # a reply (QR), recursion desired and available, the question echoed
    head = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, 0, 0, 0)
    s.sendto(head + question, addr)
EOF
ip netns exec "$NS" /usr/bin/python3 "$T/dns.py" "$T/dns.ready" "$T/dns.log" \
    2>>"$T/dns.err" &
DNS_PID=$!
track_pid "$DNS_PID" -
n=50
while [ ! -s "$T/dns.ready" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ -s "$T/dns.ready" ] || fail "the DNS server did not start: $(cat "$T/dns.err")"

# ns_run HOST ARGS...: the account pointed at HOST, syncmail run in the
# namespace; as run_syncmail.
ns_run()
{
	sed -i "s/^\thost .*/\thost $1/" "$CONF"
	shift
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 "$RUN_TIMEOUT" \
	    ip netns exec "$NS" "$SYNCMAIL" -c "$CONF" "$@" \
	    </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" != 124 ] && [ "$RC" != 137 ] ||
		fail "syncmail $* did not finish within $RUN_TIMEOUT s (status $RC)"
}

conf_add timeout 10
mkmsgs "$REMOTE/new" 2 small

ns_run nx.syncmail-e2e.test -q
assert_rc 68 "a name the resolver says does not exist"
grep -q "nx.syncmail-e2e.test" "$T/err" || fail "the error does not name the host"
grep -q "nx.syncmail-e2e.test" "$T/dns.log" || fail "the test's DNS server was not asked"

ns_run nodata.syncmail-e2e.test -q
assert_rc 68 "a name with no address"

ns_run servfail.syncmail-e2e.test -q
assert_rc 75 "a failing resolver (SERVFAIL)"

ns_run silent.syncmail-e2e.test -q
assert_rc 75 "a resolver that does not answer"

# No route out of the namespace: a numeric address outside 127/8.
ns_run 192.0.2.1 -q
assert_rc 75 "a network that cannot be reached"
grep -q "192.0.2.1" "$T/err" || fail "the error does not name the address"
[ "$(count_files "$REMOTE/new")" = 2 ] || fail "mail moved without a connection"

# With several accounts the worst status wins: 68 over 75.
sed -i "s/^\thost .*/\thost nx.syncmail-e2e.test/" "$CONF"
cat >>"$CONF" <<EOF

account unreachable
	host 192.0.2.1
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	ssh-config none
	timeout 10
	pull $T/remote/m2 $T/local/m2
EOF
env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 "$RUN_TIMEOUT" \
    ip netns exec "$NS" "$SYNCMAIL" -c "$CONF" -q </dev/null >"$T/out" 2>"$T/err"
RC=$?
assert_rc 68 "a missing name beside an unreachable network"
grep -q "unreachable: .*192.0.2.1" "$T/err" || fail "the second account did not run"
note "NXDOMAIN and no address 68; SERVFAIL, no answer, no route 75"
