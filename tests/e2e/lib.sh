# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# End-to-end test library for syncmail: sourced by every tests/e2e/t-*.sh
# and by tests/demo.sh.  POSIX sh (dash runs it); Linux, run as root.
#
# setup starts a private sshd on 127.0.0.1 in a fresh temp dir $T, with a
# test user "syncmailtest" owning the remote Maildir $REMOTE, a client key,
# a known_hosts file and a syncmail config $CONF pulling $REMOTE into
# $LOCAL.  teardown (run from the EXIT trap) kills every process the test
# started, by PID, unmounts what it mounted, and removes $T.
#
# Every message a test creates with mkmsg/mkmsgs is also saved in $T/orig,
# with the same name, bytes and mtime: check_exactly_once compares that
# collection with the local Maildir by content.

TEST_USER=syncmailtest
E2E_DIR=${E2E_DIR:-$(dirname "$0")}
E2E_DIR=$(cd "$E2E_DIR" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
SYNCMAIL=${SYNCMAIL:-$ROOT/syncmail/syncmail}
# Upper bound for one foreground syncmail run (run_syncmail).
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
TEST_NAME=$(basename "$0" .sh)
T=
PORT=
RC=

# fail MSG: print why the test failed (with the last syncmail stderr, which
# is usually the reason) and exit 1.  Never call it inside $(...).
fail()
{
	echo "FAIL: $TEST_NAME: $*"
	if [ -n "$T" ] && [ -s "$T/err" ]; then
		echo "  last syncmail stderr:"
		tail -n 8 "$T/err" | sed 's/^/    /'
	fi
	# A test may keep a log of its own steps worth showing on failure.
	if [ -n "$FAIL_LOG" ] && [ -s "$FAIL_LOG" ]; then
		echo "  last lines of $(basename "$FAIL_LOG"):"
		tail -n 8 "$FAIL_LOG" | sed 's/^/    /'
	fi
	exit 1
}

# note MSG: the optional one-line note a passing test may print.
note()
{
	echo "$*"
}

# assert_eq GOT WANT MSG
assert_eq()
{
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# assert_rc WANT [MSG]: checks $RC of the last run_syncmail.
assert_rc()
{
	[ "$RC" = "$1" ] || fail "${2:-syncmail} exited $RC, want $1"
}

# assert_quiet [MSG]: the last run printed nothing on stdout nor stderr.
assert_quiet()
{
	if [ -s "$T/out" ] || [ -s "$T/err" ]; then
		echo "  stdout:"; head -n 5 "$T/out" | sed 's/^/    /'
		echo "  stderr:"; head -n 5 "$T/err" | sed 's/^/    /'
		fail "${1:-run} printed output, want none"
	fi
}

# need_root: e2e tests start sshd, add a user and mount file systems.
need_root()
{
	[ "$(id -u)" = 0 ] || { echo "SKIP: $TEST_NAME needs root"; exit 77; }
}

# track_pid PID COMM: teardown kills PID (and what it started) at the end,
# if it is still the command COMM ("-": any command, for subshells).
track_pid()
{
	echo "$1 $2" >>"$T/.pids"
}

# track_mount DIR: teardown unmounts DIR.
track_mount()
{
	echo "$1" >>"$T/.mounts"
}

# descendants PID: PID's children, grandchildren, ... one per line (from
# /proc: a fresh Debian may have no ps).
descendants()
{
	cat /proc/[0-9]*/stat 2>/dev/null |
	    sed -n 's/^\([0-9]*\) .*) . \([0-9]*\) .*/\1 \2/p' |
	    awk -v root="$1" '{ kids[$2] = kids[$2] " " $1 }
		END {
			n = split(kids[root], q, " ")
			for (i = 1; i <= n; i++) {
				print q[i]
				m = split(kids[q[i]], c, " ")
				for (j = 1; j <= m; j++)
					q[++n] = c[j]
			}
		}'
}

# pid_alive PID: true while PID runs (a zombie counts as gone).
pid_alive()
{
	[ -r "/proc/$1/stat" ] || return 1
	pa_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$pa_state" ] && [ "$pa_state" != Z ] && [ "$pa_state" != X ]
}

# wait_exit PID SECS: waits for our child PID to end, at most SECS seconds;
# sets WAIT_RC to its exit status, or fails the test if it is still
# running (and then kills it).
wait_exit()
{
	we_n=$(($2 * 10))
	while pid_alive "$1" && [ "$we_n" -gt 0 ]; do
		sleep 0.1
		we_n=$((we_n - 1))
	done
	if pid_alive "$1"; then
		kill -KILL "$1" 2>/dev/null
		fail "process $1 still running after $2 s"
	fi
	wait "$1"
	WAIT_RC=$?
}

teardown()
{
	[ -n "$T" ] && [ -d "$T" ] || return 0
	# Kill whole trees: sshd's per-connection children and sftp-servers
	# too, but only PIDs that are still the command we started.
	if [ -f "$T/.pids" ]; then
		td_all=
		while read -r td_pid td_comm; do
			[ -d "/proc/$td_pid" ] || continue
			[ "$td_comm" = - ] ||
			    [ "$(cat "/proc/$td_pid/comm" 2>/dev/null)" = "$td_comm" ] ||
				continue
			td_all="$td_all $td_pid $(descendants "$td_pid")"
		done <"$T/.pids"
		for td_pid in $td_all; do
			kill -KILL "$td_pid" 2>/dev/null
		done
		for td_pid in $td_all; do
			td_n=50
			while [ -d "/proc/$td_pid" ] && pid_alive "$td_pid" &&
			    [ "$td_n" -gt 0 ]; do
				sleep 0.1
				td_n=$((td_n - 1))
			done
		done
	fi
	if [ -f "$T/.mounts" ]; then
		while read -r td_m; do
			umount "$td_m" 2>/dev/null || umount -l "$td_m" 2>/dev/null
		done <"$T/.mounts"
	fi
	if [ -n "$KEEP_T" ]; then
		echo "kept $T" >&2
	else
		rm -rf --one-file-system "$T"
	fi
	T=
}

# E2E_STATE: the one directory every e2e test on this machine shares, for
# what they must not do at once however many run together (tests/run runs
# them in parallel): the lock of e2e_lock and free_port's list of the
# ports it gave out.  Under /run, which only root may write.
E2E_STATE=${E2E_STATE:-/run/syncmail-e2e}

# e2e_state: makes $E2E_STATE.
e2e_state()
{
	mkdir -p "$E2E_STATE" && chmod 700 "$E2E_STATE"
}

# e2e_lock / e2e_unlock: holds, in between, the machine-wide lock of the
# e2e tests (on fd 9), for a change to something they all share: the test
# user's account, its home directory.  Exiting releases it too.
e2e_lock()
{
	e2e_state || fail "cannot make $E2E_STATE"
	exec 9>>"$E2E_STATE/lock"
	flock 9 || fail "flock $E2E_STATE/lock"
}

e2e_unlock()
{
	flock -u 9
	exec 9>&-
}

# ensure_user: the remote user.  Its shell must be /bin/sh: root's shell
# startup here prints text, which would corrupt the SFTP stream.  With
# UsePAM no, sshd refuses accounts whose password field starts with "!".
# Under e2e_lock: two tests starting together on a fresh machine would
# both run useradd, and one would fail on the locked /etc/passwd.
ensure_user()
{
	e2e_lock
	if ! id -u "$TEST_USER" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$TEST_USER" 2>/dev/null ||
			id -u "$TEST_USER" >/dev/null 2>&1 ||
			fail "cannot create user $TEST_USER"
	fi
	[ "$(getent passwd "$TEST_USER" | cut -d: -f7)" = /bin/sh ] ||
		usermod -s /bin/sh "$TEST_USER"
	case $(getent shadow "$TEST_USER" | cut -d: -f2) in
	!*|'') usermod -p '*' "$TEST_USER" ;;
	esac
	e2e_unlock
}

# free_port: a TCP port on 127.0.0.1 nobody listens on right now, and one
# that no other e2e test on this machine was given in the last hour: tests
# running at once could otherwise be given the same port, between this
# call and their bind (or a test's port that must stay closed).
# $E2E_STATE/ports, under a lock, lists the ports given out.
free_port()
{
	e2e_state || return 1
	/usr/bin/python3 - "$E2E_STATE/ports" <<'EOF'
import fcntl, os, socket, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
now = time.time()
given = {}
for line in os.read(fd, 1 << 20).decode().split("\n"):
    f = line.split()
    if len(f) == 2 and 0 <= now - float(f[1]) < 3600:
        given[int(f[0])] = float(f[1])
for _ in range(200):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if port not in given:
        break
given[port] = now
os.lseek(fd, 0, 0)
os.ftruncate(fd, 0)
os.write(fd, "".join("%d %.3f\n" % kv for kv in given.items()).encode())
print(port)
EOF
}

# wait_port PORT SECS: true once 127.0.0.1:PORT accepts a connection.
wait_port()
{
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import socket, sys, time
port, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# wait_listener PORT PID SECS: true once PID (or a process it started)
# listens on 127.0.0.1:PORT; false after SECS seconds, or as soon as PID
# has ended (a daemon that could not bind the port).  Another program
# listening there does not count: with wait_port, a daemon that lost its
# port to another test's would pass for started, and the test would talk
# to that other test's server.
wait_listener()
{
	/usr/bin/python3 - "$1" "$2" "$3" <<'EOF'
import os, sys, time
port, pid, end = int(sys.argv[1]), sys.argv[2], time.time() + float(sys.argv[3])
addrs = {a + ":%04X" % port for a in (
    "0100007F", "00000000", "0" * 32, "0000000000000000FFFF00000100007F")}

def stat(p):
    try:
        with open("/proc/%s/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None

def listening():
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    v = line.split()
                    if v[1] in addrs and v[3] == "0A":
                        found.add("socket:[%s]" % v[9])
        except OSError:
            pass
    return found

def tree(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat(d)
            if st:
                kids.setdefault(st[1], []).append(d)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out

while time.time() < end:
    st = stat(pid)
    if st is None or st[0] in ("Z", "X"):
        sys.exit(1)
    socks = listening()
    for p in tree(pid) if socks else ():
        try:
            fds = os.listdir("/proc/%s/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (p, fd)) in socks:
                    sys.exit(0)
            except OSError:
                pass
    time.sleep(0.05)
sys.exit(1)
EOF
}

# start_sshd: writes $T/sshd_config for a free port and starts sshd.
# launch_daemon PORT LOG COMM CMD...: starts CMD in the background (its
# stderr appended to LOG), tracked by teardown as COMM, and waits up to
# 5 s for it to listen on 127.0.0.1:PORT (wait_listener).  0 with
# DAEMON_PID set; 1 when it did not (the daemon is killed: the caller may
# try another port).
launch_daemon()
{
	ld_port=$1 ld_log=$2 ld_comm=$3
	shift 3
	"$@" 2>>"$ld_log" &
	DAEMON_PID=$!
	track_pid "$DAEMON_PID" "$ld_comm"
	wait_listener "$ld_port" "$DAEMON_PID" 5 && return 0
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	return 1
}

start_sshd()
{
	for ss_try in 1 2 3; do
		PORT=$(free_port) || fail "no free port"
		cat >"$T/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $PORT
HostKey $T/ssh_host_ed25519_key
AuthorizedKeysFile $T/authorized_keys
PidFile $T/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $TEST_USER
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
EOF
		if launch_daemon "$PORT" "$T/sshd.log" sshd \
		    /usr/sbin/sshd -D -e -f "$T/sshd_config"; then
			SSHD_PID=$DAEMON_PID
			return 0
		fi
	done
	cat "$T/sshd.log"
	fail "sshd did not start"
}

# write_config [FILE]: the standard one-account config (account "test").
write_config()
{
	cat >"${1:-$CONF}" <<EOF
# written by tests/e2e/lib.sh
account test
	host 127.0.0.1
	port $PORT
	user $TEST_USER
	identity $T/id_ed25519
	known-hosts $T/known_hosts
	ssh-config none
	pull $REMOTE $LOCAL
EOF
}

# conf_add KEYWORD VALUE...: appends a line to the last account of $CONF.
conf_add()
{
	printf '\t%s\n' "$*" >>"$CONF"
}

# mkmaildir DIR [OWNER]: DIR/{tmp,new,cur}, 0700, owned by OWNER.
mkmaildir()
{
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
	chmod 700 "$1" "$1/tmp" "$1/new" "$1/cur"
	[ -z "$2" ] || chown -R "$2:" "$1"
}

setup()
{
	need_root
	[ -f "$SYNCMAIL" ] && [ -x "$SYNCMAIL" ] ||
		fail "no syncmail binary at $SYNCMAIL (run make, or set SYNCMAIL)"
	T=$(mktemp -d /tmp/syncmail-e2e.XXXXXX) || fail "mktemp"
	trap teardown EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	chmod 755 "$T"
	ensure_user
	mkdir -p /run/sshd
	chmod 755 /run/sshd
	ssh-keygen -q -t ed25519 -N '' -C e2e-host \
	    -f "$T/ssh_host_ed25519_key" || fail "ssh-keygen host key"
	ssh-keygen -q -t ed25519 -N '' -C e2e-client \
	    -f "$T/id_ed25519" || fail "ssh-keygen client key"
	cp "$T/id_ed25519.pub" "$T/authorized_keys"
	chmod 644 "$T/authorized_keys"
	start_sshd
	HOSTKEY_PUB=$T/ssh_host_ed25519_key.pub
	echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$HOSTKEY_PUB")" \
	    >"$T/known_hosts"
	REMOTE=$T/remote/Maildir
	LOCAL=$T/local/Maildir
	mkdir -p "$T/remote" "$T/local" "$T/orig" "$T/gone" "$T/home"
	mkmaildir "$REMOTE"
	chown -R "$TEST_USER:" "$T/remote"
	CONF=$T/syncmail.conf
	write_config
	echo 0 >"$T/.seq"
	: >"$T/out"
	: >"$T/err"
}

# is_remote DIR: DIR is in the remote tree (files there belong to the
# remote user).
is_remote()
{
	case $1 in
	"$T"/remote/*|"$T"/stage*) return 0 ;;
	esac
	return 1
}

# _gen DIR OWNER MODE name:size...  /  _gen DIR OWNER count:N:PROFILE
# Writes deterministic messages into DIR and $T/orig (same bytes, mtime).
# Content is unique per message (it starts with the message's sequence
# number); the names written are listed in $T/last.
_gen()
{
	/usr/bin/python3 - "$T" "$@" <<'EOF'
import os, pwd, random, sys
T, dest, owner, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
args = sys.argv[5:]
uid = gid = -1
if owner:
    pw = pwd.getpwnam(owner)
    uid, gid = pw.pw_uid, pw.pw_gid
with open(os.path.join(T, ".seq")) as f:
    seq = int(f.read())

def size_for(rnd, profile):
    r = rnd.random()
    if profile == "small":
        return rnd.randint(200, 16 * 1024)
    if r < 0.60:
        return rnd.randint(300, 8 * 1024)
    if r < 0.90:
        return rnd.randint(8 * 1024, 64 * 1024)
    if r < 0.99:
        return rnd.randint(64 * 1024, 512 * 1024)
    return rnd.randint(512 * 1024, 2 * 1024 * 1024)

jobs = []
if args and args[0].startswith("count:"):
    _, n, profile = args[0].split(":")
    for _ in range(int(n)):
        seq += 1
        rnd = random.Random(seq)
        size = size_for(rnd, profile)
        name = "%d.M%dP%dQ%d.e2ehost" % (1700000000 + seq * 3,
                                        (seq * 7919) % 1000000, 4000 + seq % 997, seq)
        if seq % 2:
            name += ",S=%d" % size
        jobs.append((seq, name, size))
else:
    for a in args:
        name, size = a.rsplit(":", 1)
        seq += 1
        jobs.append((seq, name, int(size)))

def content(seq, name, size):
    rnd = random.Random(seq * 31 + 7)
    head = ("X-E2E-Seq: %d\nReturn-Path: <sender%d@example.org>\n"
            "Message-ID: <%d.%s@e2e.test>\nFrom: Sender %d <sender%d@example.org>\n"
            "To: %s@example.org\nSubject: e2e test message %d\n\n"
            % (seq, seq, seq, name.replace("\n", "?"), seq, seq,
               "syncmailtest", seq)).encode()
    parts, have = [head], len(head)
    block = bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz     ") for _ in range(4096))
    i = 0
    while have < size:
        line = b"%d/%d " % (seq, i) + block[(i * 61) % 4000:(i * 61) % 4000 + 70] + b"\n"
        parts.append(line)
        have += len(line)
        i += 1
    return b"".join(parts)[:size]

names = []
for seq, name, size in jobs:
    data = content(seq, name, size)
    mtime = 1500000000 + seq * 86413 % 200000000
    for d, o in ((dest, True), (os.path.join(T, "orig"), False)):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(data)
        os.utime(p, (mtime, mtime))
        os.chmod(p, int(mode, 8))
        if o and uid != -1:
            os.chown(p, uid, gid)
    names.append(name)
with open(os.path.join(T, ".seq"), "w") as f:
    f.write("%d\n" % seq)
with open(os.path.join(T, "last"), "w") as f:
    f.write("".join(n + "\n" for n in names))
EOF
	[ $? = 0 ] || fail "message generator failed"
}

# mkmsg DIR NAME SIZE: one message of exactly SIZE bytes.
mkmsg()
{
	if is_remote "$1"; then
		_gen "$1" "$TEST_USER" 600 "$2:$3"
	else
		_gen "$1" "" 600 "$2:$3"
	fi
}

# mkmsgs DIR COUNT [mixed|small]: COUNT messages of mixed sizes (most a few
# KB, some up to 2 MB with "mixed"; 200 B to 16 KB with "small").
mkmsgs()
{
	if is_remote "$1"; then
		_gen "$1" "$TEST_USER" 600 "count:$2:${3:-mixed}"
	else
		_gen "$1" "" 600 "count:$2:${3:-mixed}"
	fi
}

# forget_orig NAME: a test deleted its delivered copy: it must not come
# back (check_exactly_once checks that its bytes are nowhere local).
forget_orig()
{
	mv "$T/orig/$1" "$T/gone/$1" || fail "forget_orig $1"
}

# reset_orig: forget the messages checked so far (before a test switches
# to another local Maildir).
reset_orig()
{
	rm -rf "$T/orig" "$T/gone"
	mkdir "$T/orig" "$T/gone"
}

# count_files DIR: regular files directly in DIR (names may hold newlines).
count_files()
{
	find "$1" -mindepth 1 -maxdepth 1 -type f -printf x 2>/dev/null | wc -c
}

# count_entries DIR: anything directly in DIR.
count_entries()
{
	find "$1" -mindepth 1 -maxdepth 1 -printf x 2>/dev/null | wc -c
}

# _hashes DIR...: sorted sha256 of the regular files directly in DIRs.
_hashes()
{
	for h_dir; do
		[ -d "$h_dir" ] || continue
		find "$h_dir" -mindepth 1 -maxdepth 1 -type f -print0 |
			xargs -0 -r sha256sum
	done | sed 's/^\\//' | cut -c1-64 | sort
}

# check_exactly_once [-k]: every message in $T/orig is in $LOCAL/new or
# $LOCAL/cur exactly once by content, nothing else is there, nothing from
# $T/gone came back, and (without -k, i.e. unless keep) remote new/ holds
# no file.
check_exactly_once()
{
	_hashes "$T/orig" >"$T/.h.orig"
	_hashes "$LOCAL/new" "$LOCAL/cur" >"$T/.h.local"
	_hashes "$T/gone" >"$T/.h.gone"
	ce_missing=$(comm -23 "$T/.h.orig" "$T/.h.local" | wc -l)
	ce_extra=$(comm -13 "$T/.h.orig" "$T/.h.local" | wc -l)
	ce_back=$(sort -u "$T/.h.local" | comm -12 - "$T/.h.gone" | wc -l)
	ce_total=$(wc -l <"$T/.h.orig")
	if [ "$ce_missing" != 0 ] || [ "$ce_extra" != 0 ] || [ "$ce_back" != 0 ]; then
		echo "  $ce_total originals; $ce_missing missing locally," \
		    "$ce_extra extra or duplicate local files," \
		    "$ce_back deleted ones came back"
		comm -23 "$T/.h.orig" "$T/.h.local" | head -n 3 | while read -r h; do
			echo "  missing: $(_name_of "$h" "$T/orig")" \
			    "(remote new/: $(_name_of "$h" "$REMOTE/new"))"
		done
		comm -13 "$T/.h.orig" "$T/.h.local" | head -n 3 | while read -r h; do
			echo "  extra: $(_name_of "$h" "$LOCAL/new" "$LOCAL/cur")"
		done
		fail "exactly-once check failed"
	fi
	if [ "$1" != -k ]; then
		ce_left=$(count_entries "$REMOTE/new")
		[ "$ce_left" = 0 ] ||
			fail "remote new/ still holds $ce_left entries, want none"
	fi
}

# check_once_somewhere: every message in $T/orig is exactly once either
# local (new/ or cur/) or still in the remote new/, never in both, and
# nothing else is there: the state a clean stop (or a failed message)
# leaves.
check_once_somewhere()
{
	_hashes "$T/orig" >"$T/.h.orig"
	_hashes "$LOCAL/new" "$LOCAL/cur" "$REMOTE/new" >"$T/.h.both"
	_hashes "$LOCAL/new" "$LOCAL/cur" >"$T/.h.local"
	_hashes "$REMOTE/new" >"$T/.h.remote"
	co_missing=$(comm -23 "$T/.h.orig" "$T/.h.both" | wc -l)
	co_extra=$(comm -13 "$T/.h.orig" "$T/.h.both" | wc -l)
	if [ "$co_missing" != 0 ] || [ "$co_extra" != 0 ]; then
		comm -13 "$T/.h.orig" "$T/.h.both" | head -n 3 | while read -r h; do
			echo "  twice: local $(_name_of "$h" "$LOCAL/new" "$LOCAL/cur")" \
			    "remote $(_name_of "$h" "$REMOTE/new")"
		done
		fail "$co_missing messages lost, $co_extra both local and remote (or duplicated)"
	fi
}

# _name_of HASH DIR...: the files in DIRs with that content (for messages).
_name_of()
{
	no_h=$1
	shift
	for no_d; do
		find "$no_d" -mindepth 1 -maxdepth 1 -type f -print0 2>/dev/null |
			xargs -0 -r sha256sum
	done | grep "^\\\\\\?$no_h" | sed 's/^[^ ]*  //' | tr '\n' ' '
}

# check_tmp_empty: syncmail left nothing in the local tmp/.
check_tmp_empty()
{
	ct_n=$(count_entries "$LOCAL/tmp")
	[ "$ct_n" = 0 ] || fail "local tmp/ holds $ct_n entries after a clean run:" \
	    "$(ls -A "$LOCAL/tmp" | head -n 5 | tr '\n' ' ')"
}

# run_syncmail ARGS...: runs syncmail -c $CONF ARGS with stdin /dev/null;
# stdout, stderr and status go to $T/out, $T/err and $RC.  The run is
# bounded by $RUN_TIMEOUT seconds (status 124 then).  HOME is an empty
# directory and no agent is offered, so the machine's ~/.ssh stays out.
run_syncmail()
{
	env -u SSH_AUTH_SOCK HOME="$T/home" \
	    timeout -k 5 "$RUN_TIMEOUT" "$SYNCMAIL" -c "$CONF" "$@" \
	    </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" != 124 ] && [ "$RC" != 137 ] ||
		fail "syncmail $* did not finish within $RUN_TIMEOUT s (status $RC)"
}

# run_syncmail_raw ARGS...: as run_syncmail, without the time bound and
# without judging the status (a test that expects death by a signal).
run_syncmail_raw()
{
	env -u SSH_AUTH_SOCK HOME="$T/home" "$SYNCMAIL" -c "$CONF" "$@" \
	    </dev/null >"$T/out" 2>"$T/err"
	RC=$?
}

# start_syncmail ARGS...: starts syncmail in the background; BG_PID is its
# PID (the syncmail process itself), its output goes to $BG_OUT, $BG_ERR.
BG_N=0
start_syncmail()
{
	BG_N=$((BG_N + 1))
	BG_OUT=$T/bg$BG_N.out
	BG_ERR=$T/bg$BG_N.err
	env -u SSH_AUTH_SOCK HOME="$T/home" "$SYNCMAIL" -c "$CONF" "$@" \
	    </dev/null >"$BG_OUT" 2>"$BG_ERR" &
	BG_PID=$!
	track_pid "$BG_PID" "$(basename "$SYNCMAIL" | cut -c1-15)"
}

# rand N: a random integer in [0, N).
rand()
{
	echo $(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1 ))
}

# now_ms: wall clock in milliseconds.
now_ms()
{
	echo $(( $(date +%s%N) / 1000000 ))
}

# sleep_ms N
sleep_ms()
{
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# wait_for_files DIR N SECS: true once DIR holds at least N regular files.
wait_for_files()
{
	wf_n=$(($3 * 100))
	while [ "$(count_files "$1")" -lt "$2" ]; do
		[ "$wf_n" -gt 0 ] || return 1
		sleep 0.01
		wf_n=$((wf_n - 1))
	done
}

# start_sshd_subsystem CMD: a second sshd, configured as start_sshd's (same
# host key, user and keys) but on its own port and with "Subsystem sftp
# CMD", for a test that replaces the SFTP server (tests/hostile).  CMD
# runs as $TEST_USER through its shell.  Sets SUB_PORT, adds the host key
# for that port to known_hosts; use_port points $CONF at it.
start_sshd_subsystem()
{
	[ -f "$T/sshd_config" ] || fail "start_sshd_subsystem: no sshd_config (call setup first)"
	for sb_try in 1 2 3; do
		SUB_PORT=$(free_port) || fail "no free port"
		sed -e "s|^Port .*|Port $SUB_PORT|" \
		    -e "s|^PidFile .*|PidFile $T/sshd-sub.pid|" \
		    -e "s|^Subsystem sftp .*|Subsystem sftp $1|" \
		    "$T/sshd_config" >"$T/sshd_sub_config"
		if launch_daemon "$SUB_PORT" "$T/sshd-sub.log" sshd \
		    /usr/sbin/sshd -D -e -f "$T/sshd_sub_config"; then
			SUB_SSHD_PID=$DAEMON_PID
			echo "[127.0.0.1]:$SUB_PORT $(cut -d' ' -f1,2 "$T/ssh_host_ed25519_key.pub")" \
			    >>"$T/known_hosts"
			return 0
		fi
	done
	cat "$T/sshd-sub.log"
	fail "sshd with subsystem $1 did not start"
}

# use_port PORT: the account in $CONF connects to 127.0.0.1:PORT.
use_port()
{
	sed -i "s/^\tport .*/\tport $1/" "$CONF" || fail "use_port $1"
}

# snapshot_outside FILE: every entry under $T except the local Maildir
# itself (syncmail may create it), its tmp/, new/, cur/ and syncmail's own
# files in it, the remote tree and the
# test's bookkeeping, with type, size, mtime (not of directories: a test
# writes its own files in $T) and mode, into FILE.  Two
# snapshots that differ mean syncmail wrote outside its Maildir.
snapshot_outside()
{
	find "$T" \( -path "$LOCAL/tmp" -o -path "$LOCAL/new" -o \
	    -path "$LOCAL/cur" -o -path "$T/remote" -o -path "$T/orig" -o \
	    -path "$T/gone" -o -path "$LOCAL/syncmail-*" \) -prune -o \
	    \( -path "$T/.*" -o -path "$T/*.log" -o -path "$T/out" -o \
	    -path "$T/err" -o -path "$T/last" -o -path "$T/snap.*" -o \
	    -path "$T/bg*" -o -path "$T/*.mode" -o -path "$T/err.*" \) -prune -o \
	    -path "$LOCAL" -o \
	    \( -type d -printf '%P|d|%m\n' \) -o \
	    -printf '%P|%y|%s|%T@|%m\n' | sort >"$1"
}

# check_outside_unchanged BEFORE: compares a new snapshot_outside with BEFORE.
check_outside_unchanged()
{
	snapshot_outside "$T/snap.after"
	if ! cmp -s "$1" "$T/snap.after"; then
		diff "$1" "$T/snap.after" | head -n 6 | sed 's/^/  /'
		fail "something outside the local Maildir changed"
	fi
}

# check_no_partial: every file in the local new/ and cur/ is byte for byte
# one of the originals ($T/orig), none twice, nothing but regular files;
# and every original not delivered is still in the remote new/ (nothing
# was deleted that was not delivered).  Unlike check_once_somewhere, a
# delivered message may still be on the server too (a run that failed
# before or at its remote delete).
check_no_partial()
{
	[ -z "$(find "$LOCAL/new" "$LOCAL/cur" -mindepth 1 ! -type f | head -n 1)" ] ||
		fail "the local new/ or cur/ holds something else than files:" \
		    "$(find "$LOCAL/new" "$LOCAL/cur" -mindepth 1 ! -type f | head -n 3)"
	_hashes "$T/orig" >"$T/.h.orig"
	_hashes "$LOCAL/new" "$LOCAL/cur" >"$T/.h.local"
	_hashes "$REMOTE/new" >"$T/.h.remote"
	cp_bad=$(comm -13 "$T/.h.orig" "$T/.h.local" | head -n 1)
	[ -z "$cp_bad" ] || fail "a local file is no original message" \
	    "(partial, oversized or invented): $(_name_of "$cp_bad" "$LOCAL/new" "$LOCAL/cur")"
	cp_dup=$(uniq -d "$T/.h.local" | head -n 1)
	[ -z "$cp_dup" ] || fail "delivered twice: $(_name_of "$cp_dup" "$LOCAL/new" "$LOCAL/cur")"
	cp_lost=$(comm -23 "$T/.h.orig" "$T/.h.local" | comm -23 - "$T/.h.remote" | head -n 1)
	[ -z "$cp_lost" ] || fail "an original is neither local nor on the server" \
	    "(deleted without delivery): $(_name_of "$cp_lost" "$T/orig")"
}
