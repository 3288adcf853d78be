#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Power cuts (SPEC 5: "killed at any instant (kill -9, power cut)").  After
# a kill the kernel still writes the page cache out; after a power cut
# whatever was not flushed is gone.  Here the local Maildir and its record
# live on pcfs (tests/e2e/pcfs.c, built by this test), a FUSE file system
# that keeps only what POSIX promises: a file's bytes and attributes once
# the file is fsynced, a directory's entries once the directory is.
# syncfs(2) flushes nothing there (the kernel does not forward it to FUSE
# file systems), as on gocryptfs, encfs or sshfs.
#
# Each round: fresh remote messages; a syncmail run SIGKILLed at some
# moment; the cut (SIGUSR1 to pcfs: only the durable view is written back);
# a remount; a normal run; then every message exactly once in the local
# new/, byte-identical, none left remotely, nothing in tmp/.
#   self    pcfs itself first: a file never flushed is gone after a cut,
#           one flushed with its directory is there with its bytes, a name
#           flushed without its file's data is an empty file, a rename
#           with only the target directory flushed leaves both names (one
#           inode, two links); flock, RENAME_NOREPLACE, O_EXCL; a clean
#           stop keeps everything;
#   batch   20 rounds of 80 to 200 small messages (batches of 16 and
#           more), cut once K files are in new/, once the server has lost
#           K files, after a random delay, or after syncmail exited 0; some
#           start without a record, some without the Maildir;
#   single  10 rounds of 3 to 12 messages (batches under 16);
#   keep    "keep yes": the messages stay on the server and a second run
#           fetches none of them again, nor one the user deleted after the
#           cut;
#   max     "max-messages" cuts a run short; normal runs until the server
#           is empty;
#   fault   a cut after each crash point of t-18 (util/fault.h), at
#           its first or a later hit, with 80 messages and with 5
#           (syncmail-asan in both passes, as t-18); after renamed,
#           tmp-resynced and remove-sent the user deletes a message the
#           cut left in new/ before the normal run, preferring one whose
#           tmp/ name the cut brought back: it must not come back; after
#           new-synced (new/ flushed, tmp/ not yet) one whose move is
#           durable in both directories (see delete_victim);
#   syncfs  the self-check: SYNCMAIL_TEST_SYNCFS=1 (syncmail-asan) forces
#           one syncfs per batch of 16 or more, the commit path that lost
#           mail on FUSE; these rounds must lose mail (a message missing or
#           empty), or the rounds above would prove nothing;
#   routes  the pull with routes (tests/e2e/routes.py mixed): three lists
#           into lists/%1 (made on their first message), a folder Work,
#           a discard, a pipe to a command that delivers into Tickets
#           durably and dedupes on SYNCMAIL_NAME (ticket.sh below), the
#           rest into the pull's Maildir; 8 rounds of 40 to 80 messages
#           cut at random moments, some without the route Maildirs, some
#           with ones the user made a moment before (not yet on disk),
#           then a cut after each crash point (t-18's, the pipe's, and
#           dir-made: a directory made, its parent not yet flushed) with
#           30 messages; every other round runs syncmail once between the
#           kill and the cut (a crash, then a run that delivers into
#           what the crash left in memory only).  Each message exactly
#           once in its route's Maildir, a discarded one nowhere, none
#           left on the server nor in any tmp/; each piped one given
#           whole at least once, never again once a run logged it piped
#           or was killed at pipe-done;
#   routeskip  the self-check of those rounds: SYNCMAIL_TEST_SKIP=route-new
#           (a route Maildir's new/ not flushed after the moves) and
#           =mkdir (a new directory's parent not flushed) must each lose
#           mail in a round cut after the exit.
# The choices come from a seed, printed with every round and on failure;
# T41_SEED=N replays them (the moments depend on timing: close, not exact),
# T41_PARTS="batch fault" runs only those parts (with the same seed, the
# same choices only for the same parts).
. "$(dirname "$0")/lib.sh"
setup

FAULTY=$ROOT/syncmail/syncmail-asan
[ -x "$FAULTY" ] || fail "no $FAULTY with crash points (make syncmail/syncmail-asan)"
[ -c /dev/fuse ] || fail "no /dev/fuse: pcfs needs FUSE"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -Werror -o "$T/pcfs" "$E2E_DIR/pcfs.c" \
    $(pkg-config --cflags --libs fuse3) || fail "cannot build pcfs"

SEED=${T41_SEED:-$(rand 1000000000)}
RNG=$SEED
FAIL_LOG=$T/steps.log
: >"$FAIL_LOG"

PARTS=${T41_PARTS:-batch single keep max fault syncfs routes routeskip}
# part NAME: true if this run has the rounds NAME (T41_PARTS="batch fault"
# runs only those, to replay a failure faster).
part()
{
	case " $PARTS " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# pick N: sets R to a number in [0, N) from the seeded generator.
pick()
{
	RNG=$(((RNG * 1103515245 + 12345) % 2147483648))
	R=$(((RNG / 65536) % $1))
}

# step TEXT: one line of what the test did, shown on failure.
T0=$(now_ms)
step()
{
	echo "seed $SEED, $(($(now_ms) - T0)) ms: $*" >>"$FAIL_LOG"
}

# ---- pcfs ---------------------------------------------------------------

DISK=$T/disk
MNT=$T/mnt
PCLOG=$T/pcfs.log
mkdir "$DISK" "$MNT"
: >"$PCLOG"
track_mount "$MNT"

pc_mounted()
{
	awk -v m="$MNT" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# pc_mount: pcfs over $DISK at $MNT, everything on $DISK durable.
pc_mount()
{
	"$T/pcfs" -l "$PCLOG" "$DISK" "$MNT" 2>>"$T/pcfs.err" &
	PC_PID=$!
	track_pid "$PC_PID" pcfs
	pm_n=500
	until pc_mounted; do
		pid_alive "$PC_PID" && [ "$pm_n" -gt 0 ] ||
			fail "pcfs did not mount: $(tail -n 2 "$T/pcfs.err")"
		sleep 0.01
		pm_n=$((pm_n - 1))
	done
}

# reap PID SECS: waits for our child PID, polling every 10 ms (wait_exit's
# 100 ms, twice a round, add up), then as wait_exit: WAIT_RC.
reap()
{
	rp_n=$(($2 * 100))
	while pid_alive "$1" && [ "$rp_n" -gt 0 ]; do
		sleep 0.01
		rp_n=$((rp_n - 1))
	done
	wait_exit "$1" 1
}

# pc_down SIG: pcfs stopped (USR1: the power cut; TERM: a clean stop),
# waited for until it has written $DISK and gone.  PC_LAST is its summary.
pc_down()
{
	kill -"$1" "$PC_PID" || fail "kill -$1 pcfs"
	reap "$PC_PID" 30
	[ "$WAIT_RC" = 0 ] || fail "pcfs exited $WAIT_RC: $(tail -n 2 "$T/pcfs.err")"
	! pc_mounted || fail "pcfs exited with $MNT still mounted"
	PC_LAST=$(tail -n 1 "$PCLOG")
	step "$PC_LAST"
}

# pc_field NAME: a number from the last summary line.
pc_field()
{
	echo "$PC_LAST" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"
}

FSYNCS=0 FDATASYNCS=0 FSYNCDIRS=0 DROPPED_FILES=0 DROPPED_ENTRIES=0
# pc_cut: the power cut, counted, then the remount.
pc_cut()
{
	pc_down USR1
	case $PC_LAST in
	"pcfs cut "*) ;;
	*) fail "pcfs wrote no cut summary: $PC_LAST" ;;
	esac
	FSYNCS=$((FSYNCS + $(pc_field fsync)))
	FDATASYNCS=$((FDATASYNCS + $(pc_field fdatasync)))
	FSYNCDIRS=$((FSYNCDIRS + $(pc_field fsyncdir)))
	DROPPED_FILES=$((DROPPED_FILES + $(pc_field volatile_files)))
	DROPPED_ENTRIES=$((DROPPED_ENTRIES + $(pc_field volatile_entries)))
	pc_mount
}

# durable PATH...: fsync of each (coreutils sync with arguments fsyncs
# them, directories too): the test's own changes survive the next cut.
durable()
{
	sync "$@" || fail "sync $*"
}

# ---- self: pcfs itself, before it judges syncmail -------------------------

pc_mount
printf 'flushed\n' >"$MNT/kept"
printf 'name only\n' >"$MNT/empty"
durable "$MNT/kept" "$MNT"
mkdir "$MNT/d1" "$MNT/d2"
durable "$MNT"
printf 'moved\n' >"$MNT/d1/f"
durable "$MNT/d1/f" "$MNT/d1"
mv "$MNT/d1/f" "$MNT/d2/f"
durable "$MNT/d2"
printf 'never flushed\n' >"$MNT/lost"
/usr/bin/python3 - "$MNT" <<'EOF' || fail "pcfs: renameat2, O_EXCL or flock"
import ctypes, errno, fcntl, os, sys
m = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_NOREPLACE = -100, 1
def rename2(a, b):
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(),
                      RENAME_NOREPLACE) == 0:
        return 0
    return ctypes.get_errno()
with open(m + "/x", "w") as f:
    f.write("x")
assert rename2(m + "/x", m + "/kept") == errno.EEXIST, "NOREPLACE onto a file"
assert rename2(m + "/x", m + "/y") == 0, "NOREPLACE to a new name"
try:
    os.open(m + "/y", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    sys.exit("O_EXCL created an existing file")
except FileExistsError:
    pass
a = os.open(m + "/kept", os.O_RDONLY)
b = os.open(m + "/kept", os.O_RDONLY)
fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB)
try:
    fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)
    sys.exit("a second flock got the lock")
except BlockingIOError:
    pass
d = os.open(m + "/d2", os.O_RDONLY | os.O_DIRECTORY)
os.close(d)
os.unlink(m + "/y")
EOF
assert_eq "$(stat -c %h "$MNT/d2/f")" 1 "pcfs: links of a renamed file"
pc_cut
[ "$(pc_field volatile_files)" -ge 2 ] ||
	fail "pcfs: the cut dropped too few files' data: $PC_LAST"
[ ! -e "$MNT/lost" ] || fail "pcfs: a file never flushed survived the cut"
assert_eq "$(cat "$MNT/kept")" flushed "pcfs: a flushed file after the cut"
[ -f "$MNT/empty" ] && [ ! -s "$MNT/empty" ] ||
	fail "pcfs: a file whose name only was flushed is not there empty"
assert_eq "$(cat "$MNT/d1/f")" moved "pcfs: the old name of a file moved"
assert_eq "$(cat "$MNT/d2/f")" moved "pcfs: the new name of a file moved"
assert_eq "$(stat -c %h "$MNT/d1/f")" 2 "pcfs: links after a half-flushed rename"
assert_eq "$(stat -c %i "$MNT/d1/f")" "$(stat -c %i "$MNT/d2/f")" \
    "pcfs: inode of both names"
# A clean stop writes everything, flushed or not.
printf 'clean\n' >"$MNT/clean"
pc_down TERM
case $PC_LAST in "pcfs stop "*) ;; *) fail "pcfs: no stop summary: $PC_LAST" ;; esac
assert_eq "$(cat "$DISK/clean")" clean "pcfs: a clean stop"
rm -rf "${DISK:?}"/*
pc_mount
step "pcfs self-test passed"

# ---- syncmail on pcfs ---------------------------------------------------

LOCAL=$MNT/Maildir
write_config
mkmaildir "$LOCAL"
durable "$LOCAL/tmp" "$LOCAL/new" "$LOCAL/cur" "$LOCAL" "$MNT"

# prepare HOW: the local Maildir before a round, the test's own changes
# made durable: "keep" (the record of the rounds before), "norecord" (no
# record yet: syncmail's first run in this Maildir), "nomaildir" (no
# Maildir: syncmail creates it).  Delivered messages go, locally and on
# the server.
prepare()
{
	reset_orig
	find "$REMOTE/new" -mindepth 1 -maxdepth 1 -type f -delete
	if [ -d "$LOCAL" ]; then
		find "$LOCAL/new" "$LOCAL/cur" -mindepth 1 -maxdepth 1 \
		    -type f -delete
		durable "$LOCAL/new" "$LOCAL/cur"
	fi
	case $1 in
	norecord)
		[ -d "$LOCAL" ] || mkmaildir "$LOCAL"
		rm -f "$LOCAL"/syncmail-state.*
		durable "$LOCAL/tmp" "$LOCAL/new" "$LOCAL/cur" "$LOCAL" "$MNT" ;;
	nomaildir)
		rm -rf "$LOCAL"
		durable "$MNT" ;;
	esac
}

# start_bg BIN VAR=VALUE...: BIN -q in the background with these
# variables; BG_PID.
start_bg()
{
	sb_bin=$1
	shift
	env -u SSH_AUTH_SOCK HOME="$T/home" "$@" "$sb_bin" -q -c "$CONF" \
	    </dev/null >"$T/bg.out" 2>"$T/bg.err" &
	BG_PID=$!
	track_pid "$BG_PID" "$(basename "$sb_bin" | cut -c1-15)"
}

# until_count DIR ge|le K: returns once DIR holds at least (ge) or at most
# (le) K files, or the background run has ended, or 60 s have passed.
# One process that polls every 2 ms: a loop of find(1) would take the CPU
# from syncmail.
until_count()
{
	/usr/bin/python3 - "$1" "$2" "$3" "$BG_PID" <<'EOF'
import os, sys, time
d, op, k, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def alive():
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
end = time.time() + 60
while alive() and time.time() < end:
    try:
        n = sum(1 for e in os.scandir(d) if e.is_file(follow_symlinks=False))
    except OSError:
        n = 0
    if (n >= k) if op == "ge" else (n <= k):
        break
    time.sleep(0.002)
EOF
}

# until_moment MOMENT COUNT: returns at MOMENT of the background run (or
# when it ended first): new:K (K files in the local new/), gone:K (the
# server lost K of its COUNT files), delay:MS, exit (it ended), fault (it
# killed itself at its crash point).
until_moment()
{
	case $1 in
	new:*)	until_count "$LOCAL/new" ge "${1#new:}" ;;
	gone:*)	until_count "$REMOTE/new" le $(($2 - ${1#gone:})) ;;
	delay:*) sleep_ms "${1#delay:}" ;;
	esac
}

# local_files: "N in new/, M empty" (a cut may leave files without data).
local_files()
{
	find "$LOCAL/new" -mindepth 1 -maxdepth 1 -type f -printf '%s\n' \
	    2>/dev/null | awk '{ n++ } $1 == 0 { e++ }
		END { printf "%d in new/, %d empty\n", n, e }'
}

# delete_victim NAME: the user deletes one of the round's messages that
# the cut left in new/ (durably), before the normal run: it must not come
# back (SPEC 4: "even if the user has meanwhile ... deleted it locally"),
# though its remote copy may still be there and the record still name it.
# The victim is one with a second link if there is one: a name the cut
# brought back in tmp/ (a move is durable in new/ before it is in tmp/),
# the case where a deletion makes a delivery look like none.  With
# VICTIM=settled only a message whose move is durable in both directories
# is taken: a cut between the flush of new/ and the flush of tmp/ that
# follows it (crash point new-synced) leaves the batch's messages in
# both, and a message the user deletes in that state comes back, the one
# case POSIX gives no way to tell (README, "How exactly-once works").
NV=0
delete_victim()
{
	dv_links=+1
	[ "$VICTIM" = settled ] && dv_links=1
	dv_v=$(find "$LOCAL/new" -mindepth 1 -maxdepth 1 -type f -size +0 \
	    -links $dv_links -printf '%f\n' | head -n 1)
	if [ -z "$dv_v" ] && [ "$VICTIM" != settled ]; then
		while read -r dv_name; do
			[ -s "$LOCAL/new/$dv_name" ] && dv_v=$dv_name && break
		done <"$T/last"
	fi
	[ -n "$dv_v" ] || return 0
	rm "$LOCAL/new/$dv_v" || fail "$1: rm $dv_v"
	durable "$LOCAL/new"
	forget_orig "$dv_v"
	step "$1: deleted new/$dv_v ($(count_files "$REMOTE/new") on the" \
	    "server, $(count_files "$LOCAL/tmp") in tmp/)"
	NV=$((NV + 1))
}

# kill_at NAME COUNT MOMENT BIN [VAR=VALUE...]: BIN started in the
# background with these variables, killed at MOMENT (until_moment) of
# its run with COUNT messages, and reaped; CR_MS is its time, WAIT_RC
# its status (checked).
kill_at()
{
	ka_name=$1 ka_n=$2 ka_moment=$3 ka_bin=$4
	shift 4
	ka_t0=$(now_ms)
	start_bg "$ka_bin" "$@"
	until_moment "$ka_moment" "$ka_n"
	case $ka_moment in
	exit|fault) ;;
	*) kill -KILL "$BG_PID" 2>/dev/null ;;
	esac
	reap "$BG_PID" 60
	CR_MS=$(($(now_ms) - ka_t0))
	# A crash point ends in SIGKILL, an exit round in 0, the others
	# (new:K, gone:K, delay:MS) either.
	case $ka_moment:$WAIT_RC in
	fault:137|exit:0|*:*:0|*:*:137) ;;
	*)	fail "$ka_name: syncmail exited $WAIT_RC before the cut:" \
		    "$(tail -n 3 "$T/bg.err")" ;;
	esac
}

MSGS=0
# cut_round NAME COUNT MOMENT HOW RUNS BIN [VAR=VALUE...]: one round (see
# the top): prepare HOW, COUNT messages, BIN run until MOMENT and killed,
# the cut, then normal runs (at most RUNS, until the server is empty) and
# the checks.  CHECK_K=-k for keep; VICTIM=1: delete_victim after the cut.
# Sets CR_MS to the killed run's time.
cut_round()
{
	cr_name=$1 cr_n=$2 cr_moment=$3 cr_how=$4 cr_runs=$5 cr_bin=$6
	shift 6
	prepare "$cr_how"
	step "$cr_name: prepared"
	mkmsgs "$REMOTE/new" "$cr_n" small
	step "$cr_name: $cr_n messages, $cr_how, cut at $cr_moment," \
	    "$(basename "$cr_bin") $*"
	kill_at "$cr_name" "$cr_n" "$cr_moment" "$cr_bin" "$@"
	step "$cr_name: killed run exited $WAIT_RC after $CR_MS ms," \
	    "$(local_files), $(count_files "$REMOTE/new") on the server"
	pc_cut
	step "$cr_name: after the cut $(local_files)"
	[ -z "$VICTIM" ] || delete_victim "$cr_name"
	cr_i=0
	while [ "$cr_i" -lt "$cr_runs" ]; do
		run_syncmail -q
		assert_rc 0 "$cr_name: normal run $((cr_i + 1)) after the cut"
		cr_i=$((cr_i + 1))
		[ -n "$CHECK_K" ] || [ "$(count_files "$REMOTE/new")" != 0 ] || break
	done
	step "$cr_name: $cr_i normal runs"
	check_exactly_once $CHECK_K
	check_tmp_empty
	step "$cr_name: checked"
	MSGS=$((MSGS + cr_n))
}

# moment_for I COUNT MS: the cut of round I: by turns once K files are in
# new/, once the server lost K, after a delay up to MS, after the exit.
moment_for()
{
	pick "$2"
	case $(($1 % 4)) in
	0) MOMENT=new:$((R + 1)) ;;
	1) MOMENT=gone:$((R + 1)) ;;
	2) pick "$3"; MOMENT=delay:$R ;;
	3) MOMENT=exit ;;
	esac
}

# how_for I: the Maildir of round I: the first two rounds of a kind start
# without the Maildir and without a record, then one in six each.
how_for()
{
	pick 6
	case $1:$R in
	1:*|*:0) HOW=nomaildir ;;
	2:*|*:1) HOW=norecord ;;
	*) HOW=keep ;;
	esac
}

# ---- batch and single -----------------------------------------------------

# batch_rounds: 20 rounds of 80 to 200 messages.  The delays go up to
# the length of the last run that was not killed.
NB=0
batch_rounds()
{
	br_ms=1500
	br_i=1
	while [ "$br_i" -le 20 ]; do
		pick 121
		br_n=$((80 + R))
		moment_for "$br_i" "$br_n" "$br_ms"
		how_for "$br_i"
		cut_round "batch $br_i/20" "$br_n" "$MOMENT" "$HOW" 2 "$SYNCMAIL"
		[ "$MOMENT" != exit ] || br_ms=$CR_MS
		NB=$((NB + 1))
		br_i=$((br_i + 1))
	done
}

# single_rounds: 10 rounds of 3 to 12 messages.
NS=0
single_rounds()
{
	sr_ms=400
	sr_i=1
	while [ "$sr_i" -le 10 ]; do
		pick 10
		sr_n=$((3 + R))
		moment_for "$sr_i" "$sr_n" "$sr_ms"
		how_for "$sr_i"
		cut_round "single $sr_i/10" "$sr_n" "$MOMENT" "$HOW" 2 "$SYNCMAIL"
		[ "$MOMENT" != exit ] || sr_ms=$CR_MS
		NS=$((NS + 1))
		sr_i=$((sr_i + 1))
	done
}

# ---- keep and max-messages ------------------------------------------------

# keep_rounds: "keep yes", a batch and a few, cut after the exit and once
# K files are in new/ (the server loses none); a message the cut left in
# new/ deleted by the user (a message delivered once is not fetched again,
# even after it is deleted locally: syncmail.conf(5)); two normal runs.
# The cut at K files may land between the flush of new/ and the flush of
# tmp/ (new-synced): the victim is then a settled one, as in that fault
# round (delete_victim), and none when the whole batch is in both; the
# fault rounds at renamed, tmp-resynced and remove-sent still prefer a
# message with a second link, which catches a missing flush of tmp/.
NK=0
keep_rounds()
{
	CHECK_K=-k
	VICTIM=settled
	conf_add keep yes
	for kr_n in 40 8; do
		for kr_moment in exit new; do
			if [ "$kr_moment" = new ]; then
				pick "$kr_n"
				kr_moment=new:$((R + 1))
			fi
			cut_round "keep $kr_n" "$kr_n" "$kr_moment" keep 2 \
			    "$SYNCMAIL"
			assert_eq "$(count_files "$REMOTE/new")" "$kr_n" \
			    "keep $kr_n: messages left on the server"
			NK=$((NK + 1))
		done
	done
	CHECK_K=
	VICTIM=
	write_config
}

# max_rounds: "max-messages 30" with 80 messages, cut after the exit and
# once the server lost K: runs end early, the normal runs after the cut
# go on until the server is empty.
NM=0
max_rounds()
{
	conf_add max-messages 30
	for mr_moment in exit gone; do
		pick 30
		[ "$mr_moment" = exit ] || mr_moment=gone:$((R + 1))
		cut_round "max-messages 30" 80 "$mr_moment" keep 4 "$SYNCMAIL"
		NM=$((NM + 1))
	done
	write_config
}

# ---- fault points ---------------------------------------------------------

# fault_rounds: each crash point of t-18 with 80 messages (batches) and
# with 5 (batches under 16), at a hit chosen at random: per-batch points
# are passed once a batch (a big run has several), the others once a
# message.
NF=0
fault_rounds()
{
	for fr_n in 80 5; do
		for fr_point in tmp-written tmp-synced recorded renamed \
		    new-synced tmp-resynced remove-sent remove-answered \
		    dropped; do
			case $fr_point in
			tmp-synced|recorded|new-synced|tmp-resynced|remove-sent)
				[ "$fr_n" = 5 ] && R=0 || pick 2 ;;
			*)	pick $((fr_n / 2)) ;;
			esac
			# A message in new/ whose remote copy may be left:
			# the user's deletion must hold (as in t-18).
			case $fr_point in
			renamed|tmp-resynced|remove-sent) VICTIM=1 ;;
			new-synced) VICTIM=settled ;;
			*) VICTIM= ;;
			esac
			cut_round "fault $fr_point:$((R + 1)) with $fr_n" "$fr_n" \
			    fault keep 2 "$FAULTY" \
			    SYNCMAIL_FAULT="$fr_point:$((R + 1))" \
			    ASAN_OPTIONS=exitcode=86:detect_leaks=0
			NF=$((NF + 1))
		done
	done
	VICTIM=
}

# ---- the self-check: the old commit path must lose mail here --------------

# syncfs_rounds: batch rounds of the old program (both runs with syncfs
# forced), cut after its exit, once the server lost 60, once 80 files
# are in new/.  LOSSY counts the rounds that lost mail (a message missing
# or empty), LOST the messages missing.
NSC=0
LOSSY=0
LOST=0
syncfs_rounds()
{
	for sc_moment in exit gone:60 new:80; do
		prepare keep
		mkmsgs "$REMOTE/new" 120 small
		step "syncfs self-check: 120 messages, cut at $sc_moment"
		start_bg "$FAULTY" SYNCMAIL_TEST_SYNCFS=1 \
		    ASAN_OPTIONS=exitcode=86:detect_leaks=0
		until_moment "$sc_moment" 120
		[ "$sc_moment" = exit ] || kill -KILL "$BG_PID" 2>/dev/null
		wait_exit "$BG_PID" 60
		[ "$WAIT_RC" != 86 ] || fail "syncfs self-check: a sanitizer finding"
		pc_cut
		env -u SSH_AUTH_SOCK HOME="$T/home" SYNCMAIL_TEST_SYNCFS=1 \
		    ASAN_OPTIONS=exitcode=86:detect_leaks=0 \
		    timeout -k 5 "$RUN_TIMEOUT" "$FAULTY" -q -c "$CONF" \
		    </dev/null >"$T/out" 2>"$T/err"
		[ "$?" != 86 ] || fail "syncfs self-check: a sanitizer finding"
		_hashes "$T/orig" >"$T/.h.orig"
		_hashes "$LOCAL/new" "$LOCAL/cur" >"$T/.h.local"
		sc_loss=$(comm -23 "$T/.h.orig" "$T/.h.local" | wc -l)
		step "syncfs self-check: $sc_loss missing; $(local_files)"
		[ "$sc_loss" = 0 ] && [ -z "$(find "$LOCAL/new" -type f -empty)" ] ||
			LOSSY=$((LOSSY + 1))
		LOST=$((LOST + sc_loss))
		NSC=$((NSC + 1))
	done
	[ "$LOSSY" -gt 0 ] || fail "SYNCMAIL_TEST_SYNCFS=1: $NSC rounds of the" \
	    "syncfs commit path lost nothing: this test cannot see the bug" \
	    "it is for"
}

# ---- routes: the same promise when a pull's messages go elsewhere ---------

# The route rounds' pull: three lists into lists/NAME (%1: each made on
# its first message), X-Folder work into Work, the monitoring system's
# messages discarded, tickets piped to a command that delivers them into
# Tickets; the rest into the pull's Maildir.  All on the pcfs mount.
RT_LISTS=$MNT/lists
RT_WORK=$MNT/Work
RT_TK=$MNT/Tickets
# syncmail's log (a "piped" line once a run has marked a message done)
# and the command's own (a line per message given): outside pcfs, so that
# a cut never takes back what they say.
RT_LOG=$T/mail.log
RT_PIPELOG=$T/pipe.log

# route_config: $CONF for the route rounds.
route_config()
{
	write_config
	conf_add log "$RT_LOG"
	conf_add route List-Id '"<([^>]*)\.lists\.example\.org>"' "$RT_LISTS/%1"
	conf_add route X-Folder '^work$' "$RT_WORK"
	conf_add route Sender '"nagios@monitor\.example\.com"' discard
	conf_add route Subject '"^\[ticket\]"' pipe "$T/ticket.sh"
}

# The ticket system: delivers the message on its input into Tickets as
# an MDA must for exactly-once (into tmp/, flushed, linked into new/
# under SYNCMAIL_NAME, new/ flushed), and a second time finds the same
# bytes there: it dedupes on SYNCMAIL_NAME, as SPEC 8 tells a command
# to.  Before it delivers, it notes in pipe.log the name, the SHA-256 of
# what it read and how many "piped" lines syncmail's log already has for
# it: a message a run marked done must never be given again.
cat >"$T/ticket.sh" <<EOF
#!/bin/sh
n=\$SYNCMAIL_NAME
d=$RT_TK
t=\$d/tmp/\$n.\$\$
rm -f "\$d/tmp/\$n".*
cat >"\$t" || exit 1
sum=\$(sha256sum <"\$t" | cut -c1-64)
done=\$(grep -cF " piped \$SYNCMAIL_REMOTE to " "$RT_LOG")
echo "\$n \$SYNCMAIL_REDELIVERY \$sum \$done" >>"$RT_PIPELOG"
sync "\$t" || exit 1
ln "\$t" "\$d/new/\$n" 2>/dev/null || cmp -s "\$t" "\$d/new/\$n" || exit 1
sync "\$d/new" && rm "\$t" && sync "\$d/tmp"
EOF
chmod 755 "$T/ticket.sh"
: >"$RT_LOG"

# route_prepare HOW: a route round's start, the test's own changes
# durable: no message anywhere (locally, on the server, in the logs of
# the round), and the route Maildirs as HOW says: "keep" (as the round
# before left them), "nodirs" (lists/ and Work missing: syncmail makes
# them), "byhand" (Work and lists/dev made by the user a moment before
# the run, not yet on disk: a run that delivers into them must first
# make them durable, as it does the moves into new/ it finds unflushed).
route_prepare()
{
	reset_orig
	: >"$T/expect"
	: >"$RT_PIPELOG"
	: >"$T/done.names"
	find "$REMOTE/new" -mindepth 1 -maxdepth 1 -type f -delete
	find "$MNT" -mindepth 2 \( -path '*/new/*' -o -path '*/cur/*' \) \
	    -type f -delete
	find "$MNT" -mindepth 1 \( -name new -o -name cur \) -type d \
	    -exec sync {} + || fail "sync new/ and cur/"
	[ -d "$RT_TK" ] || { mkmaildir "$RT_TK"; durable "$RT_TK"/* "$RT_TK" "$MNT"; }
	case $1 in
	nodirs|byhand)
		rm -rf "$RT_LISTS" "$RT_WORK"
		durable "$MNT" ;;
	esac
	if [ "$1" = byhand ]; then
		mkmaildir "$RT_WORK"
		mkmaildir "$RT_LISTS/dev"
	fi
}

# route_check [-c]: each message of the round ($T/expect, from
# routes.py) exactly once, byte-identical, in new/ or cur/ of the Maildir
# its route names, a discarded one in none; no other file in any new/ or
# cur/ on the mount; nothing left in the remote new/ nor in any tmp/;
# each piped message given to the command whole at least once and never
# after a run logged it piped, nor after the kill at pipe-done (a run
# had marked it done: $T/done.names).  With -c only counts: RT_LOST is the
# number of messages not where they belong.
route_check()
{
	RT_LOST=$(/usr/bin/python3 - "$T" "$MNT" "$LOCAL" "$REMOTE" \
	    "$RT_PIPELOG" "${1:-}" <<'EOF'
import hashlib, os, sys
T, mnt, local, remote, pipelog, mode = sys.argv[1:7]

def sha(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

found, errors = {}, []
for root, dirs, files in os.walk(mnt):
    kind = os.path.basename(root)
    if kind in ("new", "cur"):
        for f in files:
            p = os.path.join(root, f)
            found.setdefault(sha(p), []).append(p)
    elif kind == "tmp" and (files or dirs):
        errors.append("%s holds %s" % (root, " ".join((files + dirs)[:3])))
given, times = {}, {}
with open(pipelog) as f:
    for line in f:
        name, redelivery, digest, done = line.split()
        given.setdefault(name, set()).add(digest)
        times[name] = times.get(name, 0) + 1
        if done != "0":
            errors.append("%s given to the command again after a run "
                          "logged it piped" % name)
with open(os.path.join(T, "done.names")) as f:
    for name in f.read().split():
        if times.get(name, 0) != 1:
            errors.append("%s given %d times, marked done by the first" %
                          (name, times.get(name, 0)))
lost, want = 0, set()
with open(os.path.join(T, "expect")) as f:
    expect = [l.rstrip("\n").split("\t") for l in f]
for name, where in expect:
    h = sha(os.path.join(T, "orig", name))
    paths = found.get(h, [])
    if where == "discard":
        if paths:
            errors.append("discarded %s delivered: %s" % (name, paths))
        continue
    want.add(h)
    d = {"-": local, "pipe": os.path.join(mnt, "Tickets")}.get(
        where, os.path.join(mnt, where))
    inside = [p for p in paths if os.path.dirname(os.path.dirname(p)) == d]
    if len(inside) != 1 or len(paths) != 1:
        lost += not inside
        errors.append("%s (%s): %d copies, %s" % (name, where, len(paths),
                      " ".join(paths) or "none"))
    if where == "pipe" and h not in given.get(name, ()):
        errors.append("%s never given whole to the command" % name)
for h, paths in found.items():
    if h not in want:
        errors.append("not a message of the round: %s" % " ".join(paths))
left = os.listdir(os.path.join(remote, "new"))
if left:
    errors.append("%d left in the remote new/" % len(left))
print(lost)
if mode != "-c" and errors:
    for e in errors[:6]:
        sys.stderr.write("  %s\n" % e)
    sys.stderr.write("  (%d problems)\n" % len(errors))
    sys.exit(1)
EOF
) || fail "route check failed (stderr above)"
}

# route_round NAME COUNT MOMENT HOW RESUME BIN [VAR=VALUE...]: a round with
# routes: route_prepare HOW, COUNT messages of routes.py's mixed kinds,
# BIN run until MOMENT and killed; the cut at once, or with RESUME=1 only
# after a normal run (a crash, then a run that delivers into what the
# crash left in memory only, then the cut); then normal runs until the
# server is empty, and route_check.
NR=0
route_round()
{
	rr_name=$1 rr_n=$2 rr_moment=$3 rr_how=$4 rr_resume=$5 rr_bin=$6
	shift 6
	route_prepare "$rr_how"
	pick 1000000
	python3 "$E2E_DIR/routes.py" "$T" "$REMOTE/new" "$TEST_USER" mixed \
	    "$rr_n" "$R" || fail "routes.py mixed"
	step "$rr_name: $rr_n messages ($(cut -f2 "$T/expect" | sort |
	    uniq -c | tr -s ' \n' '  ')), $rr_how, cut at $rr_moment" \
	    "${rr_resume:+after a run }$(basename "$rr_bin") $*"
	kill_at "$rr_name" "$rr_n" "$rr_moment" "$rr_bin" "$@"
	# Killed at pipe-done: the message the command just had is marked
	# done, durably, and must never be given again.
	case $rr_name in
	*pipe-done*) tail -n 1 "$RT_PIPELOG" | cut -d' ' -f1 >"$T/done.names" ;;
	esac
	# The runner stops a command whose syncmail died: wait for that.
	rr_w=0
	while pgrep -f "$T/ticket.sh" >/dev/null && [ "$rr_w" -lt 100 ]; do
		sleep 0.05
		rr_w=$((rr_w + 1))
	done
	step "$rr_name: killed run exited $WAIT_RC after $CR_MS ms," \
	    "$(count_files "$REMOTE/new") on the server"
	if [ -n "$rr_resume" ]; then
		run_syncmail -q
		assert_rc 0 "$rr_name: the run after the kill"
	fi
	pc_cut
	rr_i=0
	while [ "$rr_i" -lt 3 ]; do
		run_syncmail -q
		assert_rc 0 "$rr_name: normal run $((rr_i + 1)) after the cut"
		rr_i=$((rr_i + 1))
		[ "$(count_files "$REMOTE/new")" != 0 ] || break
	done
	step "$rr_name: $rr_i normal runs"
	route_check
	step "$rr_name: checked"
	MSGS=$((MSGS + rr_n))
	NR=$((NR + 1))
}

# routes_rounds: 8 rounds of 40 to 80 messages cut at random moments
# (once the server lost K, after a delay, after the exit), some starting
# without the route Maildirs or with ones made by hand; then a cut after
# each crash point, the route and pipe ones too, 30 messages, every
# other one after a run (RESUME); dir-made (a directory made, not yet
# flushed) both ways, without the route Maildirs.
routes_rounds()
{
	route_config
	ro_ms=1500
	ro_i=1
	while [ "$ro_i" -le 8 ]; do
		pick 41
		ro_n=$((40 + R))
		pick "$ro_n"
		case $((ro_i % 3)) in
		0) ro_moment=gone:$((R + 1)) ;;
		1) pick "$ro_ms"; ro_moment=delay:$R ;;
		2) ro_moment=exit ;;
		esac
		case $ro_i in
		1|5) ro_how=nodirs ;;
		2|6) ro_how=byhand ;;
		*) ro_how=keep ;;
		esac
		ro_resume=
		[ "$ro_i" -le 4 ] || ro_resume=1
		route_round "routes $ro_i/8" "$ro_n" "$ro_moment" "$ro_how" \
		    "$ro_resume" "$SYNCMAIL"
		[ "$ro_moment" != exit ] || ro_ms=$CR_MS
		ro_i=$((ro_i + 1))
	done
	ro_k=0
	for ro_point in tmp-written tmp-synced recorded renamed new-synced \
	    tmp-resynced remove-sent remove-answered dropped pipe-recorded \
	    pipe-done pipe-exited dir-made dir-made; do
		ro_how=keep
		case $ro_point in
		# Once a batch: 30 messages may make only one.
		tmp-synced|recorded|new-synced|tmp-resynced|remove-sent)
			R=0 ;;
		# Once a piped message: there are two at least.
		pipe-*)	pick 2 ;;
		dir-made) ro_how=nodirs; pick 8 ;;
		*)	pick 15 ;;
		esac
		ro_resume=
		[ $((ro_k % 2)) = 0 ] || ro_resume=1
		route_round "routes fault $ro_point:$((R + 1))" 30 fault \
		    "$ro_how" "$ro_resume" "$FAULTY" \
		    SYNCMAIL_FAULT="$ro_point:$((R + 1))" \
		    ASAN_OPTIONS=exitcode=86:detect_leaks=0
		ro_k=$((ro_k + 1))
	done
	write_config
}

# routeskip_rounds: the self-check of the route rounds: each test switch
# that leaves out one flush a route needs (SYNCMAIL_TEST_SKIP,
# util/fault.h) must lose mail in a round cut after syncmail's exit,
# or the rounds above could not see such a bug: route-new (a route
# Maildir's new/ not flushed after the moves into it, its Maildirs kept
# from before), mkdir (the directory above one made not flushed, the
# route Maildirs missing).
NRS=0
RS_LOST=
routeskip_rounds()
{
	route_config
	for rs_skip in route-new mkdir; do
		rs_how=keep
		[ "$rs_skip" = route-new ] || rs_how=nodirs
		route_prepare "$rs_how"
		pick 1000000
		python3 "$E2E_DIR/routes.py" "$T" "$REMOTE/new" "$TEST_USER" \
		    mixed 40 "$R" || fail "routes.py mixed"
		step "route self-check: 40 messages, SYNCMAIL_TEST_SKIP=$rs_skip"
		start_bg "$FAULTY" SYNCMAIL_TEST_SKIP="$rs_skip" \
		    ASAN_OPTIONS=exitcode=86:detect_leaks=0
		reap "$BG_PID" 60
		[ "$WAIT_RC" = 0 ] || fail "route self-check: $rs_skip run exited" \
		    "$WAIT_RC: $(tail -n 3 "$T/bg.err")"
		pc_cut
		run_syncmail -q
		route_check -c
		step "route self-check: $rs_skip lost $RT_LOST"
		[ "$RT_LOST" -gt 0 ] || fail "SYNCMAIL_TEST_SKIP=$rs_skip lost" \
		    "nothing: the route rounds cannot see a missing flush"
		RS_LOST="${RS_LOST:+$RS_LOST,} $rs_skip $RT_LOST"
		NRS=$((NRS + 1))
	done
	write_config
}

for p in batch single keep max fault syncfs routes routeskip; do
	if part "$p"; then
		"${p}_rounds"
		step "$p rounds done"
	fi
done
pc_down TERM
note "seed $SEED: power cuts after $NB batch, $NS single-file, $NK keep," \
    "$NM max-messages, $NF fault-point and $NR route rounds," \
    "$MSGS messages each exactly once, $NV deleted after the cut not" \
    "back; the cuts dropped $DROPPED_FILES" \
    "unflushed files and $DROPPED_ENTRIES directory entries; pcfs got" \
    "$FSYNCS fsync, $FDATASYNCS fdatasync, $FSYNCDIRS fsyncdir;" \
    "forced syncfs lost mail in $LOSSY of $NSC rounds ($LOST messages);" \
    "skipped route flushes lost:${RS_LOST:- (not run)}"
