#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# max-size: larger messages stay on the server with a warning (exit 0),
# given once per message (the record remembers it; -v repeats it);
# max-messages: at most that many moved per run, the rest next time.
. "$(dirname "$0")/lib.sh"
setup

mkmsg "$REMOTE/new" 1700000000.M1P1Q1.big 20000
mkmsg "$REMOTE/new" 1700000000.M2P2Q2.limit 10240
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	mkmsg "$REMOTE/new" "17000000$i.M${i}P3Q3.e2ehost" $((i * 700))
done
conf_add max-size 10K
conf_add max-messages 5

# left N: the remote new/ holds N files.
left()
{
	[ "$(count_files "$REMOTE/new")" = "$1" ] ||
		fail "$2: remote new/ holds $(count_files "$REMOTE/new") messages, want $1"
}
run_syncmail -q
assert_rc 0 "first run with max-messages 5"
left 9 "max-messages 5, first run"
check_once_somewhere
grep -q '^syncmail: test: .*1700000000.M1P1Q1.big: .*over max-size' "$T/err" ||
	fail "no warning names the message over max-size"
# The warning is given once (the record remembers it); -v repeats it.
run_syncmail -q
assert_rc 0 "second run"
left 4 "max-messages 5, second run"
grep -q 'M1P1Q1.big' "$T/err" && fail "the max-size warning was repeated: $(cat "$T/err")"
run_syncmail -v
assert_rc 0 "third run"
grep -q 'M1P1Q1.big: .*over max-size; left on the server (said before)' "$T/out" ||
	fail "-v does not repeat the max-size warning: $(cat "$T/out")"
grep -q 'M1P1Q1.big' "$T/err" && fail "the max-size warning was repeated with -v on stderr"
# Everything but the one over max-size has come, 10240 bytes is not over.
left 1 "max-size 10K"
[ -f "$REMOTE/new/1700000000.M1P1Q1.big" ] || fail "the message over max-size was moved"
[ -f "$LOCAL/new/1700000000.M2P2Q2.limit" ] || fail "a message of exactly max-size was not moved"
check_once_somewhere
check_tmp_empty

# max-size none in the account undoes it.
sed -i 's/max-size 10K/max-size none/' "$CONF"
run_syncmail -q
assert_rc 0 "run with max-size none"
check_exactly_once
