#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Hostile entries in the remote new/: a symlink to a file outside the
# Maildir, a fifo, a subdirectory, a dotfile and a name with a newline are
# skipped with a warning each and never opened (the fifo would hang a run
# that opened it); normal messages are all moved; exit 0.
. "$(dirname "$0")/lib.sh"
setup

mkmsgs "$REMOTE/new" 25 small
secret=$T/remote/secret-outside
printf 'secret: not mail, outside the Maildir\n' >"$secret"
chown "$TEST_USER:" "$secret"
chmod 644 "$secret"
secret_sum=$(sha256sum <"$secret")
nl='
'
ln -s "$secret" "$REMOTE/new/1700000000.link-msg.e2ehost"
mkfifo "$REMOTE/new/1700000000.fifo-msg.e2ehost"
mkdir "$REMOTE/new/1700000000.subdir-msg.e2ehost"
printf 'inside a directory\n' >"$REMOTE/new/1700000000.subdir-msg.e2ehost/inner"
printf 'dotfile\n' >"$REMOTE/new/.dot-msg.e2ehost"
printf 'newline\n' >"$REMOTE/new/1700000000.newline-msg${nl}x.e2ehost"
chown -h -R "$TEST_USER:" "$REMOTE/new"
specials="link-msg fifo-msg subdir-msg dot-msg newline-msg"

RUN_TIMEOUT=60
run_syncmail -q
assert_rc 0 "run with hostile names (skips are warnings)"
for s in $specials; do
	grep -q "$s" "$T/err" || fail "no warning on stderr about the $s entry"
done
bad=$(grep -v '^syncmail: test: ' "$T/err" | grep -c .)
# a name with a newline may be printed escaped or raw; anything else must
# be a proper "syncmail: ACCOUNT: message" line
[ "$bad" -le 1 ] || fail "stderr lines not of the form 'syncmail: test: ...': $(grep -v '^syncmail: test: ' "$T/err" | head -n 2)"

[ -f "$secret" ] && [ ! -L "$secret" ] || fail "the symlink target was removed or replaced"
[ "$(sha256sum <"$secret")" = "$secret_sum" ] || fail "the symlink target was changed"
grep -rqs "secret: not mail" "$LOCAL" && fail "the symlink's target was copied into the local Maildir"
for s in $specials; do
	find "$LOCAL" -name "*$s*" | grep -q . && fail "a local entry named like $s exists"
done
[ -L "$REMOTE/new/1700000000.link-msg.e2ehost" ] || fail "the remote symlink was removed"
[ -p "$REMOTE/new/1700000000.fifo-msg.e2ehost" ] || fail "the remote fifo was removed"
[ -f "$REMOTE/new/1700000000.subdir-msg.e2ehost/inner" ] || fail "the remote subdirectory was changed"
[ -f "$REMOTE/new/.dot-msg.e2ehost" ] || fail "the remote dotfile was removed"
[ -f "$REMOTE/new/1700000000.newline-msg${nl}x.e2ehost" ] || fail "the remote file with a newline in its name was removed"
[ "$(count_entries "$REMOTE/new")" = 5 ] ||
	fail "remote new/ holds $(count_entries "$REMOTE/new") entries, want only the 5 special ones"
check_exactly_once -k
check_tmp_empty
[ "$(count_entries "$LOCAL/new")" = 25 ] || fail "local new/ holds more than the 25 messages"

# A second run skips them again, and still does not hang.
mkmsgs "$REMOTE/new" 5 small
run_syncmail -q
assert_rc 0 "second run with hostile names"
check_exactly_once -k
[ "$(count_entries "$REMOTE/new")" = 5 ] || fail "second run: the special entries changed"
