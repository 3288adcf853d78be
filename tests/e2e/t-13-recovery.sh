#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Recovery from each state a crash can leave between the write-ahead
# record and the remote delete (SPEC 4), built by hand so that every case
# runs every time, whatever the timing of a kill:
#   a. recorded, tmp file gone (delivered), then read and deleted locally:
#      the remote copy is deleted, the message does not come back;
#   b. recorded, moved, then read (now in cur/ with flags): remote deleted,
#      no second copy;
#   c. recorded, tmp file still there (never moved): delivered once, the
#      stale tmp file removed;
#   d. the link()+unlink() fallback died between the two (tmp file with two
#      links): not delivered twice;
#   e. a torn last record line (killed mid-append): ignored;
#   f. not recorded, but the same bytes already local (state file lost):
#      not delivered twice, remote deleted;
#   g. not recorded, same unique name, other bytes local: delivered under a
#      fresh name, with a warning naming both;
#   h. an unrecorded partial file of ours in tmp/: removed;
#   i. recorded, tmp file gone, but the file in new/ is empty (its data
#      lost in a power cut after the rename was kept): not taken for a
#      delivery, the server's copy fetched again and delivered whole, a
#      warning names the empty file, which is left alone;
#   j. the same with a short file;
#   k. recorded as delivered under a fresh name (a clash with another
#      message holding the name in new/, of another size): that fresh
#      file is the delivery, nothing is fetched again.
. "$(dirname "$0")/lib.sh"
setup

TAG=$(printf '%s' "$TEST_USER@127.0.0.1:$PORT:$REMOTE" | sha256sum | cut -c1-16)
STATE=$LOCAL/syncmail-state.$TAG
TMPP=syncmail.$TAG
mkmaildir "$LOCAL"

for m in a b c d e f g i j k plain; do
	mkmsg "$REMOTE/new" "1700000001.M1P1Q1.$m" 3000
done
size() { stat -c %s "$1"; }

# a: delivered by a killed run, then deleted by the user.
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.a 3000 "$TMPP.1.1" >>"$STATE"
forget_orig 1700000001.M1P1Q1.a
# b: delivered, then read: the user's client moved it to cur/ with flags.
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.b 3000 "$TMPP.1.2" >>"$STATE"
cp -p "$REMOTE/new/1700000001.M1P1Q1.b" "$LOCAL/cur/1700000001.M1P1Q1.b:2,S"
# c: recorded, but the rename never happened: a complete tmp file.
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.c 3000 "$TMPP.1.3" >>"$STATE"
cp "$REMOTE/new/1700000001.M1P1Q1.c" "$LOCAL/tmp/$TMPP.1.3"
# d: link() into new/ done, unlink() of the tmp name not.
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.d 3000 "$TMPP.1.4" >>"$STATE"
cp -p "$REMOTE/new/1700000001.M1P1Q1.d" "$LOCAL/new/1700000001.M1P1Q1.d"
ln "$LOCAL/new/1700000001.M1P1Q1.d" "$LOCAL/tmp/$TMPP.1.4"
# i: recorded and renamed, but its data never reached the disk.
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.i 3000 "$TMPP.1.5" >>"$STATE"
: >"$LOCAL/new/1700000001.M1P1Q1.i"
cp -p "$LOCAL/new/1700000001.M1P1Q1.i" "$T/orig/local-i"
# j: the same with the first 1000 bytes there.
printf '+\t%s\t%s\t%s\n' 1700000001.M1P1Q1.j 3000 "$TMPP.1.6" >>"$STATE"
head -c 1000 "$REMOTE/new/1700000001.M1P1Q1.j" >"$LOCAL/new/1700000001.M1P1Q1.j"
cp -p "$LOCAL/new/1700000001.M1P1Q1.j" "$T/orig/local-j"
# k: delivered as new/1700000009.M9P9Q9.fresh because another message
# held the name; the record says where it went.
printf '+\t%s\t%s\t%s\t%s\n' 1700000001.M1P1Q1.k 3000 "$TMPP.1.7" \
    1700000009.M9P9Q9.fresh >>"$STATE"
cp -p "$REMOTE/new/1700000001.M1P1Q1.k" "$LOCAL/new/1700000009.M9P9Q9.fresh"
printf 'Subject: the other k\n\nshort\n' >"$LOCAL/new/1700000001.M1P1Q1.k"
cp -p "$LOCAL/new/1700000001.M1P1Q1.k" "$T/orig/local-k"
# e: a torn line about e, after which e was never moved.
printf '+\t%s\t30' 1700000001.M1P1Q1.e >>"$STATE"
# f: already local with the same bytes, no record (state file lost).
cp -p "$REMOTE/new/1700000001.M1P1Q1.f" "$LOCAL/cur/1700000001.M1P1Q1.f:2,RS"
# g: same unique name, other bytes.
printf 'Subject: another message\n\nother bytes\n' \
    >"$LOCAL/new/1700000001.M1P1Q1.g"
cp -p "$LOCAL/new/1700000001.M1P1Q1.g" "$T/orig/local-g"
# h: a partial file of ours, never recorded.
printf 'partial' >"$LOCAL/tmp/$TMPP.99.1"
# Someone else's file in tmp/ is not ours to remove.
printf 'not ours' >"$LOCAL/tmp/1700000002.M2P2Q2.other"

run_syncmail
assert_rc 0 "recovery run"
grep -q "1700000001.M1P1Q1.g" "$T/err" ||
	fail "no warning names the clash of 1700000001.M1P1Q1.g"
grep -q "new/1700000001.M1P1Q1.g" "$T/err" ||
	fail "the clash warning does not name the local file"

for m in i j; do
	grep "1700000001.M1P1Q1.$m" "$T/err" | grep -q "new/1700000001.M1P1Q1.$m" ||
		fail "no warning names the short file new/1700000001.M1P1Q1.$m"
done
[ -e "$LOCAL/new/1700000001.M1P1Q1.i" ] || fail "the empty file of i was removed"
grep -q "1700000001.M1P1Q1.k" "$T/err" &&
	fail "k, delivered under a fresh name, was taken for a short delivery"

[ ! -e "$LOCAL/tmp/$TMPP.1.3" ] || fail "stale tmp file of c left"
[ ! -e "$LOCAL/tmp/$TMPP.1.4" ] || fail "tmp link of d left"
[ ! -e "$LOCAL/tmp/$TMPP.99.1" ] || fail "partial file h left"
[ -e "$LOCAL/tmp/1700000002.M2P2Q2.other" ] ||
	fail "a tmp file that is not ours was removed"
rm "$LOCAL/tmp/1700000002.M2P2Q2.other"

[ "$(count_files "$LOCAL/new")" -ge 1 ] || fail "nothing delivered"
ls "$LOCAL/new" "$LOCAL/cur" | grep -q '1700000001.M1P1Q1.a' &&
	fail "a, delivered and deleted by the user, came back"
# check_exactly_once: every original once by content (b, f in cur/, g's
# local file and the fresh copy of the remote g both), a nowhere, remote
# new/ empty.
check_exactly_once
check_tmp_empty
# The record is empty once every remote delete is done.
[ ! -s "$STATE" ] || fail "record not emptied: $(cat "$STATE")"

# A second run has nothing to do.
run_syncmail
assert_rc 0 "second run"
check_exactly_once

# A damaged record line (not a torn tail) stops the account: never guess.
mkmsg "$REMOTE/new" 1700000003.M3P3Q3.x 100
printf 'garbage line\n' >"$STATE"
run_syncmail
assert_rc 1 "run with a damaged record"
grep -q "damaged record" "$T/err" || fail "no message about the damaged record"
[ -e "$REMOTE/new/1700000003.M3P3Q3.x" ] ||
	fail "a message was deleted remotely despite a damaged record"
