#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# More host key cases (SPEC 6 and 7): accept-new records an unknown key
# and then works, but never replaces a changed one; known_hosts is read
# line by line, so comments, junk lines and other hosts' entries before
# ours do not hide it; a bare "127.0.0.1" entry does not cover a port other
# than 22; an @revoked host key is refused.
. "$(dirname "$0")/lib.sh"
setup
good_line=$(cat "$T/known_hosts")
key=$(cut -d' ' -f1,2 "$HOSTKEY_PUB")

# accept-new, unknown host: recorded, mail moved.
conf_add host-key-check accept-new
: >"$T/known_hosts"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 0 "accept-new with an unknown host"
check_exactly_once
ssh-keygen -F "[127.0.0.1]:$PORT" -f "$T/known_hosts" >"$T/found" 2>&1 ||
	fail "accept-new did not record [127.0.0.1]:$PORT in known_hosts: $(cat "$T/known_hosts")"
grep -qF "$(cut -d' ' -f2 "$HOSTKEY_PUB")" "$T/found" ||
	fail "accept-new recorded another key: $(cat "$T/known_hosts")"
# ... and the next run uses the recorded key.
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 0 "accept-new, second run"
check_exactly_once

# accept-new never accepts a changed key.
ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other_key" || fail ssh-keygen
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/other_key.pub")" >"$T/known_hosts"
cp "$T/known_hosts" "$T/kh.before"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 77 "accept-new with a changed host key"
cmp -s "$T/known_hosts" "$T/kh.before" || fail "accept-new rewrote known_hosts for a changed key"
[ "$(count_files "$REMOTE/new")" = 5 ] || fail "changed key with accept-new: messages moved"

# Back to "yes".  Noise before our entry.
write_config
ssh-keygen -q -t ecdsa -N '' -C third -f "$T/third_key" || fail ssh-keygen
{
	echo "# comment line"
	echo ""
	echo "this line is not a known_hosts entry at all"
	echo "example.org,192.0.2.1 $(cut -d' ' -f1,2 "$T/third_key.pub")"
	echo "[127.0.0.1]:$((PORT == 65535 ? 1 : PORT + 1)) $(cut -d' ' -f1,2 "$T/other_key.pub")"
	echo "$good_line"
} >"$T/known_hosts"
run_syncmail -q
assert_rc 0 "known_hosts with comments, junk and other hosts before ours"
check_exactly_once

# A bare 127.0.0.1 entry is for port 22 only.
echo "127.0.0.1 $key" >"$T/known_hosts"
mkmsgs "$REMOTE/new" 3 small
run_syncmail -q
assert_rc 77 "only a port-22 entry for a server on port $PORT"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "port-22 entry: messages moved"

# @revoked.
{
	echo "@revoked * $key"
	echo "$good_line"
} >"$T/known_hosts"
run_syncmail -q
assert_rc 77 "a revoked host key"
[ "$(count_files "$REMOTE/new")" = 3 ] || fail "revoked key: messages moved"

echo "$good_line" >"$T/known_hosts"
run_syncmail -q
assert_rc 0 "the plain entry again"
check_exactly_once
