#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The progress line (SPEC 2), on a pseudo-terminal of a set width, the
# transfer slowed by a proxy command of the test's own so that it is
# redrawn many times: no line nor \r-separated piece of one is wider
# than the terminal (40 columns, then 30 once it is resized mid-run),
# the account's last line ends with a newline, a wide terminal shows the
# percent, the rate and the time left; an account with nothing to do
# shows nothing; with -j 2 each of two accounts prints whole lines of
# its own, never one mixed with the other's; the first ^C says how many
# messages are being finished, the run ends 130 with every message once
# either here or on the server (also with -j 2: the terminal's ^C
# reaches each account once, so it finishes rather than stops).  With
# stderr to a file, or -q, not one byte of progress.
. "$(dirname "$0")/lib.sh"
setup

# The server's bytes at most at the rate in bytes a second that
# $T/rate says when the connection is made.  Its stderr is syncmail's,
# the terminal under test: what it has to say goes to $T/throttle.log,
# and syncmail closing the connection is no error.
echo 600000 >"$T/rate"
cat >"$T/throttle.py" <<'EOF'
import os, select, socket, sys, time
os.dup2(os.open(sys.argv[3] + ".log", os.O_WRONLY | os.O_CREAT | os.O_APPEND), 2)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
rate = float(open(sys.argv[3]).read())
start, got, ins = time.time(), 0, [0, s]
def relay():
    global got, start
    while True:
        r, _, _ = select.select(ins, [], [])
        if 0 in r:
            d = os.read(0, 65536)
            if d:
                s.sendall(d)
            else:
                s.shutdown(socket.SHUT_WR)
                ins.remove(0)
        if s in r:
            d = s.recv(16384)
            if not d:
                return
            # At most 0.1 s of credit: a slow handshake (ASan, a
            # busy machine) must not let the first megabytes through
            # unthrottled, or a ^C comes after the last message.
            start = max(start, time.time() - got / rate - 0.1)
            got += len(d)
            while d:
                d = d[os.write(1, d):]
            ahead = got / rate - (time.time() - start)
            if ahead > 0:
                time.sleep(ahead)
try:
    relay()
except (BrokenPipeError, ConnectionError):
    pass
EOF

# ptyrun.py OUT COLS [intr DIR N] [resize DIR N COLS] -- ARGV: runs ARGV
# on a fresh pty COLS wide, no echo, no \n to \r\n (what syncmail writes
# is what OUT gets); types ^C once DIR holds N files, or resizes the
# terminal.  Exits with ARGV's status (128+N for a signal).
cat >"$T/ptyrun.py" <<'EOF'
import fcntl, os, pty, select, signal, struct, sys, termios, time
out, cols = sys.argv[1], int(sys.argv[2])
args, acts = sys.argv[3:], []
while args[0] != "--":
    n = 4 if args[0] == "resize" else 3
    acts.append(args[:n])
    args = args[n:]
argv = args[1:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    a = termios.tcgetattr(0)
    a[1] &= ~termios.ONLCR
    a[3] &= ~(termios.ECHO | termios.ECHOCTL)
    termios.tcsetattr(0, termios.TCSANOW, a)
    os.execv(argv[0], argv)
def files(d):
    try:
        return len(os.listdir(d))
    except OSError:
        return 0
end, data = time.time() + 120, b""
while time.time() < end:
    for a in list(acts):
        if files(a[1]) >= int(a[2]):
            if a[0] == "intr":
                os.write(fd, b"\x03")
            else:
                fcntl.ioctl(fd, termios.TIOCSWINSZ,
                            struct.pack("HHHH", 24, int(a[3]), 0, 0))
            acts.remove(a)
    r, _, _ = select.select([fd], [], [], 0.02)
    if r:
        try:
            d = os.read(fd, 65536)
        except OSError:
            d = b""
        if not d:
            break
        data += d
else:
    os.kill(pid, signal.SIGKILL)
open(out, "wb").write(data)
_, st = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
EOF

# check.py OUT COLS MODE ACCOUNT...: what the terminal got.  MODE:
# "inplace" (one account's line redrawn after \r), "shared" (whole lines
# only, each after a \r and a clear), "wide" (inplace, and the rate
# fields shown).  Prints how many
# lines (or redraws) each account had.
cat >"$T/check.py" <<'EOF'
import re, sys
raw = open(sys.argv[1], "rb").read()
cols, mode, accts = int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def bad(why):
    print(why + ": " + repr(raw[-300:]))
    sys.exit(1)
try:
    text = raw.decode("ascii")
except UnicodeDecodeError:
    bad("not ASCII")
# The one escape sequence: clear to the end of the line.
if re.search("\033(?!\\[K)", text):
    bad("an escape sequence other than ESC [ K")
text = text.replace("\033[K", "")
if not text.endswith("\n"):
    bad("the output does not end with a newline")
field = (r"\d+/\d+ messages(, [0-9.]+/[0-9.]+ [kMG]B(, \d+%(, [0-9.]+ [kM]B/s"
         r"(, (in )?[0-9hms>]+( left)?)?)?)?)?")
prog = re.compile("(%s): %s$" % ("|".join(accts), field))
stop = re.compile(r"syncmail: (%s): stopping: finishing \d+ messages? in "
                  r"flight; interrupt again to stop at once$" % "|".join(accts))
seen = {}
for n, line in enumerate(text.split("\n")[:-1]):
    segs = line.split("\r")
    # A whole line first clears the one the cursor is on: "\r" ESC [ K.
    if mode == "shared" and (len(segs) > 2 or len(segs) == 2 and segs[0]):
        bad("a \\r within a line on a shared terminal")
    for seg in segs:
        if stop.match(seg) or not seg:
            continue
        if len(seg) > cols:
            bad("%d columns, over %d: %r" % (len(seg), cols, seg))
        if not prog.match(seg):
            bad("not a progress line of one account: %r" % seg)
        seen.setdefault(seg.split(":")[0], []).append(seg == segs[-1])
for a in accts:
    if a not in seen:
        bad("no line of account " + a)
    if not seen[a][-1]:
        bad("the last line of %s is not ended by a newline" % a)
if mode == "wide" and not re.search(r"\d+%, [0-9.]+ [kM]B/s, [0-9hms]+ left",
                                    text):
    bad("no percent, rate and time left on a wide terminal")
print(" ".join("%s:%d" % (a, len(seen[a])) for a in accts))
EOF

conf_add proxy-command "\"/usr/bin/python3 $T/throttle.py %h %p $T/rate\""

# on_pty OUT COLS ACTION... -- ARGS: syncmail ARGS on the pty; $RC.
on_pty()
{
	op_out=$1 op_cols=$2
	shift 2
	op_acts=
	while [ "$1" != -- ]; do
		op_acts="$op_acts $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 "$RUN_TIMEOUT" \
	    /usr/bin/python3 "$T/ptyrun.py" "$op_out" "$op_cols" $op_acts -- \
	    "$SYNCMAIL" -c "$CONF" "$@" </dev/null >"$T/err" 2>&1
	RC=$?
}

# pty_rc WANT OUT WHAT: the last on_pty exited WANT, else the test fails
# with the end of what the terminal showed.
pty_rc()
{
	[ "$RC" = "$1" ] || fail "$3: exit $RC, want $1; the terminal showed:" \
	    "$(tail -c 600 "$2" | tr '\r' '\n' | sed 's/\x1b\[K//g' | grep -v '^$' | tail -n 4)"
}

# check OUT COLS MODE ACCOUNT...: check.py, failing the test.
check()
{
	ck_out=$1
	shift
	/usr/bin/python3 "$T/check.py" "$ck_out" "$@" >"$T/check.out" ||
		fail "$(basename "$ck_out"): $(cat "$T/check.out")"
	cat "$T/check.out"
}

# 40 columns, resized to 30 mid-run: the line never wider (its last,
# drawn after the resize, at most 30).
mkmsgs "$REMOTE/new" 300 small
on_pty "$T/pty40" 40 resize "$LOCAL/new" 200 30 --
pty_rc 0 "$T/pty40" "40 columns"
check_exactly_once
n40=$(check "$T/pty40" 40 inplace test)
last=$(tr '\r' '\n' <"$T/pty40" | sed 's/\x1b\[K//g' | grep -v '^$' | tail -n 1)
[ "${#last}" -le 30 ] || fail "after the resize to 30 columns: '$last' (${#last})"
[ "$(tr -cd '\r' <"$T/pty40" | wc -c)" -ge 10 ] ||
	fail "fewer than 10 redraws: is the transfer too fast for the test?"

# 120 columns: percent, rate, time left.
mkmsgs "$REMOTE/new" 300 small
on_pty "$T/pty120" 120 --
pty_rc 0 "$T/pty120" "120 columns"
check_exactly_once
n120=$(check "$T/pty120" 120 wide test)

# Nothing to do: nothing shown.
on_pty "$T/pty-none" 80 --
pty_rc 0 "$T/pty-none" "nothing to do"
[ ! -s "$T/pty-none" ] ||
	fail "nothing to do, but the terminal got: $(od -c "$T/pty-none" | head -n 3)"

# -q: nothing.
mkmsgs "$REMOTE/new" 20 small
on_pty "$T/pty-q" 80 -- -q
pty_rc 0 "$T/pty-q" "-q"
[ ! -s "$T/pty-q" ] || fail "-q, but the terminal got: $(od -c "$T/pty-q" | head -n 3)"
check_exactly_once

# The first ^C: the notice, status 130, nothing lost.
mkmsgs "$REMOTE/new" 300 small
before=$(count_files "$LOCAL/new")
on_pty "$T/pty-int" 120 intr "$LOCAL/new" $((before + 30)) --
pty_rc 130 "$T/pty-int" "after ^C"
check_once_somewhere
check_tmp_empty
check "$T/pty-int" 120 inplace test >/dev/null
tr '\r' '\n' <"$T/pty-int" | sed 's/\x1b\[K//g' |
    grep -q "^syncmail: test: stopping: finishing [0-9]* messages\? in flight; interrupt again to stop at once$" ||
	fail "no notice after ^C: $(tail -c 300 "$T/pty-int")"
[ "$(count_files "$REMOTE/new")" -gt 0 ] || fail "^C: every message moved all the same"
run_syncmail -q
assert_rc 0 "the run after ^C"
check_exactly_once

# Two accounts at once: account b has a Maildir of its own, checked by
# content against its originals, kept apart in $T/orig-b.
mkmaildir "$T/remote/b" "$TEST_USER"
mkdir "$T/orig-b"
{
	echo
	sed -n '/^account test/,$p' "$CONF" |
	    sed -e 's/^account test/account b/' \
		-e "s|^	pull .*|	pull $T/remote/b $T/local/b|"
} >>"$CONF"
# mkmsgs_b N: N messages for account b.
mkmsgs_b()
{
	ls "$T/orig" | sort >"$T/.before"
	mkmsgs "$T/remote/b/new" "$1" small
	ls "$T/orig" | sort | comm -13 "$T/.before" - | while read -r f; do
		mv "$T/orig/$f" "$T/orig-b/"
	done
}
# b_once WHAT: each of b's messages once, here or on the server.
b_once()
{
	_hashes "$T/orig-b" >"$T/.h.ob"
	_hashes "$T/local/b/new" "$T/local/b/cur" "$T/remote/b/new" >"$T/.h.b"
	cmp -s "$T/.h.ob" "$T/.h.b" || fail "account b: $1: not every message once"
}
# Slower, for a line of each account before its last (every 5 s).
mkmsgs_b 200
mkmsgs "$REMOTE/new" 200 small
echo 200000 >"$T/rate"
on_pty "$T/pty-j2" 60 -- -j 2
echo 600000 >"$T/rate"
pty_rc 0 "$T/pty-j2" "-j 2"
check_exactly_once
b_once "-j 2"
[ "$(count_files "$T/remote/b/new")" = 0 ] || fail "-j 2: account b left mail"
nj2=$(check "$T/pty-j2" 60 shared test b)
case $nj2 in
"test:1 b:1") fail "-j 2: no account printed a line before its last" ;;
esac

# ^C with -j 2: both finish what they have in flight, each says so.
mkmsgs "$REMOTE/new" 300 small
mkmsgs_b 300
before=$(count_files "$LOCAL/new")
on_pty "$T/pty-j2int" 120 intr "$LOCAL/new" $((before + 30)) -- -j 2
pty_rc 130 "$T/pty-j2int" "-j 2 after ^C"
for a in test b; do
	tr '\r' '\n' <"$T/pty-j2int" | sed 's/\x1b\[K//g' |
	    grep -q "^syncmail: $a: stopping: finishing [0-9]* messages\? in flight" ||
		fail "-j 2: no notice of account $a after ^C: $(tail -c 400 "$T/pty-j2int")"
done
check "$T/pty-j2int" 120 shared test b >/dev/null
check_once_somewhere
b_once "-j 2 after ^C"
[ "$(count_files "$REMOTE/new")" -gt 0 ] || fail "-j 2: ^C: every message moved all the same"
run_syncmail -q
assert_rc 0 "the run after ^C with -j 2"
check_exactly_once
b_once "the run after ^C with -j 2"
[ "$(count_files "$T/remote/b/new")" = 0 ] || fail "account b left mail after the final run"

# stderr to a file: not one byte of progress.
mkmsgs "$REMOTE/new" 100 small
run_syncmail
assert_rc 0 "stderr to a file"
[ ! -s "$T/err" ] || fail "stderr to a file got: $(od -c "$T/err" | head -n 3)"
note "progress lines or redraws: 40 columns $n40; 120 columns $n120; -j 2 $nj2"
