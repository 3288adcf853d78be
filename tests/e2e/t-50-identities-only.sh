#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# IdentitiesOnly (SPEC 6): an ssh-agent holds 8 keys of which only the
# last (k8) is authorized, and sshd has MaxAuthTries 6.  Each case is run
# by syncmail and by ssh -F with the same ssh config and agent, and both
# must agree.  IdentitiesOnly yes with IdentityFile k8: only k8 is
# offered, through the agent (k8's file is encrypted and there is no
# terminal), also when the public key comes from the key file (no .pub).
# Without IdentitiesOnly or IdentityFile: the agent's keys in order, the
# server disconnects with "Too many authentication failures"; syncmail
# exits 77 saying so, with how many keys were offered and the
# IdentitiesOnly advice, not ssh-add.  Without IdentitiesOnly but with
# IdentityFile k8, ssh offers the agent's k8 first: so does syncmail.
# With k8 only in its file (unencrypted, not in the agent): IdentitiesOnly
# logs in from the file; without it the 7 other agent keys go first and
# both fail.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup

# sshd's default, said explicitly: the test is about that bound.
echo "MaxAuthTries 6" >>"$T/sshd_config"
restart_sshd

PASS='mail key passphrase'
start_agent
for i in 1 2 3 4 5 6 7 8; do
	n=''
	[ "$i" = 8 ] && n=$PASS
	ssh-keygen -q -t ed25519 -N "$n" -C "key$i" -f "$T/k$i" ||
		fail "ssh-keygen k$i"
done
for i in 1 2 3 4 5 6 7; do
	SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -q "$T/k$i" 2>/dev/null ||
		fail "ssh-add k$i"
done
printf '#!/bin/sh\necho "%s"\n' "$PASS" >"$T/askpass"
chmod 700 "$T/askpass"
SSH_AUTH_SOCK=$AGENT_SOCK SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
    DISPLAY=:0 setsid -w ssh-add -q "$T/k8" </dev/null 2>/dev/null ||
	fail "ssh-add of the encrypted k8"
[ "$(SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -l | wc -l)" = 8 ] ||
	fail "the agent does not hold 8 keys"
cp "$T/k8.pub" "$T/authorized_keys"

SC=$T/ssh_config
# write_sc LINE...: the ssh config for Host mail, with LINEs.  Paths are
# absolute: ssh takes "~" from the password file, syncmail from $HOME.
write_sc()
{
	{
		printf 'Host mail\n    HostName 127.0.0.1\n    Port %s\n' "$PORT"
		printf '    User %s\n    UserKnownHostsFile %s\n' \
		    "$TEST_USER" "$T/known_hosts"
		for ws_line; do
			printf '    %s\n' "$ws_line"
		done
	} >"$SC"
}
printf 'account test\n\thost mail\n\tssh-config %s\n\tpull %s %s\n' \
    "$SC" "$REMOTE" "$LOCAL" >"$CONF"

# ssh_agrees WANT WHAT: ssh with the same config and agent, no terminal,
# exits 0 (WANT ok) or 255 with "Too many authentication failures" (WANT
# too-many).
ssh_agrees()
{
	env -u SSH_AUTH_SOCK HOME="$T/home" SSH_AUTH_SOCK="$AGENT_SOCK" \
	    setsid -w timeout -k 5 60 ssh -F "$SC" -o BatchMode=yes mail true \
	    </dev/null >"$T/ssh.out" 2>"$T/ssh.err"
	sa_rc=$?
	case $1 in
	ok)
		[ "$sa_rc" = 0 ] ||
			fail "$2: ssh exited $sa_rc, want 0: $(cat "$T/ssh.err")" ;;
	too-many)
		[ "$sa_rc" = 255 ] && grep -q "Too many authentication failures" "$T/ssh.err" ||
			fail "$2: ssh exited $sa_rc without too many failures: $(cat "$T/ssh.err")" ;;
	esac
}

# logs_in WHAT agent|file: syncmail with the agent moves new mail exactly
# once, with k8 offered first, through the agent or from its file: -vv
# names no refused key.
logs_in()
{
	mkmsgs "$REMOTE/new" 5 small
	run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -vv
	assert_rc 0 "$1"
	check_exactly_once
	grep -q "refused" "$T/out" && fail "$1: keys were refused: $(grep refused "$T/out")"
	if [ "$2" = agent ]; then
		grep -q "$T/k8: the ssh-agent holds it" "$T/out" ||
			fail "$1: k8 was not offered through the agent"
	else
		grep -q "the ssh-agent holds it" "$T/out" &&
			fail "$1: a key was offered through the agent"
	fi
	mkmsgs "$REMOTE/new" 3 small
	run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -q
	assert_rc 0 "$1 (-q)"
	assert_quiet "$1 (-q)"
	check_exactly_once
}

# too_many WHAT N: syncmail fails as ssh does, after N keys, and says why.
too_many()
{
	mkmsgs "$REMOTE/new" 3 small
	tm_left=$(count_files "$REMOTE/new")
	run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -q
	assert_rc 77 "$1"
	grep -q '"Too many authentication failures" after '"$2"' keys were offered' "$T/err" ||
		fail "$1: the message does not name the failures and $2 keys"
	grep -q 'set "IdentitiesOnly yes" and "IdentityFile KEY" for Host mail' "$T/err" ||
		fail "$1: the message does not suggest IdentitiesOnly"
	grep -q "ssh-add" "$T/err" && fail "$1: the message advises ssh-add"
	[ "$(count_files "$REMOTE/new")" = "$tm_left" ] ||
		fail "$1: messages moved without authentication"
}

# 1. The report: IdentitiesOnly, k8 in the agent and encrypted in its file.
write_sc "IdentitiesOnly yes" "IdentityFile $T/k8"
ssh_agrees ok "IdentitiesOnly, key in the agent"
logs_in "IdentitiesOnly, key in the agent" agent
# ... its public key read from the key file itself, as ssh does.
mv "$T/k8.pub" "$T/k8.pub.away"
ssh_agrees ok "IdentitiesOnly, key in the agent, no .pub"
logs_in "IdentitiesOnly, key in the agent, no .pub" agent
mv "$T/k8.pub.away" "$T/k8.pub"

# 2. No IdentitiesOnly, no IdentityFile: the agent's keys in order.
write_sc
ssh_agrees too-many "the agent's 8 keys"
too_many "the agent's 8 keys" 6

# 3. IdentityFile k8 without IdentitiesOnly: ssh takes the agent's k8 first.
write_sc "IdentityFile $T/k8"
ssh_agrees ok "IdentityFile in the agent, no IdentitiesOnly"
logs_in "IdentityFile in the agent, no IdentitiesOnly" agent

# 4. k8 not in the agent, its file unencrypted.
SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -q -d "$T/k8.pub" 2>/dev/null ||
	fail "ssh-add -d k8"
ssh-keygen -q -p -P "$PASS" -N '' -f "$T/k8" >/dev/null || fail "decrypt k8"
write_sc "IdentitiesOnly yes" "IdentityFile $T/k8"
ssh_agrees ok "IdentitiesOnly, key only in its file"
logs_in "IdentitiesOnly, key only in its file" file
write_sc "IdentityFile $T/k8"
ssh_agrees too-many "key only in its file, no IdentitiesOnly"
too_many "key only in its file, no IdentitiesOnly" 6
