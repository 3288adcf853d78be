#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Local faults (SPEC 5: "local disk full or write error"), each made on
# purpose against the real program and sshd.  Every faulty run must exit 1
# (SPEC 2), print an error naming the path and what failed, lose nothing
# (every message local or still on the server, none twice), delete on the
# server nothing that was not durable locally, and leave in tmp/ no
# partial file; then a normal run must end with every message exactly
# once.
#   perm     tmp/, new/ and the Maildir itself mode 0500.  Root ignores
#            mode bits (CAP_DAC_OVERRIDE), so syncmail runs as the test
#            user here, through setpriv(1), with a copy of the binary, a
#            key and a Maildir of its own;
#   ro       read-only file systems, as root (mounting works here, as for
#            t-07's tmpfs): the Maildir on a tmpfs remounted read-only,
#            tmp/ a read-only bind mount (EROFS), new/ a bind mount
#            (rename(2) across mounts: EXDEV);
#   notdir   tmp/, new/, cur/ replaced by a regular file or by a symbolic
#            link to a directory elsewhere, which must stay untouched;
#   fsync    fsync, fdatasync, syncfs failing with EIO, through an
#            LD_PRELOAD shim built here from tests/e2e/failsync.c: every
#            call of the batches, only syncfs (batches of 16 or more), and
#            from the Nth call on (each step of a batch: tmp files, tmp/,
#            the record, new/), for batches of 5 (per-file fsync) and of
#            100 (syncfs);
#            the shim logs every call, so the test knows it took effect
#            and which messages' batches were entirely flushed: exactly
#            those, and no other, may be gone from the server;
#   earlier  messages an earlier run moved into new/ (killed before its
#            flush of new/), one since moved to cur/ by the user: new/ and
#            cur/ are flushed before their remote copies go, and they stay
#            if that flush fails;
#   write    write(2) failing with EIO mid-message in tmp/, and on the
#            record; and a record append cut short, then retried.
# In the sanitizer pass ASan refuses to start with a library preloaded
# before its runtime, so libasan is preloaded first and the shim after
# it; ASan's own interceptors (write, pwrite) call on into the shim, and
# every faulty run checks the shim's log, in both passes.
. "$(dirname "$0")/lib.sh"
setup

TAG=$(printf '%s' "$TEST_USER@127.0.0.1:$PORT:$REMOTE" | sha256sum | cut -c1-16)
cc -shared -fPIC -Wall -Wextra -Werror -o "$T/failsync.so" \
    "$E2E_DIR/failsync.c" -ldl || fail "cannot build the failsync shim"
PRELOAD=$T/failsync.so
asan_rt=$(ldd "$SYNCMAIL" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
[ -z "$asan_rt" ] || PRELOAD="$asan_rt $PRELOAD"

NCK=0
SUMMARY=
ck() { NCK=$((NCK + 1)); }
# case_done NAME: notes how many checks the case made.
case_done()
{
	SUMMARY="$SUMMARY $1 $NCK,"
	TOTAL=$((${TOTAL:-0} + NCK))
	NCK=0
}

# run_shim VAR=VALUE... -- ARGS: run_syncmail with the shim preloaded and
# these variables set for it; its log is $T/fs.log.
run_shim()
{
	rs_env=
	while [ "$1" != -- ]; do
		rs_env="$rs_env $1"
		shift
	done
	shift
	: >"$T/fs.log"
	# shellcheck disable=SC2086
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 "$RUN_TIMEOUT" \
	    env $rs_env FAILSYNC_LOG="$T/fs.log" LD_PRELOAD="$PRELOAD" \
	    "$SYNCMAIL" -c "$CONF" "$@" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" != 124 ] && [ "$RC" != 137 ] || fail "syncmail with$rs_env" \
	    "did not finish within $RUN_TIMEOUT s"
}

# run_user ARGS: run_syncmail as $TEST_USER, without root's privileges.
run_user()
{
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 "$RUN_TIMEOUT" \
	    setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups \
	    "$USER_SYNCMAIL" -c "$CONF" "$@" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" != 124 ] && [ "$RC" != 137 ] ||
		fail "syncmail as $TEST_USER did not finish within $RUN_TIMEOUT s"
}

# want_fault WHAT TEXT...: the run exited 1 and stderr has an error
# "syncmail: test: ..." holding each TEXT (fixed strings: the path, the
# operation, the cause).
want_fault()
{
	wf_what=$1
	shift
	assert_rc 1 "$wf_what"
	ck
	for wf_text; do
		grep '^syncmail: test: ' "$T/err" | grep -qF -- "$wf_text" ||
			fail "$wf_what: no error naming '$wf_text'"
		ck
	done
}

# want_remote N WHAT: N messages are in the remote new/.
want_remote()
{
	assert_eq "$(count_files "$REMOTE/new")" "$1" \
	    "$2: messages left on the server"
	ck
}

# want_safe: nothing lost, nothing twice, nothing partial in new/ or cur/,
# nothing deleted remotely that is not local.
want_safe()
{
	check_no_partial
	ck
}

# want_tmp_empty WHAT: no partial (nor complete) file left in tmp/.
want_tmp_empty()
{
	check_tmp_empty
	ck
}

# want_tmp_whole: what is left in tmp/ is only whole copies of messages
# still on the server (files the record may name: the next run removes them).
want_tmp_whole()
{
	_hashes "$LOCAL/tmp" >"$T/.h.tmp"
	_hashes "$REMOTE/new" >"$T/.h.remote"
	wt_bad=$(comm -23 "$T/.h.tmp" "$T/.h.remote" | head -n 1)
	[ -z "$wt_bad" ] || fail "tmp/ holds a file that is no whole copy of" \
	    "a message still on the server: $(_name_of "$wt_bad" "$LOCAL/tmp")"
	[ -z "$(find "$LOCAL/tmp" -mindepth 1 ! -name "syncmail.$TAG.*" | head -n 1)" ] ||
		fail "tmp/ holds a file that is not ours"
	ck
}

# want_shim PATTERN WHAT: the shim's log has a line matching PATTERN (an
# extended regular expression): it really intercepted.
want_shim()
{
	grep -Eq -- "$1" "$T/fs.log" ||
		fail "$2: the failsync shim logged no '$1' (LD_PRELOAD=$PRELOAD):" \
		    "$(head -n 3 "$T/fs.log" | tr '\n' ' ')"
	ck
}

# durable_by_log: how many messages the logged sync calls made durable:
# per batch, the tmp files fsynced before an ok fsync of new/ with no
# failure between (a batch stops at its first failure; batches run one
# after the other).  Batches flushed with a successful syncfs are not
# counted: use it only where every syncfs fails or none succeeds with
# its batch.
durable_by_log()
{
	awk -v tmp="$LOCAL/tmp/" -v new="$LOCAL/new" '
		$3 == "EIO" { pend = 0; next }
		$2 == "fsync" && index($4, tmp) == 1 { pend++; next }
		$2 == "fsync" && $4 == new { durable += pend; pend = 0 }
		END { print durable + 0 }' "$T/fs.log"
}

# recover WHAT [RUN]: a normal run (with RUN, default run_syncmail) ends
# with every message exactly once and tmp/ empty.
recover()
{
	${2:-run_syncmail} -q
	assert_rc 0 "normal run after $1"
	check_exactly_once
	check_tmp_empty
	NCK=$((NCK + 3))
}

# ---- perm: mode 0500, as a user that mode bits do stop ---------------

USER_SYNCMAIL=$T/syncmail-user
cp "$SYNCMAIL" "$USER_SYNCMAIL" || fail "copy $SYNCMAIL"
chmod 755 "$USER_SYNCMAIL"
cp "$T/id_ed25519" "$T/user_key" || fail "copy key"
chown "$TEST_USER:" "$T/user_key"
chmod 600 "$T/user_key"
chmod 644 "$T/known_hosts"
mkdir "$T/ulocal"
chown "$TEST_USER:" "$T/ulocal"
LOCAL=$T/ulocal/Maildir
write_config
sed -i "s|^\tidentity .*|\tidentity $T/user_key|" "$CONF"
mkmaildir "$LOCAL" "$TEST_USER"

for d in tmp new; do
	mkmsgs "$REMOTE/new" 4 small
	chmod 500 "$LOCAL/$d"
	run_user
	case $d in
	tmp)	want_fault "tmp/ mode 0500" "$LOCAL/tmp/syncmail.$TAG." \
		    ": open: Permission denied" "$REMOTE/new/"
		# Said once: the directory is at fault, not each message.
		assert_eq "$(grep -c 'Permission denied' "$T/err")" 1 \
		    "warnings about an unwritable tmp/"
		ck ;;
	new)	want_fault "new/ mode 0500" "$LOCAL: rename tmp/syncmail.$TAG." \
		    " to new/" ": Permission denied" ;;
	esac
	want_remote 4 "$d/ mode 0500"
	want_safe
	# new/: the moved-nowhere files were recorded; they go once the
	# record forgets them.
	want_tmp_empty
	chmod 700 "$LOCAL/$d"
	recover "$d/ mode 0500" run_user
done

# The Maildir itself read-only before its record exists: the record
# cannot be created, nothing is attempted.
reset_orig
rm -rf "$LOCAL"
mkmaildir "$LOCAL" "$TEST_USER"
chmod 500 "$LOCAL"
mkmsgs "$REMOTE/new" 4 small
run_user
want_fault "Maildir mode 0500" "$LOCAL/syncmail-state.$TAG: open: Permission denied"
want_remote 4 "Maildir mode 0500"
want_safe
chmod 700 "$LOCAL"
recover "Maildir mode 0500" run_user
# Once the record exists nothing else is created in the Maildir itself:
# a read-only Maildir (with writable tmp/ new/ cur/) is no fault.
mkmsgs "$REMOTE/new" 4 small
chmod 500 "$LOCAL"
run_user -q
assert_rc 0 "Maildir mode 0500 with its record"
ck
check_exactly_once
ck
chmod 700 "$LOCAL"
case_done perm

# Back to root and the standard key.
reset_orig
LOCAL=$T/local/Maildir
write_config

# ---- ro: read-only file systems --------------------------------------

mkdir "$T/ro"
mount -t tmpfs -o size=32m,mode=700 tmpfs "$T/ro" || fail "mount tmpfs"
track_mount "$T/ro"
LOCAL=$T/ro/Maildir
write_config
mkmaildir "$LOCAL"
mkmsgs "$REMOTE/new" 4 small
mount -o remount,ro "$T/ro" || fail "remount the tmpfs read-only"
run_syncmail -q
want_fault "read-only Maildir" "$LOCAL/syncmail-state.$TAG" \
    "Read-only file system"
want_remote 4 "read-only Maildir"
want_safe
mount -o remount,rw "$T/ro" || fail "remount the tmpfs read-write"
recover "a read-only Maildir"

# ro_bind DIR: the local DIR/ made a read-only bind mount of itself.
ro_bind()
{
	mount --bind "$LOCAL/$1" "$LOCAL/$1" || fail "bind mount $1/"
	track_mount "$LOCAL/$1"
	mount -o remount,bind,ro "$LOCAL/$1" || fail "remount $1/ read-only"
}

mkmsgs "$REMOTE/new" 4 small
ro_bind tmp
run_syncmail -q
want_fault "read-only tmp/" "$LOCAL/tmp/syncmail.$TAG." \
    ": open: Read-only file system"
want_remote 4 "read-only tmp/"
want_safe
umount "$LOCAL/tmp" || fail "umount tmp/"
want_tmp_empty
recover "a read-only tmp/"

mkmsgs "$REMOTE/new" 4 small
ro_bind new
run_syncmail -q
want_fault "new/ on another mount" "$LOCAL: rename tmp/syncmail.$TAG." \
    " to new/" ": Invalid cross-device link"
want_remote 4 "new/ on another mount"
want_safe
want_tmp_empty
umount "$LOCAL/new" || fail "umount new/"
recover "new/ on another mount"
case_done ro

# ---- notdir: a file or a symbolic link where a directory belongs ------

reset_orig
LOCAL=$T/local/Maildir
write_config
mkmaildir "$LOCAL"
mkdir "$T/elsewhere"
mkmsgs "$REMOTE/new" 4 small
for d in tmp new cur; do
	for kind in file symlink; do
		rmdir "$LOCAL/$d" || fail "rmdir $d"
		if [ "$kind" = file ]; then
			printf 'a user file\n' >"$LOCAL/$d"
			why="is not a directory"
		else
			ln -s "$T/elsewhere" "$LOCAL/$d"
			why="is a symbolic link"
		fi
		run_syncmail -q
		want_fault "$d/ as a $kind" "$LOCAL/$d: $why"
		want_remote 4 "$d/ as a $kind"
		want_safe
		if [ "$kind" = file ]; then
			assert_eq "$(cat "$LOCAL/$d")" "a user file" \
			    "the file in the place of $d/"
		else
			assert_eq "$(count_entries "$T/elsewhere")" 0 \
			    "entries written through the link $d"
		fi
		ck
		rm "$LOCAL/$d"
		mkdir -m 700 "$LOCAL/$d"
	done
done
recover "a file or link for a directory"
case_done notdir

# ---- fsync: sync calls failing with EIO --------------------------------

# Before any download a run flushes the Maildir's path (maildir_open:
# each directory on it into its parent, then the Maildir itself) and its
# new/ and cur/ (maildir_scan: see "earlier" below), cur/ last; the
# batches' calls follow.  SCAN, the number of that last one, from a run
# with nothing to move (the path's length varies with the temp dir).
run_shim -- -q
SCAN=$(awk -v cur="$LOCAL/cur" '$2 == "fsync" && $4 == cur { print $1; exit }' "$T/fs.log")
[ -n "$SCAN" ] || fail "a run with nothing to move flushed no cur/:" \
    "$(head -n 12 "$T/fs.log" | tr '\n' ' ')"

# A directory on that path, there already, whose flush fails (EIO): the
# account stops before anything is fetched, since what it delivered
# could vanish with that directory (maildir_mkdirs).  The error names
# the first it could open: "/", or with the sandbox (Landlock) the
# Maildir itself.
mkmsgs "$REMOTE/new" 3 small
run_shim FAILSYNC_MODE=from:1 -- -q
want_shim "^1 fsync EIO /\$" "the path's first flush failing"
want_fault "the path's flush failing" ": fsync: Input/output error"
grep -qE "^syncmail: test: (/|$LOCAL): fsync: Input/output error\$" "$T/err" ||
	fail "the path's flush failing: the error names neither / nor $LOCAL"
ck
want_remote 3 "the path's flush failing"
want_safe
recover "the path's flush failing"

# Every sync call of the batches, 5 messages (per-file fsync), then 100
# (syncfs).
for n in 5 100; do
	mkmsgs "$REMOTE/new" "$n" small
	run_shim FAILSYNC_MODE=from:$((SCAN + 1)) -- -q
	want_shim "^$SCAN fsync ok $LOCAL/cur\$" "the scan's flushes"
	if [ "$n" = 5 ]; then
		want_shim "^$((SCAN + 1)) fsync EIO $LOCAL/tmp/syncmail\\.$TAG\\." \
		    "fsync of 5"
		want_fault "fsync failing" "$LOCAL/tmp/syncmail.$TAG." \
		    ": fsync: Input/output error"
	else
		want_shim "^[0-9]+ syncfs EIO $LOCAL\$" "syncfs of 100"
		want_fault "syncfs failing" "$LOCAL: syncfs: Input/output error"
	fi
	want_remote "$n" "sync calls failing always, $n messages"
	want_safe
	want_tmp_empty
	recover "sync calls failing always, $n messages"
done

# Only syncfs fails: batches of 16 or more stay on the server, smaller
# ones (per-file fsync) go through.
mkmsgs "$REMOTE/new" 100 small
run_shim FAILSYNC_MODE=syncfs -- -q
want_shim "^[0-9]+ syncfs EIO $LOCAL\$" "syncfs failing"
want_fault "syncfs failing" "$LOCAL: syncfs: Input/output error"
want_remote $((100 - $(durable_by_log))) "syncfs failing"
want_safe
want_tmp_empty
recover "syncfs failing"

# From the Nth call of the batches on.  A batch of 5: calls 1-5 the tmp
# files, 6 tmp/, 7 the record (fdatasync), 8 new/; a batch of 100: 1
# syncfs, 2 the record, 3 new/.  Batches may split; the log says what
# happened, and which batches were flushed whole.
for nth in 5:1 5:5 5:6 5:7 5:8 100:2 100:3; do
	n=${nth%%:*}
	k=$((${nth#*:} + SCAN))
	mkmsgs "$REMOTE/new" "$n" small
	run_shim "FAILSYNC_MODE=from:$k" -- -q
	want_shim "^$k [a-z]+ EIO " "sync call $k of $n failing"
	first=$(awk '$3 == "EIO" { print $4; exit }' "$T/fs.log")
	call=$(awk '$3 == "EIO" { print $2; exit }' "$T/fs.log")
	case $call in
	fdatasync) call=fsync ;;
	esac
	want_fault "sync call $k of $n failing" "$first: $call: Input/output error"
	want_remote $((n - $(durable_by_log))) "sync call $k of $n failing"
	want_safe
	want_tmp_whole
	recover "sync call $k of $n failing"
done
case_done fsync

# ---- earlier: what an earlier run moved is flushed before its remote
# copy goes.  A run killed after its rename into new/, before its flush
# of new/ (t-18's "renamed" point), left the move in memory only; the
# user's mail client may have moved another one to cur/ unflushed.  The
# next run deletes both remote copies on the record's word: it must flush
# new/ and cur/ first, and not delete them if it cannot.

STATE=$LOCAL/syncmail-state.$TAG
for mode in none always; do
	mkmsg "$REMOTE/new" "1700000036.M3P3Q3.moved-$mode" 3000
	x=1700000036.M3P3Q3.moved-$mode
	mkmsg "$REMOTE/new" "1700000036.M4P4Q4.read-$mode" 3000
	y=1700000036.M4P4Q4.read-$mode
	printf '+\t%s\t3000\t%s\n' "$x" "syncmail.$TAG.1.1" >>"$STATE"
	printf '+\t%s\t3000\t%s\n' "$y" "syncmail.$TAG.1.2" >>"$STATE"
	cp -p "$REMOTE/new/$x" "$LOCAL/new/$x"
	cp -p "$REMOTE/new/$y" "$LOCAL/cur/$y:2,S"
	# "always": every sync call from the scan's flush of new/ on (the
	# one before its flush of cur/, SCAN) fails.
	shim=$mode
	[ "$mode" = none ] || shim=from:$((SCAN - 1))
	run_shim FAILSYNC_MODE=$shim FAILSYNC_PROBE="$REMOTE/new/$x" -- -q
	if [ "$mode" = none ]; then
		assert_rc 0 "run removing earlier deliveries"
		ck
		want_shim "^[0-9]+ fsync ok $LOCAL/new $REMOTE/new/$x present\$" \
		    "flush of new/ before the remote delete"
		want_shim "^[0-9]+ fsync ok $LOCAL/cur $REMOTE/new/$x present\$" \
		    "flush of cur/ before the remote delete"
		want_remote 0 "earlier deliveries"
		check_exactly_once
		ck
	else
		want_shim "^$((SCAN - 1)) fsync EIO $LOCAL/new " "flush of new/ failing"
		want_fault "flush of new/ failing" "$LOCAL/new: fsync: Input/output error"
		want_remote 2 "flush of new/ failing"
		want_safe
		recover "flush of new/ failing"
	fi
done
case_done earlier

# ---- write: write(2) failing -----------------------------------------

# Mid-message in tmp/: from byte 4096 of each file on, so three small
# messages arrive and three big ones stay, without partial files.
mkmsg "$REMOTE/new" 1700000036.M1P1Q1.small1 1000
mkmsg "$REMOTE/new" 1700000036.M1P1Q1.small2 4096
mkmsg "$REMOTE/new" 1700000036.M1P1Q1.small3 20
mkmsg "$REMOTE/new" 1700000036.M2P2Q2.big1 4097
mkmsg "$REMOTE/new" 1700000036.M2P2Q2.big2 100000
mkmsg "$REMOTE/new" 1700000036.M2P2Q2.big3 3000000
run_shim FAILSYNC_WRITE="$LOCAL/tmp" FAILSYNC_WRITE_AFTER=4096 -- -q
want_shim "^0 write EIO $LOCAL/tmp/syncmail\\.$TAG\\." "write in tmp/ failing"
want_fault "write in tmp/ failing" "$LOCAL/tmp/syncmail.$TAG." \
    ": write: Input/output error"
want_remote 3 "write in tmp/ failing"
for m in big1 big2 big3; do
	[ -f "$REMOTE/new/1700000036.M2P2Q2.$m" ] ||
		fail "$m, whose write failed, left the server"
done
ck
want_safe
want_tmp_empty
recover "write in tmp/ failing"

# The record cannot be written: the batch fails before any move.
mkmsgs "$REMOTE/new" 5 small
run_shim FAILSYNC_WRITE="$LOCAL" -- -q
want_shim "^0 write EIO $LOCAL/syncmail-state\\.$TAG\$" "record write failing"
want_fault "record write failing" "$LOCAL/syncmail-state.$TAG: write:" \
    "Input/output error"
want_remote 5 "record write failing"
want_safe
want_tmp_whole
recover "record write failing"

# An append to the record cut short (as at a full disk), then failing
# once more, then writable again (space freed meanwhile): a later flush
# must not leave a damaged line in the middle of the record.
mkmsgs "$REMOTE/new" 5 small
: >"$LOCAL/syncmail-state.$TAG"
run_shim FAILSYNC_WRITE="$LOCAL" FAILSYNC_WRITE_AFTER=100 \
    FAILSYNC_WRITE_TIMES=2 -- -q
want_shim "^0 write-short EIO $LOCAL/syncmail-state\\.$TAG\$" "record write cut short"
want_fault "record write cut short" "$LOCAL/syncmail-state.$TAG: write:"
left=$((5 - $(durable_by_log)))
want_remote "$left" "record write cut short"
want_safe
want_tmp_whole
run_syncmail -q
# The retry completed the torn line: no damaged record mid-file.
grep -q 'damaged record line' "$T/err" &&
	fail "a record append cut short then retried left a damaged record"
assert_rc 0 "normal run after a record write cut short"
check_exactly_once
check_tmp_empty
NCK=$((NCK + 4))
case_done write

note "local faults:${SUMMARY%,} checks ($TOTAL in all)"
