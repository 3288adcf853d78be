#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Attachments (SPEC 8): "pull REMOTE attachments DIR [MAILDIR]" and a
# route to attachments, against the real sshd.
#   main    messages as a scanner and common clients write them
#           (tests/e2e/mime.py): each attachment saved in DIR once, byte
#           for byte what the generator put in and what munpack (mpack)
#           extracts from the same message, under its safe name (RFC
#           2231 and non-ASCII names decoded, the second "report.pdf"
#           as report-2.pdf, hostile names inside DIR), nothing hidden
#           left in DIR and nothing written outside it; every message in
#           MAILDIR exactly once (the one nested 10,000 levels deep with
#           a warning and nothing saved; the 50 MB single-line base64
#           attachment saved whole); -n says where each would go and
#           changes nothing; the log names the saved files;
#   types   "attachment-types application/pdf" without a MAILDIR: only
#           PDFs are saved and their messages dropped; a message with
#           nothing to save stays on the server, warned about once (-v
#           repeats it);
#   keep    "keep yes": saved once, the message left on the server, not
#           saved again by the next run;
#   route   a route to "attachments DIR/%1 MAILDIR" by Subject;
#   filter  a filter before attachments: the filtered message's files
#           saved, it in MAILDIR, the original in the quarantine; one
#           with nothing to save stays on the server, and the next run
#           does not quarantine its original again;
#   crash   SIGKILL at every crash point of saving a two-attachment
#           message (syncmail-asan), and at random moments while the
#           child parses a large one: afterwards each attachment is in
#           DIR exactly once, no temporary file is left, the message is
#           in MAILDIR once and gone from the server.
. "$(dirname "$0")/lib.sh"
setup

MIME=$ROOT/tests/e2e/mime.py
command -v munpack >/dev/null || fail "no munpack (Debian mpack)"
LOG=$T/logs/mail.log
mkdir -p "$T/logs"
DIR=$T/local/scans
LOCAL=$T/local/Inbox

# use_pull DEST...: the standard config with "pull $REMOTE DEST...".
use_pull()
{
	write_config
	sed -i "s|^	pull .*|	pull $REMOTE $*|" "$CONF"
	conf_add log "$LOG"
}

# saved_hashes DIR: the sorted sha256 of the files directly in DIR.
saved_hashes()
{
	_hashes "$1"
}

# expected_hashes [CASE...]: the sorted sha256 of the attachments of
# $T/expect (of those cases only).
expected_hashes()
{
	if [ $# -eq 0 ]; then
		awk -F '\t' '$3 != "-" { print $3 }' "$T/expect"
	else
		awk -F '\t' -v cases=" $* " \
		    'index(cases, " " $2 " ") && $3 != "-" { print $3 }' "$T/expect"
	fi | sort
}

# check_no_hidden DIR: nothing of ours left under a hidden name.
check_no_hidden()
{
	nh=$(find "$1" -mindepth 1 -name '.*' | head -n 3)
	[ -z "$nh" ] || fail "hidden files left in $1: $nh"
}

# like_munpack MSG DIR: every file munpack extracts from MSG with a name
# of its own has its bytes in DIR, and every attachment $T/expect lists
# for MSG is among munpack's files (munpack calls a part it cannot name,
# such as an RFC 2231 one or the text, "partN"; it writes "a/b" into a
# directory "a" and cannot write a name of 300 bytes at all, which is
# why that one is not compared).
like_munpack()
{
	lm_out=$T/mu.$(basename "$1")
	mkdir -p "$lm_out"
	munpack -q -t -C "$lm_out" "$T/orig/$(basename "$1")" >/dev/null 2>&1 ||
		fail "munpack failed on $(basename "$1")"
	find "$lm_out" -type f -print0 | xargs -0 -r sha256sum | cut -c1-64 |
	    sort >"$T/.h.mu"
	saved_hashes "$2" >"$T/.h.dir"
	find "$lm_out" -type f ! -name 'part[0-9]*' -print0 |
	    xargs -0 -r sha256sum | cut -c1-64 >"$T/.h.mu.named"
	while read -r h; do
		grep -qx "$h" "$T/.h.dir" ||
			fail "a file munpack extracts from $(basename "$1") is not in $2"
	done <"$T/.h.mu.named"
	awk -F '\t' -v n="$(basename "$1")" \
	    '$1 == n && $3 != "-" && length($4) < 255 { print $3 }' \
	    "$T/expect" >"$T/.h.ours"
	while read -r h; do
		grep -qx "$h" "$T/.h.mu" ||
			fail "an attachment of $(basename "$1") saved by syncmail is not what munpack extracts"
	done <"$T/.h.ours"
	lm_n=$(wc -l <"$T/.h.ours")
	[ "$lm_n" -gt 0 ] || fail "like_munpack: nothing compared for $(basename "$1")"
}

# ---- main: every case, to DIR and MAILDIR
use_pull attachments "$DIR" "$LOCAL"
python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" scan inline rfc2231 qp \
    nested samename hostile plain deep big || fail "mime.py"
nmsg=$(cut -f1 "$T/expect" | sort -u | wc -l)
natt=$(expected_hashes | wc -l)
touch "$T/.marker"

run_syncmail -n
assert_rc 0 "dry run"
assert_eq "$(grep -c "would save the attachments of $REMOTE/new/.* in $DIR, then deliver it to $LOCAL/new" "$T/out")" \
    "$nmsg" "-n lines"
assert_eq "$(count_files "$REMOTE/new")" "$nmsg" "remote messages after -n"
[ ! -e "$DIR" ] || [ "$(count_entries "$DIR")" = 0 ] || fail "-n saved something"

run_syncmail -q
assert_rc 0 "run with attachments"
grep -q "_deep.mime: .*nothing of it saved" "$T/err" ||
	fail "no warning for the message nested 10,000 levels deep: $(cat "$T/err")"
check_exactly_once
check_tmp_empty
check_no_hidden "$DIR"
expected_hashes >"$T/.h.want"
saved_hashes "$DIR" >"$T/.h.dir"
cmp -s "$T/.h.want" "$T/.h.dir" || {
	diff "$T/.h.want" "$T/.h.dir" | head -n 5
	fail "the files in $DIR are not the attachments, each once"
}
# Each under its name: the first of a name gets it, a second the next.
while IFS="$(printf '\t')" read -r name case sum safe; do
	[ "$sum" = - ] && continue
	[ -f "$DIR/$safe" ] || fail "$case: no $safe in $DIR: $(ls "$DIR" | head -n 20 | tr '\n' ' ')"
	assert_eq "$(sha256sum <"$DIR/$safe" | cut -c1-64)" "$sum" "$case: bytes of $safe"
done <"$T/expect"
assert_eq "$(count_entries "$DIR")" "$(expected_hashes | wc -l)" "entries in $DIR"
assert_eq "$(stat -c %s "$DIR/big.pdf")" 52428800 "size of the 50 MB attachment"
for m in "$T"/orig/*; do
	case $m in
	*_deep.mime|*_big.mime|*_plain.mime) continue ;;
	esac
	like_munpack "$m" "$DIR"
done
# Nothing written outside DIR and the Maildir.
outside=$(find "$T" -newer "$T/.marker" ! -type d ! -path "$DIR/*" \
    ! -path "$LOCAL/*" ! -path "$T/remote/*" ! -path "$T/logs/*" \
    ! -path "$T/mu.*" ! -path "$T/.h.*" ! -path "$T/out" ! -path "$T/err" | head -n 3)
[ -z "$outside" ] || fail "written outside DIR and the Maildir: $outside"
grep -qF "saved $REMOTE/new/$(grep '	scan	' "$T/expect" | cut -f1) to attachments $DIR (scan-0001.pdf) and $LOCAL/new/" "$LOG" ||
	fail "no log line naming the saved scan: $(grep scan "$LOG" | head -n 2)"
# A second run finds nothing.
run_syncmail -q
assert_rc 0 "second run"
assert_eq "$(count_entries "$DIR")" "$(expected_hashes | wc -l)" "entries in $DIR after a second run"

# ---- types: only PDFs, no MAILDIR
DIR2=$T/local/pdfs
rm -rf "$T/orig" "$T/expect" "$LOCAL"
mkdir -p "$T/orig"
use_pull attachments "$DIR2"
conf_add attachment-types application/pdf
python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" scan image_only plain samename ||
	fail "mime.py"
run_syncmail -q
assert_rc 0 "run with attachment-types"
expected_hashes scan samename >"$T/.h.want"
saved_hashes "$DIR2" >"$T/.h.dir"
cmp -s "$T/.h.want" "$T/.h.dir" || fail "attachment-types: $DIR2 holds other than the PDFs: $(ls "$DIR2" | tr '\n' ' ')"
[ ! -e "$DIR2/photo.png" ] || fail "a PNG was saved despite attachment-types application/pdf"
check_no_hidden "$DIR2"
assert_eq "$(count_files "$REMOTE/new")" 2 "messages left on the server (nothing to save)"
for c in image_only plain; do
	n=$(grep "	$c	" "$T/expect" | cut -f1)
	[ -f "$REMOTE/new/$n" ] || fail "$c: not left on the server"
	grep -q "$n: no attachment to save in $DIR2" "$T/err" || fail "$c: no warning"
done
run_syncmail -q
assert_rc 0 "second run with nothing to save"
[ ! -s "$T/err" ] || fail "the warning was repeated: $(cat "$T/err")"
run_syncmail -v
assert_rc 0 "-v run"
assert_eq "$(cat "$T/out" "$T/err" | grep -c "no attachment to save in $DIR2")" 2 "-v repeats the notes"
staging=$T/home/.local/state/syncmail/staging
[ -d "$staging/tmp" ] || fail "no staging Maildir at $staging"
left=$(find "$staging/tmp" "$staging/new" "$staging/cur" -type f | head -n 3)
[ -z "$left" ] || fail "the staging Maildir keeps messages: $left"

# ---- keep yes: saved once, the message left on the server, and not
# saved again by the next run.
rm -rf "$T/orig" "$T/expect" "$REMOTE/new/"*
mkdir -p "$T/orig"
DIRK=$T/local/kept
LOCAL=$T/local/KeptMail
use_pull attachments "$DIRK" "$LOCAL"
conf_add keep yes
python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" two || fail "mime.py"
run_syncmail -q
assert_rc 0 "keep run"
run_syncmail -q
assert_rc 0 "second keep run"
assert_eq "$(count_files "$REMOTE/new")" 1 "the message left on the server with keep"
assert_eq "$(count_files "$DIRK")" 2 "files saved after two keep runs"
check_exactly_once -k
rm -f "$REMOTE/new/"*

# ---- route: by Subject, to a DIR named by the capture, and a MAILDIR
rm -rf "$T/orig" "$T/expect" "$REMOTE/new/"*
mkdir -p "$T/orig"
LOCAL=$T/local/Inbox2
use_pull "$LOCAL"
conf_add route Subject "\"^(scan|two)\$\"" attachments "$T/local/by/%1" "$T/local/Scans"
python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" scan two plain || fail "mime.py"
run_syncmail -q
assert_rc 0 "run with a route to attachments"
[ -f "$T/local/by/scan/scan-0001.pdf" ] || fail "route: no scan-0001.pdf in by/scan"
[ -f "$T/local/by/two/one.pdf" ] && [ -f "$T/local/by/two/two.pdf" ] ||
	fail "route: not both files in by/two"
assert_eq "$(count_files "$T/local/Scans/new")" 2 "routed messages in their MAILDIR"
assert_eq "$(count_files "$LOCAL/new")" 1 "the plain message in the pull's Maildir"
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote after the route run"

# ---- a filter before attachments: the filtered message's attachments
# are saved, the filtered message goes to MAILDIR, its original to the
# quarantine first.
rm -rf "$T/orig" "$T/expect" "$REMOTE/new/"*
mkdir -p "$T/orig"
LOCAL=$T/local/FiltMail
use_pull attachments "$T/local/filt" "$LOCAL"
conf_add filter "\"sed '1i X-Filtered: yes'\""
conf_add quarantine "$T/local/Quarantine"
python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" two || fail "mime.py"
run_syncmail -q
assert_rc 0 "a filter before attachments"
assert_eq "$(count_files "$T/local/filt")" 2 "files saved from the filtered message"
check_no_hidden "$T/local/filt"
assert_eq "$(count_files "$T/local/Quarantine/new")" 1 "originals in the quarantine"
cmp -s "$T/local/Quarantine/new/"* "$T/orig/"* || fail "the quarantine's copy is not the original"
assert_eq "$(count_files "$LOCAL/new")" 1 "filtered messages in MAILDIR"
head -n 1 "$LOCAL/new/"* | grep -qx "X-Filtered: yes" || fail "MAILDIR holds not the filtered message"
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote after a filter and attachments"
# A filtered message with nothing to save and no MAILDIR stays on the
# server, its original in the quarantine.  The user deletes that copy:
# the next run, which fetches and filters the message again, must not
# put the original there again (the record's "f" line outlives the
# message's delivery that did not happen).
rm -rf "$T/orig" "$T/expect" "$REMOTE/new/"* "$T/local/Quarantine"
mkdir -p "$T/orig"
use_pull attachments "$T/local/filt2"
conf_add filter "\"sed '1i X-Filtered: yes'\""
conf_add quarantine "$T/local/Quarantine"
python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" plain || fail "mime.py"
run_syncmail -q
assert_eq "$(count_files "$REMOTE/new")" 1 "remote: a filtered message with nothing to save"
assert_eq "$(count_files "$T/local/Quarantine/new")" 1 "originals quarantined, nothing to save"
rm "$T/local/Quarantine/new/"*
run_syncmail -q
assert_eq "$(count_files "$REMOTE/new")" 1 "remote: nothing to save, a second run"
assert_eq "$(count_files "$T/local/Quarantine/new")" 0 "the deleted original came back to the quarantine"

# ---- valgrind (the normal build): a scan and an image, parsed by the
# child and placed by the parent, leak-free.
case $(basename "$SYNCMAIL") in
*asan*) ;;
*)
	command -v valgrind >/dev/null || fail "valgrind is not installed (tests/deps.sh)"
	rm -rf "$T/orig" "$T/expect" "$REMOTE/new/"*
	mkdir -p "$T/orig"
	LOCAL=$T/local/vg
	use_pull attachments "$T/local/vgdir" "$LOCAL"
	python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" scan inline || fail "mime.py"
	env -u SSH_AUTH_SOCK HOME="$T/home" timeout -k 5 120 valgrind -q \
	    --error-exitcode=99 --leak-check=full --trace-children=no \
	    --show-leak-kinds=definite,indirect,possible "$SYNCMAIL" -q \
	    -c "$CONF" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	grep -v '^--[0-9]*-- \|^syncmail: ' "$T/err" | grep -q . &&
		fail "valgrind: $(grep -v '^syncmail: ' "$T/err" | head -n 20)"
	assert_rc 0 "attachments under valgrind"
	check_exactly_once
	[ -f "$T/local/vgdir/scan-0001.pdf" ] && [ -f "$T/local/vgdir/logo.png" ] ||
		fail "valgrind run: the attachments were not saved"
	;;
esac

# ---- crash: SIGKILL at each crash point of saving a two-attachment message
FAULTY=$ROOT/syncmail/syncmail-asan
[ -x "$FAULTY" ] || fail "no $FAULTY with crash points (make syncmail/syncmail-asan)"
# crash_round WHAT: after a run that was killed, a normal run; then both
# attachments once in DIR3, nothing hidden, the message once in MAILDIR.
crash_round()
{
	run_syncmail -q
	assert_rc 0 "clean run after $1"
	check_exactly_once
	check_tmp_empty
	check_no_hidden "$DIR3"
	expected_hashes >"$T/.h.want"
	saved_hashes "$DIR3" >"$T/.h.dir"
	cmp -s "$T/.h.want" "$T/.h.dir" || {
		diff "$T/.h.want" "$T/.h.dir" | head -n 4
		fail "$1: the attachments are not in DIR exactly once: $(ls "$DIR3" | tr '\n' ' ')"
	}
}
# fresh CASE: an empty DIR3 and Maildir, one message of CASE on the server.
fresh()
{
	rm -rf "$T/orig" "$T/expect" "$REMOTE/new/"* "$T/local/crash"
	mkdir -p "$T/orig"
	DIR3=$T/local/crash/dir
	LOCAL=$T/local/crash/Maildir
	use_pull attachments "$DIR3" "$LOCAL"
	python3 "$MIME" "$T" "$REMOTE/new" "$TEST_USER" "$1" || fail "mime.py"
}
npoints=0
for point in save-recorded save-extracted save-placed save-dir-synced \
    save-done remove-sent; do
	fresh two
	env -u SSH_AUTH_SOCK HOME="$T/home" SYNCMAIL_FAULT="$point:1" \
	    ASAN_OPTIONS=exitcode=86:detect_leaks=0 \
	    timeout -k 5 60 "$FAULTY" -q -c "$CONF" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 137 ] || fail "$point: syncmail exited $RC, want death by SIGKILL: $(cat "$T/err")"
	# Deleted remotely only once both files are durable: before
	# save-dir-synced the server's copy must be there.
	case $point in
	save-recorded|save-extracted|save-placed)
		assert_eq "$(count_files "$REMOTE/new")" 1 "$point: the server's copy" ;;
	esac
	crash_round "$point"
	npoints=$((npoints + 1))
done
# Random moments while the child parses and writes a 50 MB attachment.
nkills=0
for delay in 300 600 900 1200 1500; do
	fresh big
	start_syncmail -q
	sleep_ms "$delay"
	kill -KILL "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	# The child dies with its parent: no file of ours may grow now.
	sleep_ms 200
	crash_round "a kill after $delay ms"
	nkills=$((nkills + 1))
done
note "$nmsg messages of 10 kinds, $natt attachments saved as munpack extracts them; $npoints crash points, $nkills kills mid-parse"
