#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# make demo: a private sshd on 127.0.0.1, a remote Maildir with 300 new
# messages, one syncmail run, and what it left on both sides.  Needs root
# (it starts sshd and uses the test user "syncmailtest"); cleans up after.
E2E_DIR=$(dirname "$0")/e2e
. "$E2E_DIR/lib.sh"
TEST_NAME=demo
setup

mkmsgs "$REMOTE/new" 300
echo "== remote: $(count_files "$REMOTE/new") messages," \
    "$(du -sh "$REMOTE/new" | cut -f1) in $REMOTE/new (sshd on 127.0.0.1:$PORT)"
echo "== config $CONF:"
sed 's/^/    /' "$CONF"
echo "== syncmail -v -c $CONF"
start=$(now_ms)
env -u SSH_AUTH_SOCK HOME="$T/home" "$SYNCMAIL" -v -c "$CONF" </dev/null \
    >"$T/demo.out"
rc=$?
ms=$(($(now_ms) - start))
lines=$(grep -c '' "$T/demo.out")
if [ "$lines" -le 12 ]; then
	sed 's/^/    /' "$T/demo.out"
else
	sed -n '1,8p' "$T/demo.out" | sed 's/^/    /'
	echo "    ... ($((lines - 10)) more lines)"
	tail -n 2 "$T/demo.out" | sed 's/^/    /'
fi
echo "== exit status $rc after ${ms} ms"
echo "== local new/: $(count_files "$LOCAL/new") messages"
echo "== remote new/: $(count_entries "$REMOTE/new") left"
echo "== local tmp/: $(count_entries "$LOCAL/tmp") left"
echo "== a few delivered messages:"
ls -l "$LOCAL/new" | sed -n '2,4p' | sed 's/^/    /'
exit "$rc"
