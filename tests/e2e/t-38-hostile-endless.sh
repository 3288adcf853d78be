#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A server whose listing of new/ never ends (tests/hostile/hostile.py,
# mode endless-list: every READDIR answers 1,500 more invented names).
# syncmail must stop listing at its cap (50,000 messages a run), in
# bounded memory, go on with what it listed, and say the rest waits.
# What it listed does not include a message an earlier run delivered
# but could not delete remotely: with a listing cut short, "not listed"
# no longer means "gone from the server", so its record entry must stay;
# the next, honest run then deletes its remote copy instead of
# delivering it a second time.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup
sed -i "s/^\ttimeout 3$/\ttimeout 30/" "$CONF"
# Room by syncmail's reckoning (a block and an inode a message) for all
# 50,000 invented ones: they are never written, they vanish on OPEN.
mount -o remount,size=1g "$T/local" || fail "remount tmpfs"

TAG=$(printf '%s' "$TEST_USER@127.0.0.1:$SUB_PORT:$REMOTE" | sha256sum | cut -c1-16)
STATE=$LOCAL/syncmail-state.$TAG
mkmaildir "$LOCAL"
mkmsgs "$REMOTE/new" 12 small
# Delivered by an earlier run (recorded, tmp file gone), then deleted by
# the user; its remote copy is still there.  Only the record keeps it
# from coming back.
DONE=1700000001.M1P1Q1.delivered
mkmsg "$REMOTE/new" "$DONE" 3000
printf '+\t%s\t%s\t%s\n' "$DONE" 3000 "syncmail.$TAG.1.1" >"$STATE"
forget_orig "$DONE"

hostile_mode endless-list
RUN_TIMEOUT=240
# GNU time, when there, gives the peak RSS (tests/deps.sh installs it).
TIMEF=
[ -x /usr/bin/time ] && TIMEF=$T/time.out
if [ -n "$TIMEF" ]; then
	REAL=$SYNCMAIL
	SYNCMAIL=$T/timed-syncmail
	printf '#!/bin/sh\nexec /usr/bin/time -f %%M -o "%s" "%s" "$@"\n' \
	    "$TIMEF" "$REAL" >"$SYNCMAIL"
	chmod 755 "$SYNCMAIL"
fi
t0=$(now_ms)
run_syncmail
ms=$(($(now_ms) - t0))
[ -n "$TIMEF" ] && SYNCMAIL=$REAL
case $RC in
86) fail "ASan or UBSan finding (exit 86)" ;;
0) ;;
*) fail "endless listing: syncmail exited $RC, want 0 (the invented names vanish)" ;;
esac
grep -q 'listing cut short at 50000 messages' "$T/err" ||
	fail "no warning that the listing was cut short"
hostile_log | grep -q 'READDIR never ends' ||
	fail "the server did not serve an endless listing"
grep -q "^+	$DONE	" "$STATE" ||
	fail "the record forgot $DONE though the listing was cut short"
is_file=$(ls "$REMOTE/new/$DONE" 2>/dev/null)
[ -n "$is_file" ] || fail "$DONE was deleted remotely though not listed"
[ "$(count_files "$LOCAL/new")" = 0 ] ||
	fail "something was delivered from an endless listing of invented names"
rss=-
if [ -n "$TIMEF" ]; then
	rss=$(tail -n 1 "$TIMEF")
	case $(basename "$REAL") in
	*asan*) ;;	# ASan's shadow memory says nothing about ours
	*) [ "$rss" -le 40960 ] ||
		fail "peak RSS $rss KiB for an endless listing, want at most 40 MiB" ;;
	esac
fi

hostile_mode none
run_syncmail
assert_rc 0 "honest run after the endless one"
check_exactly_once
[ "$(count_files "$REMOTE/new")" = 0 ] || fail "messages left on the server"
[ ! -e "$LOCAL/new/$DONE" ] || fail "$DONE was delivered a second time"
grep -q "$DONE" "$STATE" && fail "$DONE is still in the record"
note "endless listing cut at 50000 in ${ms} ms, peak RSS ${rss} KiB; the earlier delivery kept in the record, then removed remotely, not delivered twice"
