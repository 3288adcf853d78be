#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Passphrase prompts with -j (SPEC 6: they never overlap or echo).  Two
# accounts run at once, each with its own encrypted key and passphrase,
# no agent, on a pseudo-terminal driven by prompts.py below: the second
# prompt appears only after the first is answered, each prompt is a line
# of its own on the screen (naming the account and the key), the echo
# is off while a passphrase is read and on again at the end, nothing
# typed shows, and both accounts move their mail.  Three wrong
# passphrases for one account: its three prompts come in a row, exit 77
# with "wrong passphrase", the other account's mail moved.  An account
# process killed (SIGKILL) in the middle of its prompt: the other one is
# asked next, and the terminal has its echo back at the end; so it has
# after a ^C at a prompt (130).
. "$(dirname "$0")/lib.sh"
setup

PASS_A='first key passphrase'
PASS_B='second secret words'
ssh-keygen -q -t ed25519 -N "$PASS_A" -C key-a -f "$T/id_a" || fail ssh-keygen
ssh-keygen -q -t ed25519 -N "$PASS_B" -C key-b -f "$T/id_b" || fail ssh-keygen
# Only the encrypted keys' .pub files tell their public keys; without
# them syncmail still asks (it cannot match them to an agent: none).
cat "$T/id_a.pub" "$T/id_b.pub" >"$T/authorized_keys"
REMOTE_B=$T/remote/b
LOCAL_B=$T/local/b
mkmaildir "$REMOTE_B" "$TEST_USER"
{
	echo "# written by t-54-prompts"
	for acct in a b; do
		if [ $acct = a ]; then r=$REMOTE l=$LOCAL; else r=$REMOTE_B l=$LOCAL_B; fi
		printf 'account %s\n\thost 127.0.0.1\n\tport %s\n\tuser %s\n' \
		    "$acct" "$PORT" "$TEST_USER"
		printf '\tidentity %s\n\tknown-hosts %s\n\tssh-config none\n' \
		    "$T/id_$acct" "$T/known_hosts"
		printf '\tpull %s %s\n\n' "$r" "$l"
	done
} >"$CONF"

# The driver: runs syncmail on a pty it keeps open (to read its settings
# after the end), answers each prompt one second after it appears (time
# for an overlapping one to show), checks the echo is off then, and
# reports what it saw; the screen's bytes go to $T/screen.
cat >"$T/prompts.py" <<'EOF'
import fcntl, os, re, select, signal, subprocess, sys, termios, time
limit, screen, answers = float(sys.argv[1]), sys.argv[2], sys.argv[3]
kill_acct, argv = sys.argv[4], sys.argv[5:]
# answers: "ACCOUNT=ANSWER" lines, one per prompt, in order per account
todo = {}
for line in answers.splitlines():
    a, v = line.split("=", 1)
    todo.setdefault(a, []).append(v)
master, slave = os.openpty()

def ctty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)

p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                     start_new_session=True, preexec_fn=ctty, close_fds=True)
end = time.time() + limit
out = b""
pat = re.compile(rb"syncmail: (\w+): passphrase for key (\S+): ")
pos, pending, errors, order, typed = 0, None, [], [], []

def account_pid(acct):
    """The account process whose local Maildir is that account's."""
    want = "/local/" + ("Maildir" if acct == "a" else "b")
    for t in os.listdir("/proc/%d/task" % p.pid):
        kids = open("/proc/%d/task/%s/children" % (p.pid, t)).read().split()
        for k in kids:
            try:
                for fd in os.listdir("/proc/%s/fd" % k):
                    if want in os.readlink("/proc/%s/fd/%s" % (k, fd)):
                        return int(k)
            except OSError:
                pass
    return None

while True:
    now = time.time()
    if now > end:
        # the account processes too: they are in its process group
        os.killpg(p.pid, signal.SIGKILL)
        errors.append("timed out")
        break
    r, _, _ = select.select([master], [], [], 0.05)
    if r:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass
    for m in pat.finditer(out, pos):
        pos = m.end()
        acct = m.group(1).decode()
        order.append(acct)
        if pending is not None:
            errors.append("prompt for %s shown while %s's was unanswered"
                          % (acct, pending[0]))
        pending = (acct, time.time() + 1.0)
    if pending is not None and time.time() >= pending[1]:
        acct = pending[0]
        if termios.tcgetattr(slave)[3] & termios.ECHO:
            errors.append("echo on while %s's passphrase is read" % acct)
        if kill_acct == "INT:" + acct:
            # as ^C does: the whole foreground process group
            os.killpg(p.pid, signal.SIGINT)
            kill_acct = ""
        elif acct == kill_acct:
            pid = account_pid(acct)
            if pid is None:
                errors.append("no process for account %s" % acct)
            else:
                os.kill(pid, signal.SIGKILL)
            kill_acct = ""
        elif todo.get(acct):
            v = todo[acct].pop(0)
            typed.append(v)
            os.write(master, v.encode() + b"\n")
        else:
            errors.append("unexpected prompt for %s" % acct)
        pending = None
    if p.poll() is not None and not r:
        break
while True:
    r, _, _ = select.select([master], [], [], 0.1)
    if not r:
        break
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
rc = p.wait()
if termios.tcgetattr(slave)[3] & termios.ECHO == 0:
    errors.append("the terminal's echo is off after the run")
open(screen, "wb").write(out)
# the screen as a terminal shows it: \r returns, ESC [ K clears the rest
lines, cur, col = [], [], 0
for ch in re.split(rb"(\x1b\[K|\r|\n)", out):
    if ch == b"\r":
        col = 0
    elif ch == b"\n":
        lines.append(b"".join(cur))
        cur, col = [], 0
    elif ch == b"\x1b[K":
        del cur[col:]
    else:
        for c in ch:
            c = bytes([c])
            if col < len(cur):
                cur[col] = c
            else:
                cur.append(c)
            col += 1
lines.append(b"".join(cur))
for l in lines:
    if b"passphrase for key" in l and not pat.fullmatch(l):
        errors.append("a prompt is not a line of its own: %r" % l)
for v in typed:
    if v.encode() in out:
        errors.append("typed text shows on the screen: %r" % v)
print("rc %d" % rc)
print("order %s" % " ".join(order))
for e in errors:
    print("error %s" % e)
EOF

# drive ANSWERS [KILL [ACCOUNT...]]: syncmail -j 2 on the pty; KILL is an
# account whose process is killed (SIGKILL) at its prompt, or INT:ACCOUNT
# for a ^C there; the report in $T/report, the screen in $T/screen, the
# status in $RC.
drive()
{
	dr_answers=$1 dr_kill=
	shift
	if [ $# -gt 0 ]; then
		dr_kill=$1
		shift
	fi
	env -u SSH_AUTH_SOCK HOME="$T/home" /usr/bin/python3 "$T/prompts.py" \
	    "$RUN_TIMEOUT" "$T/screen" "$dr_answers" "$dr_kill" \
	    "$SYNCMAIL" -c "$CONF" -j 2 "$@" >"$T/report" 2>"$T/err" </dev/null ||
		fail "the pty driver failed: $(cat "$T/err")"
	RC=$(sed -n 's/^rc //p' "$T/report")
	if grep -q '^error' "$T/report"; then
		sed 's/^/  /' "$T/report"
		fail "$(grep '^error' "$T/report" | head -n 1)"
	fi
}

# Both passphrases right: one prompt each, one after the other.
mkmsgs "$REMOTE/new" 5 small
mkmsgs "$REMOTE_B/new" 4 small
drive "a=$PASS_A
b=$PASS_B"
[ "$RC" = 0 ] || { cat "$T/screen"; fail "two encrypted keys with -j 2: exit $RC, want 0"; }
order=$(sed -n 's/^order //p' "$T/report")
case $order in
"a b"|"b a") ;;
*) fail "want one prompt per account, got: $order" ;;
esac
grep -q "syncmail: a: passphrase for key $T/id_a: " "$T/screen" ||
	fail "account a's prompt does not name its key"
grep -q "syncmail: b: passphrase for key $T/id_b: " "$T/screen" ||
	fail "account b's prompt does not name its key"
[ "$(count_files "$LOCAL/new")" = 5 ] && [ "$(count_files "$REMOTE/new")" = 0 ] ||
	fail "account a did not move its mail"
[ "$(count_files "$LOCAL_B/new")" = 4 ] && [ "$(count_files "$REMOTE_B/new")" = 0 ] ||
	fail "account b did not move its mail"

# Three wrong passphrases for b: its prompts in a row, 77, a's mail moved.
mkmsgs "$REMOTE/new" 3 small
mkmsgs "$REMOTE_B/new" 2 small
drive "a=$PASS_A
b=wrong one
b=wrong two
b=wrong three"
[ "$RC" = 77 ] || { cat "$T/screen"; fail "wrong passphrases: exit $RC, want 77"; }
order=$(sed -n 's/^order //p' "$T/report")
case $order in
"a b b b"|"b b b a") ;;
*) fail "b's three prompts are not in a row: $order" ;;
esac
grep -q "b: .*$T/id_b (encrypted, wrong passphrase)" "$T/screen" ||
	fail "no clear message for the wrong passphrase: $(tail -n 3 "$T/screen")"
[ "$(count_files "$LOCAL/new")" = 8 ] && [ "$(count_files "$REMOTE_B/new")" = 2 ] ||
	fail "a's mail not moved, or b's moved without its key"

# Account a killed in the middle of its prompt: b is asked (the lock of
# the dead is free), a is 1 (killed), and the echo is back at the end.
drive "b=$PASS_B" a
[ "$RC" = 1 ] || { cat "$T/screen"; fail "an account killed at its prompt: exit $RC, want 1"; }
case $(sed -n 's/^order //p' "$T/report") in
"a b"|"b a") ;;
*) fail "want a's prompt and b's: $(sed -n 's/^order //p' "$T/report")" ;;
esac
[ "$(count_files "$LOCAL_B/new")" = 6 ] && [ "$(count_files "$REMOTE_B/new")" = 0 ] ||
	fail "account b did not move its mail after a was killed"

# ^C at the prompt (one account, no fork): readpassphrase puts the echo
# back itself, the account says why it stopped, 130.
mkmsgs "$REMOTE/new" 2 small
drive "" INT:a a
[ "$RC" = 130 ] || { cat "$T/screen"; fail "^C at the prompt: exit $RC, want 130"; }
grep -q "a: $T/id_a: stopped by a signal while asking for its passphrase" "$T/screen" ||
	fail "no message for the interrupted prompt: $(tail -n 2 "$T/screen")"
[ "$(count_files "$REMOTE/new")" = 2 ] || fail "mail moved after ^C at the prompt"
note "prompts one at a time, no echo, also after a kill or ^C mid-prompt"
