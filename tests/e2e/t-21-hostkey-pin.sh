#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Host key algorithm pinning (SPEC 7): a server with both an ed25519 and
# an ECDSA host key, known by only one of them, works either way: the key
# type known_hosts holds is the one asked for.  Lines of key types we
# cannot use, markers we do not know and junk are skipped with a -v note,
# and do not hide the entries after them.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/lib-connect.sh"
setup
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$T/ssh_host_ecdsa_key" || fail ssh-keygen
start_sshd_like both "$T/ssh_host_ecdsa_key" "$T/ssh_host_ed25519_key"
name="[127.0.0.1]:$PORT2"
ed=$(cut -d' ' -f1,2 "$HOSTKEY_PUB")
ec=$(cut -d' ' -f1,2 "$T/ssh_host_ecdsa_key.pub")
write_account test "$PORT2" "pull $REMOTE $LOCAL" >"$CONF"

# Known by its ed25519 key only.
echo "$name $ed" >"$T/known_hosts"
mkmsgs "$REMOTE/new" 20 small
run_syncmail -vv
assert_rc 0 "known by ed25519 only, server also has ECDSA"
check_exactly_once
grep -q "host key ssh-ed25519 SHA256:.* matches" "$T/out" ||
	fail "not the ed25519 key that was checked"

# Known by its ECDSA key only.
echo "$name $ec" >"$T/known_hosts"
mkmsgs "$REMOTE/new" 20 small
run_syncmail -vv
assert_rc 0 "known by ECDSA only, server also has ed25519"
check_exactly_once
grep -q "host key ecdsa-sha2-nistp256 SHA256:.* matches" "$T/out" ||
	fail "not the ECDSA key that was checked"

# Lines we cannot use before ours: skipped, said under -v.
{
	echo "$name sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIGV4YW1wbGVleGFtcGxlZXhhbXBsZWV4YW1wbGUAAAAEc3NoOg=="
	echo "@cert-authority *.example.org $ec"
	echo "$name ssh-ed25519 not-base64!"
	echo "$name $ed"
} >"$T/known_hosts"
mkmsgs "$REMOTE/new" 5 small
run_syncmail -v
assert_rc 0 "unusable lines before the entry"
check_exactly_once
grep -q "known_hosts: 3 lines skipped" "$T/out" ||
	fail "no -v note about the skipped lines: $(grep skipped "$T/out")"
