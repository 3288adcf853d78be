#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Watch mode, polling (SPEC 9): syncmail -w with watch-interval 1.
# Idle, a look is a STAT of new/, and a full listing comes only every
# tenth look (counted by -vv's "messages listed" lines over 15 s: the
# first run's and the tenth look's).  Then 100 messages are delivered
# into the remote new/ one at a time (written in tmp/, renamed into
# new/, as a delivery agent does) at random intervals of 0 to 3 s: each
# must reach the local new/ within 3 s of its rename; the median and
# the worst latency are printed.  SIGTERM ends the watch with 143,
# nothing printed but what -vv asked for, and every message exactly once.
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 1
conf_add timeout 10
COUNT=${COUNT:-100}

# Idle: new/'s mtime well in the past, so that no listing is owed to it.
touch -d '1 hour ago' "$REMOTE/new"
start_syncmail -vv -w
WATCH=$BG_PID
sleep 15
pid_alive "$WATCH" || fail "syncmail -w ended while idle: $(cat "$BG_ERR")"
listed=$(grep -c 'new: 0 messages listed' "$BG_OUT")
[ "$listed" = 2 ] || fail "idle for 15 s at watch-interval 1:" \
    "$listed full listings, want 2 (the first run's, the tenth look's)"
kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "SIGTERM while idle: status $WAIT_RC, want 143"

start_syncmail -w
WATCH=$BG_PID
sleep 1
# The deliveries, and the arrivals seen by a thread that scans the
# local new/ every 10 ms.  Prints "median worst missing" in ms.
/usr/bin/python3 - "$T" "$REMOTE" "$LOCAL" "$COUNT" "$TEST_USER" \
    >"$T/latency" 2>"$T/latency.err" <<'EOF'
import os, pwd, random, sys, threading, time
T, remote, local, count, user = sys.argv[1:6]
count = int(count)
pw = pwd.getpwnam(user)
seen, delivered, done = {}, {}, threading.Event()

def scan():
    while not done.is_set():
        try:
            for e in os.scandir(os.path.join(local, "new")):
                if e.name not in seen:
                    seen[e.name] = time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.01)

th = threading.Thread(target=scan)
th.start()
rnd = random.Random()
for i in range(count):
    time.sleep(rnd.uniform(0, 3))
    name = "%d.M%dP%d.watchhost" % (1800000000 + i, i * 7, 4242)
    data = ("Subject: watched %d\n\n%s\n" % (i, "x" * rnd.randint(10, 4000))).encode()
    with open(os.path.join(T, "orig", name), "wb") as f:
        f.write(data)
    tmp = os.path.join(remote, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.chown(tmp, pw.pw_uid, pw.pw_gid)
    os.chmod(tmp, 0o600)
    os.rename(tmp, os.path.join(remote, "new", name))
    delivered[name] = time.monotonic()
end = time.monotonic() + 5
while time.monotonic() < end and any(n not in seen for n in delivered):
    time.sleep(0.05)
done.set()
th.join()
lat = sorted(int((seen[n] - t) * 1000) for n, t in delivered.items() if n in seen)
missing = sum(1 for n in delivered if n not in seen)
print(lat[len(lat) // 2] if lat else -1, lat[-1] if lat else -1, missing)
EOF
[ $? = 0 ] || fail "the delivery script failed: $(tail -n 3 "$T/latency.err")"
read -r median worst missing <"$T/latency"
[ "$missing" = 0 ] || fail "$missing of $COUNT messages did not arrive within 5 s"
[ "$worst" -le 3000 ] || fail "the slowest message took $worst ms, want at most 3000"
pid_alive "$WATCH" || fail "syncmail -w ended: $(cat "$BG_ERR")"
kill -TERM "$WATCH"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 143 ] || fail "SIGTERM: status $WAIT_RC, want 143"
[ -s "$BG_ERR" ] && fail "syncmail -w printed on stderr: $(head -n 3 "$BG_ERR")"
[ -s "$BG_OUT" ] && fail "syncmail -w printed on stdout: $(head -n 3 "$BG_OUT")"
check_exactly_once
check_tmp_empty
note "$COUNT messages at 0-3 s intervals, watch-interval 1: median ${median} ms, worst ${worst} ms"
