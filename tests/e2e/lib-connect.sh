# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Helpers for the connection tests (t-20 to t-27): other SSH servers,
# ssh-agent, a silent listener, runs with an agent, without a terminal or
# on a pseudo-terminal.  Sourced after lib.sh and setup.  POSIX sh.

# run_syncmail_env VAR=VALUE... -- ARGS...: as run_syncmail, with these
# variables set in syncmail's environment (SSH_AUTH_SOCK, for one).  Also
# without a controlling terminal (setsid), so that "no terminal" holds even
# when the suite runs from one.
run_syncmail_env()
{
	re_env=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		re_env="$re_env $1"
		shift
	done
	[ "$1" = -- ] && shift
	# shellcheck disable=SC2086
	env -u SSH_AUTH_SOCK HOME="$T/home" $re_env \
	    setsid -w timeout -k 5 "$RUN_TIMEOUT" "$SYNCMAIL" -c "$CONF" "$@" \
	    </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" != 124 ] && [ "$RC" != 137 ] ||
		fail "syncmail $* did not finish within $RUN_TIMEOUT s (status $RC)"
}

# run_syncmail_notty ARGS...: run_syncmail with no controlling terminal.
run_syncmail_notty()
{
	run_syncmail_env -- "$@"
}

# run_syncmail_pty SCRIPT ARGS...: runs syncmail -c $CONF ARGS on a fresh
# pseudo-terminal (its controlling terminal), answering prompts: SCRIPT
# is "PATTERN=>ANSWER" lines; each time the output since the last answer
# matches PATTERN (a Python regular expression), ANSWER and a newline are
# typed.  Everything the terminal showed goes to $T/out ($T/err is
# empty); the status to $RC.  Bounded by $RUN_TIMEOUT seconds.
run_syncmail_pty()
{
	rp_script=$1
	shift
	env -u SSH_AUTH_SOCK HOME="$T/home" /usr/bin/python3 - \
	    "$RUN_TIMEOUT" "$rp_script" "$SYNCMAIL" -c "$CONF" "$@" \
	    >"$T/out" 2>"$T/err" </dev/null <<'EOF'
import os, pty, re, select, signal, sys, time
limit, script, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
steps = [l.split("=>", 1) for l in script.splitlines() if "=>" in l]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
end = time.time() + limit
seen, shown = b"", b""
while True:
    left = end - time.time()
    if left <= 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.stdout.buffer.write(shown)
        sys.exit(124)
    r, _, _ = select.select([fd], [], [], min(left, 0.2))
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            break
        seen += data
        shown += data
        if steps and re.search(steps[0][0].encode(), seen):
            os.write(fd, steps[0][1].encode() + b"\n")
            steps.pop(0)
            seen = b""
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else
         128 + os.WTERMSIG(status))
EOF
	RC=$?
	[ "$RC" != 124 ] ||
		fail "syncmail $* did not finish within $RUN_TIMEOUT s on a pty"
}

# start_sshd_like NAME HOSTKEY... -- EXTRA...: another OpenSSH sshd, set
# up as start_sshd's (user, authorized keys) but with these host keys,
# each EXTRA argument a line of its config (replacing the default's line
# for that keyword; "Subsystem sftp /usr/lib/openssh/sftp-server" unless
# an EXTRA names a Subsystem), on a free port: PORT2, SSHD2_PID;
# config $T/sshd_NAME.config, log $T/sshd_NAME.log.
start_sshd_like()
{
	sl_name=$1
	shift
	sl_keys=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sl_keys="$sl_keys $1"
		shift
	done
	[ "$1" = -- ] && shift
	sl_conf=$T/sshd_$sl_name.config
	for sl_try in 1 2 3; do
		PORT2=$(free_port) || fail "no free port"
		# sshd takes a keyword's first value: drop those EXTRA sets
		sl_drop="-e /^Port[[:blank:]]/d -e /^HostKey[[:blank:]]/d"
		sl_drop="$sl_drop -e /^PidFile[[:blank:]]/d -e /^Subsystem[[:blank:]]/d"
		for sl_line; do
			sl_drop="$sl_drop -e /^${sl_line%% *}[[:blank:]]/d"
		done
		{
			# shellcheck disable=SC2086
			sed $sl_drop "$T/sshd_config"
			echo "Port $PORT2"
			echo "PidFile $T/sshd_$sl_name.pid"
			for sl_k in $sl_keys; do
				echo "HostKey $sl_k"
			done
			sl_sub=
			for sl_line; do
				echo "$sl_line"
				case $sl_line in "Subsystem "*) sl_sub=1 ;; esac
			done
			[ -n "$sl_sub" ] ||
				echo "Subsystem sftp /usr/lib/openssh/sftp-server"
		} >"$sl_conf"
		if launch_daemon "$PORT2" "$T/sshd_$sl_name.log" sshd \
		    /usr/sbin/sshd -D -e -f "$sl_conf"; then
			SSHD2_PID=$DAEMON_PID
			return 0
		fi
	done
	cat "$T/sshd_$sl_name.log"
	fail "sshd $sl_name did not start"
}

# start_silent: a listener on 127.0.0.1 that accepts connections and never
# says a word; its port is SILENT.
start_silent()
{
	/usr/bin/python3 - "$T/silent.port" <<'EOF' &
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
EOF
	track_pid $! python3
	ss_n=50
	while [ ! -s "$T/silent.port" ] && [ "$ss_n" -gt 0 ]; do
		sleep 0.1
		ss_n=$((ss_n - 1))
	done
	SILENT=$(cat "$T/silent.port" 2>/dev/null)
	[ -n "$SILENT" ] || fail "the silent listener did not start"
}

# start_agent: an ssh-agent of the test's own, in the foreground so its PID
# is known; AGENT_SOCK is its socket.
start_agent()
{
	AGENT_SOCK=$T/agent.sock
	ssh-agent -D -a "$AGENT_SOCK" >/dev/null 2>&1 &
	track_pid $! ssh-agent
	sa_n=50
	while [ ! -S "$AGENT_SOCK" ] && [ "$sa_n" -gt 0 ]; do
		sleep 0.1
		sa_n=$((sa_n - 1))
	done
	[ -S "$AGENT_SOCK" ] || fail "ssh-agent did not start"
}

# procs_matching STRING: PIDs of processes whose command line holds STRING.
procs_matching()
{
	for pm_d in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$pm_d/cmdline"; } 2>/dev/null | grep -qF -- "$1" &&
			echo "${pm_d#/proc/}"
	done
	return 0
}

# write_account NAME PORT [EXTRA...]: an account block for 127.0.0.1:PORT
# with the test's key, known_hosts and ssh-config none; EXTRA lines (its
# pull, for one) are added to it.
write_account()
{
	wa_name=$1 wa_port=$2
	shift 2
	printf 'account %s\n\thost 127.0.0.1\n\tport %s\n\tuser %s\n' \
	    "$wa_name" "$wa_port" "$TEST_USER"
	printf '\tidentity %s\n\tknown-hosts %s\n\tssh-config none\n' \
	    "$T/id_ed25519" "$T/known_hosts"
	for wa_line; do
		printf '\t%s\n' "$wa_line"
	done
}

# restart_sshd: stops the test's sshd and starts it again on the same port
# with the same config (after a test changed its host key).
restart_sshd()
{
	kill -KILL "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	for rs_try in 1 2 3 4 5 6 7 8 9 10; do
		/usr/sbin/sshd -D -e -f "$T/sshd_config" 2>>"$T/sshd.log" &
		SSHD_PID=$!
		track_pid "$SSHD_PID" sshd
		wait_listener "$PORT" "$SSHD_PID" 3 && return 0
		kill -KILL "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		sleep 0.5
	done
	fail "sshd did not restart on port $PORT"
}

# hashed_name NAME: NAME as a hashed known_hosts host field (|1|salt|hash).
hashed_name()
{
	/usr/bin/python3 -c 'import base64, hashlib, hmac, os, sys
salt = os.urandom(20)
h = hmac.new(salt, sys.argv[1].encode(), hashlib.sha1).digest()
print("|1|%s|%s" % (base64.b64encode(salt).decode(), base64.b64encode(h).decode()))' "$1"
}

# secs_since START: seconds since START (date +%s.%N), to two decimals.
secs_since()
{
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }'
}

# interop_runs WHAT PORT: the runs each interoperability test makes
# against the server on 127.0.0.1:PORT (known in known_hosts): 200
# messages moved (each exactly once locally, none left remotely, nothing
# said); a second run with nothing new (0, nothing said); then with keep
# yes, 50 more copied and left on the server, a second keep run that
# delivers none twice, and a run without keep that removes the 50 from
# the server, delivering none again.  INTEROP_SECS is the first run's
# time.  A test may set FAIL_LOG to the server's log, shown on failure.
interop_runs()
{
	ir_what=$1 ir_port=$2
	mkmsgs "$REMOTE/new" 200 small
	write_account test "$ir_port" "pull $REMOTE $LOCAL" >"$CONF"
	ir_start=$(date +%s.%N)
	run_syncmail -q
	INTEROP_SECS=$(secs_since "$ir_start")
	assert_rc 0 "$ir_what, 200 messages"
	assert_quiet "$ir_what, 200 messages"
	check_exactly_once
	check_tmp_empty
	run_syncmail -q
	assert_rc 0 "$ir_what, a second run with nothing new"
	assert_quiet "$ir_what, a second run with nothing new"
	check_exactly_once

	mkmsgs "$REMOTE/new" 50 small
	write_account test "$ir_port" "pull $REMOTE $LOCAL" "keep yes" >"$CONF"
	for ir_n in 1 2; do
		run_syncmail -q
		assert_rc 0 "$ir_what, keep yes (run $ir_n)"
		check_exactly_once -k
		[ "$(count_files "$REMOTE/new")" = 50 ] ||
			fail "$ir_what, keep yes (run $ir_n): the remote new/ holds" \
			    "$(count_files "$REMOTE/new") messages, want 50"
	done
	write_account test "$ir_port" "pull $REMOTE $LOCAL" >"$CONF"
	run_syncmail -q
	assert_rc 0 "$ir_what, without keep after keep"
	check_exactly_once
	check_tmp_empty
}
