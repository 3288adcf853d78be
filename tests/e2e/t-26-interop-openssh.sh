#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Interoperability with OpenSSH servers, 200 messages each: sshd with an
# ed25519 host key; with an ECDSA one; with "Subsystem sftp internal-sftp"
# and a ChrootDirectory; with gesftpserver as the sftp subsystem.  An sshd
# that offers only ciphers libssh2 1.10 lacks (chacha20, aes-gcm), only
# MACs it lacks (the -etm ones) or only host key types it lacks (an RSA
# key, which OpenSSH 8.8 and later offer only as rsa-sha2-*) cannot work:
# the run must fail with 76 naming what is missing.  A server whose key
# is of a type known_hosts does not hold for it is a host key question:
# 77, with the types and the ssh-keygen -R command.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
GESFTP=/usr/libexec/gesftpserver
[ -x "$GESFTP" ] || fail "no $GESFTP: install gesftpserver (tests/deps.sh)"

# move200 WHAT PORT REMOTE: 200 messages through the server on PORT.
move200()
{
	mkmsgs "$REMOTE/new" 200 small
	write_account test "$2" "pull $3 $LOCAL" >"$CONF"
	run_syncmail -q
	assert_rc 0 "$1"
	check_exactly_once
	check_tmp_empty
}

# 1. ed25519 host key (the standard test server).
move200 "OpenSSH, ed25519 host key" "$PORT" "$REMOTE"

# 2. An ECDSA host key only, known as such.
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$T/ssh_host_ecdsa_key" || fail ssh-keygen
start_sshd_like ecdsa "$T/ssh_host_ecdsa_key"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$T/ssh_host_ecdsa_key.pub")" >>"$T/known_hosts"
move200 "OpenSSH, ECDSA host key" "$PORT2" "$REMOTE"

# 3. internal-sftp in a chroot.  Every directory up to the chroot must be
# root's and not writable by others, which /tmp is not: the chroot is made
# in /srv and the remote Maildir bind-mounted into it.
CH=$(mktemp -d /srv/syncmail-chroot.XXXXXX) || fail "mktemp in /srv"
chmod 755 "$CH"
cleanup_chroot()
{
	[ -n "$CH" ] && [ -d "$CH" ] || return 0
	umount "$CH/Maildir" 2>/dev/null || umount -l "$CH/Maildir" 2>/dev/null
	rmdir "$CH/Maildir" "$CH"
}
trap 'cleanup_chroot; teardown' EXIT
mkdir "$CH/Maildir"
mount --bind "$REMOTE" "$CH/Maildir" || fail "mount --bind into the chroot"
start_sshd_like chroot "$T/ssh_host_ed25519_key" -- \
    "Subsystem sftp internal-sftp" "ChrootDirectory $CH" \
    "ForceCommand internal-sftp"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
move200 "OpenSSH internal-sftp in a ChrootDirectory" "$PORT2" /Maildir
umount "$CH/Maildir" || fail "umount"

# 4. gesftpserver as the sftp subsystem.
start_sshd_like gesftp "$T/ssh_host_ed25519_key" -- "Subsystem sftp $GESFTP"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
move200 "OpenSSH with gesftpserver" "$PORT2" "$REMOTE"

# 5. Peers libssh2 1.10 cannot work with: detected and said, not hidden.
# stop_sshd2: stops start_sshd_like's server.
stop_sshd2()
{
	kill -KILL "$SSHD2_PID" $(descendants "$SSHD2_PID") 2>/dev/null
	wait "$SSHD2_PID" 2>/dev/null
}

# refused WHAT STATUS PATTERN: a run against the server on PORT2 exits
# STATUS saying PATTERN (a grep -E pattern), moving nothing; then the
# standard server moves the messages.
refused()
{
	mkmsgs "$REMOTE/new" 3 small
	write_account test "$PORT2" "pull $REMOTE $LOCAL" >"$CONF"
	run_syncmail -q
	assert_rc "$2" "$1"
	grep -qE "$3" "$T/err" ||
		fail "$1: not said as it should be: $(cat "$T/err")"
	[ "$(count_files "$REMOTE/new")" = 3 ] || fail "$1: messages moved"
	write_account test "$PORT" "pull $REMOTE $LOCAL" >"$CONF"
	run_syncmail -q
	assert_rc 0 "after $1"
	check_exactly_once
}

for line in "Ciphers chacha20-poly1305@openssh.com" "Ciphers aes256-gcm@openssh.com" \
    "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com"; do
	start_sshd_like only "$T/ssh_host_ed25519_key" -- "$line"
	echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
	what=cipher
	[ "${line%% *}" = MACs ] && what=MAC
	refused "sshd offering only ${line#* }" 76 \
	    "^syncmail: test: 127\.0\.0\.1 port $PORT2: SSH handshake: no $what in common with the server \(it offers ${line#* }; libssh2 1\.10[.0-9]* has [a-z]"
	stop_sshd2
done

ssh-keygen -q -t rsa -b 2048 -N '' -f "$T/ssh_host_rsa_key" || fail ssh-keygen
start_sshd_like rsa "$T/ssh_host_rsa_key"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$T/ssh_host_rsa_key.pub")" >>"$T/known_hosts"
refused "sshd with an RSA host key only" 76 \
    "no host key type in common with the server \(it offers rsa-sha2-512,rsa-sha2-256; libssh2 1\.10[.0-9]* has .*ssh-rsa"
stop_sshd2

# Known by its ed25519 key, the server now has only an ECDSA one.
start_sshd_like ecdsa-only "$T/ssh_host_ecdsa_key"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
refused "sshd with an ECDSA key, known by an ed25519 one" 77 \
    "the server offers host key types ecdsa-sha2-nistp256; .*known_hosts holds for \[127\.0\.0\.1\]:$PORT2 only ssh-ed25519: the host key may have changed.*ssh-keygen -R"
stop_sshd2
note "ed25519, ECDSA, internal-sftp+chroot, gesftpserver: 200 each; an sshd" \
    "with only chacha20, only aes-gcm, only -etm MACs or only an RSA host key" \
    "cannot work with libssh2 1.10 (exit 76, what is missing named); a key" \
    "type known_hosts does not hold: 77"
