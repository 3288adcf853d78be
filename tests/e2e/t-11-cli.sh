#!/bin/sh
# Command line: -h prints usage and exits 0; -V prints the syncmail,
# libssh2 and OpenSSL versions and exits 0; a bad flag exits 64; -n lists
# what would be moved and changes nothing on either side.
. "$(dirname "$0")/lib.sh"
setup

sm()
{
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 30 "$SYNCMAIL" "$@" \
	    </dev/null >"$T/out" 2>"$T/err"
	RC=$?
}

sm -h
assert_rc 0 "syncmail -h"
cat "$T/out" "$T/err" | grep -qi 'usage' || fail "syncmail -h printed no usage"
cat "$T/out" "$T/err" | grep -q -- '-c' || fail "syncmail -h does not mention -c"

sm -V
assert_rc 0 "syncmail -V"
cat "$T/out" "$T/err" >"$T/v"
grep -qi 'syncmail' "$T/v" || fail "syncmail -V does not name syncmail"
grep -qi 'libssh2' "$T/v" || fail "syncmail -V does not name libssh2"
grep -qi 'openssl' "$T/v" || fail "syncmail -V does not name OpenSSL"
v=$(pkg-config --modversion libssh2 2>/dev/null)
[ -z "$v" ] || grep -qF "$v" "$T/v" || fail "syncmail -V lacks the libssh2 version $v: $(cat "$T/v")"
v=$(openssl version 2>/dev/null | cut -d' ' -f2)
[ -z "$v" ] || grep -qF "$v" "$T/v" || fail "syncmail -V lacks the OpenSSL version $v: $(cat "$T/v")"

mkmsgs "$REMOTE/new" 6 small
(cd "$REMOTE/new" && ls -l --time-style=+%s) >"$T/remote.0"
untouched()
{
	(cd "$REMOTE/new" && ls -l --time-style=+%s) >"$T/remote.now"
	cmp -s "$T/remote.0" "$T/remote.now" || fail "$1: the remote new/ changed"
	[ -e "$LOCAL" ] && fail "$1: the local Maildir was created"
	return 0
}

for args in "-Z" "-c" "-j abc" "-q -Z test"; do
	# shellcheck disable=SC2086
	sm $args
	assert_rc 64 "syncmail $args"
	[ -s "$T/err" ] || fail "syncmail $args: nothing on stderr"
	untouched "syncmail $args"
done

run_syncmail -n
assert_rc 0 "syncmail -n"
while read -r name; do
	grep -qF "$name" "$T/out" || fail "syncmail -n does not list $name"
done <"$T/last"
untouched "syncmail -n"
run_syncmail -n -v
assert_rc 0 "syncmail -n -v"
untouched "syncmail -n -v"

# A SIGTERM before any account has started ends the process at once, by
# the signal: here syncmail is stuck opening an ssh config that is a FIFO
# nobody writes to, before the sandbox closes and the accounts start.
mkfifo "$T/fifo_ssh_config"
sed "s|ssh-config none|ssh-config $T/fifo_ssh_config|" "$CONF" >"$T/fifo.conf"
python3 - "$SYNCMAIL" "$T/fifo.conf" "$T/home" <<'PY' >"$T/sig" 2>&1 ||
import os, signal, subprocess, sys, time
env = dict(os.environ, HOME=sys.argv[3])
env.pop("SSH_AUTH_SOCK", None)
p = subprocess.Popen([sys.argv[1], "-c", sys.argv[2]], env=env,
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL)
time.sleep(1)
if p.poll() is not None:
    sys.exit("syncmail did not wait on the FIFO: exit %d" % p.returncode)
start = time.monotonic()
p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=5)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    sys.exit("syncmail still running 5 s after SIGTERM")
if rc != -signal.SIGTERM:
    sys.exit("syncmail ended with %d, want death by SIGTERM" % rc)
print("ended by SIGTERM in %.3f s" % (time.monotonic() - start))
PY
	fail "SIGTERM before any account: $(cat "$T/sig")"

# And the real run afterwards still moves them all.
run_syncmail -q
assert_rc 0 "syncmail after -n"
check_exactly_once
