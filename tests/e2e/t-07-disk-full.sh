#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Local disk full or write error: a message that does not fit stays on the
# server, no partial file stays in the local tmp/, exit 1; the small ones
# are never lost nor doubled; once there is room a later run moves it.
# First with the local Maildir on an 8 MB tmpfs, then with a file size
# limit (ulimit -f) making the write itself fail.
. "$(dirname "$0")/lib.sh"
setup

big=1700000000.M1P1Q1.bigmessage
remote_has()
{
	[ -f "$REMOTE/new/$1" ] && cmp -s "$REMOTE/new/$1" "$T/orig/$1"
}

# 1. tmpfs of 8 MB, a 12 MB message.
mkdir "$T/small"
mount -t tmpfs -o size=8m,mode=700 tmpfs "$T/small" || fail "mount tmpfs"
track_mount "$T/small"
LOCAL=$T/small/Maildir
write_config
mkmsg "$REMOTE/new" "$big" $((12 * 1024 * 1024))
mkmsgs "$REMOTE/new" 6 small

run_syncmail -q
assert_rc 1 "run with a message larger than the free space"
grep -q '^syncmail: test: ' "$T/err" || fail "no 'syncmail: test: ...' error on stderr"
remote_has "$big" || fail "the big message left the server"
[ -e "$LOCAL/new/$big" ] && fail "the big message is in local new/"
check_tmp_empty
check_once_somewhere
df_used=$(df -k --output=used "$T/small" | tail -n 1)
[ "$df_used" -lt 4096 ] || fail "${df_used} KB used on the tmpfs: leftovers of the big message?"

mount -o remount,size=64m "$T/small" || fail "remount tmpfs"
run_syncmail -q
assert_rc 0 "run after the file system grew"
check_exactly_once
check_tmp_empty
cmp -s "$LOCAL/new/$big" "$T/orig/$big" || fail "the big message arrived damaged"

# 1b. Out of inodes: a tmpfs with room for bytes but only a few files, so
# creating the files of later messages fails (ENOSPC) however the free
# space check counts bytes.
reset_orig
mkdir "$T/few"
mount -t tmpfs -o size=64m,nr_inodes=16,mode=700 tmpfs "$T/few" || fail "mount tmpfs"
track_mount "$T/few"
LOCAL=$T/few/Maildir
write_config
mkmsgs "$REMOTE/new" 30 small
run_syncmail -q
assert_rc 1 "run with too few inodes for all messages"
grep -q '^syncmail: test: ' "$T/err" || fail "no 'syncmail: test: ...' error on stderr"
check_once_somewhere
check_tmp_empty
[ "$(count_files "$REMOTE/new")" -gt 0 ] || fail "30 messages fit in 16 inodes?"
mount -o remount,nr_inodes=1000 "$T/few" || fail "remount tmpfs"
run_syncmail -q
assert_rc 0 "run after the file system got inodes"
check_exactly_once
check_tmp_empty

# 2. A write error mid-message: RLIMIT_FSIZE of 1 MB (dash counts 512-byte
# blocks, bash 1024: both at least 1 MB), SIGXFSZ ignored so write()
# fails with EFBIG.  Local Maildir on the ordinary disk, which has room.
big2=1700000000.M2P2Q2.bigmessage
reset_orig
LOCAL=$T/local2/Maildir
write_config
mkmsg "$REMOTE/new" "$big2" $((3 * 1024 * 1024))
mkmsgs "$REMOTE/new" 6 small
(
	trap '' XFSZ
	ulimit -f 2048 || exit 99
	exec env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 60 \
	    "$SYNCMAIL" -c "$CONF" -q </dev/null >"$T/out" 2>"$T/err"
)
RC=$?
[ "$RC" = 99 ] && fail "ulimit -f failed"
assert_rc 1 "run whose write fails (ulimit -f)"
grep -q '^syncmail: test: ' "$T/err" || fail "no 'syncmail: test: ...' error on stderr"
remote_has "$big2" || fail "the message whose write failed left the server"
[ -e "$LOCAL/new/$big2" ] && fail "a message whose write failed is in local new/"
check_tmp_empty
check_once_somewhere

run_syncmail -q
assert_rc 0 "run without the limit"
check_exactly_once
check_tmp_empty

# 3. The same limit with SIGXFSZ at its default: syncmail either ignores
# it itself (write fails with EFBIG, as in 2) or dies mid-write like a
# crash; either way the next run removes any partial file and delivers
# everything once.
big3=1700000000.M3P3Q3.bigmessage
mkmsg "$REMOTE/new" "$big3" $((3 * 1024 * 1024))
mkmsgs "$REMOTE/new" 6 small
(
	trap - XFSZ
	ulimit -f 2048 || exit 99
	exec env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 60 \
	    "$SYNCMAIL" -c "$CONF" -q </dev/null >"$T/out" 2>"$T/err"
)
RC=$?
[ "$RC" = 0 ] && fail "a 3 MB write under ulimit -f 1 MB succeeded?"
remote_has "$big3" || fail "the message being written at SIGXFSZ left the server"
run_syncmail -q
assert_rc 0 "run after a death by SIGXFSZ"
check_exactly_once
check_tmp_empty
