#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Power cuts where a pull's messages go elsewhere (SPEC 8: every
# destination keeps exactly once; SPEC 5: "killed at any instant (kill
# -9, power cut)"), on t-41's rig (tests/e2e/lib-pcfs.sh): the Maildirs,
# the attachment folder and the quarantine live on pcfs, which keeps
# only what was flushed.  Each round: fresh remote messages, a syncmail
# run SIGKILLed at some moment, the cut, a remount, normal runs, then
# every message exactly once where it belongs.
#   routes  the pull with routes (tests/e2e/routes.py mixed): three lists
#           into lists/%1 (made on their first message), a folder Work,
#           a discard, a pipe to a command that delivers into Tickets
#           durably and dedupes on SYNCMAIL_NAME (ticket.sh below), the
#           rest into the pull's Maildir; 8 rounds of 40 to 80 messages
#           cut at random moments, some without the route Maildirs, some
#           with ones the user made a moment before (not yet on disk),
#           then a cut after each crash point (t-18's, the pipe's, and
#           dir-made: a directory made, its parent not yet flushed) with
#           30 messages; every other round runs syncmail once between the
#           kill and the cut (a crash, then a run that delivers into
#           what the crash left in memory only).  Each message exactly
#           once in its route's Maildir, a discarded one nowhere, none
#           left on the server nor in any tmp/; each piped one given
#           whole at least once, never again once a run logged it piped
#           or was killed at pipe-done;
#   attach  attachments saved (mime.py: two PDFs saved in DIR and the
#           message into MAILDIR, one PDF saved and the message dropped,
#           or a plain message into the pull's Maildir): 4 rounds of 8 to
#           16 messages cut at random moments, then a cut after each
#           crash point of saving (save-recorded ... save-done, the
#           REMOVE, the drop, dir-made), 8 messages; each attachment
#           exactly once in DIR by its bytes, no hidden file left (a
#           temporary file, the list of names), each message once where
#           it belongs, none on the server nor in any tmp/;
#   filter  a filter with a quarantine (it changes half of the messages,
#           fails on a quarter, passes a quarter unchanged): 4 rounds of
#           12 to 24 messages cut at random moments, then a cut after
#           each crash point of filtering (filter-recorded ...
#           quarantined; new-synced, dropped, dir-made), 12 messages; each
#           original once in the quarantine (a changed or failed one),
#           each filtered or unchanged message once in the Maildir;
#           every other round of both kinds runs syncmail once between
#           the kill and the cut, as the route rounds;
#   skip    the self-check of the rounds with destinations: each test
#           switch that leaves out one flush (SYNCMAIL_TEST_SKIP) must
#           lose mail in a round cut after the exit: route-new (a route
#           Maildir's new/ not flushed after the moves) and mkdir (a new
#           directory's parent not flushed) with routes, save-dir (DIR
#           not flushed after the files' moves nor after the list's
#           removal) with attachments, quarantine-new (the quarantine's
#           new/ not flushed after the original's move) with the filter.
# The choices come from a seed, printed with every round and on failure;
# T59_SEED=N replays them (the moments depend on timing: close, not exact),
# T59_PARTS="attach skip" runs only those parts (with the same seed, the
# same choices only for the same parts).
. "$(dirname "$0")/lib.sh"
setup

SEED=${T59_SEED:-$(rand 1000000000)}
PARTS=${T59_PARTS:-routes attach filter skip}
. "$E2E_DIR/lib-pcfs.sh"

# ---- routes: the same promise when a pull's messages go elsewhere ---------

# The route rounds' pull: three lists into lists/NAME (%1: each made on
# its first message), X-Folder work into Work, the monitoring system's
# messages discarded, tickets piped to a command that delivers them into
# Tickets; the rest into the pull's Maildir.  All on the pcfs mount.
RT_LISTS=$MNT/lists
RT_WORK=$MNT/Work
RT_TK=$MNT/Tickets
# syncmail's log (a "piped" line once a run has marked a message done)
# and the command's own (a line per message given): outside pcfs, so that
# a cut never takes back what they say.
RT_LOG=$T/mail.log
RT_PIPELOG=$T/pipe.log

# route_config: $CONF for the route rounds.
route_config()
{
	write_config
	conf_add log "$RT_LOG"
	conf_add route List-Id '"<([^>]*)\.lists\.example\.org>"' "$RT_LISTS/%1"
	conf_add route X-Folder '^work$' "$RT_WORK"
	conf_add route Sender '"nagios@monitor\.example\.com"' discard
	conf_add route Subject '"^\[ticket\]"' pipe "$T/ticket.sh"
}

# The ticket system: delivers the message on its input into Tickets as
# an MDA must for exactly-once (into tmp/, flushed, linked into new/
# under SYNCMAIL_NAME, new/ flushed), and a second time finds the same
# bytes there: it dedupes on SYNCMAIL_NAME, as SPEC 8 tells a command
# to.  Before it delivers, it notes in pipe.log the name, the SHA-256 of
# what it read and how many "piped" lines syncmail's log already has for
# it: a message a run marked done must never be given again.
cat >"$T/ticket.sh" <<EOF
#!/bin/sh
n=\$SYNCMAIL_NAME
d=$RT_TK
t=\$d/tmp/\$n.\$\$
rm -f "\$d/tmp/\$n".*
cat >"\$t" || exit 1
sum=\$(sha256sum <"\$t" | cut -c1-64)
done=\$(grep -cF " piped \$SYNCMAIL_REMOTE to " "$RT_LOG")
echo "\$n \$SYNCMAIL_REDELIVERY \$sum \$done" >>"$RT_PIPELOG"
sync "\$t" || exit 1
ln "\$t" "\$d/new/\$n" 2>/dev/null || cmp -s "\$t" "\$d/new/\$n" || exit 1
sync "\$d/new" && rm "\$t" && sync "\$d/tmp"
EOF
chmod 755 "$T/ticket.sh"
: >"$RT_LOG"

# round_reset: a round starts from nothing checked, nothing expected, an
# empty remote new/ and no message in any Maildir on the mount.
round_reset()
{
	reset_orig
	: >"$T/expect"
	find "$REMOTE/new" -mindepth 1 -maxdepth 1 -type f -delete
	find "$MNT" -mindepth 2 \( -path '*/new/*' -o -path '*/cur/*' \) \
	    -type f -delete
}

# route_prepare HOW: a route round's start, the test's own changes
# durable: no message anywhere (locally, on the server, in the logs of
# the round), and the route Maildirs as HOW says: "keep" (as the round
# before left them), "nodirs" (lists/ and Work missing: syncmail makes
# them), "byhand" (Work and lists/dev made by the user a moment before
# the run, not yet on disk: a run that delivers into them must first
# make them durable, as it does the moves into new/ it finds unflushed).
route_prepare()
{
	round_reset
	: >"$RT_PIPELOG"
	: >"$T/done.names"
	find "$MNT" -mindepth 1 \( -name new -o -name cur \) -type d \
	    -exec sync {} + || fail "sync new/ and cur/"
	[ -d "$RT_TK" ] || { mkmaildir "$RT_TK"; durable "$RT_TK"/* "$RT_TK" "$MNT"; }
	case $1 in
	nodirs|byhand)
		rm -rf "$RT_LISTS" "$RT_WORK"
		durable "$MNT" ;;
	esac
	if [ "$1" = byhand ]; then
		mkmaildir "$RT_WORK"
		mkmaildir "$RT_LISTS/dev"
	fi
}

# route_check [-c]: the round checked (tests/e2e/pc_check.py route): each
# message in the Maildir its route names, a discarded one nowhere, a piped
# one given whole to the command and never again once done; none left on
# the server nor in any tmp/.  RT_LOST: the copies missing (-c: only that).
route_check()
{
	RT_LOST=$(/usr/bin/python3 "$E2E_DIR/pc_check.py" route "$T" "$MNT" \
	    "$LOCAL" "$REMOTE" "$RT_PIPELOG" ${1:+"$1"}) ||
		fail "route check failed (stderr above)"
}

# route_gen COUNT: COUNT messages of routes.py's mixed kinds.
route_gen()
{
	pick 1000000
	/usr/bin/python3 "$E2E_DIR/routes.py" "$T" "$REMOTE/new" "$TEST_USER" mixed \
	    "$1" "$R" || fail "routes.py mixed"
}

# ---- attachments: the files in DIR, the list of their names, the message --

# The attachment rounds' pull: a scanner's message with two PDFs
# (mime.py's "two", each with bytes of its own) has them saved in Scans
# and goes on into Scanned; one with a single PDF ("scan") has it saved
# there and is dropped; the rest ("plain") goes into the pull's Maildir.
# DIR and MAILDIR on the pcfs mount.
AT_DIR=$MNT/Scans
AT_MD=$MNT/Scanned

# attach_config: $CONF for the attachment rounds.
attach_config()
{
	write_config
	conf_add route Subject '^two$' attachments "$AT_DIR" "$AT_MD"
	conf_add route Subject '^scan$' attachments "$AT_DIR"
}

# attach_prepare HOW: no message anywhere, DIR empty; "nodirs": neither
# DIR nor MAILDIR (syncmail makes them), else both there, durable.
attach_prepare()
{
	round_reset
	rm -rf "$AT_DIR"
	if [ "$1" = nodirs ]; then
		rm -rf "$AT_MD"
	else
		mkdir "$AT_DIR"
		[ -d "$AT_MD" ] || mkmaildir "$AT_MD"
	fi
	find "$MNT" -type d -exec sync {} + || fail "sync the mount's directories"
}

# attach_gen COUNT: COUNT messages, by turns two, scan, two, plain.
attach_gen()
{
	ag_i=0 ag_cases=
	while [ "$ag_i" -lt "$1" ]; do
		case $((ag_i % 4)) in
		1) ag_cases="$ag_cases scan" ;;
		3) ag_cases="$ag_cases plain" ;;
		*) ag_cases="$ag_cases two" ;;
		esac
		ag_i=$((ag_i + 1))
	done
	# shellcheck disable=SC2086
	MIME_UNIQUE=1 /usr/bin/python3 "$E2E_DIR/mime.py" "$T" "$REMOTE/new" \
	    "$TEST_USER" $ag_cases || fail "mime.py"
}

# attach_check [-c]: the round checked (pc_check.py attach): each
# attachment once in DIR and nothing hidden left there, each message where
# its kind says; none left on the server nor in any tmp/.  RT_LOST: the
# copies missing (-c: only that).
attach_check()
{
	RT_LOST=$(/usr/bin/python3 "$E2E_DIR/pc_check.py" attach "$T" "$MNT" \
	    "$LOCAL" "$REMOTE" "$AT_DIR" "$AT_MD" ${1:+"$1"}) ||
		fail "attachment check failed (stderr above)"
}

# ---- the filter and its quarantine ----------------------------------------

# The filter rounds' pull: a filter that strips "EVIL" (the original then
# goes to the quarantine first, the filtered message into the pull's
# Maildir), fails on the messages named *.fail* (the original to the
# quarantine alone) and passes the others unchanged (nothing to the
# quarantine).  The quarantine on the pcfs mount.
FL_Q=$MNT/Quarantine
cat >"$T/qfilter.sh" <<'EOF'
#!/bin/sh
case $SYNCMAIL_NAME in
*.fail*) cat >/dev/null; exit 1 ;;
esac
exec sed 's/EVIL/[removed]/g'
EOF
chmod 755 "$T/qfilter.sh"

# filter_config: $CONF for the filter rounds.
filter_config()
{
	write_config
	conf_add filter "$T/qfilter.sh"
	conf_add quarantine "$FL_Q"
}

# filter_prepare HOW: no message anywhere; "nodirs": no quarantine
# (syncmail makes it), else the quarantine there, durable.
filter_prepare()
{
	round_reset
	if [ "$1" = nodirs ]; then
		rm -rf "$FL_Q"
	elif [ ! -d "$FL_Q" ]; then
		mkmaildir "$FL_Q"
	fi
	find "$MNT" -type d -exec sync {} + || fail "sync the mount's directories"
}

# filter_gen COUNT: COUNT messages: half changed by the filter, a quarter
# failing it (FL_FAILS of them if set), a quarter passing unchanged; the
# rest changed.  Names never used before (the
# record may still name a message of an earlier round: a cut can take
# back its last "-" line, and a name seen again with another size is
# left alone, as it must be).
filter_gen()
{
	fg_k=$(($1 / 4))
	fg_f=${FL_FAILS:-$fg_k}
	for fg_kind in "evil EVIL:$(($1 - fg_k - fg_f))" "fail EVIL:$fg_f" \
	    "clean:$fg_k"; do
		pick 1000000
		/usr/bin/python3 "$E2E_DIR/routes.py" "$T" "$REMOTE/new" \
		    "$TEST_USER" subject "${fg_kind%:*}" "${fg_kind##*:}" \
		    $((300 + R % 1000)) "$R" || fail "routes.py subject"
	done
}

# filter_check [-c]: the round checked (pc_check.py filter): each original
# once in the quarantine or the Maildir, each filtered message once in the
# Maildir; none left on the server nor in any tmp/.  RT_LOST: the copies
# missing (-c: only that).
filter_check()
{
	RT_LOST=$(/usr/bin/python3 "$E2E_DIR/pc_check.py" filter "$T" "$MNT" \
	    "$LOCAL" "$REMOTE" "$FL_Q" ${1:+"$1"}) ||
		fail "filter check failed (stderr above)"
}

# ---- a round with destinations, and its self-check ------------------------

# normal_run NAME: a normal run, which must end well; the filter's failing
# messages make it 1 (a message failed alone: syncmail(1), EXIT STATUS).
normal_run()
{
	run_syncmail -q
	[ "$RC" = 0 ] || { [ "$DR_KIND" = filter ] && [ "$RC" = 1 ]; } ||
		fail "$1 exited $RC: $(tail -n 3 "$T/err")"
}

# dest_round KIND NAME COUNT MOMENT HOW RESUME BIN [VAR=VALUE...]: a round
# of KIND (route, attach or filter): KIND_prepare HOW, KIND_gen COUNT
# messages, BIN run until MOMENT and killed; the cut at once, or with
# RESUME=1 only after a normal run (a crash, then a run that delivers
# into what the crash left in memory only, then the cut); then normal
# runs until the server is empty, and KIND_check.
NR=0 NA=0 NFL=0
dest_round()
{
	DR_KIND=$1
	dr_name=$2 dr_n=$3 dr_moment=$4 dr_how=$5 dr_resume=$6 dr_bin=$7
	shift 7
	"${DR_KIND}_prepare" "$dr_how"
	"${DR_KIND}_gen" "$dr_n"
	step "$dr_name: $dr_n messages ($(cut -f2 "$T/expect" | sort |
	    uniq -c | tr -s ' \n' '  ')), $dr_how, cut at $dr_moment" \
	    "${dr_resume:+after a run }$(basename "$dr_bin") $*"
	kill_at "$dr_name" "$dr_n" "$dr_moment" "$dr_bin" "$@"
	# Killed at pipe-done: the message the command just had is marked
	# done, durably, and must never be given again.
	case $dr_name in
	*pipe-done*) tail -n 1 "$RT_PIPELOG" | cut -d' ' -f1 >"$T/done.names" ;;
	esac
	# The runner stops a command whose syncmail died: wait for that.
	dr_w=0
	while pgrep -f "$T/"'(ticket|qfilter)\.sh' >/dev/null &&
	    [ "$dr_w" -lt 100 ]; do
		sleep 0.05
		dr_w=$((dr_w + 1))
	done
	step "$dr_name: killed run exited $WAIT_RC after $CR_MS ms," \
	    "$(count_files "$REMOTE/new") on the server"
	[ -z "$dr_resume" ] || normal_run "$dr_name: the run after the kill"
	pc_cut
	dr_i=0
	while [ "$dr_i" -lt 3 ]; do
		normal_run "$dr_name: normal run $((dr_i + 1)) after the cut"
		dr_i=$((dr_i + 1))
		[ "$(count_files "$REMOTE/new")" != 0 ] || break
	done
	step "$dr_name: $dr_i normal runs"
	"${DR_KIND}_check"
	step "$dr_name: checked"
	MSGS=$((MSGS + dr_n))
}

# skip_round KIND SKIP HOW COUNT: the self-check of KIND's rounds: a run
# with the test switch SKIP (SYNCMAIL_TEST_SKIP, util/fault.h), which
# leaves out one flush KIND needs, cut after its exit, then a normal run:
# it must lose mail, or KIND's rounds could not see such a bug.  Appends
# "SKIP N" (N lost) to SKIP_LOST.
NSK=0
SKIP_LOST=
skip_round()
{
	DR_KIND=$1
	sk_skip=$2
	"${DR_KIND}_prepare" "$3"
	"${DR_KIND}_gen" "$4"
	step "$DR_KIND self-check: $4 messages, $3, SYNCMAIL_TEST_SKIP=$sk_skip"
	start_bg "$FAULTY" SYNCMAIL_TEST_SKIP="$sk_skip" \
	    ASAN_OPTIONS=exitcode=86:detect_leaks=0
	reap "$BG_PID" 60
	[ "$WAIT_RC" = 0 ] || { [ "$DR_KIND" = filter ] && [ "$WAIT_RC" = 1 ]; } ||
		fail "$DR_KIND self-check: the $sk_skip run exited $WAIT_RC:" \
		    "$(tail -n 3 "$T/bg.err")"
	pc_cut
	normal_run "$DR_KIND self-check: the run after the cut"
	"${DR_KIND}_check" -c
	step "$DR_KIND self-check: $sk_skip lost $RT_LOST"
	[ "$RT_LOST" -gt 0 ] || fail "SYNCMAIL_TEST_SKIP=$sk_skip lost" \
	    "nothing: the $DR_KIND rounds cannot see a missing flush"
	SKIP_LOST="${SKIP_LOST:+$SKIP_LOST,} $sk_skip $RT_LOST"
	NSK=$((NSK + 1))
}

# routes_rounds: 8 rounds of 40 to 80 messages cut at random moments,
# some starting without the route Maildirs or with ones made by hand,
# every other one after a run (RESUME) from the fifth on; then a cut
# after each crash point, the route and pipe ones too, 30 messages,
# every other one after a run; dir-made (a directory made, not yet
# flushed) both ways, without the route Maildirs.
routes_rounds()
{
	route_config
	ro_ms=1500
	ro_i=1
	while [ "$ro_i" -le 8 ]; do
		pick 41
		ro_n=$((40 + R))
		moment_for "$ro_i" "$ro_n" "$ro_ms" gone delay exit
		case $ro_i in
		1|5) ro_how=nodirs ;;
		2|6) ro_how=byhand ;;
		*) ro_how=keep ;;
		esac
		ro_resume=
		[ "$ro_i" -le 4 ] || ro_resume=1
		dest_round route "routes $ro_i/8" "$ro_n" "$MOMENT" \
		    "$ro_how" "$ro_resume" "$SYNCMAIL"
		[ "$MOMENT" != exit ] || ro_ms=$CR_MS
		NR=$((NR + 1))
		ro_i=$((ro_i + 1))
	done
	ro_k=0
	for ro_point in tmp-written tmp-synced recorded renamed new-synced \
	    tmp-resynced remove-sent remove-answered dropped pipe-recorded \
	    pipe-done pipe-exited dir-made dir-made; do
		ro_how=keep
		case $ro_point in
		# Once a batch: 30 messages may make only one.
		tmp-synced|recorded|new-synced|tmp-resynced|remove-sent)
			R=0 ;;
		# Once a piped message: there are two at least.
		pipe-*)	pick 2 ;;
		dir-made) ro_how=nodirs; pick 8 ;;
		*)	pick 15 ;;
		esac
		ro_resume=
		[ $((ro_k % 2)) = 0 ] || ro_resume=1
		dest_round route "routes fault $ro_point:$((R + 1))" 30 fault \
		    "$ro_how" "$ro_resume" "$FAULTY" \
		    SYNCMAIL_FAULT="$ro_point:$((R + 1))" \
		    ASAN_OPTIONS=exitcode=86:detect_leaks=0
		NR=$((NR + 1))
		ro_k=$((ro_k + 1))
	done
	write_config
}

# kind_rounds KIND LABEL N FAULT_N POINT...: the rounds of KIND (attach or
# filter): 4 of N to 2N messages cut at random moments, the first and
# third without the destination's directories, the second and fourth
# after a run; then a cut after each crash point POINT at one of its
# first four passes (the first of new-synced and remove-sent, passed
# once a batch; of dir-made, without the directories), FAULT_N messages,
# every other one after a run.  KR_ROUNDS is the number of rounds.
kind_rounds()
{
	kr_kind=$1 kr_label=$2 kr_n=$3 kr_fn=$4
	shift 4
	kr_ms=600
	kr_i=1
	while [ "$kr_i" -le 4 ]; do
		pick $((kr_n + 1))
		kr_count=$((kr_n + R))
		moment_for "$kr_i" "$kr_count" "$kr_ms" gone delay exit
		kr_how=keep kr_resume=
		case $kr_i in 1|3) kr_how=nodirs ;; *) kr_resume=1 ;; esac
		dest_round "$kr_kind" "$kr_label $kr_i/4" "$kr_count" \
		    "$MOMENT" "$kr_how" "$kr_resume" "$SYNCMAIL"
		[ "$MOMENT" != exit ] || kr_ms=$CR_MS
		kr_i=$((kr_i + 1))
	done
	kr_k=0
	for kr_point; do
		kr_how=keep kr_resume=
		case $kr_point in
		new-synced|remove-sent) R=0 ;;
		dir-made) kr_how=nodirs; R=0 ;;
		*) pick 4 ;;
		esac
		[ $((kr_k % 2)) = 0 ] || kr_resume=1
		dest_round "$kr_kind" "$kr_label fault $kr_point:$((R + 1))" \
		    "$kr_fn" fault "$kr_how" "$kr_resume" "$FAULTY" \
		    SYNCMAIL_FAULT="$kr_point:$((R + 1))" \
		    ASAN_OPTIONS=exitcode=86:detect_leaks=0
		kr_k=$((kr_k + 1))
	done
	KR_ROUNDS=$((4 + kr_k))
}

# attach_rounds: 4 rounds of 8 to 16 messages, then a cut after each
# point a saved message passes (save.c: its "+" line, its files and
# their list written, its first file moved, DIR flushed, the message in
# MAILDIR; then its REMOVE and its drop; dir-made: DIR made, its parent
# not yet flushed), 8 messages.
attach_rounds()
{
	attach_config
	kind_rounds attach attachments 8 8 save-recorded save-extracted \
	    save-placed save-dir-synced save-done remove-sent dropped dir-made
	NA=$KR_ROUNDS
	write_config
}

# filter_rounds: 4 rounds of 12 to 24 messages, then a cut after each
# point a filtered message passes (its "r" note, the command's exit, the
# original's "f" line, the original in the quarantine), after the flush
# of new/ and the drop of a batch after them (the other points of a
# delivery are t-41's), and after the quarantine is made, 12 messages.
filter_rounds()
{
	filter_config
	kind_rounds filter filter 12 12 filter-recorded filter-exited \
	    quarantine-recorded quarantined new-synced dropped dir-made
	NFL=$KR_ROUNDS
	write_config
}

# skip_rounds: the self-check of the rounds with destinations, a round
# per flush left out: route-new (a route Maildir's new/ after the moves
# into it, the Maildirs kept from before) and mkdir (the directory above
# one made, the route Maildirs missing) with routes; save-dir (DIR after
# its files' moves and after the list's removal) with attachments;
# quarantine-new (the quarantine's new/ after an original's move) with
# the filter.
skip_rounds()
{
	route_config
	skip_round route route-new keep 40
	skip_round route mkdir nodirs 40
	attach_config
	skip_round attach save-dir keep 8
	# No failing message: its original's move into the quarantine, a
	# delivery there, would flush new/ for the ones before it.
	filter_config
	FL_FAILS=0
	skip_round filter quarantine-new keep 12
	FL_FAILS=
	write_config
}

for p in routes attach filter skip; do
	if part "$p"; then
		"${p}_rounds"
		step "$p rounds done"
	fi
done
pc_down TERM
note "seed $SEED: power cuts after $NR route, $NA attachment and $NFL" \
    "filter rounds, $MSGS messages each exactly once where it belongs;" \
    "the cuts dropped $DROPPED_FILES unflushed files and" \
    "$DROPPED_ENTRIES directory entries; pcfs got $FSYNCS fsync," \
    "$FDATASYNCS fdatasync, $FSYNCDIRS fsyncdir; skipped flushes" \
    "lost:${SKIP_LOST:- (not run)}"

