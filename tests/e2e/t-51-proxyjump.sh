#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# ProxyJump (SPEC 6).  The target sshd and two jump sshds run in a
# network namespace of the test's own, on its loopback; the target's
# port is one nobody listens on outside it, so a direct connection (a
# ProxyJump ignored) is refused.  The way in is the first jump host's
# ProxyCommand ("ip netns exec NS nc ..."), as a user reaches a host
# behind a gateway.  jump1 may forward only to jump2 and jump2 only to
# the target (PermitOpen), so "ProxyJump jump1,jump2" moves mail only if
# both hops are taken, in that order; "ProxyJump jump2" through a
# second entry to jump2 is the one-hop case.  "ProxyJump jump1" alone is
# a failing jump (jump1 refuses to forward to the target): exit 75,
# the jump's exit status in the message, nothing moved; so is a jump
# host where nothing listens.  ProxyJump and ProxyCommand: the first one
# seen wins, "none" included; syncmail.conf's proxy-command wins over
# both.  The jump ssh reads the ssh config that syncmail read (-F).  No
# process outlives the run; the namespace is removed at the end.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
command -v nc >/dev/null || fail "no nc: install netcat-openbsd (tests/deps.sh)"
command -v ip >/dev/null || fail "no ip: install iproute2 (tests/deps.sh)"

NS=syncmail-t51-$$
ip netns add "$NS" || fail "ip netns add $NS"
# teardown first stops the processes, which may run in the namespace
trap 'teardown; ip netns del "$NS" 2>/dev/null' EXIT
ip -n "$NS" link set lo up || fail "lo up in $NS"

# The target's port: free outside the namespace, so that a direct
# connection from syncmail is refused.  Inside, every port is free.
TPORT=$(free_port) || fail "no free port"
J1PORT=2201
J2PORT=2202

# ns_wait_port PORT: true once 127.0.0.1:PORT inside the namespace accepts.
ns_wait_port()
{
	ip netns exec "$NS" /usr/bin/python3 - "$1" <<'EOF'
import socket, sys, time
end = time.time() + 5
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# start_ns_sshd NAME PORT EXTRA...: an sshd as setup's (same host key,
# user, keys) in the namespace on PORT, with EXTRA config lines (first:
# sshd takes a keyword's first value).
start_ns_sshd()
{
	sn_name=$1 sn_port=$2
	shift 2
	{
		for sn_line; do
			echo "$sn_line"
		done
		sed -e '/^Port /d' -e '/^PidFile /d' "$T/sshd_config"
		echo "Port $sn_port"
		echo "PidFile $T/sshd_$sn_name.pid"
	} >"$T/sshd_$sn_name.config"
	ip netns exec "$NS" /usr/sbin/sshd -D -e -f "$T/sshd_$sn_name.config" \
	    2>>"$T/sshd_$sn_name.log" &
	track_pid $! sshd
	ns_wait_port "$sn_port" || {
		cat "$T/sshd_$sn_name.log"
		fail "sshd $sn_name did not start in $NS"
	}
}

start_ns_sshd target "$TPORT"
start_ns_sshd jump1 "$J1PORT" "AllowTcpForwarding yes" \
    "PermitOpen 127.0.0.1:$J2PORT"
start_ns_sshd jump2 "$J2PORT" "AllowTcpForwarding yes" \
    "PermitOpen 127.0.0.1:$TPORT"
KEY=$(cut -d' ' -f1,2 "$HOSTKEY_PUB")
for p in "$TPORT" "$J1PORT" "$J2PORT"; do
	echo "[127.0.0.1]:$p $KEY" >>"$T/known_hosts"
done

# Direct, the target is not there: what a ProxyJump ignored would meet.
write_config
use_port "$TPORT"
mkmsgs "$REMOTE/new" 30 small
run_syncmail -q
assert_rc 75 "a direct connection to the target's port"
grep -q "Connection refused" "$T/err" || fail "the direct path is not refused"
[ "$(count_files "$REMOTE/new")" = 30 ] || fail "direct path: messages moved"

SC=$T/ssh_config
# write_sc LINE...: the ssh config; LINEs go in the target's block.
write_sc()
{
	{
		printf 'Host mail\n    HostName 127.0.0.1\n    Port %s\n' "$TPORT"
		for ws_line; do
			printf '    %s\n' "$ws_line"
		done
		printf 'Host jump1\n    HostName 127.0.0.1\n    Port %s\n' "$J1PORT"
		printf '    ProxyCommand ip netns exec %s nc %%h %%p\n' "$NS"
		printf 'Host jump2\n    HostName 127.0.0.1\n    Port %s\n' "$J2PORT"
		# jump2 reached straight into the namespace: the one-hop case
		printf 'Host jump2-direct\n    HostName 127.0.0.1\n    Port %s\n' "$J2PORT"
		printf '    ProxyCommand ip netns exec %s nc %%h %%p\n' "$NS"
		printf 'Host nowhere\n    HostName 127.0.0.1\n    Port %s\n' "$(free_port)"
		printf 'Host *\n    User %s\n    IdentityFile %s\n' "$TEST_USER" "$T/id_ed25519"
		printf '    UserKnownHostsFile %s\n    BatchMode yes\n' "$T/known_hosts"
		printf '    LogLevel ERROR\n'
	} >"$SC"
}
printf 'account test\n\thost mail\n\tssh-config %s\n\tpull %s %s\n' \
    "$SC" "$REMOTE" "$LOCAL" >"$CONF"

# no_jump_left: no ssh of a jump still running.
no_jump_left()
{
	left=$(procs_matching "-W [127.0.0.1]:$TPORT")
	[ -z "$left" ] || fail "a jump ssh is still running: $left"
}

# Two hops: jump1, then jump2, then the target.
write_sc "ProxyJump jump1,jump2"
run_syncmail -vv
assert_rc 0 "ProxyJump jump1,jump2"
check_exactly_once
grep -q "proxy command: ssh -F '$SC' -J 'jump1' -W '\[127.0.0.1\]:$TPORT' 'jump2'\$" "$T/out" ||
	fail "-vv does not show the jump command: $(grep 'proxy command' "$T/out")"
grep -q "from .*ProxyJump in the ssh config" "$T/out" ||
	fail "-vv does not say ProxyJump came from the ssh config"
no_jump_left

# One hop, with the user and port written in the hop.
write_sc "ProxyJump $TEST_USER@jump2-direct:$J2PORT"
mkmsgs "$REMOTE/new" 20 small
run_syncmail -q
assert_rc 0 "ProxyJump through one hop"
assert_quiet "ProxyJump through one hop"
check_exactly_once
no_jump_left

# A failing jump: jump1 may not forward to the target.
write_sc "ProxyJump jump1"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 75 "a jump host that refuses to forward"
grep -q "proxy command \"ssh -F '$SC' -W '\[127.0.0.1\]:$TPORT' 'jump1'\" exited with status 255" "$T/err" ||
	fail "the failing jump's exit status is not in the message"
[ "$(count_files "$REMOTE/new")" = 5 ] || fail "failing jump: messages moved"
# A jump host where nothing listens.
write_sc "ProxyJump nowhere"
run_syncmail -q
assert_rc 75 "a jump host that is not there"
grep -q "exited with status 255" "$T/err" || fail "no exit status for a jump host not there"
[ "$(count_files "$REMOTE/new")" = 5 ] || fail "jump host not there: messages moved"
no_jump_left

# The first of ProxyJump and ProxyCommand wins, as in ssh.
write_sc "ProxyJump jump1,jump2" "ProxyCommand exit 7"
run_syncmail -q
assert_rc 0 "ProxyJump before ProxyCommand"
check_exactly_once
write_sc "ProxyCommand ip netns exec $NS nc %h %p" "ProxyJump nowhere"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -vv
assert_rc 0 "ProxyCommand before ProxyJump"
check_exactly_once
grep -q "proxy command: ip netns exec $NS nc 127.0.0.1 $TPORT\$" "$T/out" ||
	fail "ProxyCommand before ProxyJump was not the one used"
# "ProxyJump none" first: neither applies, the direct path is refused.
write_sc "ProxyJump none" "ProxyJump jump1,jump2" "ProxyCommand ip netns exec $NS nc %h %p"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 75 "ProxyJump none before the others"
[ "$(count_files "$REMOTE/new")" = 5 ] || fail "ProxyJump none: messages moved"
# syncmail.conf's proxy-command wins over ProxyJump.
write_sc "ProxyJump nowhere"
sed -i "s|^\tpull |\tproxy-command \"ip netns exec $NS nc %h %p\"\n\tpull |" "$CONF"
run_syncmail -q
assert_rc 0 "proxy-command over ProxyJump"
check_exactly_once
no_jump_left
