#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# keep yes: messages are copied and left on the server; a second run
# delivers nothing twice; a message the user deleted locally, or read
# (moved to cur/), is not fetched again; new mail still arrives.
. "$(dirname "$0")/lib.sh"
setup
conf_add keep yes

mkmsgs "$REMOTE/new" 60
remote_state()
{
	(cd "$REMOTE/new" && find . -type f -printf '%f %s %Ts\n' | sort)
}
remote_state >"$T/remote.0"

run_syncmail -q
assert_rc 0 "first run with keep yes"
assert_quiet "first run with keep yes"
check_exactly_once -k
check_tmp_empty
remote_state >"$T/remote.1"
cmp -s "$T/remote.0" "$T/remote.1" ||
	fail "keep yes: the remote new/ changed (messages removed or altered)"

run_syncmail -q
assert_rc 0 "second run with keep yes"
[ "$(count_files "$LOCAL/new")" = 60 ] ||
	fail "second run: local new/ holds $(count_files "$LOCAL/new") files, want 60"
check_exactly_once -k
remote_state >"$T/remote.2"
cmp -s "$T/remote.0" "$T/remote.2" || fail "second run changed the remote new/"

# The user deletes one message and reads another (new/ -> cur/NAME:2,S).
deleted=$(ls "$LOCAL/new" | sed -n 7p)
read=$(ls "$LOCAL/new" | sed -n 13p)
rm "$LOCAL/new/$deleted"
forget_orig "$deleted"
mv "$LOCAL/new/$read" "$LOCAL/cur/$read:2,S"

run_syncmail -q
assert_rc 0 "run after a local delete"
[ -e "$LOCAL/new/$deleted" ] && fail "the locally deleted $deleted came back"
[ -e "$LOCAL/new/$read" ] && fail "the message read into cur/ was delivered again"
check_exactly_once -k
check_tmp_empty

# New mail still comes, once, and the old stays on the server.
mkmsgs "$REMOTE/new" 15 small
run_syncmail -q
assert_rc 0 "run with new mail and keep yes"
check_exactly_once -k
[ "$(count_files "$REMOTE/new")" = 75 ] ||
	fail "remote new/ holds $(count_files "$REMOTE/new") messages, want all 75 kept"
run_syncmail -q
assert_rc 0 "last run"
check_exactly_once -k
[ -e "$LOCAL/new/$deleted" ] && fail "the locally deleted $deleted came back"
check_tmp_empty
