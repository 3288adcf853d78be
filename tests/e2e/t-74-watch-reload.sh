#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Watch mode and SIGHUP (SPEC 9): the config is read again.  An account
# added starts being watched (its mail arrives) while the one left as it
# was keeps its process; a config with an error is warned about and the
# old one goes on (mail still arrives, for both); an account removed
# stops (its process ends, its lock is released: a run of it alone
# is no longer told the lock is held) and one changed restarts (a new
# process, its mail still arriving).  Then SIGTERM in the middle of a
# transfer: 143, every message once, local or still remote.  With an
# account named on the command line, a SIGHUP watches only it, and a
# config without it is refused with a warning.  Last, with
# the sanitizer build's sandbox probe: each account's process can read
# its own Maildir and not the other's.
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 1
LOCAL2=$T/local/second
REMOTE2=$T/remote/second
mkmaildir "$REMOTE2" "$TEST_USER"
cp "$CONF" "$T/one.conf"
cat >"$T/second.part" <<EOF
account second
	host 127.0.0.1
	port $PORT
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	ssh-config none
	watch-interval 1
	pull $REMOTE2 $LOCAL2
EOF
cat "$T/one.conf" "$T/second.part" >"$T/two.conf"
# second alone, for a run without -w: is its lock held?
{ echo "# second alone"; cat "$T/second.part"; } >"$T/alone.conf"

# watchers: the accounts' processes of the watch, on one line.
watchers()
{
	echo $(descendants "$WATCH" | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$(basename "$SYNCMAIL" | cut -c1-15)" ] && echo "$p"
	done)
}

# second_msg N: message N delivered to the second account; its copy in
# $T/orig moves to $T/orig2, as check_exactly_once checks $LOCAL alone.
mkdir "$T/orig2"
second_msg()
{
	_gen "$REMOTE2/new" "$TEST_USER" 600 "18000001$1.M$1P$1.second:2500"
	mv "$T/orig/18000001$1.M$1P$1.second" "$T/orig2/"
}

start_syncmail -w
WATCH=$BG_PID
mkmsg "$REMOTE/new" "1800000001.M1P1.first" 2000
wait_for_files "$LOCAL/new" 1 5 || fail "account test: no message within 5 s"
w1=$(watchers)
[ "$(echo $w1 | wc -w)" = 1 ] || fail "one account watched by $(echo $w1 | wc -w) processes, want 1"

# SIGHUP with an added account.
cp "$T/two.conf" "$CONF"
kill -HUP "$WATCH"
second_msg 1
wait_for_files "$LOCAL2/new" 1 5 || fail "SIGHUP with an added account: its message did not arrive within 5 s"
mkmsg "$REMOTE/new" "1800000002.M2P2.kept" 2000
wait_for_files "$LOCAL/new" 2 5 || fail "account test: no message within 5 s after the SIGHUP"
w2=$(watchers)
[ "$(echo $w2 | wc -w)" = 2 ] || fail "two accounts watched by $(echo $w2 | wc -w) processes, want 2"
echo " $w2 " | grep -q " $w1 " || fail "account test, unchanged, was restarted by the SIGHUP (was $w1, now $w2)"
run_syncmail -c "$T/alone.conf" -q
assert_rc 75 "a run of the watched account second (its lock held)"
[ -s "$BG_ERR" ] && fail "unexpected stderr after the SIGHUP: $(head -n 2 "$BG_ERR")"

# SIGHUP with a broken config: a warning, the old config goes on.
{ cat "$T/two.conf"; printf '\tno-such-keyword 1\n'; } >"$CONF"
kill -HUP "$WATCH"
n=50
while ! grep -q 'SIGHUP' "$BG_ERR" && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
grep -q "^syncmail: SIGHUP: .*syncmail.conf:[0-9]*: .*no-such-keyword.*; the config read before goes on$" "$BG_ERR" ||
	fail "SIGHUP with a broken config: no warning naming the line; stderr: $(head -n 3 "$BG_ERR")"
[ "$(wc -l <"$BG_ERR")" = 1 ] || fail "SIGHUP with a broken config: $(wc -l <"$BG_ERR") lines on stderr, want 1"
second_msg 2
mkmsg "$REMOTE/new" "1800000003.M3P3.broken" 2000
wait_for_files "$LOCAL2/new" 2 5 || fail "after a broken config: account second no longer watched"
wait_for_files "$LOCAL/new" 3 5 || fail "after a broken config: account test no longer watched"
[ "$(watchers)" = "$w2" ] || fail "a broken config changed the accounts' processes"

# SIGHUP with second removed and test changed.
sed 's/watch-interval 1/watch-interval 2/' "$T/one.conf" >"$CONF"
: >"$BG_ERR"
kill -HUP "$WATCH"
n=100
while w3=$(watchers); [ "$(echo $w3 | wc -w)" != 1 ] || echo " $w2 " | grep -q " $w3 "; do
	[ "$n" -gt 0 ] || fail "SIGHUP with one account removed and one changed: processes $w3, were $w2"
	sleep 0.1
	n=$((n - 1))
done
run_syncmail -c "$T/alone.conf" -q
assert_rc 0 "a run of account second once removed from the watch (its lock released)"
mkmsg "$REMOTE/new" "1800000004.M4P4.changed" 2000
wait_for_files "$LOCAL/new" 4 6 || fail "account test, changed: its message did not arrive within 6 s"
[ -s "$BG_ERR" ] && fail "unexpected stderr after the SIGHUP: $(head -n 2 "$BG_ERR")"
_hashes "$T/orig2" >"$T/.h2.orig"
_hashes "$LOCAL2/new" "$LOCAL2/cur" >"$T/.h2.local"
cmp -s "$T/.h2.orig" "$T/.h2.local" || fail "account second: not each of its 2 messages once"

# SIGTERM in the middle of a transfer: 143, nothing lost.
mkmsgs "$REMOTE/new" 400
before=$(count_files "$LOCAL/new")
kill -USR1 "$WATCH"
wait_for_files "$LOCAL/new" $((before + 1)) 30 || fail "no message moved after SIGUSR1"
kill -TERM "$WATCH"
wait_exit "$WATCH" 60
[ "$WAIT_RC" = 143 ] || fail "SIGTERM mid-transfer: status $WAIT_RC, want 143"
left=$(count_files "$REMOTE/new")
[ "$left" -gt 0 ] || fail "the transfer went on to the end after SIGTERM"
[ -s "$BG_ERR" ] && fail "unexpected stderr: $(head -n 2 "$BG_ERR")"
check_once_somewhere
check_tmp_empty
run_syncmail -q
assert_rc 0 "the run after the watch"
check_exactly_once
check_tmp_empty
# An account named on the command line: a SIGHUP that adds another
# leaves it unwatched; one whose config lacks the named account is an
# error, warned about, and the watch goes on.
cp "$T/one.conf" "$CONF"
start_syncmail -w test
WATCH=$BG_PID
sleep 1
cp "$T/two.conf" "$CONF"
kill -HUP "$WATCH"
sleep 1
[ "$(echo $(watchers) | wc -w)" = 1 ] || fail "-w test: after a SIGHUP adding second, $(echo $(watchers) | wc -w) accounts watched, want 1"
cp "$T/alone.conf" "$CONF"
kill -HUP "$WATCH"
n=50
while ! grep -q 'SIGHUP' "$BG_ERR" && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
grep -qx "syncmail: SIGHUP: no account \"test\" in $CONF; the config read before goes on" "$BG_ERR" ||
	fail "-w test, SIGHUP without account test: $(head -n 2 "$BG_ERR")"
mkmsg "$REMOTE/new" "1800000005.M5P5.named" 2000
wait_for_files "$LOCAL/new" "$(count_files "$T/orig")" 5 || fail "-w test: no longer watched after the refused config"
kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "-w test: SIGTERM: status $WAIT_RC, want 143"
check_exactly_once

# Each account's process in a sandbox of its own account (main, which
# reads the config again, in none): the probe of the sanitizer build,
# right after the sandbox closes, finds test's process unable to read
# second's Maildir and second's (started by a SIGHUP) able to, and the
# other way round.
case $SYNCMAIL in
*-asan) PROBE_BIN=$SYNCMAIL ;;
*) PROBE_BIN=$ROOT/syncmail/syncmail-asan ;;
esac
sandboxed=
if [ -x "$PROBE_BIN" ]; then
	cp "$T/one.conf" "$CONF"
	saved=$SYNCMAIL
	SYNCMAIL=$PROBE_BIN
	SYNCMAIL_SANDBOX_PROBE="$LOCAL/cur:$LOCAL2/cur" start_syncmail -w
	SYNCMAIL=$saved
	WATCH=$BG_PID
	n=100
	while [ "$(grep -c 'sandbox probe: read' "$BG_ERR")" -lt 2 ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	cp "$T/two.conf" "$CONF"
	kill -HUP "$WATCH"
	n=100
	while [ "$(grep -c 'sandbox probe: read' "$BG_ERR")" -lt 4 ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -TERM "$WATCH"
	wait_exit "$WATCH" 30
	for want in "$LOCAL/cur: ok" "$LOCAL/cur: Permission denied" \
	    "$LOCAL2/cur: ok" "$LOCAL2/cur: Permission denied"; do
		[ "$(grep -cxF "syncmail: sandbox probe: read $want" "$BG_ERR")" = 1 ] ||
			fail "sandbox probe: want one 'read $want'; got: $(grep 'probe' "$BG_ERR" | tr '\n' ' ')"
	done
	sandboxed="; each account's process sandboxed to its own Maildirs"
fi
note "SIGHUP: added account watched, broken config kept the old, removed one's lock released, changed one restarted; SIGTERM: 143, $left left for the next run$sandboxed"
