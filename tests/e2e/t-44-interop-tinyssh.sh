#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# tinysshd (Debian tinysshd) offers chacha20-poly1305 as its only cipher,
# which libssh2 1.10 lacks: refused cleanly, exit 76 (SPEC 2) with a
# message that names the cipher and both sides' lists, nothing moved; the
# next run against a server that works moves the messages.  tinysshd
# talks on stdin and stdout: tests/e2e/inetd.py runs it per connection.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
TINYSSHD=/usr/sbin/tinysshd
[ -x "$TINYSSHD" ] || fail "no $TINYSSHD: install tinysshd (tests/deps.sh)"
tinysshd-makekey "$T/tinyssh" || fail "tinysshd-makekey"
FAIL_LOG=$T/tinysshd.log

for try in 1 2 3; do
	TS_PORT=$(free_port) || fail "no free port"
	if launch_daemon "$TS_PORT" "$T/tinysshd.log" python3 /usr/bin/python3 \
	    "$E2E_DIR/inetd.py" "$TS_PORT" "$TINYSSHD" -v "$T/tinyssh"; then
		TS_PID=$DAEMON_PID
		break
	fi
	TS_PID=
done
[ -n "$TS_PID" ] || { cat "$T/tinysshd.log"; fail "inetd.py with tinysshd did not start"; }
echo "[127.0.0.1]:$TS_PORT $(tinysshd-printkey "$T/tinyssh" | cut -d' ' -f1,2)" \
    >>"$T/known_hosts"
banner=$(printf '' | nc -w 2 127.0.0.1 "$TS_PORT" 2>/dev/null | head -n 1 | tr -d '\r')
case $banner in
SSH-2.0-tinyssh*) ;;
*) fail "no tinysshd banner on port $TS_PORT: '$banner'" ;;
esac

mkmsgs "$REMOTE/new" 3 small
write_account test "$TS_PORT" "pull $REMOTE $LOCAL" >"$CONF"
run_syncmail -q
assert_rc 76 "tinysshd (chacha20-poly1305 only)"
grep -q "no cipher in common with the server (it offers chacha20-poly1305@openssh.com; libssh2 1\.10[.0-9]* has aes128-ctr," "$T/err" ||
	fail "tinysshd: the missing cipher is not named: $(cat "$T/err")"
[ "$(grep -c '' "$T/err")" = 1 ] || fail "tinysshd: more than one line said: $(cat "$T/err")"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "tinysshd: messages moved"
[ "$(count_files "$LOCAL/new")" = 0 ] || fail "tinysshd: messages delivered"

# 76 is worse than 75: with an account whose server is down, 76 wins.
DOWN=$(free_port) || fail "no free port"
{
	write_account tiny "$TS_PORT" "pull $REMOTE $LOCAL"
	write_account down "$DOWN" "pull $REMOTE $T/local/Down"
} >"$CONF"
mkmaildir "$T/local/Down"
run_syncmail -q
assert_rc 76 "tinysshd and a server that is down (76 > 75)"
grep -q "^syncmail: down: .*port $DOWN" "$T/err" && grep -q "^syncmail: tiny: " "$T/err" ||
	fail "tinysshd and a server that is down: not both said: $(cat "$T/err")"
# ... and 77 worse than 76: with an account whose host key is unknown.
{
	write_account tiny "$TS_PORT" "pull $REMOTE $LOCAL"
	write_account unknown "$PORT" "pull $REMOTE $T/local/Down"
} | sed "/account unknown/,\$s|known-hosts .*|known-hosts $T/empty_known_hosts|" >"$CONF"
: >"$T/empty_known_hosts"
run_syncmail -q -j 2
assert_rc 77 "tinysshd and an unknown host key, -j 2 (77 > 76)"
grep -q "^syncmail: unknown: host key for .* is unknown" "$T/err" ||
	fail "tinysshd and an unknown host key: not said: $(cat "$T/err")"

# The standard sshd moves them.
write_account test "$PORT" "pull $REMOTE $LOCAL" >"$CONF"
run_syncmail -q
assert_rc 0 "sshd after tinysshd"
check_exactly_once
check_tmp_empty

version=${banner#SSH-2.0-tinyssh_}
note "tinysshd ${version%% *}: refused, exit 76 naming the" \
    "cipher (chacha20-poly1305 only); 76 over 75, 77 over 76"
