#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A route's pipe (SPEC 8, Commands), with real MDAs from Debian: procmail
# delivering into a Maildir by a recipe and maildrop by a mailfilter, each
# message's bytes checked; the environment (SYNCMAIL_ACCOUNT, _HOST,
# _REMOTE, _NAME, _SIZE, _REDELIVERY, _MATCH1); a command that exits 75
# (the message stays, status 75), one that exits 1 (stays, its stderr
# quoted, status 1, the pull goes on), one that reads half a 200 KB
# message and exits 0 (stays), one that hangs (killed at command-timeout,
# stays; the next attempt has SYNCMAIL_REDELIVERY=1); -n runs nothing;
# the log names the command; a pull whose DEST is a pipe (maildrop)
# gives it every message byte for byte through the staging Maildir, which
# keeps nothing, and -n runs nothing; valgrind finds nothing; two SIGINTs during a
# command stop syncmail and the command at once (130), and the next
# attempt is flagged.  Killed at each of the
# pipe's crash points (the record written, the command exited, done): the
# message is given again, flagged, or not at all once done.  Then crashes:
# syncmail killed with SIGKILL
# at 25 random moments while a slow command runs; afterwards every
# message was given to the command at least once, never again once a
# run had logged its exit 0, SYNCMAIL_REDELIVERY=1 on every attempt
# after an interrupted one, none left on the server, no command left
# running.
. "$(dirname "$0")/lib.sh"
setup
command -v procmail >/dev/null || fail "procmail is not installed (tests/deps.sh)"
command -v maildrop >/dev/null || fail "maildrop is not installed (tests/deps.sh)"

ROUTES="$ROOT/tests/e2e/routes.py"
LOG=$T/mail.log
PM=$T/local/procmail
MD=$T/local/maildrop
mkmaildir "$MD"
printf ':0\n%s/\n' "$PM" >"$T/procmailrc"
printf 'to "%s/"\n' "$MD" >"$T/mailfilter"
chmod 600 "$T/procmailrc" "$T/mailfilter"
cat >"$T/env.sh" <<EOF
#!/bin/sh
cat >/dev/null
env | grep '^SYNCMAIL_' | sort >"$T/env.\$SYNCMAIL_NAME"
EOF
chmod 755 "$T/env.sh"
conf_add log "$LOG"
conf_add command-timeout 2
conf_add route Subject "^pm" pipe "\"procmail -m $T/procmailrc\""
conf_add route Subject "^md" pipe "\"maildrop $T/mailfilter\""
conf_add route Subject "\"^env (.*)\"" pipe "$T/env.sh"
conf_add route Subject "^t75" pipe "\"cat >/dev/null; exit 75\""
conf_add route Subject "^t1" pipe "\"cat >/dev/null; echo disk on fire >&2; echo second line >&2; exit 1\""
conf_add route Subject "^half" pipe "\"head -c 1000 >/dev/null\""
conf_add route Subject "^hang" pipe "\"sleep 60\""

gen() { python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" subject "$@" || fail "routes.py"; }
gen pm 5 3000
gen md 5 5000
gen "env x" 1 100
gen t75 1 100
gen t1 1 100
gen half 1 200000
gen hang 1 100
gen inbox 3 500

# -n: each command named, none run.
run_syncmail -n
assert_rc 0 "dry run"
assert_eq "$(grep -c 'would pipe ' "$T/out")" 15 "-n pipe lines"
grep -q "would pipe .* to \"procmail -m $T/procmailrc\" (not run by -n)" "$T/out" ||
	fail "-n does not name the command"
[ ! -d "$PM" ] || fail "-n ran procmail"
[ -z "$(ls "$T" | grep '^env\.1')" ] || fail "-n ran a command"

started=$(now_ms)
run_syncmail -q
ms=$(($(now_ms) - started))
# SPEC 8: the account's status is the worst of its messages', 1 > 75.
assert_rc 1 "run with failing commands"
# Delivered through procmail and maildrop, bytes intact.
for sub in pm md; do
	dir=$PM
	[ "$sub" = md ] && dir=$MD
	assert_eq "$(count_files "$dir/new")" 5 "messages delivered by $sub"
	awk -F '\t' -v s="$sub" '$2 == s { print $1 }' "$T/expect" | while read -r n; do
		sum=$(sha256sum <"$T/orig/$n" | cut -c1-64)
		_hashes "$dir/new" | grep -q "^$sum\$" || fail "$sub lost or changed $n"
		[ ! -e "$REMOTE/new/$n" ] || fail "$n delivered by $sub but left on the server"
		grep -qF "test: piped $REMOTE/new/$n to pipe \"" "$T/mail.log" ||
			fail "no log line for $n"
	done
done
# The environment.
n=$(awk -F '\t' '$2 == "env x" { print $1 }' "$T/expect")
[ -f "$T/env.$n" ] || fail "the env command did not run"
size=$(stat -c %s "$T/orig/$n")
for want in "SYNCMAIL_ACCOUNT=test" "SYNCMAIL_HOST=127.0.0.1" \
    "SYNCMAIL_REMOTE=$REMOTE/new/$n" "SYNCMAIL_NAME=$n" "SYNCMAIL_SIZE=$size" \
    "SYNCMAIL_REDELIVERY=0" "SYNCMAIL_MATCH1=x 0"; do
	grep -qxF "$want" "$T/env.$n" || fail "no $want in: $(cat "$T/env.$n")"
done
# The failures stay on the server, each with its warning.
for sub in t75 t1 half hang; do
	n=$(awk -F '\t' -v s="$sub" '$2 == s { print $1 }' "$T/expect")
	[ -f "$REMOTE/new/$n" ] || fail "$sub: $n is gone from the server"
	grep -qF "$REMOTE/new/$n: pipe " "$T/err" || fail "$sub: no warning for $n"
done
grep -q "exited 75\|status 75" "$T/err" || fail "no warning naming exit 75: $(cat "$T/err")"
grep -q "disk on fire / second line" "$T/err" || fail "the stderr of the failing command is not quoted: $(cat "$T/err")"
grep -qi "read 1000 of\|did not read\|unread\|short" "$T/err" || fail "no warning for the half read: $(cat "$T/err")"
grep -qi "timeout\|killed" "$T/err" || fail "no warning for the hang: $(cat "$T/err")"
[ "$ms" -lt 40000 ] || fail "the hanging command was not stopped at command-timeout (${ms} ms)"
assert_eq "$(count_files "$LOCAL/new")" 3 "messages without a route in the inbox"
check_tmp_empty

# Only 75 left: status 75.  The hung one, retried with a working command,
# is told it may have seen the message before.
sed -i 's|"sleep 60"|'"$T/env.sh"'|; /\^t1/d; /\^half/d' "$CONF"
for sub in t1 half; do
	n=$(awk -F '\t' -v s="$sub" '$2 == s { print $1 }' "$T/expect")
	mv "$REMOTE/new/$n" "$T/gone/"
done
run_syncmail -q
assert_rc 75 "only exit 75 left"
n=$(awk -F '\t' '$2 == "hang" { print $1 }' "$T/expect")
grep -qxF "SYNCMAIL_REDELIVERY=1" "$T/env.$n" ||
	fail "after a timeout the next attempt has no SYNCMAIL_REDELIVERY=1: $(cat "$T/env.$n" 2>/dev/null)"
[ ! -e "$REMOTE/new/$n" ] || fail "the retried message stayed on the server"

# Under valgrind (the normal build): the runner, a command that works and
# one that fails, leak-free.
case $(basename "$SYNCMAIL") in
*asan*) ;;
*)
	command -v valgrind >/dev/null || fail "valgrind is not installed (tests/deps.sh)"
	write_config
	conf_add log "$LOG"
	conf_add route Subject "\"^vg 1\"" pipe "\"cat >/dev/null; exit 1\""
	conf_add route Subject "^vg" pipe "\"cat >/dev/null\""
	gen vg 3 700
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 120 valgrind -q \
	    --error-exitcode=99 --leak-check=full \
	    --show-leak-kinds=definite,indirect,possible "$SYNCMAIL" -q \
	    -c "$CONF" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	grep -v '^--[0-9]*-- \|^syncmail: ' "$T/err" | grep -q . &&
		fail "valgrind: $(grep -v '^syncmail: ' "$T/err" | head -n 20)"
	assert_rc 1 "the pipe under valgrind"
	assert_eq "$(count_files "$REMOTE/new")" 1 "the failing message left on the server under valgrind"
	rm -f "$REMOTE/new/"*
	;;
esac

# Two SIGINTs while a command hangs: syncmail stops at once (130), the
# command's process group is stopped, the message stays on the server,
# and its next attempt is flagged.
write_config
conf_add command-timeout 100
conf_add route Subject "^int" pipe "\"touch $T/int.started; exec sleep 77\""
: >"$T/expect"
gen int 1 100
n=$(cut -f1 "$T/expect")
start_syncmail -q
w=0
while [ ! -e "$T/int.started" ] && [ "$w" -lt 300 ]; do sleep 0.05; w=$((w + 1)); done
[ -e "$T/int.started" ] || fail "the command to interrupt never started"
t0=$(now_ms)
kill -INT "$BG_PID"
sleep 0.2
kill -INT "$BG_PID"
wait "$BG_PID"
RC=$?
ms=$(($(now_ms) - t0))
assert_eq "$RC" 130 "syncmail stopped by two SIGINTs during a command"
[ "$ms" -lt 8000 ] || fail "two SIGINTs took $ms ms to stop syncmail"
[ -f "$REMOTE/new/$n" ] || fail "the interrupted message left the server"
w=0
while pgrep -f "sleep 77" >/dev/null && [ "$w" -lt 100 ]; do sleep 0.1; w=$((w + 1)); done
pgrep -f "sleep 77" >/dev/null && fail "the interrupted command still runs"
sed -i "s|\"touch $T/int.started; exec sleep 77\"|$T/env.sh|" "$CONF"
run_syncmail -q
assert_rc 0 "the run after the interrupt"
grep -qxF "SYNCMAIL_REDELIVERY=1" "$T/env.$n" ||
	fail "after an interrupted command the next attempt is not flagged: $(cat "$T/env.$n" 2>/dev/null)"

# ---- killed at each of the pipe's crash points (util/fault.h), at the
# second message: pipe-recorded (recorded, the command not started),
# pipe-exited (it exited 0, "done" not yet on disk), pipe-done (done,
# the server's copy not yet deleted).  The next run gives the message
# again, flagged, in the first two, and never again in the third.
FAULTY=$ROOT/syncmail/syncmail-asan
[ -x "$FAULTY" ] || fail "no $FAULTY with crash points (make syncmail/syncmail-asan)"
printf '#!/bin/sh\ncat >/dev/null\necho "$SYNCMAIL_NAME $SYNCMAIL_REDELIVERY" >>"%s/quick.log"\n' "$T" >"$T/quick.sh"
chmod 755 "$T/quick.sh"
for point in pipe-recorded pipe-exited pipe-done; do
	write_config
	conf_add route Subject "^q$point" pipe "$T/quick.sh"
	: >"$T/expect"
	: >"$T/quick.log"
	gen "q$point" 3 300
	env -u SSH_AUTH_SOCK HOME="$T/home" SYNCMAIL_FAULT="$point:2" \
	    ASAN_OPTIONS=exitcode=86:detect_leaks=0 \
	    timeout -k 5 60 "$FAULTY" -q -c "$CONF" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 137 ] || fail "$point: syncmail exited $RC, want death by SIGKILL"
	second=$(cut -f1 "$T/expect" | LC_ALL=C sort | sed -n 2p)
	run_syncmail -q
	assert_rc 0 "clean run after a kill at $point"
	assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after $point"
	check_tmp_empty
	given=$(grep -c "^$second " "$T/quick.log")
	case $point in
	pipe-recorded)
		assert_eq "$given" 1 "$point: attempts of the second message"
		grep -qx "$second 1" "$T/quick.log" ||
			fail "$point: the attempt after the kill is not flagged"
		;;
	pipe-exited)
		assert_eq "$(grep "^$second " "$T/quick.log" | tr '\n' ' ')" \
		    "$second 0 $second 1 " "$point: the attempts and their flags"
		;;
	pipe-done)
		assert_eq "$given" 1 "$point: attempts of the second message (done before the kill)"
		;;
	esac
	for n in $(cut -f1 "$T/expect"); do
		[ "$(grep -c "^$n " "$T/quick.log")" -ge 1 ] ||
			fail "$point: $n never reached the command"
	done
done

# ---- a pull whose DEST is a pipe: every message to maildrop, through
# the staging Maildir, which keeps nothing; -n runs nothing.
write_config
sed -i "s|^	pull .*|	pull $REMOTE pipe \"maildrop $T/mailfilter2\"|" "$CONF"
MD2=$T/local/maildrop2
mkmaildir "$MD2"
printf 'to "%s/"\n' "$MD2" >"$T/mailfilter2"
chmod 600 "$T/mailfilter2"
: >"$T/expect"
gen pulldest 6 2000
run_syncmail -n
assert_rc 0 "-n with a pull's pipe"
assert_eq "$(grep -c "would pipe $REMOTE/new/.* to \"maildrop $T/mailfilter2\" (not run by -n)" "$T/out")" 6 "-n lines for a pull's pipe"
assert_eq "$(count_files "$MD2/new")" 0 "-n ran the pull's command"
run_syncmail -q
assert_rc 0 "a pull's pipe"
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after a pull's pipe"
_hashes "$MD2/new" >"$T/.h.md2"
for n in $(cut -f1 "$T/expect"); do
	grep -qx "$(sha256sum <"$T/orig/$n" | cut -c1-64)" "$T/.h.md2" ||
		fail "a pull's pipe: $n not delivered by maildrop byte for byte"
	forget_orig "$n"
done
assert_eq "$(count_files "$MD2/new")" 6 "messages maildrop delivered for the pull"
left=$(find "$T/home/.local/state/syncmail/staging" -type f ! -name 'syncmail-state.*' | head -n 3)
[ -z "$left" ] || fail "the staging Maildir keeps files: $left"

# ---- crashes while a slow command runs
write_config
conf_add log "$LOG"
cat >"$T/slow.sh" <<EOF
#!/bin/sh
echo "start \$SYNCMAIL_NAME \$SYNCMAIL_REDELIVERY" >>"$T/attempts"
cat >"$T/piped/\$SYNCMAIL_NAME.\$\$"
sleep 0.3
echo "exit0 \$SYNCMAIL_NAME" >>"$T/attempts"
EOF
chmod 755 "$T/slow.sh"
mkdir -p "$T/piped"
: >"$T/attempts"
: >"$T/expect"
conf_add route Subject "^slow" pipe "$T/slow.sh"
gen slow 40 2000
crash_t0=$(now_ms)
kills=0
while [ "$kills" -lt 25 ] && [ "$(count_files "$REMOTE/new")" -gt 0 ]; do
	start_syncmail -q
	sleep_ms $((200 + $(rand 1200)))
	kill -9 "$BG_PID" 2>/dev/null && kills=$((kills + 1))
	wait "$BG_PID" 2>/dev/null
done
run_syncmail -q
assert_rc 0 "clean run after $kills kills"
[ "$(count_files "$REMOTE/new")" = 0 ] || run_syncmail -q
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after the crashes"
crash_s=$((($(now_ms) - crash_t0 + 500) / 1000))
sleep 1
pgrep -f "$T/slow.sh" >/dev/null && fail "a command outlived its syncmail"
# Every message given whole at least once and exited 0; none given again
# after its logged exit 0; every attempt after an interrupted one says so.
python3 - "$T" <<'EOF' || fail "exactly-once check of the pipe failed"
import os, sys
T = sys.argv[1]
names = [l.split("\t")[0] for l in open(os.path.join(T, "expect"))]
logged = {}
for i, l in enumerate(open(os.path.join(T, "mail.log"))):
    if ": piped " in l:
        n = l.split(": piped ")[1].split(" to pipe ")[0].rsplit("/", 1)[1]
        logged.setdefault(n, i)
events = [l.split() for l in open(os.path.join(T, "attempts"))]
bad = 0
for n in names:
    orig = open(os.path.join(T, "orig", n), "rb").read()
    whole = [f for f in os.listdir(os.path.join(T, "piped"))
             if f.startswith(n + ".") and
             open(os.path.join(T, "piped", f), "rb").read() == orig]
    if not whole:
        print("  never given whole:", n); bad += 1
    # A kill between the record's "done" and the log line leaves a
    # delivery unlogged (as for a Maildir): the next run only deletes it.
    if not [e for e in events if e[0] == "exit0" and e[1] == n]:
        print("  never exited 0:", n); bad += 1
    starts = [e for e in events if e[0] == "start" and e[1] == n]
    exits = [e for e in events if e[0] == "exit0" and e[1] == n]
    for k, e in enumerate(starts):
        if k > 0 and e[2] != "1":
            print("  attempt", k + 1, "of", n, "after an interrupted one has REDELIVERY", e[2]); bad += 1
# After the run that logged its exit 0 finished, no new attempt: a start
# line after the last exit0 line of a logged message would be one.
for n in logged:
    last_exit = max([i for i, e in enumerate(events) if e[0] == "exit0" and e[1] == n], default=-1)
    later = [i for i, e in enumerate(events) if e[0] == "start" and e[1] == n and i > last_exit]
    if later:
        print("  given again after its exit 0 was recorded:", n); bad += 1
print("  %d messages, %d attempts, %d redeliveries" % (len(names),
      sum(1 for e in events if e[0] == "start"),
      sum(1 for e in events if e[0] == "start" and e[2] == "1")))
sys.exit(1 if bad else 0)
EOF
attempts=$(grep -c '^start ' "$T/attempts")
redeliveries=$(grep -c '^start .* 1$' "$T/attempts")
note "procmail, maildrop, env, 75, 1, half read, timeout, 3 crash points; $kills kills during a slow command in $crash_s s: 40 messages in $attempts attempts, $redeliveries marked redelivery"
