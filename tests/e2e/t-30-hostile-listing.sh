#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A hostile SFTP server's listings (tests/hostile/hostile.py): names with
# "/", "..", a NUL, control bytes or 256-1500 bytes, every name listed
# twice, entries without attributes, NAME counts that do not fit the
# packet, and a message gone by the time of its own LSTAT (skipped quietly,
# never opened).  For each: no crash, nothing written outside the local
# Maildir (a canary directory where "../" names lead), no invented or
# partial message delivered, nothing deleted that was not delivered, the
# status and message the fault calls for; then an honest run delivers
# every message exactly once.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup

# mode		status	stderr names the fault		victim
hostile_case none	 0 -				any
hostile_case name-slash	 0 'hostile-escape-1.*skipped'	any
hostile_case name-dotdot 0 'hostile-escape-dotdot.*skipped' any
hostile_case name-nul	 0 'hostile-escape-nul.*skipped'	any
hostile_case name-long	 0 'skipped.*(long|255)'	any
hostile_case name-ctrl	 0 'skipped.*control'		any
hostile_case name-repeat 0 'listed more than once'	any
hostile_case noattrs	 0 -				any
hostile_case count-over	75 'malformed READDIR'		kept
hostile_case count-under 75 'malformed READDIR'		kept
hostile_case lstat-gone	 0 -				unopened
! grep -q victim "$T/err.lstat-gone" ||
	fail "lstat-gone: a message that vanished was not skipped quietly"
note "$HCASES listing faults"
