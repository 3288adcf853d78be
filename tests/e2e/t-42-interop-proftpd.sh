#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Interoperability with ProFTPD's mod_sftp (proftpd-core and
# proftpd-mod-crypto), which is its own SSH server and SFTP server: with
# an ed25519 host key, 200 messages, a second run with nothing new, keep
# yes twice and a run without keep after it (lib-connect.sh's
# interop_runs); with an ECDSA host key, 200 messages.  mod_sftp reads
# authorized keys in RFC 4716 format (ssh-keygen -e).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
PROFTPD=/usr/sbin/proftpd
[ -x "$PROFTPD" ] || fail "no $PROFTPD: install proftpd-core (tests/deps.sh)"
[ -f /usr/lib/proftpd/mod_sftp.so ] ||
	fail "no mod_sftp: install proftpd-mod-crypto (tests/deps.sh)"
ssh-keygen -e -f "$T/id_ed25519.pub" >"$T/proftpd_keys" ||
	fail "ssh-keygen -e of the client key"
chmod 644 "$T/proftpd_keys"
FAIL_LOG=$T/proftpd-sftp.log

# start_proftpd NAME HOSTKEY: ProFTPD in the foreground on a free port,
# PF_PORT, PF_PID, serving SFTP only, for the test user with the test's
# key; HOSTKEY's known_hosts line is added.
start_proftpd()
{
	for sp_try in 1 2 3; do
		PF_PORT=$(free_port) || fail "no free port"
		cat >"$T/proftpd-$1.conf" <<EOF
ModulePath /usr/lib/proftpd
LoadModule mod_sftp.c
ServerName "syncmail e2e"
ServerType standalone
DefaultServer on
DefaultAddress 127.0.0.1
SocketBindTight on
Port $PF_PORT
User nobody
Group nogroup
PidFile $T/proftpd-$1.pid
ScoreboardFile $T/proftpd-$1.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
RequireValidShell off
AuthOrder mod_auth_unix.c
SystemLog $T/proftpd.log
TransferLog none
SFTPEngine on
SFTPLog $T/proftpd-sftp.log
SFTPHostKey $2
SFTPAuthMethods publickey
SFTPAuthorizedUserKeys file:$T/proftpd_keys
SFTPCompression off
EOF
		if launch_daemon "$PF_PORT" "$T/proftpd.log" proftpd \
		    "$PROFTPD" -n -q -c "$T/proftpd-$1.conf"; then
			PF_PID=$DAEMON_PID
			echo "[127.0.0.1]:$PF_PORT $(cut -d' ' -f1,2 "$2.pub")" \
			    >>"$T/known_hosts"
			return 0
		fi
	done
	cat "$T/proftpd.log"
	fail "proftpd did not start"
}

stop_proftpd()
{
	kill -KILL "$PF_PID" $(descendants "$PF_PID") 2>/dev/null
	wait "$PF_PID" 2>/dev/null
}

start_proftpd ed25519 "$T/ssh_host_ed25519_key"
interop_runs "ProFTPD mod_sftp, ed25519 host key" "$PF_PORT"
secs=$INTEROP_SECS
stop_proftpd

ssh-keygen -q -t ecdsa -b 256 -N '' -f "$T/ssh_host_ecdsa_key" || fail ssh-keygen
start_proftpd ecdsa "$T/ssh_host_ecdsa_key"
mkmsgs "$REMOTE/new" 200 small
write_account test "$PF_PORT" "pull $REMOTE $LOCAL" >"$CONF"
run_syncmail -q
assert_rc 0 "ProFTPD mod_sftp, ECDSA host key"
check_exactly_once
check_tmp_empty
stop_proftpd

note "ProFTPD $($PROFTPD -v 2>&1 | sed -n 's/.*Version \([0-9.a-z]*\).*/\1/p')" \
    "mod_sftp: ed25519 (200 in ${secs}s, an idle run, keep yes twice, then" \
    "without keep) and ECDSA host keys (200)"
