#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Host keys: an unknown key (empty known_hosts) is refused with exit 77 and
# its SHA256 fingerprint printed; a changed key is refused with 77; in both
# cases nothing moves.  A hashed known_hosts works, as does the plain
# [127.0.0.1]:PORT entry.
. "$(dirname "$0")/lib.sh"
setup

mkmsgs "$REMOTE/new" 10 small
fp=$(ssh-keygen -l -E sha256 -f "$HOSTKEY_PUB" | cut -d' ' -f2)
case $fp in SHA256:?*) ;; *) fail "ssh-keygen gave no fingerprint: $fp" ;; esac
good_line=$(cat "$T/known_hosts")
snapshot()
{
	(cd "$REMOTE/new" && find . -printf '%p %s %Ts\n' | sort) >"$T/remote.$1"
}
nothing_moved()
{
	snapshot now
	cmp -s "$T/remote.0" "$T/remote.now" || fail "$1: the remote new/ changed"
	[ "$(count_files "$LOCAL/new")" = 0 ] && [ "$(count_files "$LOCAL/cur")" = 0 ] ||
		fail "$1: messages were delivered"
}
snapshot 0

# Unknown host key.
: >"$T/known_hosts"
run_syncmail -q
assert_rc 77 "unknown host key"
grep -q 'SHA256:' "$T/err" || fail "unknown host key: no SHA256: fingerprint on stderr"
grep -qF "$fp" "$T/err" || fail "unknown host key: stderr lacks the fingerprint $fp"
grep -qi 'ed25519' "$T/err" || fail "unknown host key: stderr does not name the key type"
grep -q '^syncmail: test: ' "$T/err" || fail "unknown host key: message not 'syncmail: test: ...'"
nothing_moved "unknown host key"
[ -s "$T/known_hosts" ] && fail "host-key-check yes wrote to known_hosts"

# Changed host key: known_hosts holds another ed25519 key for the host.
ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other_key" || fail ssh-keygen
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/other_key.pub")" >"$T/known_hosts"
cp "$T/known_hosts" "$T/known_hosts.changed"
run_syncmail -q
assert_rc 77 "changed host key"
grep -q '^syncmail: test: ' "$T/err" || fail "changed host key: message not 'syncmail: test: ...'"
nothing_moved "changed host key"
cmp -s "$T/known_hosts" "$T/known_hosts.changed" || fail "changed host key: known_hosts was modified"

# Hashed known_hosts.
echo "$good_line" >"$T/known_hosts"
ssh-keygen -q -H -f "$T/known_hosts" >/dev/null 2>&1 || fail "ssh-keygen -H"
grep -q '^|1|' "$T/known_hosts" || fail "ssh-keygen -H did not hash"
grep -q '127.0.0.1' "$T/known_hosts" && fail "ssh-keygen -H left a plain entry"
run_syncmail -q
assert_rc 0 "hashed known_hosts"
check_exactly_once
check_tmp_empty

# The plain [127.0.0.1]:PORT entry.
echo "$good_line" >"$T/known_hosts"
mkmsgs "$REMOTE/new" 10 small
run_syncmail -q
assert_rc 0 "plain [127.0.0.1]:$PORT entry"
check_exactly_once
