#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A pull's filter and quarantine (SPEC 8): a filter built on sed that
# strips a word from some messages, tags others with a header that a
# route then sends to another Maildir, and leaves the rest alone.  The
# ones it changes: the original in the quarantine and the filtered form
# at the destination, both byte for byte; the ones it leaves alone:
# delivered as they came, nothing in the quarantine.  A filtered message
# that a route pipes or discards.  A filter that exits 75 (stays, status
# 75), 1 (its stderr quoted), reads short, hangs past command-timeout,
# writes nothing, or writes more than 4 times the size and 1 MiB: the
# original goes to the quarantine alone and leaves the server (status
# 1).  -n runs no filter and says so; the log names the quarantine; the
# environment is pipe's.  Without a quarantine: the original of a
# changed message goes nowhere, a failed one stays on the server, and a
# timed-out one's next attempt has SYNCMAIL_REDELIVERY=1.  keep yes:
# nothing fetched or quarantined twice.  Under valgrind, leak-free.
. "$(dirname "$0")/lib.sh"
setup

ROUTES="$ROOT/tests/e2e/routes.py"
LOG=$T/mail.log
Q=$T/local/quarantine
SPAM=$T/local/spam
mkdir -p "$T/piped"
# The filter: by the message's name (routes.py puts the subject's first
# word in it), sed over the whole message, or a failure.
cat >"$T/filter.sh" <<EOF
#!/bin/sh
echo "\$SYNCMAIL_NAME \$SYNCMAIL_REDELIVERY" >>"$T/filter.log"
env | grep '^SYNCMAIL_' | sort >"$T/env.\$SYNCMAIL_NAME"
case \$SYNCMAIL_NAME in
*.short*) head -c 100; exit 0 ;;
*.hang*) exec sleep 60 ;;
esac
msg=\$(mktemp "$T/msg.XXXXXX")
cat >"\$msg"
case \$SYNCMAIL_NAME in
*.t75*) rm -f "\$msg"; exit 75 ;;
*.t1*) rm -f "\$msg"; echo "scanner on fire" >&2; exit 1 ;;
*.empty*) rm -f "\$msg"; exit 0 ;;
*.big*) rm -f "\$msg"; head -c 2000000 /dev/zero | tr '\0' x; exit 0 ;;
*.spam*) sed '1i X-Spam: yes' "\$msg" ;;
*) sed 's/EVIL/[removed]/g' "\$msg" ;;
esac
rc=\$?
rm -f "\$msg"
exit \$rc
EOF
chmod 755 "$T/filter.sh"
# What each kind of message must become, from its original.
want() {
	case $1 in
	*.spam*) sed '1i X-Spam: yes' ;;
	*) sed 's/EVIL/[removed]/g' ;;
	esac
}

conf_add log "$LOG"
conf_add command-timeout 2
conf_add filter "$T/filter.sh"
conf_add quarantine "$Q"
conf_add route X-Spam "^yes$" "$SPAM"
conf_add route Subject "^topipe" pipe "\"cat >$T/piped/\$SYNCMAIL_NAME\""
conf_add route Subject "^todiscard" discard

gen() { python3 "$ROUTES" "$T" "$REMOTE/new" "$TEST_USER" subject "$@" || fail "routes.py"; }
names() { awk -F '\t' -v s="$1" '$2 == s { print $1 }' "$T/expect"; }
sum() { sha256sum <"$1" | cut -c1-64; }
gen "dirty EVIL" 3 3000
gen plain 3 2000
gen "spam EVIL" 2 1000
gen "topipe EVIL" 1 500
gen "todiscard EVIL" 1 500
for k in t75 t1 empty big hang; do gen "$k" 1 100; done
gen short 1 200000

# -n: no filter runs; each line says the destination is the unfiltered one.
run_syncmail -n
assert_rc 0 "dry run"
[ ! -e "$T/filter.log" ] || fail "-n ran the filter"
[ ! -d "$SPAM" ] || fail "-n made the route's Maildir"
assert_eq "$(grep -c '(unfiltered: -n runs no filter)$' "$T/out")" 16 "-n lines that say so"
n=$(names "spam EVIL" | head -n 1)
grep -q "would move $REMOTE/new/$n ([0-9]* bytes) to $LOCAL/new (unfiltered" "$T/out" ||
	fail "-n does not show the unfiltered destination of $n: $(grep -F "$n" "$T/out")"

run_syncmail -q
assert_rc 1 "the run with failing filters"
# Changed: the original in the quarantine, the filtered at its place.
for kind in "dirty EVIL" "spam EVIL" "topipe EVIL" "todiscard EVIL"; do
	for n in $(names "$kind"); do
		[ ! -e "$REMOTE/new/$n" ] || fail "$kind: $n left on the server"
		_hashes "$Q/new" | grep -qx "$(sum "$T/orig/$n")" ||
			fail "$kind: the original of $n is not in the quarantine"
		want "$n" <"$T/orig/$n" >"$T/want.$n"
		cmp -s "$T/orig/$n" "$T/want.$n" && fail "the test's sed did not change $n"
		case $kind in
		dirty*) dir=$LOCAL/new ;;
		spam*) dir=$SPAM/new ;;
		topipe*) dir=$T/piped ;;
		todiscard*) dir= ;;
		esac
		[ -z "$dir" ] && continue
		_hashes "$dir" | grep -qx "$(sum "$T/want.$n")" ||
			fail "$kind: the filtered $n is not in $dir, byte for byte"
	done
done
assert_eq "$(count_files "$SPAM/new")" 2 "messages the route sent by the filter's header"
assert_eq "$(count_files "$T/piped")" 1 "filtered messages piped"
# Unchanged: delivered as they came; their originals are not quarantined.
for n in $(names plain); do
	_hashes "$LOCAL/new" | grep -qx "$(sum "$T/orig/$n")" || fail "plain $n not delivered as it came"
	_hashes "$Q/new" | grep -qx "$(sum "$T/orig/$n")" && fail "plain $n was quarantined"
done
assert_eq "$(count_files "$LOCAL/new")" 6 "messages in the pull's Maildir (3 filtered, 3 unchanged)"
# Failures: the original alone in the quarantine, gone from the server.
for k in t1 empty big hang short; do
	n=$(names "$k")
	[ ! -e "$REMOTE/new/$n" ] || fail "$k: $n stayed on the server"
	_hashes "$Q/new" | grep -qx "$(sum "$T/orig/$n")" || fail "$k: the original of $n is not in the quarantine"
	grep -qF "$REMOTE/new/$n: filter \"$T/filter.sh\" " "$T/err" || fail "$k: no warning for $n"
done
assert_eq "$(count_files "$Q/new")" 12 "originals in the quarantine (7 changed, 5 failed)"
grep -q "exited with status 1: scanner on fire; the original goes to the quarantine $Q" "$T/err" ||
	fail "the failing filter's warning: $(cat "$T/err")"
grep -q "exited with status 0 and no output" "$T/err" || fail "no warning for empty output"
grep -q "wrote more than its output limit" "$T/err" || fail "no warning for output over the bound"
grep -q "ran past its timeout of 2 s" "$T/err" || fail "no warning for the hang"
grep -q "bytes of the message unread" "$T/err" || fail "no warning for the short read"
# Exit 75: on the server, untouched, nowhere else.
n=$(names t75)
[ -f "$REMOTE/new/$n" ] || fail "t75: $n is gone from the server"
grep -qF "$REMOTE/new/$n: filter \"$T/filter.sh\" exited with status 75; it stays on the server" "$T/err" ||
	fail "no warning for exit 75: $(cat "$T/err")"
_hashes "$Q/new" "$LOCAL/new" | grep -qx "$(sum "$T/orig/$n")" && fail "t75: $n delivered somewhere"
# The environment, as a pipe's.
n=$(names plain | head -n 1)
for want in "SYNCMAIL_ACCOUNT=test" "SYNCMAIL_HOST=127.0.0.1" \
    "SYNCMAIL_REMOTE=$REMOTE/new/$n" "SYNCMAIL_NAME=$n" \
    "SYNCMAIL_SIZE=$(stat -c %s "$T/orig/$n")" "SYNCMAIL_REDELIVERY=0"; do
	grep -qxF "$want" "$T/env.$n" || fail "no $want in: $(cat "$T/env.$n")"
done
n=$(names "dirty EVIL" | head -n 1)
grep -qF "test: quarantined $REMOTE/new/$n to $Q/new/$n, " "$LOG" ||
	fail "the log does not name the quarantine: $(grep -F "$n" "$LOG")"
check_tmp_empty
[ -z "$(ls "$T" | grep '^msg\.')" ] || fail "the filter left its temporary files"
# Each message through the filter once (t75 included).
assert_eq "$(wc -l <"$T/filter.log")" 16 "filter runs"

# Only 75 left: status 75, and it stays.
run_syncmail -q
assert_rc 75 "only exit 75 left"
assert_eq "$(count_files "$REMOTE/new")" 1 "messages on the server"

# ---- without a quarantine: a changed message's original goes nowhere, a
# failed one stays, and the attempt after a timeout is flagged.
rm -f "$REMOTE/new/"*
write_config
conf_add command-timeout 2
conf_add filter "$T/filter.sh"
: >"$T/expect"
: >"$T/filter.log"
rm -rf "$Q"
gen "dirty2 EVIL" 2 700
gen t1b 1 100
gen hang2 1 100
run_syncmail -q
assert_rc 1 "without a quarantine"
[ ! -e "$Q" ] || fail "a quarantine was made without a quarantine line"
for n in $(names "dirty2 EVIL"); do
	want "$n" <"$T/orig/$n" >"$T/want.$n"
	_hashes "$LOCAL/new" | grep -qx "$(sum "$T/want.$n")" || fail "the filtered $n is not delivered"
	_hashes "$LOCAL/new" | grep -qx "$(sum "$T/orig/$n")" && fail "the original of $n is delivered too"
	[ ! -e "$REMOTE/new/$n" ] || fail "$n left on the server"
done
for k in t1b hang2; do
	n=$(names "$k")
	[ -f "$REMOTE/new/$n" ] || fail "$k: $n left the server without a quarantine"
done
grep -q "scanner on fire; it stays on the server" "$T/err" || fail "no warning for t1b: $(cat "$T/err")"
check_tmp_empty
# The hang's next attempt may have seen the message: flagged.
sed -i 's|\*\.hang\*) exec sleep 60 ;;|*.hang*) cat ;;|' "$T/filter.sh"
n=$(names hang2)
run_syncmail -q
assert_rc 1 "t1b still failing"
grep -qxF "$n 1" "$T/filter.log" || fail "after a timeout the next attempt is not flagged: $(cat "$T/filter.log")"
_hashes "$LOCAL/new" | grep -qx "$(sum "$T/orig/$n")" || fail "the retried $n is not delivered"
n=$(names t1b)
assert_eq "$(grep -c "^$n 0\$" "$T/filter.log")" 2 "attempts of t1b, both unflagged"

# ---- keep yes: nothing fetched, filtered or quarantined twice.
rm -f "$REMOTE/new/"*
write_config
conf_add keep yes
conf_add filter "$T/filter.sh"
conf_add quarantine "$Q"
: >"$T/expect"
: >"$T/filter.log"
gen "kept EVIL" 3 800
gen keptplain 2 800
run_syncmail -q
assert_rc 0 "keep yes"
run_syncmail -q
assert_rc 0 "keep yes, again"
assert_eq "$(wc -l <"$T/filter.log")" 5 "filter runs over two runs with keep"
assert_eq "$(count_files "$Q/new")" 3 "originals quarantined with keep"
assert_eq "$(count_files "$REMOTE/new")" 5 "messages kept on the server"
for n in $(names "kept EVIL"); do
	want "$n" <"$T/orig/$n" >"$T/want.$n"
	assert_eq "$(_hashes "$LOCAL/new" | grep -cx "$(sum "$T/want.$n")")" 1 "copies of the filtered $n"
done

# Under valgrind (the normal build): a filter that changes, one that
# keeps and one that fails, with a quarantine, leak-free.
case $(basename "$SYNCMAIL") in
*asan*) ;;
*)
	command -v valgrind >/dev/null || fail "valgrind is not installed (tests/deps.sh)"
	rm -f "$REMOTE/new/"*
	write_config
	conf_add log "$LOG"
	conf_add filter "$T/filter.sh"
	conf_add quarantine "$Q"
	conf_add route X-Spam "^yes$" "$SPAM"
	: >"$T/expect"
	gen "vg EVIL" 2 700
	gen vgplain 1 700
	gen spamvg 1 700
	gen t1vg 1 100
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 120 valgrind -q \
	    --error-exitcode=99 --leak-check=full \
	    --show-leak-kinds=definite,indirect,possible "$SYNCMAIL" -q \
	    -c "$CONF" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	grep -v '^--[0-9]*-- \|^syncmail: ' "$T/err" | grep -q . &&
		fail "valgrind: $(grep -v '^syncmail: ' "$T/err" | head -n 20)"
	assert_rc 1 "the filter under valgrind"
	assert_eq "$(count_files "$REMOTE/new")" 0 "messages left on the server under valgrind"
	;;
esac
note "sed filter: changed, unchanged, routed by its header, piped, discarded; 75, 1, short read, timeout, empty, over the bound; without a quarantine; keep"
