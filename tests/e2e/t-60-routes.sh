#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Routes (SPEC 8): 300 messages of 5 mailing lists, their List-Id fields
# written as mailers write them (routes.py: display names plain, quoted
# and RFC 2047 encoded, the whole value encoded, folded with CRLF and LF,
# the field name in any case, a second List-Id), and 50 without one
# (lookalikes in other fields).  -n names each message's folder and
# makes nothing; the run puts each list's messages in lists/<capture>,
# the rest in the pull's Maildir, each exactly once, none left on the
# server; -v names the folder of each.  A second run moves nothing.
# Captures holding "/", "..", a backslash, a control byte, a leading dot,
# nothing, or 300 bytes land in safely named folders inside lists/, and
# nothing is made outside it.  Then a crash sweep: killed at each crash
# point (util/fault.h) while messages go to three Maildirs, a clean run
# leaves each exactly once across them all.
. "$(dirname "$0")/lib.sh"
setup

LISTS=$T/local/lists
ROUTES="$ROOT/tests/e2e/routes.py"
conf_add route List-Id "\"<([^>]*)\\.lists\\.example\\.org>\"" "$LISTS/%1"

# check_routed: each message of $T/expect is exactly once in the Maildir
# its List-Id names (new/ or cur/), and in no other; every local file is
# one of them.  One pass over the files (a shell loop of a find and a
# hash per message took minutes on a busy machine).
check_routed()
{
	/usr/bin/python3 - "$T" "$LOCAL" "$LISTS" <<'PY' ||
import hashlib, os, sys
T, local, lists = sys.argv[1:4]
def sha(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
found = {}
for root, dirs, files in os.walk(os.path.join(T, "local")):
    if os.path.basename(root) in ("new", "cur"):
        for f in files:
            p = os.path.join(root, f)
            found.setdefault(sha(p), []).append(os.path.dirname(root))
n = 0
for line in open(os.path.join(T, "expect")):
    name, where = line.rstrip("\n").split("\t")
    d = local if where == "-" else os.path.join(lists, where)
    got = found.get(sha(os.path.join(T, "orig", name)), [])
    if got.count(d) != 1:
        sys.exit("%s: %d copies in %s, want 1" % (name, got.count(d), d))
    n += 1
total = sum(len(v) for v in found.values())
if total != n:
    sys.exit("local messages in all Maildirs: got %d, want %d" % (total, n))
PY
		fail "check_routed failed (above)"
}

python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" lists 60 50 ||
	fail "routes.py lists"
total=$(wc -l <"$T/expect")
assert_eq "$total" 350 "messages written"

# -n: each message's folder, nothing made.
run_syncmail -n
assert_rc 0 "dry run with routes"
[ ! -e "$LISTS/dev" ] || fail "-n created a route's Maildir"
/usr/bin/python3 - "$T" "$REMOTE" "$LOCAL" "$LISTS" <<'PY' ||
import os, sys
T, remote, local, lists = sys.argv[1:5]
out = open(os.path.join(T, "out"), errors="replace").read().splitlines()
for line in open(os.path.join(T, "expect")):
    name, where = line.rstrip("\n").split("\t")
    d = local if where == "-" else os.path.join(lists, where)
    said = [l for l in out if "would move %s/new/%s (" % (remote, name) in l]
    if not said:
        sys.exit("-n does not list %s" % name)
    if not any("to %s/new" % d in l for l in said):
        sys.exit("-n sends %s elsewhere than %s: %s" % (name, d, said))
PY
	fail "-n: not each message's folder (above)"
assert_eq "$(count_files "$REMOTE/new")" 350 "remote messages after -n"

run_syncmail -v
assert_rc 0 "run with routes"
check_routed
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after the run"
for l in dev announce users Help-Desk k8s.ops; do
	assert_eq "$(count_files "$LISTS/$l/new")" 60 "messages in lists/$l"
	[ "$(stat -c %a "$LISTS/$l")" = 700 ] || fail "lists/$l is not mode 0700"
done
assert_eq "$(count_files "$LOCAL/new")" 50 "messages without List-Id in the inbox"
assert_eq "$(find "$LISTS" -mindepth 1 -maxdepth 1 | wc -l)" 5 "folders in lists/"
name=$(awk -F '\t' '$2 == "users" { print $1; exit }' "$T/expect")
grep -qF "moved $name (" "$T/out" || fail "-v does not name $name"
grep -F "moved $name (" "$T/out" | grep -qF "to $LISTS/users/new" ||
	fail "-v does not name the folder of $name: $(grep -F "$name" "$T/out")"
check_tmp_empty

# A message read by the user (moved to cur/) and a run with nothing to do.
f=$(ls "$LISTS/dev/new" | head -n 1)
mv "$LISTS/dev/new/$f" "$LISTS/dev/cur/$f:2,S"
run_syncmail -q
assert_rc 0 "second run"
check_routed
assert_quiet "second run"

# Hostile captures: safely named folders inside lists/, nothing outside.
find "$T" -mindepth 1 -maxdepth 3 -type d | sort >"$T/dirs.before"
python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" hostile ||
	fail "routes.py hostile"
run_syncmail -q
assert_rc 0 "run with hostile captures"
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after hostile captures"
find "$T" -mindepth 1 -maxdepth 3 -type d | sort >"$T/dirs.after"
comm -13 "$T/dirs.before" "$T/dirs.after" | while read -r d; do
	case $d in
	"$LISTS"/*) ;;
	*) fail "a capture made a directory outside lists/: $d" ;;
	esac
done
for want in ___.._escape a_b x_y __ _hidden _ back_slash; do
	[ -d "$LISTS/$want/new" ] || fail "no folder lists/$want:" \
	    "$(ls -A "$LISTS" | tr '\n' ' ')"
	assert_eq "$(count_files "$LISTS/$want/new")" 1 "messages in lists/$want"
done
long=$(find "$LISTS" -mindepth 1 -maxdepth 1 -name 'zzz*')
assert_eq "$(basename "$long" | wc -c)" 256 "length of the 300-byte capture's folder (255 and a newline)"
assert_eq "$(count_files "$long/new")" 1 "messages in the long folder"
[ ! -e "$T/local/escape" ] && [ ! -e "$T/escape" ] || fail "a capture escaped"

# Crash sweep: messages to the inbox and two list folders at once.
FAULTY=$ROOT/syncmail/syncmail-asan
[ -x "$FAULTY" ] || fail "no $FAULTY with crash points (make syncmail/syncmail-asan)"
rounds=0
for point in tmp-synced recorded renamed new-synced tmp-resynced \
    remove-sent remove-answered dropped; do
	: >"$T/expect.round"
	mv "$T/expect" "$T/expect.all"
	python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" lists 4 6 "$((100 + rounds))" ||
		fail "routes.py lists"
	cat "$T/expect" >>"$T/expect.all"
	env -u SSH_AUTH_SOCK HOME="$T/home" SYNCMAIL_FAULT="$point:1" \
	    ASAN_OPTIONS=exitcode=86:detect_leaks=0 \
	    timeout -k 5 60 "$FAULTY" -q -c "$CONF" \
	    </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 137 ] || fail "$point: syncmail exited $RC, want death by SIGKILL"
	mv "$T/expect.all" "$T/expect"
	run_syncmail -q
	assert_rc 0 "clean run after a kill at $point"
	check_routed
	assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after $point"
	check_tmp_empty
	rounds=$((rounds + 1))
done
note "350 messages routed by List-Id into 5 folders and the inbox, 8 hostile captures in safe folders, $rounds crash points across 3 Maildirs, each exactly once"
