#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# An unusual SFTP server (tests/hostile/hostile.py) that is within the
# protocol: DATA replies half as long as asked, replies to pipelined
# requests in reverse order: every message arrives whole, exit 0.
# A hostile one lies about one message's bytes: DATA longer than the
# READ asked for, a file that grew or shrank between the listing and the
# reads, a listing that gives a smaller size, an empty DATA reply, an
# OPEN refused; and REMOVE refused for every message.  The lied-about
# message is never delivered, partly or whole, and stays on the server;
# the others are delivered; the run exits 1 naming the fault; nothing is
# written outside the local Maildir.  With REMOVE refused, every message
# is delivered once and the next run (honest server) deletes the remote
# copies without delivering them again.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/hostile/lib-hostile.sh"
setup
hostile_setup

# mode		status	stderr names the fault			victim
hostile_case short-read	 0 -						any
hostile_case reorder	 0 -						any
hostile_case data-long	 1 'sent [0-9]+ bytes for a read of [0-9]+'	kept
hostile_case grow	 1 'longer than the 100000 bytes listed'	kept
hostile_case shrink	 1 'shorter than the 100000 bytes listed'	kept
hostile_case list-short	 1 'longer than the 99900 bytes listed'		kept
hostile_case data-empty	 1 'empty read'					kept
hostile_case open-denied 1 'open: permission denied'			kept
hostile_case remove-fail 1 "deleting the server's copy failed"		any
note "$HCASES cases: 2 unusual servers, $((HCASES - 2)) faults in one message's bytes or its delete"
