#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Files older than 36 hours in the remote tmp/ (a delivery agent that died
# mid-write) are reported with a warning and never touched; a fresh file
# there (a delivery in progress) is neither reported nor touched.
. "$(dirname "$0")/lib.sh"
setup
mkmsgs "$REMOTE/new" 5 small
printf 'half a message\n' >"$REMOTE/tmp/1600000000.M1P1Q1.stale-one"
touch -d '3 days ago' "$REMOTE/tmp/1600000000.M1P1Q1.stale-one"
printf 'being written\n' >"$REMOTE/tmp/1700000000.M2P2Q2.fresh-one"
chown -R "$TEST_USER:" "$REMOTE/tmp"
(cd "$REMOTE/tmp" && ls -l --time-style=+%s) >"$T/tmp.0"

run_syncmail -q
assert_rc 0 "run with a stale file in the remote tmp/"
grep -q '^syncmail: test: .*stale-one' "$T/err" ||
	fail "no 'syncmail: test: ...' warning about the stale file in tmp/"
grep -q 'fresh-one' "$T/err" && fail "a fresh file in tmp/ was reported"
(cd "$REMOTE/tmp" && ls -l --time-style=+%s) >"$T/tmp.1"
cmp -s "$T/tmp.0" "$T/tmp.1" || fail "the remote tmp/ was changed"
check_exactly_once
check_tmp_empty
