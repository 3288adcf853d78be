#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# server-notify (SPEC 9): at watch-interval 30, inotifywait on the test
# sshd, over an exec channel, wakes a look at once: 30 messages
# delivered one at a time (renamed from tmp/ into new/) at random
# intervals of 0 to 1.5 s each arrive within 1 s; the median and worst
# are printed.  The watcher never outlives its connection: one runs on
# the server while watched; after the connection's sshd is killed, the
# watch reconnects and exactly one runs again; after SIGTERM (143) and
# after a SIGKILL of the account's process, none.  Where the command
# fails (sshd's SetEnv PATH without inotifywait: the shell says
# "inotifywait: not found"; ForceCommand internal-sftp, which runs in
# its place and says it serves sftp only), -v notes it once, naming
# why, and polling at watch-interval 2 still moves every message.
# Last, on the normal build, a watch with its watcher and a SIGHUP that
# adds an account under valgrind: no error, no leak, in any process.
. "$(dirname "$0")/lib.sh"
setup
command -v inotifywait >/dev/null || fail "no inotifywait (Debian inotify-tools, tests/deps.sh)"
cp "$CONF" "$T/plain.conf"
conf_add watch-interval 30
conf_add server-notify yes
COUNT=${COUNT:-30}

# watchers: how many inotifywait processes watch $REMOTE/new.
watchers()
{
	for wp in /proc/[0-9]*; do
		case $(tr '\0' ' ' 2>/dev/null <"$wp/cmdline") in
		"inotifywait "*"$REMOTE/new"*) echo "${wp#/proc/}" ;;
		esac
	done | wc -l
}

# wait_watchers N SECS: until N watchers run.
wait_watchers()
{
	ww_n=$(($2 * 10))
	while [ "$(watchers)" != "$1" ]; do
		[ "$ww_n" -gt 0 ] || return 1
		sleep 0.1
		ww_n=$((ww_n - 1))
	done
}

# account_proc: the account's process of the watch $WATCH.
account_proc()
{
	for ap in $(descendants "$WATCH"); do
		[ "$(cat "/proc/$ap/comm" 2>/dev/null)" = "$(basename "$SYNCMAIL" | cut -c1-15)" ] && echo "$ap"
	done
}

# sshd_session: the sshd processes that serve the watch's connection (the
# monitor and its unprivileged child), on one line.
sshd_session()
{
	echo $(descendants "$SSHD_PID" | while read -r sp; do
		[ "$(cat "/proc/$sp/comm" 2>/dev/null)" = sshd ] && echo "$sp"
	done)
}

# latency COUNT MAXGAP: COUNT deliveries at random gaps of 0 to MAXGAP
# s; prints "median worst missing" in ms (arrivals seen every 10 ms).
latency()
{
	/usr/bin/python3 - "$T" "$REMOTE" "$LOCAL" "$1" "$TEST_USER" "$2" \
	    >"$T/latency" 2>"$T/latency.err" <<'EOF'
import os, pwd, random, sys, threading, time
T, remote, local, count, user, gap = sys.argv[1:7]
count, gap = int(count), float(gap)
pw = pwd.getpwnam(user)
seen, delivered, done = {}, {}, threading.Event()
base = 1800000000 + int(time.time() * 1000) % 100000000

def scan():
    while not done.is_set():
        for e in os.scandir(os.path.join(local, "new")):
            if e.name not in seen:
                seen[e.name] = time.monotonic()
        time.sleep(0.01)

th = threading.Thread(target=scan)
th.start()
rnd = random.Random()
for i in range(count):
    time.sleep(rnd.uniform(0, gap))
    name = "%d.M%dP%d.notify" % (base + i, i, 76)
    data = ("Subject: notified %d\n\n%s\n" % (i, "y" * rnd.randint(10, 4000))).encode()
    with open(os.path.join(T, "orig", name), "wb") as f:
        f.write(data)
    tmp = os.path.join(remote, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.chown(tmp, pw.pw_uid, pw.pw_gid)
    os.chmod(tmp, 0o600)
    os.rename(tmp, os.path.join(remote, "new", name))
    delivered[name] = time.monotonic()
end = time.monotonic() + 10
while time.monotonic() < end and any(n not in seen for n in delivered):
    time.sleep(0.05)
done.set()
th.join()
lat = sorted(int((seen[n] - t) * 1000) for n, t in delivered.items() if n in seen)
print(lat[len(lat) // 2] if lat else -1, lat[-1] if lat else -1,
      sum(1 for n in delivered if n not in seen))
EOF
	[ $? = 0 ] || fail "the delivery script failed: $(tail -n 3 "$T/latency.err")"
}

start_syncmail -v -w
WATCH=$BG_PID
wait_watchers 1 10 || fail "with server-notify: $(watchers) inotifywait on the server, want 1; -v: $(head -n 3 "$BG_OUT")"
sleep 0.5
latency "$COUNT" 1.5
read -r nmedian nworst missing <"$T/latency"
worst=$nworst
[ "$missing" = 0 ] || fail "$missing of $COUNT messages did not arrive within 10 s at watch-interval 30"
[ "$worst" -le 1000 ] || fail "with server-notify, the slowest message took $worst ms, want at most 1000"
grep -q 'server-notify' "$BG_OUT" && fail "server-notify: a -v note where it works: $(grep 'server-notify' "$BG_OUT")"

# The connection's sshd processes killed (not the shell nor inotifywait,
# which must end on their own): a new connection, a new watcher, the
# old one gone.
sess=$(sshd_session)
[ -n "$sess" ] || fail "no sshd process of the watch's connection"
kill -KILL $sess
n=100
while s2=$(sshd_session); [ -z "$s2" ] || [ "$s2" = "$sess" ]; do
	[ "$n" -gt 0 ] || fail "no new connection within 10 s of the old one's sshd killed"
	sleep 0.1
	n=$((n - 1))
done
wait_watchers 1 10 || fail "after the connection's sshd died: $(watchers) watchers, want 1"
mkmsg "$REMOTE/new" "1800000001.M1P1.after" 2000
wait_for_files "$LOCAL/new" $((COUNT + 1)) 2 || fail "after the reconnect: no message within 2 s"
kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "SIGTERM: status $WAIT_RC, want 143"
wait_watchers 0 5 || fail "after SIGTERM: $(watchers) inotifywait left on the server"
[ -s "$BG_ERR" ] && fail "syncmail -w printed on stderr: $(head -n 3 "$BG_ERR")"

# SIGKILL of the account's process: its connection ends, and the watcher.
start_syncmail -w
WATCH=$BG_PID
wait_watchers 1 10 || fail "second watch: $(watchers) watchers, want 1"
kill -KILL "$(account_proc)"
wait_exit "$WATCH" 10
wait_watchers 0 5 || fail "after a SIGKILL of the account's process: $(watchers) inotifywait left on the server"
check_exactly_once
check_tmp_empty

# failing WHAT LINE...: a second sshd, its config with LINEs added; the
# watch at watch-interval 2 notes why there is no watcher, and polls.
failing()
{
	fl_what=$1
	shift
	cp "$T/sshd_config" "$T/sshd_config.orig"
	for l; do
		echo "$l" >>"$T/sshd_config"
	done
	start_sshd_subsystem /usr/lib/openssh/sftp-server
	cp "$T/sshd_config.orig" "$T/sshd_config"
	cp "$T/plain.conf" "$CONF"
	use_port "$SUB_PORT"
	conf_add watch-interval 2
	conf_add timeout 3
	conf_add server-notify yes
	start_syncmail -v -w
	WATCH=$BG_PID
	sleep 1
	latency 3 1
	read -r median worst missing <"$T/latency"
	[ "$missing" = 0 ] || fail "$fl_what: $missing of 3 messages did not arrive"
	[ "$worst" -le 3500 ] || fail "$fl_what: polling at watch-interval 2 took $worst ms"
	n=60
	while ! grep -q 'server-notify: ' "$BG_OUT" && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -TERM "$WATCH"
	wait_exit "$WATCH" 20
	[ "$WAIT_RC" = 143 ] || fail "$fl_what: SIGTERM: status $WAIT_RC, want 143"
	[ "$(grep -c 'server-notify: ' "$BG_OUT")" = 1 ] ||
		fail "$fl_what: want one -v note, got: $(grep 'server-notify' "$BG_OUT" || echo none)"
	[ -s "$BG_ERR" ] && fail "$fl_what: stderr: $(head -n 3 "$BG_ERR")"
	kill "$SUB_SSHD_PID"
	wait "$SUB_SSHD_PID" 2>/dev/null
	check_exactly_once
}
failing "no inotifywait in PATH" "SetEnv PATH=/nonexistent"
grep -q "test: server-notify: .*inotifywait: not found; looking every 2 s instead" "$BG_OUT" ||
	fail "no inotifywait: the note does not say so: $(grep 'server-notify' "$BG_OUT")"
nopath=$(grep 'server-notify' "$BG_OUT" | sed 's/^[^:]*: //')
failing "ForceCommand internal-sftp" "ForceCommand internal-sftp"
grep -q "test: server-notify: the server ran another command (it said \"This service allows sftp connections only.\"); looking every 2 s instead" "$BG_OUT" ||
	fail "ForceCommand: the note does not say so: $(grep 'server-notify' "$BG_OUT")"
# Under valgrind (the normal build): a watch with its watcher, a SIGHUP
# that adds an account, a SIGTERM; no error and no leak in any process.
vg=
case $(basename "$SYNCMAIL") in
*asan*) ;;
*)	vg=", valgrind clean"
	REAL=$SYNCMAIL
	SYNCMAIL=$T/vg-syncmail
	cat >"$SYNCMAIL" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
    --show-leak-kinds=definite,indirect,possible \\
    --errors-for-leak-kinds=definite,indirect,possible \\
    --log-file="$T/vg.%p" "$REAL" "\$@"
EOF
	chmod 755 "$SYNCMAIL"
	cp "$T/plain.conf" "$CONF"
	conf_add watch-interval 30
	conf_add server-notify yes
	start_syncmail -w
	WATCH=$BG_PID
	wait_watchers 1 30 || fail "valgrind: $(watchers) watchers, want 1"
	mkmsg "$REMOTE/new" "1800000002.M2P2.vg" 2000
	wait_for_files "$LOCAL/new" "$(count_files "$T/orig")" 10 || fail "valgrind: no message within 10 s"
	LOCAL2=$T/local/second
	REMOTE2=$T/remote/second
	mkmaildir "$REMOTE2" "$TEST_USER"
	cat >>"$CONF" <<EOF
account second
	host 127.0.0.1
	port $PORT
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	ssh-config none
	pull $REMOTE2 $LOCAL2
EOF
	kill -HUP "$WATCH"
	_gen "$REMOTE2/new" "$TEST_USER" 600 "1800000003.M3P3.vg:3000"
	wait_for_files "$LOCAL2/new" 1 20 || fail "valgrind: the added account's message did not arrive within 20 s"
	rm "$T/orig/1800000003.M3P3.vg"
	kill -TERM "$WATCH"
	wait_exit "$WATCH" 60
	[ "$WAIT_RC" = 143 ] || fail "valgrind: SIGTERM: status $WAIT_RC, want 143"
	# The main process and both accounts' processes, each with its log.
	[ "$(ls "$T"/vg.* 2>/dev/null | wc -l)" -ge 3 ] ||
		fail "valgrind: $(ls "$T"/vg.* 2>/dev/null | wc -l) logs, want one per process (3)"
	for f in "$T"/vg.*; do
		grep -q '^==[0-9]*==' "$f" 2>/dev/null || continue
		sed -n 1,40p "$f"
		fail "valgrind found errors in a watch's process, see above"
	done
	wait_watchers 0 5 || fail "valgrind: $(watchers) inotifywait left"
	check_exactly_once
	SYNCMAIL=$REAL
	;;
esac
note "server-notify: $COUNT messages at 0-1.5 s intervals, watch-interval 30: median ${nmedian} ms, worst ${nworst} ms; no watcher left after a killed sshd, SIGTERM or SIGKILL; without inotifywait ($nopath) and under ForceCommand, polling$vg"
