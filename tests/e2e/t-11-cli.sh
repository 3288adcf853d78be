#!/bin/sh
# Command line: -h prints usage and exits 0; -V prints the syncmail,
# libssh2 and OpenSSL versions and exits 0; a bad flag exits 64; -n lists
# what would be moved and changes nothing on either side.
. "$(dirname "$0")/lib.sh"
setup

sm()
{
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 30 "$SYNCMAIL" "$@" \
	    </dev/null >"$T/out" 2>"$T/err"
	RC=$?
}

sm -h
assert_rc 0 "syncmail -h"
cat "$T/out" "$T/err" | grep -qi 'usage' || fail "syncmail -h printed no usage"
cat "$T/out" "$T/err" | grep -q -- '-c' || fail "syncmail -h does not mention -c"

sm -V
assert_rc 0 "syncmail -V"
cat "$T/out" "$T/err" >"$T/v"
grep -qi 'syncmail' "$T/v" || fail "syncmail -V does not name syncmail"
grep -qi 'libssh2' "$T/v" || fail "syncmail -V does not name libssh2"
grep -qi 'openssl' "$T/v" || fail "syncmail -V does not name OpenSSL"
v=$(pkg-config --modversion libssh2 2>/dev/null)
[ -z "$v" ] || grep -qF "$v" "$T/v" || fail "syncmail -V lacks the libssh2 version $v: $(cat "$T/v")"
v=$(openssl version 2>/dev/null | cut -d' ' -f2)
[ -z "$v" ] || grep -qF "$v" "$T/v" || fail "syncmail -V lacks the OpenSSL version $v: $(cat "$T/v")"

mkmsgs "$REMOTE/new" 6 small
(cd "$REMOTE/new" && ls -l --time-style=+%s) >"$T/remote.0"
untouched()
{
	(cd "$REMOTE/new" && ls -l --time-style=+%s) >"$T/remote.now"
	cmp -s "$T/remote.0" "$T/remote.now" || fail "$1: the remote new/ changed"
	[ -e "$LOCAL" ] && fail "$1: the local Maildir was created"
	return 0
}

for args in "-Z" "-c" "-j abc" "-q -Z test"; do
	# shellcheck disable=SC2086
	sm $args
	assert_rc 64 "syncmail $args"
	[ -s "$T/err" ] || fail "syncmail $args: nothing on stderr"
	untouched "syncmail $args"
done

run_syncmail -n
assert_rc 0 "syncmail -n"
while read -r name; do
	grep -qF "$name" "$T/out" || fail "syncmail -n does not list $name"
done <"$T/last"
untouched "syncmail -n"
run_syncmail -n -v
assert_rc 0 "syncmail -n -v"
untouched "syncmail -n -v"

# And the real run afterwards still moves them all.
run_syncmail -q
assert_rc 0 "syncmail after -n"
check_exactly_once
