#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# ~/.ssh/config (SPEC 3): a "Host mail" block with HostName, Port, User,
# IdentityFile (with %d and %h) and UserKnownHostsFile (from an Included
# file) is all an account needs besides "host mail" and its pull.  The
# first matching block wins over a later "Host *"; syncmail.conf's own
# values win over the ssh config's; the default file is ~/.ssh/config and
# "ssh-config none" turns it off.  StrictHostKeyChecking accept-new
# applies; "no" is refused (78) unless syncmail.conf sets host-key-check.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup

mkdir -p "$T/home/.ssh/conf.d"
cp "$T/id_ed25519" "$T/home/.ssh/127.0.0.1.key"
SC=$T/ssh_config
cat >"$SC" <<EOS
# an ssh config as users write them
Host other
    HostName 192.0.2.1
    Port 1
Host mail !notmail
    HostName 127.0.0.1
    Port $PORT
    User $TEST_USER
    IdentityFile %d/.ssh/%h.key
    Include conf.d/*.conf
    ForwardAgent no
Host *
    HostName 192.0.2.2
    Port 2
    User nobody
    UserKnownHostsFile /nonexistent
    ServerAliveInterval 30
EOS
echo "UserKnownHostsFile $T/known_hosts" >"$T/home/.ssh/conf.d/kh.conf"

# mail_config [LINE...]: account "test" for host "mail", with LINEs.
mail_config()
{
	{
		printf 'account test\n\thost mail\n'
		for mc_line; do
			printf '\t%s\n' "$mc_line"
		done
		printf '\tpull %s %s\n' "$REMOTE" "$LOCAL"
	} >"$CONF"
}

mail_config "ssh-config $SC"
mkmsgs "$REMOTE/new" 20 small
run_syncmail -vv
assert_rc 0 "account completed by the ssh config"
check_exactly_once
grep -q "connecting to 127.0.0.1 port $PORT as $TEST_USER (from Port User HostName IdentityFile UserKnownHostsFile in the ssh config)" "$T/out" ||
	fail "-vv does not say what came from the ssh config: $(grep connecting "$T/out")"

# The default: ~/.ssh/config.
cp "$SC" "$T/home/.ssh/config"
mail_config
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 0 "the default ~/.ssh/config"
check_exactly_once

# "ssh-config none": the alias means nothing any more.
mail_config "ssh-config none" "port $PORT" "identity $T/id_ed25519" \
    "known-hosts $T/known_hosts"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
# "mail" is then looked up as it is: 68 where the machine's resolver says
# there is no such name, 75 where it cannot say (no network).
[ "$RC" = 68 ] || [ "$RC" = 75 ] ||
	fail "ssh-config none with an alias for a host exited $RC, want 68 or 75"
grep -q "mail" "$T/err" || fail "no error naming the host"
[ "$(count_files "$REMOTE/new")" = 5 ] || fail "ssh-config none: messages moved"

# syncmail.conf wins: its own port and user are used.
mail_config "ssh-config $SC" "port $(free_port)"
run_syncmail -q
assert_rc 75 "syncmail.conf's port over the ssh config's"
mail_config "ssh-config $SC" "user root"
run_syncmail -q
assert_rc 77 "syncmail.conf's user over the ssh config's"
grep -q "authentication as root@127.0.0.1 failed" "$T/err" ||
	fail "not the user of syncmail.conf"
mail_config "ssh-config $SC"
run_syncmail -q
assert_rc 0 "back to the ssh config's values"
check_exactly_once

# StrictHostKeyChecking accept-new from the ssh config, into its file.
: >"$T/known_hosts"
sed -i 's|^Host \*|    StrictHostKeyChecking accept-new\nHost *|' "$SC"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 0 "StrictHostKeyChecking accept-new"
check_exactly_once
ssh-keygen -F "[127.0.0.1]:$PORT" -f "$T/known_hosts" >/dev/null ||
	fail "StrictHostKeyChecking accept-new did not record the key"

# StrictHostKeyChecking no: refused, nothing attempted for the account.
sed -i 's|StrictHostKeyChecking accept-new|StrictHostKeyChecking no|' "$SC"
line=$(grep -n 'StrictHostKeyChecking' "$SC" | cut -d: -f1)
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 78 "StrictHostKeyChecking no"
grep -q "$SC:$line: \"StrictHostKeyChecking no\" is refused" "$T/err" ||
	fail "the refusal does not name the ssh config line"
grep -q "host-key-check" "$T/err" || fail "the refusal does not say how to override"
[ "$(count_files "$REMOTE/new")" = 5 ] || fail "StrictHostKeyChecking no: messages moved"
# ... unless syncmail.conf says how to check.
mail_config "ssh-config $SC" "host-key-check yes"
run_syncmail -q
assert_rc 0 "host-key-check yes over StrictHostKeyChecking no"
check_exactly_once

# A broken ssh config is an error naming its file and line.
printf 'Host mail\n    Port 99999\n' >"$SC"
run_syncmail -q
assert_rc 78 "a bad Port in the ssh config"
grep -q "$SC:2: Port must be 1-65535" "$T/err" || fail "no file:line for a bad ssh config"
# A named ssh config that does not exist is an error; the default is not.
rm -f "$SC"
run_syncmail -q
assert_rc 78 "a missing ssh-config file"
grep -q "$SC: No such file" "$T/err" || fail "a missing ssh-config is not reported"
# An ssh config error stops everything before any account runs (SPEC 2:
# 78), also an account listed before the broken one.
REMOTE2=$T/remote/Two
mkmaildir "$REMOTE2" "$TEST_USER"
mkmsg "$REMOTE2/new" 1700000100.M1P1Q1.first 300
mail_config "ssh-config $SC"
{
	printf 'account first\n\thost 127.0.0.1\n\tport %s\n\tuser %s\n' \
	    "$PORT" "$TEST_USER"
	printf '\tidentity %s\n\tknown-hosts %s\n\tssh-config none\n' \
	    "$T/id_ed25519" "$T/known_hosts"
	printf '\tpull %s %s\n' "$REMOTE2" "$T/local/Two"
	cat "$CONF"
} >"$CONF.new" && mv "$CONF.new" "$CONF"
run_syncmail -q
assert_rc 78 "an ssh config error of the second account"
grep -q "$SC: No such file" "$T/err" || fail "the ssh config error is not reported"
assert_eq "$(count_files "$REMOTE2/new")" 1 "the first account's messages after the second's ssh config error"
