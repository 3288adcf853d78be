#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Deterministic crash sweep: syncmail killed (SIGKILL, as by a power cut)
# at each step boundary of a message's life, through the crash points that
# the sanitizer build compiles in (util/fault.h):
#   tmp-written  the message's bytes are in tmp/, not yet flushed
#   tmp-synced   its batch's tmp files are flushed, not yet recorded
#   recorded     the record names it, flushed; not yet in new/
#   renamed      it is in new/; new/ not yet flushed
#   new-synced   new/ flushed; tmp/ (the names the moves removed) not yet
#   tmp-resynced tmp/ flushed too; no REMOVE sent yet
#   remove-sent  REMOVEs on the wire, no answer read
#   remove-answered  the server deleted it; the record still names it
#   dropped      the record's drop written, not flushed
# each at the first hit and at a later one (a later batch for the points
# passed once a batch), and with batches small enough
# for the per-file fsync path as well as big ones (syncfs).  After each
# kill one clean run must leave every message exactly once and tmp/ empty.
# In the "renamed", "new-synced" and "tmp-resynced" rounds a delivered
# message is deleted locally before the clean run: it must not come back.
. "$(dirname "$0")/lib.sh"
setup

FAULTY=$ROOT/syncmail/syncmail-asan
[ -x "$FAULTY" ] || fail "no $FAULTY with crash points (make syncmail/syncmail-asan)"

rounds=0
victims=0
for count in 5 120; do
	for point in tmp-written tmp-synced recorded renamed new-synced \
	    tmp-resynced remove-sent remove-answered dropped; do
		# Per-batch points are passed once a batch: a later hit
		# needs the big run's several batches.
		case $point in
		tmp-synced|recorded|new-synced|tmp-resynced|remove-sent)
			[ "$count" = 5 ] && hits=1 || hits="1 2" ;;
		*)	hits="1 3" ;;
		esac
		for hit in $hits; do
			mkmsgs "$REMOTE/new" "$count" small
			env -u SSH_AUTH_SOCK HOME="$T/home" \
			    SYNCMAIL_FAULT="$point:$hit" \
			    ASAN_OPTIONS=exitcode=86:detect_leaks=0 \
			    timeout -k 5 60 "$FAULTY" -q -c "$CONF" \
			    </dev/null >"$T/out" 2>"$T/err"
			RC=$?
			[ "$RC" = 137 ] || fail "$point:$hit with $count" \
			    "messages: syncmail exited $RC, want death by SIGKILL" \
			    "at the crash point"
			case $point in
			renamed|new-synced|tmp-resynced)
				# One of this round's messages (lib.sh's
				# $T/last), delivered before the kill.
				victim=
				while read -r v; do
					[ -f "$LOCAL/new/$v" ] && victim=$v && break
				done <"$T/last"
				if [ -n "$victim" ]; then
					rm "$LOCAL/new/$victim"
					forget_orig "$victim"
					victims=$((victims + 1))
				fi
				;;
			esac
			run_syncmail -q
			assert_rc 0 "clean run after a kill at $point:$hit"
			check_exactly_once
			check_tmp_empty
			rounds=$((rounds + 1))
		done
	done
done
# Each renamed/new-synced round has a delivered message to delete.
[ "$victims" -ge 6 ] || fail "only $victims rounds had a delivered message to delete"
note "$rounds crash points, each followed by a clean run; $victims delivered messages deleted before it"
