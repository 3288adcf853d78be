#!/bin/sh
# Interoperability with OpenSSH servers, 200 messages each: sshd with an
# ed25519 host key; with an ECDSA one; with "Subsystem sftp internal-sftp"
# and a ChrootDirectory; with gesftpserver as the sftp subsystem.  An sshd
# that offers only ciphers libssh2 1.10 lacks (chacha20, aes-gcm) cannot
# work: the run must fail with 75 and say why, and this test says so.
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
for ciphers in chacha20-poly1305@openssh.com aes256-gcm@openssh.com; do
	start_sshd_like "only-${ciphers%%@*}" "$T/ssh_host_ed25519_key" -- \
	    "Ciphers $ciphers"
	echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
	mkmsgs "$REMOTE/new" 3 small
	write_account test "$PORT2" "pull $REMOTE $LOCAL" >"$CONF"
	run_syncmail -q
	assert_rc 75 "sshd offering only $ciphers"
	grep -q "no key exchange, cipher, MAC or host key algorithm in common" "$T/err" ||
		fail "sshd offering only $ciphers: the reason is not given: $(cat "$T/err")"
	[ "$(count_files "$REMOTE/new")" = 3 ] || fail "$ciphers: messages moved"
	# the standard server moves them, for the next case's count
	write_account test "$PORT" "pull $REMOTE $LOCAL" >"$CONF"
	run_syncmail -q
	assert_rc 0 "after $ciphers"
	check_exactly_once
	kill -KILL "$SSHD2_PID" 2>/dev/null
	wait "$SSHD2_PID" 2>/dev/null
done
note "ed25519, ECDSA, internal-sftp+chroot, gesftpserver: 200 each; an sshd with only chacha20 or only aes-gcm cannot work with libssh2 1.10 (exit 75, said so)"
