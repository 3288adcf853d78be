#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# An account whose pull cannot be listed goes on with its other pulls on
# the same connection (README: a remote new/ that cannot be listed fails
# that pull, status 1).  The failed listing leaves answers in flight (the
# OPENDIR of the remote tmp/, sent with new/'s): they must not be taken for
# the next pull's.  Both orders, a missing Maildir first and last, and a
# Maildir whose new/ is missing while its tmp/ exists (so the tmp/ handle
# the failed pull opened must be closed, not leaked).  Then, against the
# hostile server (tests/hostile/hostile.py, mode readdir-fail), a pull
# whose listing fails mid-way, after its first names arrived, with its
# other READDIRs in flight: nothing of it is moved, and the good pull
# after it on the same connection moves everything.
. "$(dirname "$0")/lib.sh"
setup

# pulls REMOTE...: a config whose pulls take each REMOTE in turn; the good
# one ($REMOTE) into $LOCAL, the others into Maildirs of their own.
pulls()
{
	write_config
	sed -i '/^\tpull /d' "$CONF"
	k=0
	for rem in "$@"; do
		k=$((k + 1))
		if [ "$rem" = "$REMOTE" ]; then
			conf_add pull "$rem" "$LOCAL"
		else
			conf_add pull "$rem" "$T/local/other$k"
		fi
	done
}

mkdir -p "$T/remote/newless/tmp" "$T/remote/newless/cur"
chown -R "$TEST_USER:" "$T/remote/newless"
rounds=0
for order in "missing good" "good missing" "newless good" \
    "missing newless good"; do
	set --
	for w in $order; do
		case $w in
		good) set -- "$@" "$REMOTE" ;;
		missing) set -- "$@" "$T/remote/NoSuchMaildir" ;;
		newless) set -- "$@" "$T/remote/newless" ;;
		esac
	done
	pulls "$@"
	mkmsgs "$REMOTE/new" 20 small
	run_syncmail
	assert_rc 1 "pulls $order"
	grep -q "cannot list" "$T/err" ||
		fail "pulls $order: no error says the listing failed"
	grep -q "not in flight" "$T/err" &&
		fail "pulls $order: a stale answer was taken for the next pull's"
	grep -q "is not expanded on the server" "$T/err" &&
		fail "pulls $order: the ~/ hint for a path without ~"
	check_exactly_once
	rounds=$((rounds + 1))
done
# A remote path written with ~/, which SFTP servers do not expand: the
# error says so (SPEC 3), and the good pull after it still moves its mail.
pulls "~/Maildir" "$REMOTE"
mkmsgs "$REMOTE/new" 5 small
run_syncmail
assert_rc 1 "pulls ~/Maildir good"
grep -q '~/Maildir/new: cannot list: no such file ("~/" is not expanded on the server' "$T/err" ||
	fail "pull ~/Maildir: the error does not say ~/ is not expanded: $(cat "$T/err")"
check_exactly_once
rounds=$((rounds + 1))
. "$ROOT/tests/hostile/lib-hostile.sh"
reset_orig
hostile_setup
BIG=$T/remote/big
mkmaildir "$BIG" "$TEST_USER"
for order in "big good" "good big"; do
	mkmsgs "$BIG/new" 120 small
	# Those stay on the server this round: not expected locally.
	while read -r b; do rm -f "$T/orig/$b"; done <"$T/last"
	mkmsgs "$REMOTE/new" 20 small
	hostile_mode readdir-fail
	sed -i '/^\tpull /d' "$CONF"
	for w in $order; do
		case $w in
		big) conf_add pull "$BIG" "$T/local/big" ;;
		good) conf_add pull "$REMOTE" "$LOCAL" ;;
		esac
	done
	run_syncmail
	assert_rc 1 "pulls $order, the big one's listing failing mid-way"
	grep -q "READDIR" "$T/err" ||
		fail "pulls $order: no error names the failed READDIR"
	grep -q "not in flight" "$T/err" &&
		fail "pulls $order: a stale answer was taken for the next pull's"
	[ "$(count_files "$BIG/new")" = 120 ] ||
		fail "pulls $order: the failed pull's messages left the server"
	[ "$(count_files "$T/local/big/new")" = 0 ] ||
		fail "pulls $order: the failed pull delivered messages"
	check_exactly_once
	find "$BIG/new" -type f -delete
	rounds=$((rounds + 1))
done
note "$rounds orders of a failing and a good pull, the good one moved whole"
