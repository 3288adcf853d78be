#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A watch keeps each Maildir's write-ahead record open for as long as it
# runs, which may be months: the record is tidied after every pull, not
# only when the watch ends.  Four looks (SIGUSR1) of 100 messages each:
# after each, with every message moved and its remote copy gone, the
# record is empty again while the watch goes on (it held 200 lines a
# look before); then SIGTERM, 143, each message exactly once.
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 3600

# record_lines: the lines of the local Maildir's record.
record_lines()
{
	cat "$LOCAL"/syncmail-state.* 2>/dev/null | wc -l
}

mkmaildir "$LOCAL"
start_syncmail -w
WATCH=$BG_PID
sleep 1
want=0
for look in 1 2 3 4; do
	mkmsgs "$REMOTE/new" 100 small
	want=$((want + 100))
	kill -USR1 "$WATCH"
	wait_for_files "$LOCAL/new" "$want" 60 ||
		fail "look $look: $(count_files "$LOCAL/new") of $want messages"
	n=0
	while [ "$(count_files "$REMOTE/new")" -gt 0 ] ||
	    [ "$(record_lines)" -gt 0 ]; do
		[ "$n" -lt 500 ] ||
			fail "look $look: the record still holds $(record_lines) lines, $(count_files "$REMOTE/new") messages on the server"
		sleep 0.01
		n=$((n + 1))
	done
	kill -0 "$WATCH" 2>/dev/null || fail "look $look: the watch ended"
done
kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "SIGTERM: status $WAIT_RC, want 143"
[ -s "$BG_ERR" ] && fail "unexpected stderr: $(head -n 2 "$BG_ERR")"
check_exactly_once
note "4 looks of 100 messages: the record empty after each, the watch running"
