#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Basic pull: 500 messages of mixed sizes, among them an empty one and one
# of 20 MB, arrive byte-identical in the local new/ under their names, with
# the remote mtimes and mode 0600; none stay in the remote new/; exit 0.
# -q prints nothing; a plain run with no terminal prints nothing either;
# -v prints one line per moved message.
. "$(dirname "$0")/lib.sh"
setup

mkmsgs "$REMOTE/new" 497
mkmsg "$REMOTE/new" "1690000001.M1P1Q1.e2ehost,S=0" 0
mkmsg "$REMOTE/new" "1690000002.M2P2Q2.e2ehost,S=1" 1
mkmsg "$REMOTE/new" "1690000003.M3P3Q3.e2ehost" 20971520

# A few mtimes set by hand, on the remote copy and the saved original.
set_mtime()
{
	touch -d "$2" "$REMOTE/new/$1" "$T/orig/$1" || fail "touch $1"
}
set_mtime "1690000001.M1P1Q1.e2ehost,S=0" "1999-12-31 23:59:59 UTC"
set_mtime "1690000002.M2P2Q2.e2ehost,S=1" "2030-06-15 12:00:00 UTC"
set_mtime "1690000003.M3P3Q3.e2ehost" "1980-01-02 03:04:05 UTC"
set_mtime "$(sed -n 1p "$T/last")" "2001-09-09 01:46:40 UTC"
n=0
for f in $(ls "$REMOTE/new" | head -n 40); do
	n=$((n + 1))
	set_mtime "$f" "@$((1234567890 + n * 987654))"
done

# listing FILE...: "name mode mtime size" of each regular file, sorted.
listing()
{
	find "$1" -mindepth 1 -maxdepth 1 -type f -printf '%f %m %Ts %s\n' | sort
}
# digests DIR: "name sha256", sorted.
digests()
{
	(cd "$1" && find . -mindepth 1 -maxdepth 1 -type f -print0 |
		xargs -0 -r sha256sum) | sed 's|  \./| |' | sort
}

run_syncmail -q
assert_rc 0 "syncmail -q"
assert_quiet "syncmail -q"

for d in "$LOCAL" "$LOCAL/tmp" "$LOCAL/new" "$LOCAL/cur"; do
	[ -d "$d" ] || fail "$d was not created"
	assert_eq "$(stat -c %a "$d")" 700 "mode of created $d"
done
[ "$(count_files "$LOCAL/new")" = 500 ] ||
	fail "local new/ holds $(count_files "$LOCAL/new") files, want 500"
listing "$T/orig" >"$T/want.list"
listing "$LOCAL/new" >"$T/got.list"
if ! cmp -s "$T/want.list" "$T/got.list"; then
	diff "$T/want.list" "$T/got.list" | head -n 10
	fail "local new/ differs from the originals in names, modes, mtimes or sizes"
fi
digests "$T/orig" >"$T/want.sum"
digests "$LOCAL/new" >"$T/got.sum"
cmp -s "$T/want.sum" "$T/got.sum" || {
	diff "$T/want.sum" "$T/got.sum" | head -n 6
	fail "message contents differ"
}
check_exactly_once
check_tmp_empty
[ "$(count_entries "$LOCAL/cur")" = 0 ] || fail "something was put into local cur/"

# A plain run from cron (no terminal, no -q) moving mail prints nothing.
mkmsgs "$REMOTE/new" 30
run_syncmail
assert_rc 0 "plain syncmail"
assert_quiet "syncmail without -q and without a terminal"
check_exactly_once
check_tmp_empty

# -v: one line per moved message, naming it.
mkmsgs "$REMOTE/new" 20 small
run_syncmail -v
assert_rc 0 "syncmail -v"
[ -s "$T/err" ] && fail "syncmail -v wrote to stderr: $(head -n 1 "$T/err")"
while read -r name; do
	c=$(grep -cF "$name" "$T/out")
	[ "$c" = 1 ] || fail "syncmail -v printed $c lines naming $name, want 1"
done <"$T/last"
check_exactly_once

# Nothing to move: still exit 0, still silent.
run_syncmail
assert_rc 0 "syncmail with nothing to move"
assert_quiet "syncmail with nothing to move"
run_syncmail -q
assert_rc 0 "syncmail -q with nothing to move"
assert_quiet "syncmail -q with nothing to move"
check_exactly_once
