# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The power-cut tests' rig (t-41, t-59): pcfs (tests/e2e/pcfs.c, built
# here), a FUSE file system that keeps only what POSIX promises, proved
# first, then mounted at $MNT with the local Maildir $LOCAL on it; the
# seeded choices (pick), the steps shown on failure (step); syncmail
# started in the background and killed at a moment of its run (kill_at),
# the cut (pc_cut).  Sourced after lib.sh and setup, with SEED (the seed
# of the choices) and PARTS (the parts to run) set.  POSIX sh.

FAULTY=$ROOT/syncmail/syncmail-asan
[ -x "$FAULTY" ] || fail "no $FAULTY with crash points (make syncmail/syncmail-asan)"
[ -c /dev/fuse ] || fail "no /dev/fuse: pcfs needs FUSE"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -Werror -o "$T/pcfs" "$E2E_DIR/pcfs.c" \
    $(pkg-config --cflags --libs fuse3) || fail "cannot build pcfs"

RNG=$SEED
FAIL_LOG=$T/steps.log
: >"$FAIL_LOG"

# part NAME: true if this run has the rounds NAME (PARTS, from the test's
# T41_PARTS or T59_PARTS: only those, to replay a failure faster).
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

# moment_for I COUNT MS KINDS...: MOMENT, the cut of round I of a kind,
# the KINDS by turns: new (once K of COUNT files are in new/), gone
# (once the server lost K), delay (after a delay up to MS), exit.
moment_for()
{
	mf_i=$1 mf_n=$2 mf_ms=$3
	shift 3
	shift $((mf_i % $#))
	pick "$mf_n"
	case $1 in
	new) MOMENT=new:$((R + 1)) ;;
	gone) MOMENT=gone:$((R + 1)) ;;
	delay) pick "$mf_ms"; MOMENT=delay:$R ;;
	exit) MOMENT=exit ;;
	*) fail "moment_for: no moment $1" ;;
	esac
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
	# (new:K, gone:K, delay:MS) either; in the filter rounds a run may
	# end in 1 (a message failed alone: the failing filter).
	case $ka_moment:$WAIT_RC:$DR_KIND in
	fault:137:*|exit:0:*|*:*:0:*|*:*:137:*) ;;
	exit:1:filter|*:*:1:filter) ;;
	*)	fail "$ka_name: syncmail exited $WAIT_RC before the cut:" \
		    "$(tail -n 3 "$T/bg.err")" ;;
	esac
}

MSGS=0
DR_KIND=
