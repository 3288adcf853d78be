#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Match blocks and HostKeyAlias in the ssh config (SPEC 6).
#
# Match: the account's Host block names the HostName and a Host * block
# a closed port; a "Match host 127.0.0.1 exec "test -f FILE"" block
# between them gives the sshd's port.  So mail moves exactly when FILE
# exists (the block applies: "host" is the HostName so far, exec's %n
# the name asked for), and the account fails (75) when it does not;
# "!exec" turns it round.  The exec command runs once per run (it
# counts itself, in a file the sandbox would not let it write later),
# and not at all when a criterion before it fails.  Match user sees the
# User so far.  For each criterion, with the file and without, the port
# syncmail connects to is the one "ssh -G" gives for the same file.
#
# HostKeyAlias: known_hosts holds the server's key only under a bare
# alias (no port, though the sshd is not on 22): with "HostKeyAlias
# alias" the run succeeds, as ssh does with the same files; without it
# the key is unknown (77).  accept-new records the key under the alias;
# a different key under the alias is a changed key (77).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup

CLOSED=$(free_port) || fail "no free port"
SC=$T/ssh_config
KEY=$(cut -d' ' -f1,2 "$HOSTKEY_PUB")
printf 'account test\n\thost mail\n\tssh-config %s\n\tpull %s %s\n' \
    "$SC" "$REMOTE" "$LOCAL" >"$CONF"

# write_match CRITERIA: the ssh config with a Match CRITERIA block that
# gives the right port.
write_match()
{
	cat >"$SC" <<EOS
Host mail
    HostName 127.0.0.1
    User $TEST_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
Match user nobody
    Port $CLOSED
Match $1
    Port $PORT
Host *
    Port $CLOSED
EOS
}

EXEC="exec \"echo run >>$T/execs; test -f $T/flag.%n\""
write_match "host 127.0.0.1 $EXEC"
: >"$T/execs"
mkmsgs "$REMOTE/new" 20 small
run_syncmail -q
assert_rc 75 "Match exec with the file missing"
grep -q "port $CLOSED" "$T/err" || fail "not the Host * port without the file"
[ "$(count_files "$REMOTE/new")" = 20 ] || fail "file missing: messages moved"
[ "$(wc -l <"$T/execs")" = 1 ] ||
	fail "the exec command ran $(wc -l <"$T/execs") times in a run, want 1"

touch "$T/flag.mail"
run_syncmail -q
assert_rc 0 "Match exec with the file there"
assert_quiet "Match exec with the file there"
check_exactly_once
[ "$(wc -l <"$T/execs")" = 2 ] || fail "the exec command did not run once more"

# Negated: the block applies when the file is missing.
write_match "host 127.0.0.1 !$EXEC"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 75 "Match !exec with the file there"
rm -f "$T/flag.mail"
run_syncmail -q
assert_rc 0 "Match !exec with the file missing"
check_exactly_once

# "host" is the HostName so far: the name asked for does not match it,
# and the exec after the failed criterion is not run.
write_match "host mail $EXEC"
touch "$T/flag.mail"
: >"$T/execs"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 75 "Match host against the name asked for"
[ ! -s "$T/execs" ] || fail "exec ran after a criterion that failed"
# originalhost is the name asked for; user the User so far.
write_match "originalhost mail user $TEST_USER $EXEC"
run_syncmail -q
assert_rc 0 "Match originalhost and user"
check_exactly_once

# ssh agrees on which block applies: the port syncmail connects to is
# the one "ssh -G" prints, for each criterion, with the file and without.
for crit in "host 127.0.0.1 $EXEC" "host mail $EXEC" "!host 127.0.0.1" \
    "originalhost mail user $TEST_USER" "originalhost MAIL,!x" \
    "user nobody" "localuser root" "!localuser root" "all" "!all" \
    "canonical" "!canonical" "!originalhost mail $EXEC"; do
	for flag in 0 1; do
		if [ "$flag" = 1 ]; then
			touch "$T/flag.mail"
		else
			rm -f "$T/flag.mail"
		fi
		write_match "$crit"
		want=$(env HOME="$T/home" ssh -G -F "$SC" mail 2>/dev/null |
		    awk '$1 == "port" { print $2 }')
		[ -n "$want" ] || fail "ssh -G with Match $crit printed no port"
		run_syncmail -vv
		got=$(sed -n 's/.*connecting to 127\.0\.0\.1 port \([0-9]*\) as .*/\1/p' \
		    "$T/out" | head -n 1)
		assert_eq "$got" "$want" "Match $crit (file there: $flag), the port ssh -G gives"
	done
done
check_exactly_once

# HostKeyAlias: only the alias's entry, bare, though the port is not 22.
cat >"$SC" <<EOS
Host mail
    HostName 127.0.0.1
    Port $PORT
    User $TEST_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
    HostKeyAlias mail-alias.example
EOS
echo "mail-alias.example $KEY" >"$T/known_hosts"
mkmsgs "$REMOTE/new" 10 small
run_syncmail -vv
assert_rc 0 "HostKeyAlias with only the alias in known_hosts"
check_exactly_once
grep -q "matches $T/known_hosts" "$T/out" || fail "-vv does not show the match"
# ssh agrees, with the same files
env HOME="$T/home" setsid -w timeout -k 5 60 ssh -F "$SC" -o BatchMode=yes \
    mail true </dev/null >"$T/ssh.out" 2>"$T/ssh.err" ||
	fail "ssh with the same HostKeyAlias does not connect: $(cat "$T/ssh.err")"
# Without the alias the same known_hosts does not know the server.
sed -i '/HostKeyAlias/d' "$SC"
mkmsgs "$REMOTE/new" 3 small
run_syncmail -q
assert_rc 77 "the alias's entry without HostKeyAlias"
grep -q "host key for \[127.0.0.1\]:$PORT is unknown" "$T/err" ||
	fail "not an unknown key without HostKeyAlias"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "without HostKeyAlias: messages moved"

# accept-new records the key under the alias, and only there.
printf '    HostKeyAlias mail-alias.example\n    StrictHostKeyChecking accept-new\n' >>"$SC"
: >"$T/known_hosts"
run_syncmail -q
assert_rc 0 "accept-new with HostKeyAlias"
check_exactly_once
[ "$(cut -d' ' -f1-3 "$T/known_hosts")" = "mail-alias.example $KEY" ] ||
	fail "accept-new did not record the key under the alias: $(cat "$T/known_hosts")"
mkmsgs "$REMOTE/new" 3 small
run_syncmail -q
assert_rc 0 "the key accept-new recorded under the alias"
check_exactly_once

# Another key under the alias: changed, refused even with accept-new.
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" || fail "ssh-keygen"
echo "mail-alias.example $(cut -d' ' -f1,2 "$T/other_key.pub")" >"$T/known_hosts"
mkmsgs "$REMOTE/new" 3 small
run_syncmail -q
assert_rc 77 "another key under the alias"
grep -q "HOST KEY FOR mail-alias.example HAS CHANGED" "$T/err" ||
	fail "a changed key under the alias is not said so"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "changed key: messages moved"
