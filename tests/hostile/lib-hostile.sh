# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Helpers for the hostile-server tests tests/e2e/t-3*-hostile-*.sh, sourced
# after lib.sh and setup.  hostile_setup starts a second sshd whose sftp
# subsystem is tests/hostile/hostile.py, reading its fault from
# $T/hostile.mode at each connection, and points $CONF at it.  hostile_case
# runs syncmail once against one fault and checks what every fault must
# leave: no crash, nothing written outside the local Maildir, no partial
# or invented message delivered, nothing deleted that was not delivered;
# then one run against the honest server must deliver everything exactly
# once.

HOSTILE_DIR=$ROOT/tests/hostile

hostile_setup()
{
	# A copy the test user can read whatever the checkout's permissions.
	cp "$HOSTILE_DIR/hostile.py" "$T/hostile.py" || fail "copy hostile.py"
	chmod 644 "$T/hostile.py"
	echo none >"$T/hostile.mode"
	chmod 644 "$T/hostile.mode"
	: >"$T/hostile.log"
	chown "$TEST_USER:" "$T/hostile.log"
	# HOSTILE_DEBUG=1: the server logs every request it reads.
	[ -z "$HOSTILE_DEBUG" ] || touch "$T/hostile.log.debug"
	# The local side on tmpfs: the faults are the server's, not the
	# disk's, and fsyncs on a slow disk would take most of the time.
	mount -t tmpfs -o size=64m,mode=755 tmpfs "$T/local" || fail "mount tmpfs"
	track_mount "$T/local"
	# What a name that climbs out of new/ would hit.
	mkdir -p "$T/canary"
	echo "canary" >"$T/canary/keep"
	start_sshd_subsystem "/usr/bin/python3 -S $T/hostile.py @$T/hostile.mode $T/hostile.log"
	use_port "$SUB_PORT"
	conf_add timeout 3
	HCASES=0
	FAIL_LOG=$T/hostile.log
}

# hostile_mode MODE: the fault of the next connections.
hostile_mode()
{
	echo "$1" >"$T/hostile.mode"
	HLOG_LINES=$(wc -l <"$T/hostile.log")
}

# hostile_log: what the server logged since the last hostile_mode.
hostile_log()
{
	tail -n +"$((HLOG_LINES + 1))" "$T/hostile.log"
}

# hostile_case MODE WANT_RC MESSAGE_RE VICTIM [VICTIM_SIZE]
#   WANT_RC: the exit status the fault must give (0, 1 or 75).
#   MESSAGE_RE: an extended regex stderr must match (the fault named);
#	"-" for none.
#   VICTIM: "kept": the victim message must be left on the server and not
#	be local; "unopened": that, and never opened (a message that cannot
#	fit waits on the server); "any": no extra check.
# Adds 12 small messages and a "victim" of VICTIM_SIZE bytes (default
# 100000, more than three READs) to the remote new/.
hostile_case()
{
	hc_mode=$1 hc_want=$2 hc_re=$3 hc_victim=$4 hc_vsize=${5:-100000}
	HCASES=$((HCASES + 1))
	mkmsgs "$REMOTE/new" 12 small
	hc_vname="$((1700000000 + HCASES)).M${HCASES}P7.victim-$hc_mode"
	mkmsg "$REMOTE/new" "$hc_vname" "$hc_vsize"
	hc_vsum=$(sha256sum <"$T/orig/$hc_vname" | cut -c1-64)
	hostile_mode "$hc_mode"
	snapshot_outside "$T/snap.before"
	hc_t0=$(now_ms)
	RUN_TIMEOUT=60
	run_syncmail -q
	hc_ms=$(($(now_ms) - hc_t0))
	cp "$T/err" "$T/err.$hc_mode"
	echo "case $hc_mode: exit $RC in ${hc_ms} ms" >>"$T/cases.log"
	case $RC in
	0|1|75) ;;
	86) fail "$hc_mode: ASan or UBSan finding (exit 86)" ;;
	*) fail "$hc_mode: syncmail exited $RC (a signal, or not 0/1/75)" ;;
	esac
	if [ "$hc_mode" != none ]; then
		hostile_log | grep -q "inject $hc_mode" ||
			fail "$hc_mode: the server never injected its fault"
	fi
	if hostile_log | grep -q "SERVER ERROR"; then
		fail "$hc_mode: hostile.py failed: $(hostile_log | grep "SERVER ERROR" | head -n 1)"
	fi
	if hostile_log | grep -q VIOLATION; then
		fail "$hc_mode: $(hostile_log | grep VIOLATION | head -n 1 | cut -d' ' -f2-)"
	fi
	check_outside_unchanged "$T/snap.before"
	# Inside $T (where "../" names lead) and /tmp (absolute names);
	# not deeper in /tmp, where other tests' directories are.
	hc_esc=$( { find "$T" -name '*hostile-escape*'
		find /tmp -maxdepth 1 -name '*hostile-escape*'; } 2>/dev/null | head -n 1)
	[ -z "$hc_esc" ] || fail "$hc_mode: a file named by the server exists: $hc_esc"
	check_no_partial
	if [ "$hc_victim" = unopened ] && hostile_log | grep -q "open victim"; then
		fail "$hc_mode: the victim message was opened"
	fi
	if [ "$hc_victim" = kept ] || [ "$hc_victim" = unopened ]; then
		if _hashes "$LOCAL/new" "$LOCAL/cur" | grep -q "^$hc_vsum"; then
			hc_gone=
			[ -f "$REMOTE/new/$hc_vname" ] ||
				hc_gone="; the server's copy, which the fault made differ, was removed"
			fail "$hc_mode: the victim message $hc_vname was delivered (exit $RC)$hc_gone"
		fi
		[ -f "$REMOTE/new/$hc_vname" ] ||
			fail "$hc_mode: the victim message is gone from the server"
	fi
	[ "$RC" = "$hc_want" ] ||
		fail "$hc_mode: syncmail exited $RC, want $hc_want"
	if [ "$hc_re" != - ]; then
		grep -Eq "$hc_re" "$T/err" ||
			fail "$hc_mode: stderr does not name the fault (/$hc_re/)"
	fi

	# The honest server: everything arrives, once.
	hostile_mode none
	run_syncmail -q
	assert_rc 0 "$hc_mode: the run after, against an honest server,"
	check_exactly_once
	check_tmp_empty
}
