#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Memory stays bounded by design, not by the size of the mailboxes: 2,000
# new messages pulled into a local Maildir that already holds 100,000
# (in cur/, as a reader's INBOX does) must peak under 11 MiB of RSS (GNU
# time's %M); 16 MiB is the bound of every benchmark case, and this run
# peaks at about 9, 11.5 when GMime was linked in (it is loaded by the
# attachments child alone, mail/gmime_load.h).  Of the local
# names only those that share a unique name with a listed message are
# kept (maildir/localset.c); a map of all of them cost 29 MiB here.  One
# of the new messages is already local under its unique name with the
# same bytes (read, in cur/ with flags): found, and not delivered twice.  The sanitizer pass
# checks the delivery only: ASan's shadow memory says nothing about ours.
. "$(dirname "$0")/lib.sh"
setup
[ -x /usr/bin/time ] || fail "GNU time is not installed (tests/deps.sh)"

mkmaildir "$LOCAL"
python3 - "$LOCAL/cur" <<'EOF' || fail "making 100,000 local messages"
import os, sys
d = sys.argv[1]
for i in range(100000):
    name = "%d.M%dP%dQ%d.laptop.example.org,S=%d:2,S" % (
        1500000000 + i, i * 7, i % 5000, i, 2000 + i % 9000)
    os.close(os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT, 0o600))
EOF
mkmsgs "$REMOTE/new" 2000 small
SEEN=1700000001.M1P1Q1.seen
mkmsg "$REMOTE/new" "$SEEN" 5000
cp -p "$REMOTE/new/$SEEN" "$LOCAL/cur/$SEEN:2,S"

REAL=$SYNCMAIL
SYNCMAIL=$T/timed-syncmail
printf '#!/bin/sh\nexec /usr/bin/time -f %%M -o "%s" "%s" "$@"\n' \
    "$T/rss" "$REAL" >"$SYNCMAIL"
chmod 755 "$SYNCMAIL"
run_syncmail -q
assert_rc 0 "pull into a Maildir of 100,000 messages"
SYNCMAIL=$REAL
[ "$(count_files "$REMOTE/new")" = 0 ] || fail "messages left on the server"
[ ! -e "$LOCAL/new/$SEEN" ] || fail "$SEEN delivered again though in cur/"
[ "$(count_files "$LOCAL/new")" = 2000 ] ||
	fail "local new/ holds $(count_files "$LOCAL/new") files, want 2000"
# The 100,000 were never in $T/orig: leave them out of the check.
mkdir "$T/cur-old"
find "$LOCAL/cur" -name '15*' -exec mv -t "$T/cur-old" {} + ||
	fail "moving the old messages aside"
check_exactly_once
rss=$(tail -n 1 "$T/rss")
case $(basename "$REAL") in
*asan*) note "2,000 messages into a Maildir of 100,000, exactly once (RSS not judged under ASan)" ;;
*)	[ "$rss" -le 11264 ] ||
		fail "peak RSS $rss KiB, want at most 11264 KiB (11 MiB)"
	note "2,000 messages into a Maildir of 100,000: peak RSS $rss KiB" ;;
esac
