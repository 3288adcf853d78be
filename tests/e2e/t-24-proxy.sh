#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# proxy-command (SPEC 3): "nc %h %p" (netcat-openbsd) carries the
# connection; so does a ProxyCommand from the ssh config, and
# "ssh -W %h:%p" through a jump host (a second sshd that forwards).  A
# proxy command that exits at once fails the account with its exit status
# in the message, exit 75.  No proxy process outlives the run.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
command -v nc >/dev/null || fail "no nc: install netcat-openbsd (tests/deps.sh)"

# no_proxy_left STRING: no process with STRING in its command line.
no_proxy_left()
{
	left=$(procs_matching "$1")
	[ -z "$left" ] || fail "a proxy process is still running: $left"
}

# proxy-command "nc %h %p".
conf_add proxy-command "\"nc %h %p\""
mkmsgs "$REMOTE/new" 50 small
run_syncmail -vv
assert_rc 0 "proxy-command nc %h %p"
check_exactly_once
grep -q "proxy command: nc 127.0.0.1 $PORT\$" "$T/out" ||
	fail "-vv does not show the expanded proxy command"
no_proxy_left "nc 127.0.0.1 $PORT"

# ProxyCommand from the ssh config.
cat >"$T/ssh_config" <<EOS
Host mail
    HostName 127.0.0.1
    Port $PORT
    ProxyCommand nc %h %p
EOS
cat >"$CONF" <<EOF
account test
	host mail
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	ssh-config $T/ssh_config
	pull $REMOTE $LOCAL
EOF
mkmsgs "$REMOTE/new" 50 small
run_syncmail -vv
assert_rc 0 "ProxyCommand from the ssh config"
check_exactly_once
grep -q "proxy command: nc 127.0.0.1 $PORT\$" "$T/out" ||
	fail "the ssh config's ProxyCommand was not used"
# "proxy-command none" in syncmail.conf overrules it: a direct connection.
sed -i "s|^\tpull |\tproxy-command none\n\tpull |" "$CONF"
mkmsgs "$REMOTE/new" 3 small
run_syncmail -vv
assert_rc 0 "proxy-command none over the ssh config's ProxyCommand"
check_exactly_once
grep -q "proxy command" "$T/out" && fail "proxy-command none: a proxy was used"

# Through a jump host: ssh -W, as fetchmail's plugin would be used.
start_sshd_like jump "$T/ssh_host_ed25519_key" -- "AllowTcpForwarding yes"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
write_config
conf_add proxy-command "\"ssh -F /dev/null -o BatchMode=yes -o LogLevel=ERROR -o UserKnownHostsFile=$T/known_hosts -i $T/id_ed25519 -p $PORT2 $TEST_USER@127.0.0.1 -W %h:%p\""
run_syncmail -q
assert_rc 0 "proxy-command ssh -W through a jump host"
assert_quiet "jump host run"
check_exactly_once
no_proxy_left "-p $PORT2 $TEST_USER@127.0.0.1 -W"

# A proxy command that exits at once.
write_config
conf_add proxy-command "\"echo no route to %h >&2; exit 3\""
mkmsgs "$REMOTE/new" 3 small
t0=$(now_ms)
run_syncmail -q
took=$(($(now_ms) - t0))
assert_rc 75 "a proxy command that exits at once"
grep -q "proxy command \"echo no route to 127.0.0.1 >&2; exit 3\" exited with status 3" "$T/err" ||
	fail "the message lacks the proxy command's exit status"
grep -q "^no route to 127.0.0.1\$" "$T/err" || fail "the proxy's stderr was lost"
[ "$took" -lt 5000 ] || fail "a dead proxy took $took ms to notice"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "dead proxy: messages moved"
# Killed by a signal: said so too.
write_config
conf_add proxy-command "\"kill -9 \$\$\""
run_syncmail -q
assert_rc 75 "a proxy command killed by a signal"
grep -q "killed by signal 9" "$T/err" || fail "the message lacks the signal"
