#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A pull's filter and quarantine across crashes (SPEC 8: exactly once at
# each place).  syncmail (the sanitizer build, which has the crash points
# of util/fault.h) is killed with SIGKILL at each point a filtered
# message passes, at its second message: the filter's (the "r" note
# written, the command exited, the original's "f" line written, the
# original in the quarantine) and the delivery's after them (recorded,
# renamed, new/ flushed, REMOVE sent and answered, dropped), for a filter
# that changes the message, one that fails (the original to the
# quarantine alone), and a filtered message a route pipes (its command's
# points).  Then a clean run: each original exactly once in the
# quarantine, each filtered message exactly once at its destination (or
# given to the command, with SYNCMAIL_REDELIVERY=1 after an interrupted
# attempt), none left on the server, nothing in tmp/.  Then 20 kills at
# random moments while a slow filter runs, and the same checks.
. "$(dirname "$0")/lib.sh"
setup

ROUTES="$ROOT/tests/e2e/routes.py"
FAULTY=$ROOT/syncmail/syncmail-asan
[ -x "$FAULTY" ] || fail "no $FAULTY with crash points (make syncmail/syncmail-asan)"
Q=$T/local/quarantine
mkdir -p "$T/piped"
cat >"$T/filter.sh" <<EOF
#!/bin/sh
echo "\$SYNCMAIL_NAME \$SYNCMAIL_REDELIVERY" >>"$T/filter.log"
[ ! -f "$T/slow" ] || sleep 0.2
case \$SYNCMAIL_NAME in
*.fail*) cat >/dev/null; exit 1 ;;
esac
exec sed 's/EVIL/[removed]/g'
EOF
chmod 755 "$T/filter.sh"
cat >"$T/pipe.sh" <<EOF
#!/bin/sh
cat >"$T/piped/\$SYNCMAIL_NAME.\$\$"
echo "\$SYNCMAIL_NAME \$SYNCMAIL_REDELIVERY" >>"$T/pipe.log"
EOF
chmod 755 "$T/pipe.sh"

gen() { python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" subject "$@" || fail "routes.py"; }
sum() { sha256sum <"$1" | cut -c1-64; }

# config KIND: the pull with the filter, the quarantine and a route that
# pipes "topipe" messages.
config() {
	write_config
	conf_add filter "$T/filter.sh"
	conf_add quarantine "$Q"
	conf_add route Subject "^topipe" pipe "$T/pipe.sh"
}

# check_places WHAT: each message of $T/expect once in the quarantine as
# it came, and its filtered form once in the local Maildir (a failed
# one: not at all; a piped one: given whole to the command); nothing
# else in the quarantine, none on the server, tmp/ empty.
check_places() {
	cp_what=$1
	assert_eq "$(count_entries "$REMOTE/new")" 0 "$cp_what: remote new/"
	check_tmp_empty
	_hashes "$Q/new" "$Q/cur" "$T/qgone" >"$T/.h.q"
	_hashes "$LOCAL/new" "$LOCAL/cur" >"$T/.h.l"
	for cp_n in $(cut -f1 "$T/expect"); do
		assert_eq "$(grep -cx "$(sum "$T/orig/$cp_n")" "$T/.h.q")" 1 \
		    "$cp_what: copies of the original of $cp_n in the quarantine"
		sed 's/EVIL/[removed]/g' "$T/orig/$cp_n" >"$T/want"
		case $cp_n in
		*.fail*) assert_eq "$(grep -cx "$(sum "$T/want")" "$T/.h.l")" 0 \
		    "$cp_what: copies of the failed $cp_n delivered" ;;
		*.topipe*)
			cp_k=0
			for cp_f in "$T/piped/$cp_n".*; do
				[ -f "$cp_f" ] && cmp -s "$cp_f" "$T/want" && cp_k=$((cp_k + 1))
			done
			[ "$cp_k" -ge 1 ] || fail "$cp_what: the filtered $cp_n never reached the command" ;;
		*) assert_eq "$(grep -cx "$(sum "$T/want")" "$T/.h.l")" 1 \
		    "$cp_what: copies of the filtered $cp_n delivered" ;;
		esac
	done
	assert_eq "$(wc -l <"$T/.h.q")" "$(wc -l <"$T/expect")" "$cp_what: files in the quarantine"
}

# fresh: empty Maildirs, no record, a new set of messages.
fresh() {
	rm -rf "$LOCAL" "$Q" "$T/piped" "$T/orig" "$T/qgone"
	mkdir -p "$T/piped" "$T/orig" "$T/qgone"
	rm -f "$REMOTE/new/"*
	: >"$T/expect"
	: >"$T/filter.log"
	: >"$T/pipe.log"
}

# kill_at POINT: a run killed at POINT's second pass, then a clean run.
kill_at() {
	env -u SSH_AUTH_SOCK HOME="$T/home" SYNCMAIL_FAULT="$1:2" \
	    ASAN_OPTIONS=exitcode=86:detect_leaks=0 \
	    timeout -k 5 60 "$FAULTY" -q -c "$CONF" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 137 ] || fail "$1: syncmail exited $RC, want death by SIGKILL: $(cat "$T/err")"
	# The user deletes what the quarantine holds: it must not come back
	# (no second copy), which the same bytes found there would hide.
	find "$Q" -path "$Q/new/*" -type f -exec mv {} "$T/qgone/" \; 2>/dev/null
	run_syncmail -q
}

config
for kind in change fail pipe; do
	case $kind in
	change) points="filter-recorded filter-exited quarantine-recorded quarantined tmp-synced recorded renamed new-synced remove-sent remove-answered dropped" ;;
	fail) points="filter-exited recorded renamed dropped" ;;
	pipe) points="quarantined pipe-recorded pipe-exited pipe-done" ;;
	esac
	for point in $points; do
		fresh
		case $kind in
		change) gen "msg EVIL" 3 400 ;;
		fail) gen "fail EVIL" 3 400 ;;
		pipe) gen "topipe EVIL" 3 400 ;;
		esac
		kill_at "$point"
		case $kind in
		fail) assert_rc 1 "$kind, killed at $point: the clean run" ;;
		*) assert_rc 0 "$kind, killed at $point: the clean run" ;;
		esac
		check_places "$kind, killed at $point"
		second=$(cut -f1 "$T/expect" | LC_ALL=C sort | sed -n 2p)
		case $point in
		filter-recorded|filter-exited)
			# It may have seen the message: the next attempt says so.
			grep -qx "$second 1" "$T/filter.log" ||
				fail "$point: the filter's next attempt is not flagged: $(cat "$T/filter.log")" ;;
		pipe-recorded|pipe-exited)
			grep -qx "$second 1" "$T/pipe.log" ||
				fail "$point: the pipe's next attempt is not flagged: $(cat "$T/pipe.log")" ;;
		pipe-done)
			assert_eq "$(grep -c "^$second " "$T/pipe.log")" 1 "$point: attempts of the pipe" ;;
		esac
	done
done

# ---- kills at random moments while a slow filter runs.
fresh
config
gen "slow EVIL" 35 1500
gen "fail EVIL" 3 300
gen "topipe EVIL" 2 300
touch "$T/slow"
kills=0
while [ "$kills" -lt 20 ] && [ "$(count_files "$REMOTE/new")" -gt 0 ]; do
	start_syncmail -q
	sleep_ms $((150 + $(rand 900)))
	kill -9 "$BG_PID" 2>/dev/null && kills=$((kills + 1))
	wait "$BG_PID" 2>/dev/null
done
rm -f "$T/slow"
run_syncmail -q
[ "$(count_files "$REMOTE/new")" = 0 ] || run_syncmail -q
check_places "after $kills random kills"
sleep 0.5
pgrep -f "$T/filter.sh" >/dev/null && fail "a filter outlived its syncmail"
note "$kills random kills and 19 crash points: each original once in the quarantine, each filtered message once at its place ($(wc -l <"$T/filter.log") filter runs for 40 messages)"
