#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Network faults mid-transfer (SPEC 5): the connection dropping (the
# server's processes for it killed), the server stalling (its sftp-server
# stopped) or its sftp-server killed alone fails the account with 75, a
# stall within the timeout; nothing is lost and the next run ends in the
# exactly-once state.  The sshd daemon stopped mid-run leaves the running
# connection alone; the run after it cannot connect (75).
. "$(dirname "$0")/lib.sh"
setup
conf_add timeout 3

# busy_run: starts syncmail on 900 messages and waits until mail arrives.
busy_run()
{
	mkmsgs "$REMOTE/new" 900
	before=$(count_files "$LOCAL/new")
	start_syncmail -q
	wait_for_files "$LOCAL/new" $((before + 1)) 60 ||
		fail "$1: no message arrived within 60 s"
	pid_alive "$BG_PID" || fail "$1: the run finished too soon for this test"
}

# server_procs [COMM]: the processes sshd started for connections.
server_procs()
{
	for sp in $(descendants "$SSHD_PID"); do
		[ -z "$1" ] || [ "$(cat "/proc/$sp/comm" 2>/dev/null)" = "$1" ] &&
			echo "$sp"
	done
}

# recovered WHAT: the run in the background ended 75 with an error in the
# account's name; the next run ends with every message exactly once.
recovered()
{
	wait_exit "$BG_PID" 30
	[ "$WAIT_RC" = 75 ] || { cat "$BG_ERR"; fail "$1: exit $WAIT_RC, want 75"; }
	grep -q '^syncmail: test: ' "$BG_ERR" || fail "$1: no 'syncmail: test: ...' error"
	run_syncmail -q
	assert_rc 0 "the run after: $1"
	check_exactly_once
	check_tmp_empty
}

# 1. The connection drops.
busy_run "drop"
procs=$(server_procs)
[ -n "$procs" ] || fail "no sshd process serves the connection?"
# shellcheck disable=SC2086
kill -KILL $procs
recovered "dropped connection"

# 2. The server stalls: sftp-server stopped, the TCP connection still up.
busy_run "stall"
procs=$(server_procs sftp-server)
[ -n "$procs" ] || fail "no sftp-server serves the connection?"
# shellcheck disable=SC2086
kill -STOP $procs
t0=$(now_ms)
wait_exit "$BG_PID" 60
took=$(($(now_ms) - t0))
# shellcheck disable=SC2086
kill -KILL $procs 2>/dev/null
[ "$WAIT_RC" = 75 ] || { cat "$BG_ERR"; fail "stalled server: exit $WAIT_RC, want 75"; }
[ "$took" -le 15000 ] || fail "stalled server: the run took ${took} ms to give up, with timeout 3"
grep -q '^syncmail: test: ' "$BG_ERR" || fail "stalled server: no 'syncmail: test: ...' error"
run_syncmail -q
assert_rc 0 "the run after a stalled server"
check_exactly_once
check_tmp_empty

# 3. The sftp-server alone dies: the SSH connection is still up, the
# channel ends.
busy_run "sftp-server killed"
procs=$(server_procs sftp-server)
[ -n "$procs" ] || fail "no sftp-server serves the connection?"
# shellcheck disable=SC2086
kill -KILL $procs
recovered "sftp-server killed"

# 4. The sshd daemon is stopped mid-run (SIGTERM to the listener, as an
# init system stopping the service does): the connection in progress is
# its own process and goes on to the end; the next run finds no server
# (75) and, once sshd is back, completes.
busy_run "sshd stopped"
kill -TERM "$SSHD_PID"
wait "$SSHD_PID" 2>/dev/null
wait_exit "$BG_PID" 60
[ "$WAIT_RC" = 0 ] || { cat "$BG_ERR"; fail "sshd stopped mid-run: exit $WAIT_RC, want 0 (the connection survives)"; }
check_exactly_once
mkmsgs "$REMOTE/new" 20
run_syncmail -q
assert_rc 75 "a run while sshd is stopped"
grep -q '^syncmail: test: .*127.0.0.1' "$T/err" || fail "sshd stopped: the error does not name the server"
[ "$(count_files "$REMOTE/new")" = 20 ] || fail "sshd stopped: messages moved without a server?"
launch_daemon "$PORT" "$T/sshd.log" sshd \
    /usr/sbin/sshd -D -e -f "$T/sshd_config" ||
	fail "sshd did not start again on port $PORT"
SSHD_PID=$DAEMON_PID
run_syncmail -q
assert_rc 0 "the run once sshd is back"
check_exactly_once
check_tmp_empty
note "a stalled server was given up after ${took} ms (timeout 3); sftp-server killed: 75; sshd stopped: the run in flight ends 0, the next 75"
