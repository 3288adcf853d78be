#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Command line: -h and --help print usage with a line per flag and exit
# 0; -V and --version print the syncmail, libssh2 and OpenSSL versions
# and exit 0; a bad flag exits 64; with no config file the first run's
# error names both default files, the man page and the example (78);
# $XDG_CONFIG_HOME/syncmail/config and ~/.config/syncmail/config are read;
# -n lists what would be moved and changes nothing on either side.
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

# --help is -h; every flag has its line.
sm --help
assert_rc 0 "syncmail --help"
for f in -c -h -j -n -q -v -V -w; do
	grep -q -- "^  $f " "$T/out" || fail "syncmail --help has no line for $f"
done
[ -s "$T/err" ] && fail "syncmail --help wrote on stderr"
sm --version
assert_rc 0 "syncmail --version"
grep -qi 'libssh2' "$T/out" || fail "syncmail --version does not name libssh2"

# The first run: no config anywhere.  The error names both default
# files, the man page and the example, and nothing is attempted (78).
mkdir -p "$T/newhome"
env -u SSH_AUTH_SOCK -u XDG_CONFIG_HOME HOME="$T/newhome" timeout 30 \
    "$SYNCMAIL" </dev/null >"$T/out" 2>"$T/err"
RC=$?
assert_rc 78 "syncmail with no config"
for w in "$T/newhome/.config/syncmail/config" "$T/newhome/.syncmail.conf" \
    "syncmail.conf(5)" "syncmail.conf.example"; do
	grep -qF "$w" "$T/err" || fail "the no-config error does not name $w"
done
# $XDG_CONFIG_HOME/syncmail/config is read when it exists (here a config
# whose account has an unknown keyword: its error names that file).
mkdir -p "$T/xdg/syncmail"
printf 'account x\n\thots example.org\n' >"$T/xdg/syncmail/config"
env -u SSH_AUTH_SOCK HOME="$T/newhome" XDG_CONFIG_HOME="$T/xdg" timeout 30 \
    "$SYNCMAIL" </dev/null >"$T/out" 2>"$T/err"
RC=$?
assert_rc 78 "syncmail with a broken XDG config"
grep -qF "$T/xdg/syncmail/config:2:" "$T/err" ||
	fail "the XDG config was not read: $(cat "$T/err")"
# Without XDG_CONFIG_HOME, ~/.config/syncmail/config.
mkdir -p "$T/newhome/.config/syncmail"
cp "$T/xdg/syncmail/config" "$T/newhome/.config/syncmail/config"
env -u SSH_AUTH_SOCK -u XDG_CONFIG_HOME HOME="$T/newhome" timeout 30 \
    "$SYNCMAIL" </dev/null >"$T/out" 2>"$T/err"
RC=$?
assert_rc 78 "syncmail with a broken ~/.config/syncmail/config"
grep -qF "$T/newhome/.config/syncmail/config:2:" "$T/err" ||
	fail "~/.config/syncmail/config was not read: $(cat "$T/err")"

# make install puts the example where the first run's error says.
make -s -C "$ROOT" install DESTDIR="$T/inst" PREFIX=/usr/local \
    >"$T/make.out" 2>&1 || fail "make install: $(tail -n 3 "$T/make.out")"
cmp -s "$ROOT/syncmail.conf.example" \
    "$T/inst/usr/local/share/examples/syncmail/syncmail.conf.example" ||
	fail "make install did not install the example config"
[ -x "$T/inst/usr/local/bin/syncmail" ] || fail "make install: no program"

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
# The totals: the 6 messages and the sum of their sizes.
bytes=$(cat "$REMOTE"/new/* | wc -c)
grep -qF "/new: in all 6 to move ($bytes bytes), 0 to delete, 0 already here, 0 left on the server" "$T/out" ||
	fail "syncmail -n gives no totals for 6 messages of $bytes bytes: $(tail -n 1 "$T/out")"
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
