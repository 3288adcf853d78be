#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The server lock-down of SPEC 6, as the README's section "A key that can
# only fetch mail" gives it: its authorized_keys options and its
# sshd_config Match block are taken from README.md, so the test fails if
# the documentation drifts.  With each, and with the Match block in a
# ChrootDirectory, syncmail moves 200 messages exactly once (so the allow
# list holds every request syncmail sends); then, with the same key, ssh
# runs no command and no shell (with or without -tt), forwards no port
# (-W, -R), OpenSSH's sftp writes no file, and SFTP requests outside the
# list (WRITE into an open file, MKDIR, RENAME, SETSTAT, SYMLINK,
# REALPATH, STAT) are refused and change nothing; in the chroot, no file
# outside it can be opened.  A second, unrestricted key on the same sshd
# does run the command and forward the port, so the refusals are the
# lock-down's.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup

README=$ROOT/README.md
[ -f "$README" ] || fail "no $README"

# The authorized_keys line: its options, in front of an ed25519 key.
KEYOPTS=$(sed -n 's/^    \(restrict,command="[^"]*"\) ssh-ed25519 .*/\1/p' "$README")
[ "$(printf '%s\n' "$KEYOPTS" | grep -c .)" = 1 ] ||
	fail "README.md: want one indented authorized_keys line" \
	    "'restrict,command=\"...\" ssh-ed25519 ...', found: $KEYOPTS"
case $KEYOPTS in
*"sftp-server -p "*) ;;
*) fail "README.md: the authorized_keys line has no sftp-server -p list: $KEYOPTS" ;;
esac

# The sshd_config block: "    Match User NAME" and its lines indented
# by eight spaces; NAME becomes the test user.
MATCH=$(awk '/^    Match User / { on = 1; print; next }
	on && /^        [^ ]/ { print; next }
	{ on = 0 }' "$README" | sed -e 's/^ *//' \
	    -e "s/^Match User .*/Match User $TEST_USER/")
[ "$(printf '%s\n' "$MATCH" | grep -c '^Match User ')" = 1 ] ||
	fail "README.md: want one indented 'Match User' block, found: $MATCH"
printf '%s\n' "$MATCH" | grep -q '^ForceCommand internal-sftp -p ' ||
	fail "README.md: the Match block has no 'ForceCommand internal-sftp -p': $MATCH"

# The control: a key with no options, on the same sshd.
ssh-keygen -q -t ed25519 -N '' -C e2e-plain -f "$T/id_plain" ||
	fail "ssh-keygen plain key"
PWNED=$T/remote/pwned

# ssh_as KEY PORT ARGS...: OpenSSH's ssh as the test user with KEY alone,
# no agent, no config; stdout and stderr to $T/ssh.out and $T/ssh.err,
# the status to SSH_RC; at most 20 s.
ssh_as()
{
	sa_key=$1 sa_port=$2
	shift 2
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 20 \
	    ssh -F none -i "$sa_key" -o IdentitiesOnly=yes -o IdentityAgent=none \
	    -o BatchMode=yes -o StrictHostKeyChecking=yes \
	    -o UserKnownHostsFile="$T/known_hosts" -o ConnectTimeout=10 \
	    -l "$TEST_USER" -p "$sa_port" "$@" >"$T/ssh.out" 2>"$T/ssh.err"
	SSH_RC=$?
}

# no_shell WHAT: the last ssh_as printed nothing on stdout (no "uid=",
# no shell's output; sshd's own refusal for a ForceCommand internal-sftp
# aside) and made no $PWNED.
no_shell()
{
	if grep -qvx "This service allows sftp connections only." "$T/ssh.out"; then
		head -c 300 "$T/ssh.out" | od -c | head -n 5 | sed 's/^/  /'
		fail "$1: ssh printed something (status $SSH_RC)"
	fi
	[ ! -e "$PWNED" ] || fail "$1: the command ran: $PWNED was made"
}

# move200 WHAT PORT: 200 messages through the sshd on PORT, exactly once.
move200()
{
	mkmsgs "$REMOTE/new" 200 small
	write_account test "$2" "pull $REMOTE $LOCAL" >"$CONF"
	run_syncmail -q
	assert_rc 0 "$1: syncmail"
	assert_quiet "$1: syncmail"
	check_exactly_once
	check_tmp_empty
}

# raw_sftp KEY PORT OP...: an SFTP client of the test's own over ssh -s
# sftp (OpenSSH's sftp gives up at once without REALPATH, so it could not
# try the rest), sending each OP's request in turn and printing "OP
# handle" or "OP status CODE" per reply (3: permission denied).
raw_sftp()
{
	rs_key=$1 rs_port=$2
	shift 2
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 30 /usr/bin/python3 - \
	    "$@" -- ssh -F none -i "$rs_key" -o IdentitiesOnly=yes \
	    -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=yes \
	    -o UserKnownHostsFile="$T/known_hosts" -l "$TEST_USER" \
	    -p "$rs_port" -s 127.0.0.1 sftp >"$T/raw.out" 2>"$T/raw.err" <<'EOF'
import struct, subprocess, sys
i = sys.argv.index("--")
ops, cmd = sys.argv[1:i], sys.argv[i + 1:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

def send(t, body):
    p.stdin.write(struct.pack(">IB", len(body) + 1, t) + body)
    p.stdin.flush()

def recv():
    h = p.stdout.read(5)
    if len(h) < 5:
        print("connection closed")
        sys.exit(1)
    n, t = struct.unpack(">IB", h)
    return t, p.stdout.read(n - 1)

def s(x):
    x = x.encode()
    return struct.pack(">I", len(x)) + x

send(1, struct.pack(">I", 3))                       # INIT
if recv()[0] != 2:
    print("no VERSION")
    sys.exit(1)
handle = b""
for rid, op in enumerate(ops, 1):
    w = op.split(" ")
    h = struct.pack(">I", rid)
    if w[0] == "openw":      # OPEN: WRITE|CREAT|TRUNC, no attributes
        send(3, h + s(w[1]) + struct.pack(">II", 0x1a, 0))
    elif w[0] == "openr":    # OPEN: READ
        send(3, h + s(w[1]) + struct.pack(">II", 0x01, 0))
    elif w[0] == "write":
        send(6, h + struct.pack(">I", len(handle)) + handle +
             struct.pack(">Q", 0) + s(w[1]))
    elif w[0] == "mkdir":
        send(14, h + s(w[1]) + struct.pack(">I", 0))
    elif w[0] == "rename":
        send(18, h + s(w[1]) + s(w[2]))
    elif w[0] == "chmod":    # SETSTAT of the permissions
        send(9, h + s(w[1]) + struct.pack(">II", 4, 0o777))
    elif w[0] == "symlink":
        send(20, h + s(w[1]) + s(w[2]))
    elif w[0] == "realpath":
        send(16, h + s(w[1]))
    elif w[0] == "stat":
        send(17, h + s(w[1]))
    t, b = recv()
    if t == 102:
        handle = b[8:]
        print(w[0], "handle")
    elif t == 101:
        print(w[0], "status", struct.unpack(">I", b[4:8])[0])
    else:
        print(w[0], "reply", t)
p.stdin.close()
p.wait()
EOF
	RAW_RC=$?
}

# locked_down WHAT PORT: what the test's key cannot do on the sshd on
# PORT (SPEC 6).
locked_down()
{
	ld_what=$1 ld_port=$2
	rm -f "$PWNED"

	# A command: sftp-server runs instead, reads EOF, says nothing.
	ssh_as "$T/id_ed25519" "$ld_port" 127.0.0.1 "id; touch $PWNED" </dev/null
	no_shell "$ld_what: ssh id"

	# A shell, fed commands on stdin; without a terminal, and asking
	# for one.
	printf 'id\ntouch %s\n' "$PWNED" >"$T/shell.in"
	ssh_as "$T/id_ed25519" "$ld_port" -T 127.0.0.1 <"$T/shell.in"
	no_shell "$ld_what: ssh, a shell"
	ssh_as "$T/id_ed25519" "$ld_port" -tt 127.0.0.1 <"$T/shell.in"
	no_shell "$ld_what: ssh -tt, a shell on a terminal"

	# Port forwarding: to the test's sshd, whose banner would come back.
	ssh_as "$T/id_ed25519" "$ld_port" -W "127.0.0.1:$PORT" 127.0.0.1 </dev/null
	grep -q SSH-2.0 "$T/ssh.out" && fail "$ld_what: ssh -W forwarded a port"
	grep -q "administratively prohibited" "$T/ssh.err" ||
		fail "$ld_what: ssh -W not refused as expected: $(head -n 3 "$T/ssh.err")"
	ssh_as "$T/id_ed25519" "$ld_port" -N -o ExitOnForwardFailure=yes \
	    -R "0:127.0.0.1:$PORT" 127.0.0.1 </dev/null
	[ "$SSH_RC" = 255 ] && grep -q "remote port forwarding failed" "$T/ssh.err" ||
		fail "$ld_what: ssh -R not refused (status $SSH_RC): $(head -n 3 "$T/ssh.err")"

	# OpenSSH's sftp: a put writes nothing.
	echo "locked" >"$T/put.src"
	printf 'put %s %s\n' "$T/put.src" "$T/remote/put" >"$T/put.batch"
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 20 \
	    sftp -F none -i "$T/id_ed25519" -o IdentitiesOnly=yes \
	    -o IdentityAgent=none -o BatchMode=yes \
	    -o UserKnownHostsFile="$T/known_hosts" -P "$ld_port" \
	    -b "$T/put.batch" "$TEST_USER@127.0.0.1" >"$T/sftp.out" 2>&1 &&
		fail "$ld_what: sftp put succeeded"
	[ ! -e "$T/remote/put" ] || fail "$ld_what: sftp put made $T/remote/put"

	# The requests outside the list, each refused and without effect.
	# An OPEN for writing is allowed (sftp-server's "open" is one
	# request for reading and writing, as the README says): the WRITE
	# that follows is not, and the file stays empty.
	echo "mail" >"$T/remote/victim"
	chown "$TEST_USER:" "$T/remote/victim"
	chmod 600 "$T/remote/victim"
	raw_sftp "$T/id_ed25519" "$ld_port" "openw $T/remote/put" "write locked" \
	    "mkdir $T/remote/dir" "rename $T/remote/victim $T/remote/renamed" \
	    "chmod $T/remote/victim" "symlink $T/remote/link /etc/passwd" \
	    "realpath ." "stat $T/remote/victim"
	[ "$RAW_RC" = 0 ] || fail "$ld_what: the SFTP client failed ($RAW_RC):" \
	    "$(cat "$T/raw.out" "$T/raw.err" | head -n 5)"
	for rq in write mkdir rename chmod symlink realpath stat; do
		grep -qx "$rq status 3" "$T/raw.out" ||
			fail "$ld_what: SFTP $rq not refused with permission denied:" \
			    "$(grep "^$rq " "$T/raw.out")"
	done
	[ ! -s "$T/remote/put" ] || fail "$ld_what: SFTP WRITE wrote into a file"
	[ ! -e "$T/remote/dir" ] || fail "$ld_what: SFTP MKDIR made a directory"
	[ ! -e "$T/remote/renamed" ] && [ -f "$T/remote/victim" ] ||
		fail "$ld_what: SFTP RENAME renamed a file"
	[ "$(stat -c %a "$T/remote/victim")" = 600 ] ||
		fail "$ld_what: SFTP SETSTAT changed a mode"
	[ ! -L "$T/remote/link" ] || fail "$ld_what: SFTP SYMLINK made a link"
	rm -f "$T/remote/put" "$T/remote/victim"
}

# 1. The authorized_keys line, on an sshd that allows forwarding.
{
	echo "$KEYOPTS $(cat "$T/id_ed25519.pub")"
	cat "$T/id_plain.pub"
} >"$T/authorized_keys"
start_sshd_like keys "$T/ssh_host_ed25519_key" -- "AllowTcpForwarding yes"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
KEYS_PORT=$PORT2

# The control key runs the command and forwards: this sshd would let the
# locked key do both, but for its line.
ssh_as "$T/id_plain" "$KEYS_PORT" 127.0.0.1 "id; touch $PWNED" </dev/null
grep -q "uid=$(id -u "$TEST_USER")" "$T/ssh.out" && [ -e "$PWNED" ] ||
	fail "control: the unrestricted key did not run id (status $SSH_RC):" \
	    "$(head -n 3 "$T/ssh.err")"
ssh_as "$T/id_plain" "$KEYS_PORT" -W "127.0.0.1:$PORT" 127.0.0.1 </dev/null
grep -q SSH-2.0 "$T/ssh.out" ||
	fail "control: the unrestricted key could not forward (status $SSH_RC):" \
	    "$(head -n 3 "$T/ssh.err")"

move200 "authorized_keys restrict,command=sftp-server -p" "$KEYS_PORT"
locked_down "authorized_keys line" "$KEYS_PORT"
kill -KILL "$SSHD2_PID" $(descendants "$SSHD2_PID") 2>/dev/null
wait "$SSHD2_PID" 2>/dev/null

# 2. The sshd_config Match block, for a key with no options.
cp "$T/id_ed25519.pub" "$T/authorized_keys"
OLDIFS=$IFS
IFS='
'
# shellcheck disable=SC2086
set -- $MATCH
IFS=$OLDIFS
start_sshd_like match "$T/ssh_host_ed25519_key" -- \
    "AllowTcpForwarding yes" "Subsystem sftp /usr/lib/openssh/sftp-server" "$@"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
move200 "sshd_config Match User, ForceCommand internal-sftp -p" "$PORT2"
locked_down "sshd_config Match block" "$PORT2"
kill -KILL "$SSHD2_PID" $(descendants "$SSHD2_PID") 2>/dev/null
wait "$SSHD2_PID" 2>/dev/null

# 3. The Match block with a ChrootDirectory, as the README adds it: the
# pull names /Maildir, and nothing outside the chroot is there.  Every
# directory up to it must be root's and not writable by others, which
# the temporary directory is not: the chroot is made in /srv and the
# remote Maildir bind-mounted into it (as t-26 does).
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
    "AllowTcpForwarding yes" "Subsystem sftp /usr/lib/openssh/sftp-server" \
    "$@" "ChrootDirectory $CH"
echo "[127.0.0.1]:$PORT2 $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" >>"$T/known_hosts"
mkmsgs "$REMOTE/new" 200 small
write_account test "$PORT2" "pull /Maildir $LOCAL" >"$CONF"
run_syncmail -q
assert_rc 0 "Match block with a ChrootDirectory: syncmail"
assert_quiet "Match block with a ChrootDirectory: syncmail"
check_exactly_once
check_tmp_empty
rm -f "$PWNED"
ssh_as "$T/id_ed25519" "$PORT2" 127.0.0.1 "id; touch $PWNED" </dev/null
no_shell "Match block with a ChrootDirectory: ssh id"
raw_sftp "$T/id_ed25519" "$PORT2" "openr /etc/passwd" "openr $CONF"
[ "$RAW_RC" = 0 ] || fail "chroot: the SFTP client failed ($RAW_RC):" \
    "$(cat "$T/raw.out" "$T/raw.err" | head -n 5)"
[ "$(grep -c '^openr status 2$' "$T/raw.out")" = 2 ] ||
	fail "chroot: a file outside the chroot could be opened: $(cat "$T/raw.out")"
umount "$CH/Maildir" || fail "umount"

note "README's authorized_keys line and Match block (also in a chroot):" \
    "200 messages each; no command, shell, forwarding or write"
