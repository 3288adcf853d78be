#!/bin/sh
# Network faults mid-transfer (SPEC 5): the connection dropping (the
# server's processes for it killed) or the server stalling (its sftp-server
# stopped) fails the account with 75, a stall within the timeout; nothing
# is lost and the next run ends in the exactly-once state.
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

# 1. The connection drops.
busy_run "drop"
procs=$(server_procs)
[ -n "$procs" ] || fail "no sshd process serves the connection?"
# shellcheck disable=SC2086
kill -KILL $procs
wait_exit "$BG_PID" 30
[ "$WAIT_RC" = 75 ] || { cat "$BG_ERR"; fail "dropped connection: exit $WAIT_RC, want 75"; }
grep -q '^syncmail: test: ' "$BG_ERR" || fail "dropped connection: no 'syncmail: test: ...' error"
run_syncmail -q
assert_rc 0 "the run after a dropped connection"
check_exactly_once
check_tmp_empty

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
note "a stalled server was given up after ${took} ms (timeout 3)"
