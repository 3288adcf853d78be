#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A route to discard (SPEC 8): the monitoring system's messages are
# deleted on the server and never delivered, each logged with its
# SHA-256 (checked against sha256sum of the original); -n says which
# would be discarded and deletes nothing; the others are delivered as
# usual.  With keep yes a discarded message stays on the server and the
# record remembers it: the next run neither delivers nor logs it again.
# "discard" as a pull's DEST, a route before any pull, an invalid regex
# and a %N beyond the regex's groups are config errors (78) naming the
# line, before anything is attempted.
. "$(dirname "$0")/lib.sh"
setup

ROUTES="$ROOT/tests/e2e/routes.py"
LOG=$T/logs/mail.log
mkdir -p "$T/logs"
conf_add log "$LOG"
conf_add route Sender "\"nagios@monitor\\.example\\.com\"" discard

python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" nagios 40 ||
	fail "routes.py nagios"
ndiscard=$(grep -c "	discard\$" "$T/expect")
assert_eq "$ndiscard" 20 "messages to discard"

run_syncmail -n
assert_rc 0 "dry run"
assert_eq "$(grep -c "would discard $REMOTE/new/" "$T/out")" 20 "-n discard lines"
assert_eq "$(grep -c "would move $REMOTE/new/" "$T/out")" 20 "-n move lines"
assert_eq "$(count_files "$REMOTE/new")" 40 "remote messages after -n"
[ ! -e "$LOG" ] || fail "a dry run wrote the log"

run_syncmail -q
assert_rc 0 "run with a discard route"
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after the run"
assert_eq "$(count_files "$LOCAL/new")" 20 "delivered messages"
while IFS="$(printf '\t')" read -r name where; do
	sum=$(sha256sum <"$T/orig/$name" | cut -c1-64)
	size=$(stat -c %s "$T/orig/$name")
	if [ "$where" = discard ]; then
		[ ! -e "$LOCAL/new/$name" ] || fail "$name was delivered, not discarded"
		grep -qF "test: discarded $REMOTE/new/$name to discard, $size bytes, sha256 $sum" "$LOG" ||
			fail "no log line for the discarded $name with sha256 $sum"
		forget_orig "$name"
	else
		grep -qF "test: moved $REMOTE/new/$name to $LOCAL/new/$name, $size bytes, sha256 $sum" "$LOG" ||
			fail "no log line for $name"
	fi
done <"$T/expect"
# The discarded bytes are nowhere local; the rest exactly once.
check_exactly_once
check_tmp_empty
assert_eq "$(grep -c ': test: discarded ' "$LOG")" 20 "discard lines in the log"

# keep yes: discarded, left on the server, and remembered.
conf_add keep yes
: >"$T/expect"
python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" nagios 6 ||
	fail "routes.py nagios"
run_syncmail -q
assert_rc 0 "keep run"
assert_eq "$(count_files "$REMOTE/new")" 6 "remote messages with keep"
assert_eq "$(grep -c ': test: discarded ' "$LOG")" 23 "discard lines after the keep run"
run_syncmail -q
assert_rc 0 "second keep run"
assert_eq "$(grep -c ': test: discarded ' "$LOG")" 23 "discard lines after a second keep run"
assert_eq "$(grep -c ': test: copied ' "$LOG")" 3 "copied lines after two keep runs"
while IFS="$(printf '\t')" read -r name where; do
	[ "$where" = discard ] || continue
	[ ! -e "$LOCAL/new/$name" ] || fail "with keep, $name was delivered"
	forget_orig "$name"
done <"$T/expect"
check_exactly_once -k

# Config errors: 78, the line named, nothing moved (the pull before the
# bad line is valid: had the line been ignored, the message would move).
bad()
{
	write_config
	printf '%b\n' "$1" >>"$CONF"
	line=$(wc -l <"$CONF")
	run_syncmail -q
	assert_rc 78 "$2"
	grep -q "syncmail.conf:$line: " "$T/err" ||
		fail "$2: the error does not name line $line: $(cat "$T/err")"
	grep -q "$3" "$T/err" || fail "$2: the error does not say \"$3\": $(cat "$T/err")"
	assert_eq "$(count_files "$REMOTE/new")" "$remote" "remote messages after $2"
}
mkmsgs "$REMOTE/new" 1
remote=$(count_files "$REMOTE/new")
bad "\tpull $REMOTE/x discard" "discard as a pull's DEST" "a route's destination"
sed -i '/pull /d' "$CONF"
printf '\troute Subject x %s\n' "$LOCAL" >>"$CONF"
run_syncmail -q
assert_rc 78 "a route before any pull"
grep -q 'must follow a "pull" line' "$T/err" || fail "route before pull: $(cat "$T/err")"
bad "\troute Subject \"a(b\" $LOCAL" "an invalid regex" "invalid regex"
bad "\troute Subject \"(a)(b)\" $T/local/%3" "%3 with two groups" "captures 2 groups"
bad "\troute Subject x $T/local/%x" "an unknown %-token" "only %1 to %9"
bad "\troute Subject x discard extra" "a value after discard" "takes no value"
bad "\troute Sub:ject x $LOCAL" "a field name with a colon" "not a header field name"
bad "\tpull $REMOTE/x attachments" "attachments without DIR" "takes DIR and perhaps MAILDIR"
bad "\tattachment-types pdf" "a type without a subtype" "not a type/subtype pattern"
note "20 of 40 discarded with their SHA-256 logged, 3 kept and remembered, 9 config errors at 78 with nothing moved"
