#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A hostile SFTP server stops answering in the middle of a message, after
# a whole reply or in the middle of one, and keeps the connection open.
# With "timeout 3" the account fails within 3 seconds of the last byte
# (plus a second of slack) with status 75 and a message saying so; the
# half-read message is not delivered, nothing undelivered is deleted; an
# honest run then delivers every message exactly once.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup

for mode in stall stall-half; do
	hostile_case $mode 75 'no progress for 3 seconds' kept
	# The server logged when it fell silent; hostile_case timed the run
	# (hc_t0, hc_ms: its start and length in ms).
	stalled=$(grep "stall at" "$T/hostile.log" | tail -n 1 | sed 's/.*stall at //')
	[ -n "$stalled" ] || fail "$mode: the server never stalled"
	late=$(echo "$stalled $((hc_t0 + hc_ms))" |
	    awk '{ printf "%d", $2 - $1 * 1000 }')
	[ "$late" -le 4000 ] ||
		fail "$mode: syncmail ended ${late} ms after the server fell silent; timeout is 3 s"
	[ "$late" -ge 2500 ] ||
		fail "$mode: syncmail ended ${late} ms after the stall, before the 3 s timeout: not the timeout"
	echo "$mode: ended ${late} ms after the stall" >>"$T/cases.log"
done
note "$(grep -c 'after the stall' "$T/cases.log") stalls ended by the 3 s timeout ($(grep 'after the stall' "$T/cases.log" | sed 's/.*ended \([0-9]*\) ms.*/\1/' | tr '\n' ' ')ms)"
