#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Interoperability with AsyncSSH (python3-asyncssh): its SSH server and
# SFTP server, started by tests/e2e/asyncssh_server.py with the test's
# ed25519 host key and client key, running as the test user: 200
# messages, a second run with nothing new, keep yes twice and a run
# without keep after it (lib-connect.sh's interop_runs); then a client
# key the server does not know is refused (77).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
/usr/bin/python3 -c 'import asyncssh' 2>/dev/null ||
	fail "no AsyncSSH for /usr/bin/python3: install python3-asyncssh (tests/deps.sh)"
version=$(/usr/bin/python3 -W ignore -c 'import asyncssh; print(asyncssh.__version__)')
FAIL_LOG=$T/asyncssh.log

for try in 1 2 3; do
	AS_PORT=$(free_port) || fail "no free port"
	if launch_daemon "$AS_PORT" "$T/asyncssh.log" python3 /usr/bin/python3 \
	    "$E2E_DIR/asyncssh_server.py" "$AS_PORT" \
	    "$T/ssh_host_ed25519_key" "$T/authorized_keys" "$TEST_USER"; then
		AS_PID=$DAEMON_PID
		break
	fi
	AS_PID=
done
[ -n "$AS_PID" ] || { cat "$T/asyncssh.log"; fail "the AsyncSSH server did not start"; }
echo "[127.0.0.1]:$AS_PORT $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"

interop_runs "AsyncSSH" "$AS_PORT"

# Its authentication: a key it does not hold.
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" || fail ssh-keygen
mkmsgs "$REMOTE/new" 3 small
write_account test "$AS_PORT" "pull $REMOTE $LOCAL" >"$CONF"
sed -i "s|identity .*|identity $T/other_key|" "$CONF"
run_syncmail -q
assert_rc 77 "AsyncSSH with an unknown client key"
grep -q "authentication as $TEST_USER@127.0.0.1 failed" "$T/err" ||
	fail "AsyncSSH, unknown client key: not said: $(cat "$T/err")"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "unknown client key: messages moved"

note "AsyncSSH $version: 200 in ${INTEROP_SECS}s, an idle run, keep yes" \
    "twice, then without keep; an unknown client key refused (77)"
