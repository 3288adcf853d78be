#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The log keyword (SPEC 3) with a file: one line per moved message with
# the account, the remote and local paths, the bytes and the SHA-256 of
# what was delivered (checked against sha256sum of each original), and
# one line per run with its status; the file is created mode 0600 and
# appended to by the next run (which then says "copied" with keep yes);
# a dry run writes nothing to it; a log that cannot be opened stops the
# account before anything moves (nothing moved unrecorded).  Runs inside
# the sandbox (t-39): the log file is allowed there.
. "$(dirname "$0")/lib.sh"
setup

LOG=$T/logs/mail.log
mkdir -p "$T/logs"
conf_add log "$LOG"
mkmsgs "$REMOTE/new" 30
mkmsg "$REMOTE/new" "1700000001.M1P1Q1.empty" 0

run_syncmail -n
assert_rc 0 "dry run"
[ ! -e "$LOG" ] || fail "a dry run wrote the log"

run_syncmail -q
assert_rc 0 "logged run"
check_exactly_once
[ -f "$LOG" ] || fail "no log file $LOG"
assert_eq "$(stat -c %a "$LOG")" 600 "mode of the log"
assert_eq "$(grep -c ': test: moved ' "$LOG")" 31 "message lines in the log"
n=0
for f in "$T"/orig/*; do
	name=$(basename "$f")
	sum=$(sha256sum <"$f" | cut -c1-64)
	size=$(stat -c %s "$f")
	grep -qF "test: moved $REMOTE/new/$name to $LOCAL/new/$name, $size bytes, sha256 $sum" "$LOG" ||
		fail "no log line for $name with $size bytes and sha256 $sum"
	n=$((n + 1))
done
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z syncmail\[[0-9]+\]: test: run ended with status 0: 31 messages, [0-9]+ bytes, [0-9.]+ s$' "$LOG" ||
	fail "no run line in the log"

# Appended to, not replaced; keep yes says "copied".
conf_add keep yes
mkmsgs "$REMOTE/new" 3
run_syncmail -q
assert_rc 0 "second logged run"
assert_eq "$(grep -c ': test: moved ' "$LOG")" 31 "moved lines after the second run"
assert_eq "$(grep -c ': test: copied ' "$LOG")" 3 "copied lines"
assert_eq "$(grep -c 'run ended' "$LOG")" 2 "run lines"

# A log that cannot be opened: nothing moves.
sed -i "s|	log .*|	log $T/logs/sub|" "$CONF"
mkdir "$T/logs/sub"
before=$(count_files "$REMOTE/new")
mkmsgs "$REMOTE/new" 2
run_syncmail -q
[ "$RC" != 0 ] || fail "a log that cannot be opened did not fail the run"
grep -q "log $T/logs/sub: open" "$T/err" || fail "the error does not name the log"
assert_eq "$(count_files "$REMOTE/new")" $((before + 2)) "messages moved without a log"
# syslog: when this machine has no syslog daemon, a listener of our own
# on /dev/log for the time of the test (removed after it), under the e2e
# lock: the sanitizer pass's run of this test, beside this one, would
# otherwise take or remove the same /dev/log.
syslog_note="syslog not tried (/dev/log is this machine's)"
e2e_lock
if [ ! -e /dev/log ]; then
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "ab", buffering=0)
while True:
    out.write(s.recv(65536) + b"\n")
' "$T/syslog.out" &
	SYSLOG_PID=$!
	track_pid "$SYSLOG_PID" python3
	w=0
	while [ ! -S /dev/log ] && [ "$w" -lt 50 ]; do sleep 0.1; w=$((w + 1)); done
	[ -S /dev/log ] || fail "no /dev/log listener"
	sed -i "s|	log .*|	log syslog|" "$CONF"
	# The 2 the unopenable log left, and 2 more.
	mkmsgs "$REMOTE/new" 2
	run_syncmail -q
	# The listener writes what it received on its own time.
	w=0
	while ! grep -q 'run ended' "$T/syslog.out" 2>/dev/null &&
	    [ "$w" -lt 50 ]; do
		sleep 0.1
		w=$((w + 1))
	done
	kill "$SYSLOG_PID"
	rm -f /dev/log
	assert_rc 0 "run logging to syslog"
	# <22>: facility mail (2) * 8 + level info (6)
	assert_eq "$(grep -c '^<22>.*syncmail\[[0-9]*\]: test: copied .* sha256 [0-9a-f]\{64\}$' "$T/syslog.out")" \
	    4 "message lines sent to syslog"
	grep -q '^<22>.*syncmail\[[0-9]*\]: test: run ended with status 0' "$T/syslog.out" ||
		fail "no run line sent to syslog"
	syslog_note="syslog (mail.info) through /dev/log"
fi
e2e_unlock
note "$n messages logged with their SHA-256, run lines, append, keep, dry run, unopenable log; $syslog_note"
