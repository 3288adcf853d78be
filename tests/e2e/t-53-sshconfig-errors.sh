#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Errors in the ssh config (SPEC 6) stop the account before anything is
# attempted, exit 78, naming the file, the line and the keyword: a
# keyword ssh does not know, anywhere in a file the account reads (a
# block for another host, an Included file, the default ~/.ssh/config),
# unless an IgnoreUnknown before it lists it; and a keyword that would
# make ssh connect otherwise (CertificateFile, IdentityAgent,
# PKCS11Provider, SecurityKeyProvider, KexAlgorithms, ...) in a block
# that applies, while the same line in a block for another host is
# fine.  Keywords that change nothing (ServerAliveInterval,
# ControlMaster, Compression, ForwardAgent, ...) are ignored.  ssh -G
# agrees on which files are refused for an unknown keyword, and the
# keyword table matches the installed ssh and its manual.  "Nothing
# attempted" is checked on the sshd's own log, at LogLevel VERBOSE: a
# good run adds a "Connection from" line, an erroneous one none.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup

sed -i 's/^LogLevel .*/LogLevel VERBOSE/' "$T/sshd_config"
restart_sshd

SC=$T/ssh_config
printf 'account test\n\thost mail\n\tssh-config %s\n\tpull %s %s\n' \
    "$SC" "$REMOTE" "$LOCAL" >"$CONF"

# write_sc LINE...: the ssh config, LINEs at the end of the Host mail
# block (line 7 on), then a Host other block.
write_sc()
{
	{
		printf '# syncmail test\nHost mail\n    HostName 127.0.0.1\n'
		printf '    Port %s\n    User %s\n    IdentityFile %s\n' \
		    "$PORT" "$TEST_USER" "$T/id_ed25519"
		printf '    UserKnownHostsFile %s\n' "$T/known_hosts"
		for ws_line; do
			printf '    %s\n' "$ws_line"
		done
		printf 'Host other\n    HostName 192.0.2.1\n'
	} >"$SC"
}

# connections: how many connections the sshd has logged.
connections()
{
	grep -c "Connection from 127.0.0.1" "$T/sshd.log"
}

# refused_run WHAT FILE LINE TEXT: syncmail exits 78 with
# "FILE:LINE: TEXT" in its message, no connection reached the sshd and
# no message moved.
refused_run()
{
	rr_before=$(connections)
	rr_left=$(count_files "$REMOTE/new")
	run_syncmail -q
	assert_rc 78 "$1"
	grep -qF "syncmail: test: $2:$3: $4" "$T/err" ||
		fail "$1: the message does not name $2:$3 and the keyword: $(cat "$T/err")"
	[ "$(connections)" = "$rr_before" ] ||
		fail "$1: syncmail connected to the sshd"
	[ "$(count_files "$REMOTE/new")" = "$rr_left" ] ||
		fail "$1: messages moved"
}

# ssh_takes WANT WHAT: "ssh -G" with $SC accepts it (WANT yes) or
# refuses it as a bad configuration option (WANT no), as syncmail does.
ssh_takes()
{
	if env HOME="$T/home" ssh -G -F "$SC" mail >/dev/null 2>"$T/ssh.err"; then
		[ "$1" = yes ] || fail "$2: ssh -G accepts the file"
	else
		[ "$1" = no ] && grep -q "Bad configuration option" "$T/ssh.err" ||
			fail "$2: ssh -G: $(cat "$T/ssh.err")"
	fi
}

# The keyword table (sftp/sshkw.c) against the installed ssh: ssh knows
# every keyword in it, and it has every keyword ssh_config(5) lists.
grep -o '^	[AIR]V*("[A-Za-z0-9]*"' "$ROOT/sftp/sshkw.c" | cut -d'"' -f2 \
    >"$T/keywords"
[ "$(wc -l <"$T/keywords")" -gt 100 ] || fail "cannot read the keyword table"
while read -r kw; do
	printf '%s x\n' "$kw" >"$T/kw.conf"
	ssh -G -F "$T/kw.conf" mail >/dev/null 2>"$T/ssh.err"
	! grep -q "Bad configuration option" "$T/ssh.err" ||
		fail "sftp/sshkw.c has $kw, which ssh does not know"
done <"$T/keywords"
MAN5=/usr/share/man/man5/ssh_config.5.gz
if [ -f "$MAN5" ]; then
	for kw in $(zcat "$MAN5" | awk '$1 == ".It" && $2 == "Cm" { print $3 }'); do
		grep -qix "$kw" "$T/keywords" ||
			fail "ssh_config(5) lists $kw, which sftp/sshkw.c lacks"
	done
fi

# A good run, with keywords that change nothing: a connection is logged.
write_sc "ServerAliveInterval 30" "ControlMaster auto" \
    "ControlPath ~/.ssh/cm-%r@%h:%p" "Compression yes" "ForwardAgent yes" \
    "SendEnv LANG" "AddressFamily any" "IdentityAgent SSH_AUTH_SOCK"
mkmsgs "$REMOTE/new" 10 small
ssh_takes yes "ignored keywords"
before=$(connections)
run_syncmail -q
assert_rc 0 "ignored keywords"
assert_quiet "ignored keywords"
check_exactly_once
[ "$(connections)" -gt "$before" ] ||
	fail "the sshd log shows no connection for a good run (LogLevel VERBOSE?)"

mkmsgs "$REMOTE/new" 5 small
# Unknown keywords: in the applying block, in another host's block.
write_sc "ServerAliveInterval 30" "Hots 127.0.0.1"
refused_run "an unknown keyword" "$SC" 9 'unknown keyword "Hots"'
ssh_takes no "an unknown keyword"
write_sc
printf '    UseKeychain yes\n' >>"$SC"
refused_run "an unknown keyword in a block for another host" "$SC" 10 \
    'unknown keyword "UseKeychain"'
ssh_takes no "an unknown keyword in a block for another host"
# ... unless IgnoreUnknown before it lists it.
sed -i "1a IgnoreUnknown UseKeychain,AddKeysToKeychain" "$SC"
ssh_takes yes "an unknown keyword in IgnoreUnknown"
run_syncmail -q
assert_rc 0 "an unknown keyword in IgnoreUnknown"
check_exactly_once

# In an Included file (relative: ~/.ssh), named with its own line.
mkdir -p "$T/home/.ssh/conf.d"
printf 'Host *\n    ForwardX11 no\n    PermitRootLogin no\n' \
    >"$T/home/.ssh/conf.d/extra.conf"
write_sc "Include conf.d/*.conf"
mkmsgs "$REMOTE/new" 5 small
refused_run "an unknown keyword in an Included file" \
    "$T/home/.ssh/conf.d/extra.conf" 3 'unknown keyword "PermitRootLogin"'
# In the default ~/.ssh/config.
rm -rf "$T/home/.ssh/conf.d"
write_sc "Cipher blowfish" "GSSAPIAuthentication yes" "EnableSSHKeysigning no"
mv "$SC" "$T/home/.ssh/config"
printf 'account test\n\thost mail\n\tpull %s %s\n' "$REMOTE" "$LOCAL" >"$CONF"
refused_run "an unknown keyword in ~/.ssh/config" "$T/home/.ssh/config" 10 \
    'unknown keyword "EnableSSHKeysigning"'
sed -i 's/EnableSSHKeysigning/EnableSSHKeysign/' "$T/home/.ssh/config"
run_syncmail -q
assert_rc 0 "deprecated and ignored keywords in ~/.ssh/config"
check_exactly_once
rm -f "$T/home/.ssh/config"
printf 'account test\n\thost mail\n\tssh-config %s\n\tpull %s %s\n' \
    "$SC" "$REMOTE" "$LOCAL" >"$CONF"

# Keywords that would make ssh connect otherwise, where they apply.
mkmsgs "$REMOTE/new" 5 small
for kw in "CertificateFile $T/id_ed25519-cert.pub" \
    "IdentityAgent $T/agent.sock" \
    "PKCS11Provider /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so" \
    "SecurityKeyProvider $T/sk.so" "KexAlgorithms curve25519-sha256" \
    "HostKeyAlgorithms ssh-ed25519" "BindAddress 127.0.0.1" \
    "PubkeyAuthentication no"; do
	write_sc "ServerAliveInterval 30" "$kw"
	refused_run "${kw%% *} in the applying block" "$SC" 9 \
	    "${kw%% *} would make ssh connect otherwise, and syncmail does not apply it"
	# the same line for another host only: no matter
	printf '    %s\n' "$kw" >>"$SC"
	sed -i '9d' "$SC"
	run_syncmail -q
	assert_rc 0 "${kw%% *} for another host"
	check_exactly_once
	mkmsgs "$REMOTE/new" 2 small
done
# Match blocks count as blocks too.
write_sc
printf 'Match originalhost mail\n    CertificateFile %s\n' "$T/cert" >>"$SC"
refused_run "CertificateFile in a Match block that applies" "$SC" 11 \
    "CertificateFile would make ssh connect otherwise"
