#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Watch mode through an outage (SPEC 9): syncmail -w (watch-interval 1)
# has moved a first batch when the test's sshd is stopped, its
# connections and all, for 20 s, while more mail arrives; then it is
# started again on the same port.  stderr must hold exactly one warning
# (the first reconnect failed) and one line when the outage ends, and
# nothing else; the mail of before, during and after the outage is moved,
# every message exactly once.  A drop that the first reconnect heals
# (the connection's sshd process killed, the listener kept) prints
# nothing at all.
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 1
conf_add timeout 10

# stop_sshd: the listener and every connection's process.
stop_sshd()
{
	for ss_pid in $SSHD_PID $(descendants "$SSHD_PID"); do
		kill -KILL "$ss_pid" 2>/dev/null
	done
	wait "$SSHD_PID" 2>/dev/null
	ss_n=50
	while pid_alive "$SSHD_PID" && [ "$ss_n" -gt 0 ]; do
		sleep 0.1
		ss_n=$((ss_n - 1))
	done
}

mkmsgs "$REMOTE/new" 10 small
start_syncmail -w
WATCH=$BG_PID
wait_for_files "$LOCAL/new" 10 30 || fail "the first run moved $(count_files "$LOCAL/new") of 10"

# A drop healed at once: only the connection's own sshd goes.
conn=$(descendants "$SSHD_PID" | head -n 1)
[ -n "$conn" ] || fail "no sshd process serves syncmail's connection"
for c_pid in $conn $(descendants "$conn"); do
	kill -KILL "$c_pid" 2>/dev/null
done
sleep 3
mkmsgs "$REMOTE/new" 3 small
wait_for_files "$LOCAL/new" 13 10 ||
	fail "after a healed drop, $(count_files "$LOCAL/new") of 13 messages moved"
[ -s "$BG_ERR" ] && fail "a drop healed by the first reconnect printed: $(head -n 2 "$BG_ERR")"

stop_sshd
down=$(now_ms)
sleep 2
mkmsgs "$REMOTE/new" 5 small
sleep 18
pid_alive "$WATCH" || fail "syncmail -w ended in the outage: $(cat "$BG_ERR")"
[ "$(count_files "$LOCAL/new")" = 13 ] || fail "messages moved with sshd stopped?"
launch_daemon "$PORT" "$T/sshd.log" sshd /usr/sbin/sshd -D -e -f "$T/sshd_config" ||
	fail "sshd did not start again on port $PORT"
SSHD_PID=$DAEMON_PID
wait_for_files "$LOCAL/new" 18 45 ||
	fail "$(count_files "$LOCAL/new") of 18 messages moved 45 s after sshd came back"
back=$(($(now_ms) - down))
mkmsgs "$REMOTE/new" 4 small
wait_for_files "$LOCAL/new" 22 10 ||
	fail "after the outage, $(count_files "$LOCAL/new") of 22 messages moved"

kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "SIGTERM: status $WAIT_RC, want 143"
nwarn=$(grep -c 'trying again' "$BG_ERR")
nback=$(grep -c 'connected again' "$BG_ERR")
nall=$(wc -l <"$BG_ERR")
[ "$nwarn" = 1 ] && [ "$nback" = 1 ] && [ "$nall" = 2 ] || {
	sed 's/^/  /' "$BG_ERR"
	fail "stderr: $nwarn outage warnings, $nback recovery lines, $nall lines in all; want 1, 1, 2"
}
grep -q "^syncmail: test: .*Connection refused; trying again" "$BG_ERR" ||
	fail "the outage warning does not say why: $(head -n 1 "$BG_ERR")"
check_exactly_once
check_tmp_empty
note "sshd stopped for 20 s: the mail of the outage moved $((back / 1000)) s after it began; $(sed -n 2p "$BG_ERR" | sed 's/^syncmail: test: //')"
