#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A server whose READDIR reports stat, not lstat, attributes, as servers
# built from Paramiko's stub do (tests/hostile/hostile.py, mode
# readdir-stat), and here every entry of new/ as a regular file: a
# symlink to a message outside the Maildir, a symlink to a fifo (opening
# it would hang a single-threaded server), a symlink to a directory, a
# dangling symlink and a directory.  What a listing says is the server's
# claim: each must be proven a regular file by an LSTAT of its own before
# it is opened.  None of them is opened or removed, each is named in a
# warning, the links and what they point to are left alone, nothing of
# theirs is delivered, and the messages beside them move exactly once.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup

# Outside the Maildir, readable by the remote user.
OUT=$T/elsewhere
mkdir "$OUT" "$OUT/dir"
printf 'From: someone-else@example.org\nSubject: not mail of this Maildir\n\nreaddir-lies: bytes outside the Maildir\n' \
    >"$OUT/outside-msg"
mkfifo "$OUT/fifo"
chown -R "$TEST_USER:" "$OUT"
chmod 644 "$OUT/outside-msg"
outside_sum=$(sha256sum <"$OUT/outside-msg" | cut -c1-64)

L_MSG=1700000101.M1P1.lies-link-outside
L_FIFO=1700000102.M2P1.lies-link-fifo
L_DIR=1700000103.M3P1.lies-link-dir
L_DANGLE=1700000104.M4P1.lies-link-dangling
D_SUB=1700000105.M5P1.lies-directory
planted="$L_MSG $L_FIFO $L_DIR $L_DANGLE $D_SUB"
ln -s "$OUT/outside-msg" "$REMOTE/new/$L_MSG"
ln -s "$OUT/fifo" "$REMOTE/new/$L_FIFO"
ln -s "$OUT/dir" "$REMOTE/new/$L_DIR"
ln -s "$OUT/no-such-file" "$REMOTE/new/$L_DANGLE"
mkdir "$REMOTE/new/$D_SUB"
chown -h "$TEST_USER:" "$REMOTE/new/$L_MSG" "$REMOTE/new/$L_FIFO" \
    "$REMOTE/new/$L_DIR" "$REMOTE/new/$L_DANGLE" "$REMOTE/new/$D_SUB"
mkmsgs "$REMOTE/new" 40 small

# planted_intact: every planted entry is still what it was.
planted_intact()
{
	[ -L "$REMOTE/new/$L_MSG" ] && [ -L "$REMOTE/new/$L_FIFO" ] &&
	    [ -L "$REMOTE/new/$L_DIR" ] && [ -L "$REMOTE/new/$L_DANGLE" ] &&
	    [ -d "$REMOTE/new/$D_SUB" ] && [ ! -L "$REMOTE/new/$D_SUB" ] ||
		fail "$1: a planted link or directory in the remote new/ is gone or changed"
	[ "$(readlink "$REMOTE/new/$L_MSG")" = "$OUT/outside-msg" ] ||
		fail "$1: the link to the outside message was changed"
	[ -p "$OUT/fifo" ] && [ -d "$OUT/dir" ] ||
		fail "$1: the fifo or the directory a link points to changed"
	[ "$(sha256sum <"$OUT/outside-msg" | cut -c1-64)" = "$outside_sum" ] ||
		fail "$1: the message outside the Maildir was changed"
}

hostile_mode readdir-stat
RUN_TIMEOUT=60
# A dry run proves the types as a real run would: no "would move" for them.
run_syncmail -n
assert_rc 0 "a dry run against a listing that calls links regular files"
for n in $planted; do
	! grep -q "would move .*new/$n " "$T/out" ||
		fail "the dry run would move $n, which is not a regular file"
	grep -q "new/$n: skipped: " "$T/err" ||
		fail "the dry run does not warn about $n"
done
[ "$(grep -c "would move" "$T/out")" = 40 ] ||
	fail "the dry run would not move the 40 messages"

hostile_mode readdir-stat
snapshot_outside "$T/snap.before"
run_syncmail -q
for n in $planted; do
	hostile_log | grep -q "inject readdir-stat: b'$n'" ||
		fail "the server did not list $n as a regular file"
done
if hostile_log | grep -q "SERVER ERROR"; then
	fail "hostile.py failed: $(hostile_log | grep "SERVER ERROR" | head -n 1)"
fi
# An OPEN or REMOVE of a non-regular file is logged as a VIOLATION.
if hostile_log | grep -q VIOLATION; then
	fail "$(hostile_log | grep VIOLATION | head -n 1 | cut -d' ' -f2-)"
fi
for n in $planted; do
	! hostile_log | grep -q "open b'$n'" ||
		fail "$n, listed as a regular file, was opened"
done
assert_rc 0 "a listing that calls links and directories regular files"
for n in $L_MSG $L_FIFO $L_DIR $L_DANGLE; do
	grep -q "new/$n: skipped: a symbolic link" "$T/err" ||
		fail "no warning names the symlink $n"
done
grep -q "new/$D_SUB: skipped: a directory" "$T/err" ||
	fail "no warning names the directory $D_SUB"
planted_intact "readdir-stat"
check_outside_unchanged "$T/snap.before"
if _hashes "$LOCAL/new" "$LOCAL/cur" | grep -q "^$outside_sum"; then
	fail "the message outside the Maildir, behind a symlink, was delivered"
fi
check_no_partial
check_tmp_empty
hostile_ok=$(hostile_log | grep -c "^[0-9]* open b'")
[ "$hostile_ok" = 40 ] ||
	fail "$hostile_ok OPENs, want one for each of the 40 messages"

# Again: the same warnings, nothing opened, nothing delivered twice.
mkmsgs "$REMOTE/new" 5 small
hostile_mode readdir-stat
run_syncmail -q
assert_rc 0 "the second run"
! hostile_log | grep -q VIOLATION ||
	fail "second run: $(hostile_log | grep VIOLATION | head -n 1 | cut -d' ' -f2-)"
planted_intact "second run"
for n in $planted; do
	rm -rf "${REMOTE:?}/new/$n"
done
check_exactly_once
note "5 planted non-regular entries left alone, 45 messages moved once"
