#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Interoperability with the Dropbear server (dropbear-bin) running
# OpenSSH's sftp-server, 200 messages, with an ed25519 host key and with
# an ECDSA one.  (Dropbear's server chooses its ciphers when it is built,
# not at run time; Debian's offers aes-ctr, which libssh2 1.10 has.  The
# chacha20-only case is t-26's, with sshd.)
# Dropbear reads only ~/.ssh/authorized_keys: the test adds its key to
# the test user's and removes that line at the end, both under e2e_lock
# (the other pass of this test may be editing the file at the same time).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
DROPBEAR=/usr/sbin/dropbear
[ -x "$DROPBEAR" ] || fail "no $DROPBEAR: install dropbear-bin (tests/deps.sh)"
[ -x /usr/lib/sftp-server ] || fail "no /usr/lib/sftp-server, which Dropbear runs for sftp"

UHOME=$(getent passwd "$TEST_USER" | cut -d: -f6)
AK=$UHOME/.ssh/authorized_keys
CLIENT_KEY=$(cut -d' ' -f2 "$T/id_ed25519.pub")
remove_key()
{
	e2e_lock
	[ -f "$AK" ] && sed -i "\\|$CLIENT_KEY|d" "$AK"
	e2e_unlock
	return 0
}
trap 'remove_key; teardown' EXIT
e2e_lock
mkdir -p "$UHOME/.ssh"
chown "$TEST_USER:" "$UHOME/.ssh"
chmod 700 "$UHOME/.ssh"
echo "$(cut -d' ' -f1,2 "$T/id_ed25519.pub") syncmail-e2e-$TEST_NAME" >>"$AK"
chown "$TEST_USER:" "$AK"
chmod 600 "$AK"
e2e_unlock

# start_dropbear KEYFILE [ARGS...]: Dropbear on a free port, DB_PORT; the
# host key's known_hosts line is added.
start_dropbear()
{
	sd_key=$1
	shift
	for sd_try in 1 2 3; do
		DB_PORT=$(free_port) || fail "no free port"
		if launch_daemon "$DB_PORT" "$T/dropbear.log" dropbear \
		    "$DROPBEAR" -F -E -s -w -m -p "127.0.0.1:$DB_PORT" \
		    -r "$sd_key" -P "$T/dropbear.pid" "$@"; then
			DB_PID=$DAEMON_PID
			echo "[127.0.0.1]:$DB_PORT $(dropbearkey -y -f "$sd_key" |
			    grep -E '^(ssh|ecdsa)-' | cut -d' ' -f1,2)" >>"$T/known_hosts"
			return 0
		fi
	done
	cat "$T/dropbear.log"
	fail "dropbear did not start"
}

stop_dropbear()
{
	kill -KILL "$DB_PID" $(descendants "$DB_PID") 2>/dev/null
	wait "$DB_PID" 2>/dev/null
}

for type in ed25519 ecdsa; do
	dropbearkey -t $type -f "$T/db_$type" >/dev/null 2>&1 || fail "dropbearkey -t $type"
	start_dropbear "$T/db_$type"
	mkmsgs "$REMOTE/new" 200 small
	write_account test "$DB_PORT" "pull $REMOTE $LOCAL" >"$CONF"
	run_syncmail -q
	if [ "$RC" != 0 ]; then
		tail -n 5 "$T/dropbear.log"
		fail "Dropbear with an $type host key: exit $RC"
	fi
	check_exactly_once
	check_tmp_empty
	stop_dropbear
done

note "Dropbear $($DROPBEAR -V 2>&1 | sed -n 's/.*v\([0-9.]*\).*/\1/p' | head -n 1) with OpenSSH's sftp-server: ed25519 and ECDSA host keys, 200 messages each"
