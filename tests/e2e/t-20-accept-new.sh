#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# host-key-check accept-new and refusals (SPEC 6): the first run records
# the unknown key with one appended line and moves mail, the second uses
# it, a changed server key is refused (77) with the file left byte for
# byte as it was; a hashed known_hosts gets a hashed line.  An @revoked
# entry for the server's key is refused (77) even though the key is also
# listed, with or without accept-new.  Each refusal says what to do: the
# exact line to add, or the ssh-keygen -R command.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
key=$(cut -d' ' -f1,2 "$HOSTKEY_PUB")
name="[127.0.0.1]:$PORT"

# Unknown key with host-key-check yes: the message gives the exact line.
: >"$T/known_hosts"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 77 "unknown key, host-key-check yes"
grep -qF "add this line to $T/known_hosts: $name $key" "$T/err" ||
	fail "the refusal of an unknown key does not give the line to add"
[ -s "$T/known_hosts" ] && fail "host-key-check yes wrote to known_hosts"
# ... and that line is indeed all it takes.
sed -n 's/.*add this line to [^:]*: \(.*\) -- or set.*/\1/p' "$T/err" \
    >"$T/known_hosts"
run_syncmail -q
assert_rc 0 "with the line the refusal gave"
check_exactly_once

# accept-new, no known_hosts file at all (its directory missing too).
write_config
sed -i "s|known-hosts .*|known-hosts $T/home/.ssh/known_hosts|" "$CONF"
conf_add host-key-check accept-new
KH=$T/home/.ssh/known_hosts
mkmsgs "$REMOTE/new" 20 small
run_syncmail -q
assert_rc 0 "accept-new, first run"
check_exactly_once
[ "$(grep -c '' "$KH")" = 1 ] || fail "accept-new wrote $(grep -c '' "$KH") lines, want 1"
assert_eq "$(cat "$KH")" "$name $key" "the recorded line"
[ "$(stat -c %a "$KH")" = 600 ] || fail "known_hosts mode $(stat -c %a "$KH"), want 600"
grep -q "added host key for \[127.0.0.1\]:$PORT" "$T/err" ||
	fail "accept-new did not say it added the key"
cp "$KH" "$T/kh.first"

mkmsgs "$REMOTE/new" 20 small
run_syncmail -q
assert_rc 0 "accept-new, second run"
assert_quiet "accept-new, second run"
check_exactly_once
cmp -s "$KH" "$T/kh.first" || fail "the second run changed known_hosts"

# The server's key changes: refused, loudly, and the file stays as it was.
ssh-keygen -q -t ed25519 -N '' -C new-host -f "$T/newkey" || fail ssh-keygen
cp "$T/newkey" "$T/ssh_host_ed25519_key"
cp "$T/newkey.pub" "$T/ssh_host_ed25519_key.pub"
restart_sshd
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 77 "accept-new with a changed server key"
cmp -s "$KH" "$T/kh.first" || fail "a changed key modified known_hosts"
[ "$(count_files "$REMOTE/new")" = 5 ] || fail "changed key: messages moved"
grep -q "HOST KEY FOR \[127.0.0.1\]:$PORT HAS CHANGED" "$T/err" ||
	fail "the changed key is not reported loudly"
grep -qF "ssh-keygen -R '$name' -f $KH" "$T/err" ||
	fail "the refusal does not give the ssh-keygen -R command"
# Doing what it says, then accept-new records the new key.
ssh-keygen -R "$name" -f "$KH" >/dev/null 2>&1 || fail "ssh-keygen -R"
run_syncmail -q
assert_rc 0 "after ssh-keygen -R"
check_exactly_once
key=$(cut -d' ' -f1,2 "$HOSTKEY_PUB")
assert_eq "$(cat "$KH")" "$name $key" "the newly recorded line"

# A hashed file gets a hashed line, appended after what was there.
ssh-keygen -q -t ecdsa -N '' -C other -f "$T/other" || fail ssh-keygen
printf '%s %s\n' "$(hashed_name other.example.org)" \
    "$(cut -d' ' -f1,2 "$T/other.pub")" >"$KH"
cp "$KH" "$T/kh.hashed"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 0 "accept-new into a hashed known_hosts"
check_exactly_once
[ "$(grep -c '' "$KH")" = 2 ] || fail "want 2 lines in the hashed file"
head -n 1 "$KH" | cmp -s - "$T/kh.hashed" || fail "the first line was changed"
tail -n 1 "$KH" | grep -q '^|1|[A-Za-z0-9+/=]*|[A-Za-z0-9+/=]* ssh-ed25519 ' ||
	fail "the added line is not hashed: $(tail -n 1 "$KH")"
grep -q 127.0.0.1 "$KH" && fail "the host name is in clear in a hashed file"
ssh-keygen -F "$name" -f "$KH" | grep -qF "$(cut -d' ' -f2 "$HOSTKEY_PUB")" ||
	fail "ssh-keygen -F does not find the hashed line for $name"
cp "$KH" "$T/kh.hashed2"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 0 "hashed line, second run"
check_exactly_once
cmp -s "$KH" "$T/kh.hashed2" || fail "the second run changed the hashed file"

# @revoked: refused even though the key is listed as known as well.
mkmsgs "$REMOTE/new" 3 small
for how in plain hashed; do
	if [ $how = plain ]; then
		rname="$name"
	else
		rname=$(hashed_name "$name")
	fi
	{
		echo "$name $key"
		echo "@revoked $rname $key"
	} >"$KH"
	cp "$KH" "$T/kh.revoked"
	for check in yes accept-new; do
		sed -i "s/host-key-check .*/host-key-check $check/" "$CONF"
		run_syncmail -q
		assert_rc 77 "@revoked ($how) with host-key-check $check"
		grep -q "REVOKED in $KH (line 2)" "$T/err" ||
			fail "@revoked ($how): the message does not name the line"
		grep -qF "ssh-keygen -R '$name' -f $KH" "$T/err" ||
			fail "@revoked ($how): no ssh-keygen -R command"
		cmp -s "$KH" "$T/kh.revoked" || fail "@revoked ($how): file changed"
		[ "$(count_files "$REMOTE/new")" = 3 ] ||
			fail "@revoked ($how): messages moved"
	done
done
