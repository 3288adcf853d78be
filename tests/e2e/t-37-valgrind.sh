#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The normal build under valgrind --leak-check=full: every run below must
# end with no invalid access, no use of an uninitialised value and no
# leak (definite, indirect or possible), or valgrind's own exit status 99
# fails the test.  The sanitizer pass catches most of this already; this
# one sees the program as shipped (-O2, no instrumentation), and what
# libssh2 and OpenSSL do with memory we hand them.
#
# The runs cover the paths that allocate the most: a pull with recovery
# of an earlier run's record (delivered, and never moved), a clash of
# unique names, an empty message and a 3 MB one, logged to a file; a run
# with nothing to do; a dry run; a refused host key; a refused
# connection; a config error.  The sanitizer pass skips this script (valgrind cannot run an
# ASan build).
. "$(dirname "$0")/lib.sh"

case $(basename "$SYNCMAIL") in
*asan*) note "valgrind runs on the normal build only"; exit 0 ;;
esac
command -v valgrind >/dev/null || fail "valgrind is not installed (tests/deps.sh)"
setup

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
RUN_TIMEOUT=240
RUNS=0

# vg_run WANT ARGS...: one run under valgrind, which must exit WANT with
# a clean valgrind log.
vg_run()
{
	want=$1
	shift
	rm -f "$T"/vg.*
	run_syncmail "$@"
	RUNS=$((RUNS + 1))
	# Its reports are "==PID==" lines; "--PID--" ones are its own notes
	# (a system call it does not know, such as Landlock's, fails with
	# ENOSYS under it: the sandbox is then off, as on an old kernel).
	for f in "$T"/vg.*; do
		grep -q '^==[0-9]*==' "$f" 2>/dev/null || continue
		sed -n 1,40p "$f"
		fail "valgrind found errors in run $RUNS (syncmail $*), see above"
	done
	[ "$RC" != 99 ] || fail "valgrind exit 99 in run $RUNS (syncmail $*)"
	assert_rc "$want" "run $RUNS (syncmail $*) under valgrind"
}

TAG=$(printf '%s' "$TEST_USER@127.0.0.1:$PORT:$REMOTE" | sha256sum | cut -c1-16)
STATE=$LOCAL/syncmail-state.$TAG
mkmaildir "$LOCAL"
mkmsgs "$REMOTE/new" 60
mkmsg "$REMOTE/new" "1700000009.M9P9Q9.empty" 0
mkmsg "$REMOTE/new" "1700000009.M9P9Q9.big" 3000000
# Delivered by an earlier run, then deleted by the user: only removed.
mkmsg "$REMOTE/new" "1700000001.M1P1Q1.a" 3000
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.a 3000 "syncmail.$TAG.1.1" >>"$STATE"
forget_orig 1700000001.M1P1Q1.a
# Recorded, never moved: delivered now, once.
mkmsg "$REMOTE/new" "1700000001.M1P1Q1.c" 3000
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.c 3000 "syncmail.$TAG.1.3" >>"$STATE"
cp "$REMOTE/new/1700000001.M1P1Q1.c" "$LOCAL/tmp/syncmail.$TAG.1.3"
# Same unique name, other bytes, already local: a fresh name.
mkmsg "$REMOTE/new" "1700000001.M1P1Q1.g" 3000
printf 'Subject: another message\n\nother bytes\n' \
    >"$LOCAL/cur/1700000001.M1P1Q1.g:2,S"
cp -p "$LOCAL/cur/1700000001.M1P1Q1.g:2,S" "$T/orig/local-g"

conf_add log "$T/mail-log"
vg_run 0 -n
[ "$(count_files "$REMOTE/new")" = 65 ] || fail "the dry run changed the server"
vg_run 0 -v
check_exactly_once
[ "$(count_files "$REMOTE/new")" = 0 ] || fail "messages left on the server"
grep -q '1700000001.M1P1Q1.g' "$T/err" || fail "no warning about the clash"
grep -q 'run ended with status 0' "$T/mail-log" || fail "no run line in the log"
vg_run 0 -v

# A refused host key: a known_hosts line for another key.
cp "$T/known_hosts" "$T/known_hosts.good"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" || fail "ssh-keygen"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/other_key.pub")" >"$T/known_hosts"
mkmsgs "$REMOTE/new" 5
vg_run 77
grep -qi 'host key' "$T/err" || fail "the host key refusal does not say so"
cp "$T/known_hosts.good" "$T/known_hosts"

# A refused connection: a port nobody listens on.
sed "s/^	port .*/	port $(free_port)/" "$CONF" >"$T/conf.closed"
CONF0=$CONF
CONF=$T/conf.closed
vg_run 75
CONF=$CONF0

# A config error.
printf 'account broken\n\tfrobnicate yes\n' >"$T/conf.bad"
CONF=$T/conf.bad
vg_run 78
CONF=$CONF0

# And the messages that waited meanwhile arrive.
vg_run 0
check_exactly_once
note "$RUNS runs under valgrind --leak-check=full, clean"
