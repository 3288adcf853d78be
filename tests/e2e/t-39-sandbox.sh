#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The sandbox (SPEC 6), Linux Landlock: once the config is read, syncmail
# can read and write its local Maildirs, read its key and known_hosts
# files, ~/.ssh, /etc and /usr, and nothing else: not a file beside the
# Maildir, not /root or /home, and it can create nothing outside its
# Maildirs, even as root.  The probe of the sanitizer build
# (SYNCMAIL_SANDBOX_PROBE, util/fault.h) tries the paths right after
# the sandbox closes; the same run then pulls every message exactly once.
# A dry run may only read its Maildir.  Missing Maildirs are created
# before the sandbox closes; accept-new records a key in a known_hosts
# whose directory is missing; the ssh-agent's socket, outside every
# allowed path, still works; accounts run with -j 2.  Each ssh config is
# read once, before the sandbox closes: with an Include in ~/.ssh or
# elsewhere the sandbox stays on, and an included file elsewhere is out
# of its reach.  A proxy command turns the sandbox off, and -v says so.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup

# The probe is compiled into the sanitizer build only: the second pass of
# tests/run runs this script with it as $SYNCMAIL, the first borrows it.
case $SYNCMAIL in
*-asan) PROBE_BIN=$SYNCMAIL ;;
*) PROBE_BIN=$ROOT/syncmail/syncmail-asan ;;
esac
[ -n "$ASAN_OPTIONS" ] || ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0
export ASAN_OPTIONS

# run_probe READ CREATE ARGS...: the probe binary with those paths
# (':'-separated) to open for reading and to create, as run_syncmail_env.
run_probe()
{
	rp_read=$1 rp_create=$2
	shift 2
	rp_saved=$SYNCMAIL
	SYNCMAIL=$PROBE_BIN
	run_syncmail_env "SYNCMAIL_SANDBOX_PROBE=$rp_read" \
	    "SYNCMAIL_SANDBOX_PROBE_CREATE=$rp_create" -- "$@"
	SYNCMAIL=$rp_saved
}

# probed read|create PATH RESULT: the probe's line for PATH says RESULT
# ("ok" or the error).
probed()
{
	grep -qxF "syncmail: sandbox probe: $1 $2: $3" "$T/err" ||
		fail "probe $1 $2: want '$3', got:" \
		    "$(grep -F "probe: $1 $2:" "$T/err" || echo nothing)"
}

# Is there a Landlock here at all?
mkmsgs "$REMOTE/new" 5 small
run_syncmail_env -- -vv
assert_rc 0 "syncmail -vv"
check_exactly_once
if grep -q '^sandbox: off: no Landlock here' "$T/out"; then
	note "SKIP most of $TEST_NAME: $(grep '^sandbox: off' "$T/out")"
	exit 0
fi
grep -q '^sandbox: Landlock ABI [0-9]*, [0-9]* paths$' "$T/out" ||
	fail "-vv does not say the Landlock sandbox is on: $(grep sandbox "$T/out")"
# -v alone: a sandbox in force is no news.
mkmsgs "$REMOTE/new" 3 small
run_syncmail_env -- -v
assert_rc 0 "syncmail -v"
grep -q sandbox "$T/out" && fail "-v talks of the sandbox when it is on: $(grep sandbox "$T/out")"
check_exactly_once

# What is allowed and what is not, tried by the probe right after the
# sandbox closes; then the same run pulls.
mkmsg "$LOCAL/cur" "1600000000.M1P1Q1.local:2,S" 300
msg=$LOCAL/cur/1600000000.M1P1Q1.local:2,S
echo "not syncmail's" >"$T/secret.txt"
mkdir -p "$T/home/.ssh"
echo "# nothing" >"$T/home/.ssh/config"
mkmsgs "$REMOTE/new" 40 small
if [ -x "$PROBE_BIN" ]; then
	# ':' separates the probe's paths: name the message by its directory.
	run_probe "$T/secret.txt:/root:/home:$T/home/.ssh/config:/etc/passwd:$T/id_ed25519:$T/known_hosts:$LOCAL/cur" \
	    "$T/created.txt:$T/local/created.txt:$T/home/created.txt:$T/home/.ssh/created:/etc/syncmail-probe:/root/syncmail-probe:$LOCAL/tmp/probe:$LOCAL/new/probe" \
	    -q
	assert_rc 0 "pull with the sandbox probe"
	probed read "$T/secret.txt" "Permission denied"
	probed read /root "Permission denied"
	[ -d /home ] && probed read /home "Permission denied"
	probed read "$T/home/.ssh/config" ok
	probed read /etc/passwd ok
	probed read "$T/id_ed25519" ok
	probed read "$T/known_hosts" ok
	probed read "$LOCAL/cur" ok
	for p in "$T/created.txt" "$T/local/created.txt" "$T/home/created.txt" \
	    "$T/home/.ssh/created" /etc/syncmail-probe /root/syncmail-probe; do
		probed create "$p" "Permission denied"
		[ -e "$p" ] && { rm -f "$p"; fail "the probe created $p"; }
	done
	probed create "$LOCAL/tmp/probe" ok
	probed create "$LOCAL/new/probe" ok
	check_exactly_once
	check_tmp_empty
	# The message in cur/ itself, by a probe of its own (its name has ':').
	cp "$msg" "$LOCAL/copy-of-msg"
	run_probe "$LOCAL/copy-of-msg" "" -q
	assert_rc 0 "probe of a file in the Maildir"
	probed read "$LOCAL/copy-of-msg" ok
	rm -f "$LOCAL/copy-of-msg"

	# A dry run may read its Maildir, and not write there.
	mkmsgs "$REMOTE/new" 4 small
	run_probe "$LOCAL/cur" "$LOCAL/tmp/probe" -n
	assert_rc 0 "dry run with the probe"
	probed read "$LOCAL/cur" ok
	probed create "$LOCAL/tmp/probe" "Permission denied"
	[ "$(count_files "$REMOTE/new")" = 4 ] || fail "the dry run moved messages"
else
	note "$TEST_NAME: no $PROBE_BIN (make asan): the probe part was skipped"
	run_syncmail_env -- -q
	assert_rc 0 "pull"
fi
run_syncmail_env -- -q
assert_rc 0 "pull after the probe runs"
check_exactly_once

# Two accounts, -j 2: one Maildir three levels under a directory that does
# not exist yet (created before the sandbox closes), its known_hosts in a
# directory that does not exist either, host-key-check accept-new.
mkdir -p "$T/remote2"
REMOTE2=$T/remote2/Maildir
mkmaildir "$REMOTE2"
chown -R "$TEST_USER:" "$T/remote2"
LOCAL2=$T/deep/a/b/Maildir
KH2=$T/home/.ssh2/known_hosts
{
	write_account one "$PORT" "pull $REMOTE $LOCAL"
	write_account two "$PORT" "pull $REMOTE2 $LOCAL2"
} >"$CONF"
sed -i "/^account two/,\$s|known-hosts .*|known-hosts $KH2\n\thost-key-check accept-new|" "$CONF"
mkmsgs "$REMOTE/new" 10 small
_gen "$REMOTE2/new" "$TEST_USER" 600 count:12:small
cp "$T/last" "$T/last2"
run_syncmail_env -- -q -j 2
assert_rc 0 "two accounts, -j 2, a new Maildir and a new known_hosts"
[ "$(count_files "$LOCAL2/new")" = 12 ] ||
	fail "account two delivered $(count_files "$LOCAL2/new") of 12"
for d in "$T/deep" "$T/deep/a" "$T/deep/a/b" "$LOCAL2" "$LOCAL2/new"; do
	assert_eq "$(stat -c %a "$d")" 700 "mode of created $d"
done
[ "$(grep -c '' "$KH2")" = 1 ] || fail "accept-new recorded $(grep -c '' "$KH2" 2>/dev/null) lines in $KH2, want 1"
# check_exactly_once looks at $LOCAL: the messages of account two are
# checked there by moving them over with their originals' names.
[ "$(count_files "$REMOTE2/new")" = 0 ] || fail "account two left messages on the server"
while read -r n; do
	[ -f "$LOCAL2/new/$n" ] || fail "account two: $n not delivered"
	cmp -s "$LOCAL2/new/$n" "$T/orig/$n" || fail "account two: $n differs"
	rm -f "$T/orig/$n"
done <"$T/last2"
check_exactly_once

# The ssh-agent's socket is outside every allowed path: connecting to a
# socket is not something Landlock limits, and the agent's key works.
write_config
sed -i '/^\tidentity /d' "$CONF"
start_agent
SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -q "$T/id_ed25519" 2>/dev/null || fail "ssh-add"
mkmsgs "$REMOTE/new" 6 small
run_syncmail_env "SSH_AUTH_SOCK=$AGENT_SOCK" -- -vv
assert_rc 0 "agent under the sandbox"
grep -q '^sandbox: Landlock ABI' "$T/out" || fail "agent run: the sandbox was not on"
check_exactly_once

# An ssh config whose Include is in ~/.ssh: the sandbox stays on.
mkdir -p "$T/home/.ssh/config.d"
printf 'Include config.d/*.conf\n' >"$T/home/.ssh/config"
printf 'Host mail\n    HostName 127.0.0.1\n    Port %s\n' "$PORT" \
    >"$T/home/.ssh/config.d/mail.conf"
write_config
sed -i -e "s|^\thost .*|\thost mail|" -e '/^\tport /d' \
    -e "s|^\tssh-config .*|\tssh-config $T/home/.ssh/config|" "$CONF"
mkmsgs "$REMOTE/new" 4 small
run_syncmail_env -- -vv
assert_rc 0 "ssh config with an Include in ~/.ssh"
grep -q '^sandbox: Landlock ABI' "$T/out" ||
	fail "an Include in ~/.ssh turned the sandbox off: $(grep sandbox "$T/out")"
check_exactly_once
# ... and one elsewhere, in a directory the sandbox hides: read before
# the sandbox closes, so the account connects as it says (its host and
# port come only from there) with the sandbox on, and the included file
# is out of the sandbox's reach afterwards.
mkdir -p "$T/incl"
mv "$T/home/.ssh/config.d/mail.conf" "$T/incl/mail.conf"
printf 'Include %s/incl/*.conf\n' "$T" >"$T/home/.ssh/config"
mkmsgs "$REMOTE/new" 4 small
run_syncmail_env -- -vv
assert_rc 0 "ssh config with an Include outside ~/.ssh"
grep -q '^sandbox: Landlock ABI' "$T/out" ||
	fail "an Include outside ~/.ssh turned the sandbox off: $(grep sandbox "$T/out")"
check_exactly_once
if [ -x "$PROBE_BIN" ]; then
	mkmsgs "$REMOTE/new" 3 small
	run_probe "$T/incl/mail.conf" "" -q
	assert_rc 0 "Include outside ~/.ssh, with the probe"
	probed read "$T/incl/mail.conf" "Permission denied"
	check_exactly_once
fi
rm -rf "$T/home/.ssh/config.d" "$T/incl"
echo "# nothing" >"$T/home/.ssh/config"

# A proxy command: the sandbox is off, -v says so and why, a plain run
# says nothing, and the probe reaches what the sandbox would have denied.
command -v nc >/dev/null || fail "no nc: install netcat-openbsd (tests/deps.sh)"
write_config
conf_add proxy-command "\"nc %h %p\""
mkmsgs "$REMOTE/new" 5 small
run_syncmail_env -- -v
assert_rc 0 "proxy-command, -v"
grep -qxF "sandbox: off: account test runs a proxy command, which may need any file" "$T/out" ||
	fail "-v does not say that a proxy command turns the sandbox off: $(grep sandbox "$T/out")"
check_exactly_once
mkmsgs "$REMOTE/new" 5 small
run_syncmail_env --
assert_rc 0 "proxy-command, plain run"
assert_quiet "proxy-command, plain run"
check_exactly_once
if [ -x "$PROBE_BIN" ]; then
	run_probe "$T/secret.txt" "" -q
	assert_rc 0 "proxy-command with the probe"
	probed read "$T/secret.txt" ok
fi
