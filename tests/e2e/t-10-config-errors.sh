#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Config errors exit 78 with "syncmail: FILE:LINE: message" and attempt
# nothing: an unknown keyword, an account without host, port 70000, a
# duplicate account name, two pulls of one mailbox.  An unknown account on
# the command line is a usage error, 64.  syncmail.conf.example parses.
. "$(dirname "$0")/lib.sh"
setup
mkmsgs "$REMOTE/new" 5 small
(cd "$REMOTE/new" && ls -l) >"$T/remote.0"

untouched()
{
	(cd "$REMOTE/new" && ls -l) >"$T/remote.now"
	cmp -s "$T/remote.0" "$T/remote.now" || fail "$1: the remote new/ changed"
	[ -e "$LOCAL" ] && fail "$1: the local Maildir was created"
	return 0
}

# bad_conf WHAT LINES WORD: $T/bad.conf (from stdin) must fail with 78 and
# "syncmail: $T/bad.conf:N: " for some N in LINES (space separated), the
# message containing WORD (if not empty), and attempt nothing.
bad_conf()
{
	cat >"$T/bad.conf"
	CONF=$T/bad.conf
	run_syncmail -q
	CONF=$T/syncmail.conf
	assert_rc 78 "$1"
	ok=
	for l in $2; do
		grep -qF "syncmail: $T/bad.conf:$l: " "$T/err" && ok=$l
	done
	[ -n "$ok" ] || fail "$1: stderr lacks 'syncmail: $T/bad.conf:LINE: ' with LINE in {$2}: $(head -n 2 "$T/err")"
	[ -z "$3" ] || grep -F "syncmail: $T/bad.conf:$ok: " "$T/err" | grep -qi -- "$3" ||
		fail "$1: the message does not mention '$3': $(head -n 1 "$T/err")"
	untouched "$1"
}

# account_lines NAME: 7 lines, an account without its pull.
account_lines()
{
	printf 'account %s\n\thost 127.0.0.1\n\tport %s\n\tuser %s\n' "$1" "$PORT" "$TEST_USER"
	printf '\tidentity %s\n\tknown-hosts %s\n\tssh-config none\n' "$T/id_ed25519" "$T/known_hosts"
}

bad_conf 'unknown keyword "hots"' 3 hots <<CONF
# line 1
account test
	hots 127.0.0.1
	port $PORT
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	pull $REMOTE $LOCAL
CONF

bad_conf "an account without host" "1 2 3 4 5 6 7" host <<CONF
account test
	port $PORT
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	pull $REMOTE $LOCAL
CONF

bad_conf "port 70000" 4 70000 <<CONF
account test

	host 127.0.0.1
	port 70000
	user $TEST_USER
	identity $T/id_ed25519
	pull $REMOTE $LOCAL
CONF

{
	account_lines test
	printf '\tpull %s %s\n\n' "$REMOTE" "$LOCAL"
	account_lines test
	printf '\tpull %s %s\n' "$T/remote/other" "$T/local/other"
} >"$T/in.conf"
bad_conf "a duplicate account name" 10 test <"$T/in.conf"

{
	account_lines test
	printf '\tpull %s %s\n\n' "$REMOTE" "$LOCAL"
	account_lines test2
	printf '\tpull %s %s\n' "$REMOTE" "$T/local/second"
} >"$T/in.conf"
bad_conf "two accounts pulling one mailbox" "8 17" "" <"$T/in.conf"

{
	account_lines test
	printf '\tpull %s %s\n' "$REMOTE" "$LOCAL"
	printf '\tpull %s %s\n' "$REMOTE" "$T/local/second"
} >"$T/in.conf"
bad_conf "two pulls of one mailbox in one account" "8 9" "" <"$T/in.conf"

# An unknown account named on the command line: usage error.
run_syncmail -q no-such-account
assert_rc 64 "an unknown account on the command line"
[ -s "$T/err" ] || fail "an unknown account on the command line: nothing on stderr"
untouched "an unknown account on the command line"

# The shipped example parses: with an account name it does not define,
# syncmail must stop at the usage error (64), not at a config error (78).
example=$ROOT/syncmail.conf.example
if [ -f "$example" ]; then
	CONF=$example
	run_syncmail -n no-such-account-e2e
	CONF=$T/syncmail.conf
	grep -q 'syncmail\.conf\.example:[0-9]*:' "$T/err" &&
		fail "syncmail.conf.example does not parse: $(head -n 1 "$T/err")"
	assert_rc 64 "syncmail.conf.example with an unknown account"
else
	note "no syncmail.conf.example yet: its parse check skipped"
fi
