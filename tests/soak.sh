#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The soak run of watch mode (SPEC 9, make soak; not part of make check):
# syncmail -w at watch-interval 2 against the e2e tests' private sshd
# for SOAK_MINUTES (default 30), while messages of 200 bytes to 200 KB
# are delivered one at a time (written beside the remote Maildir, renamed
# into new/) at random intervals of 0 to 3 s, and every SOAK_CUT seconds or
# so (default 180, each gap between half and one and a half of it) the
# sshd process of the watch's connection is killed: a cut the first
# reconnect heals.  At the end it waits for the remote new/ to empty,
# stops the watch (SIGTERM) and reports the messages delivered and
# moved, duplicates and losses (both must be 0, or it fails), the cuts,
# and the RSS and open descriptors of the main process and the
# account's at the start (after the first run) and at the end.
# SOAK_NOTIFY=yes adds server-notify.  Linux, as root:
#
#	make soak
#	SOAK_MINUTES=3 SOAK_CUT=40 sh tests/soak.sh
E2E_DIR=$(cd "$(dirname "$0")/e2e" && pwd)
. "$E2E_DIR/lib.sh"
SOAK_MINUTES=${SOAK_MINUTES:-30}
SOAK_CUT=${SOAK_CUT:-180}
setup
mkdir -p "$T/remote/stage"
chown "$TEST_USER:" "$T/remote/stage"
conf_add watch-interval 2
conf_add timeout 10
[ "${SOAK_NOTIFY:-no}" = yes ] && conf_add server-notify yes

# rss PID, fds PID: resident KB and open descriptors, from /proc.
rss()
{
	sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}
fds()
{
	ls "/proc/$1/fd" | wc -l
}

# sshd_session: the processes of the watch's connection (its sshd
# monitor and everything under it: the unprivileged sshd, sftp-server).
sshd_session()
{
	descendants "$SSHD_PID"
}

start_syncmail -w
WATCH=$BG_PID
sleep 3
acct=$(descendants "$WATCH" | head -n 1)
[ -n "$acct" ] || fail "no account process"
rss0=$(rss "$WATCH") fds0=$(fds "$WATCH")
arss0=$(rss "$acct") afds0=$(fds "$acct")
start=$(date +%s)
end=$((start + SOAK_MINUTES * 60))
next_cut=$((start + SOAK_CUT / 2 + $(rand "$SOAK_CUT")))
i=0 cuts=0
while [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	name=$((1800000000 + i)).M${i}P$$.soak
	# Written beside the Maildir (mkmsg gives it an old mtime, which
	# in tmp/ would be warned about), renamed into new/.
	mkmsg "$T/remote/stage" "$name" $((200 + $(rand 200000)))
	mv "$T/remote/stage/$name" "$REMOTE/new/$name" || fail "delivery $i"
	sleep_ms "$(rand 3000)"
	if [ "$(date +%s)" -ge "$next_cut" ]; then
		sess=$(sshd_session)
		# shellcheck disable=SC2086
		if [ -n "$sess" ]; then
			kill -KILL $sess 2>/dev/null
			cuts=$((cuts + 1))
		fi
		[ -n "$SOAK_DEBUG" ] && echo "cut $cuts at $(($(date +%s) - start)) s: killed" $sess
		next_cut=$(($(date +%s) + SOAK_CUT / 2 + $(rand "$SOAK_CUT")))
	fi
	pid_alive "$WATCH" || fail "syncmail -w ended after $i deliveries: $(tail -n 3 "$BG_ERR")"
done
n=600
while [ "$(count_entries "$REMOTE/new")" != 0 ] && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
rss1=$(rss "$WATCH") fds1=$(fds "$WATCH")
arss1=$(rss "$acct") afds1=$(fds "$acct")
kill -TERM "$WATCH"
wait_exit "$WATCH" 60
_hashes "$T/orig" >"$T/.h.orig"
_hashes "$LOCAL/new" "$LOCAL/cur" >"$T/.h.local"
moved=$(wc -l <"$T/.h.local")
dups=$(uniq -d "$T/.h.local" | wc -l)
losses=$(sort -u "$T/.h.local" | comm -23 "$T/.h.orig" - | wc -l)
echo "soak: $SOAK_MINUTES min, $i delivered, $moved moved, $dups duplicates, $losses lost, $cuts connection cuts, $(count_entries "$REMOTE/new") left on the server, exit $WAIT_RC"
echo "soak: main process RSS ${rss0} -> ${rss1} KB, fds $fds0 -> $fds1; account's process RSS ${arss0} -> ${arss1} KB, fds $afds0 -> $afds1"
if [ -s "$BG_ERR" ]; then
	echo "soak: stderr ($(wc -l <"$BG_ERR") lines):"
	head -n 5 "$BG_ERR" | sed 's/^/    /'
fi
[ "$dups" = 0 ] && [ "$losses" = 0 ] || fail "duplicates or losses"
[ "$WAIT_RC" = 143 ] || fail "SIGTERM: status $WAIT_RC, want 143"
