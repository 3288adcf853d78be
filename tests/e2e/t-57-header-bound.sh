#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# The bound on the header section a route reads (SPEC 8: "Only the
# header section is read to route, at most 1 MiB of it; a message whose
# header section is larger goes to the pull's DEST with a warning").
# Every message below has its matching field (X-Route: yes) first, well
# within the first MiB; what differs is where its header section ends
# (its length: the bytes before the empty line, or the whole message
# when there is none; mail/header.c):
#   bound      exactly 1048576 bytes, LF line ends: routed;
#   bound-crlf exactly 1048576 bytes, CR LF line ends: routed;
#   over       1048577 bytes: the pull's Maildir, with a warning;
#   big        3 MiB of fields: the pull's Maildir, with a warning;
#   whole      no empty line, the message 1048576 bytes: routed;
#   whole-over no empty line, 1048577 bytes: the pull's Maildir, warned;
#   small      a few hundred bytes: routed.
# -n (preview.c reads the header sections from the server) names the
# same Maildir for each as the run then uses, and the same warnings with
# "would go to"; the run delivers each exactly once, byte-identical,
# status 0, one warning per message over the bound and none other.
. "$(dirname "$0")/lib.sh"
setup

ROUTED=$T/local/routed
conf_add route X-Route '^yes$' "$ROUTED"

# The messages, into the remote new/ and $T/orig; $T/expect: NAME, then
# "routed" or "inbox".
/usr/bin/python3 - "$T" "$REMOTE/new" "$TEST_USER" <<'EOF' ||
import os, pwd, sys
T, new, owner = sys.argv[1:4]
MAX = 1024 * 1024
pw = pwd.getpwnam(owner)

def fields(total, eol):
    """Header fields of exactly total bytes, X-Route: yes first."""
    out = ["X-Route: yes" + eol, "From: a@example.org" + eol,
           "Subject: header bound" + eol]
    have = sum(len(x) for x in out)
    i = 0
    while have < total:
        left = total - have
        line = "X-Filler-%d: " % i
        pad = min(900, left - len(line) - len(eol))
        if pad < 1:
            # Too short for a field: lengthen the one before it.
            out[-1] = out[-1][:-len(eol)] + "z" * left + eol
            have += left
            break
        line += "f" * pad + eol
        out.append(line)
        have += len(line)
        i += 1
    data = "".join(out)
    assert len(data) == total, (len(data), total)
    return data

body = "The body.\n" * 20
msgs = [
    ("bound", fields(MAX, "\n") + "\n" + body, "routed"),
    ("bound-crlf", fields(MAX, "\r\n") + "\r\n" + body.replace("\n", "\r\n"),
     "routed"),
    ("over", fields(MAX + 1, "\n") + "\n" + body, "inbox"),
    ("big", fields(3 * MAX, "\n") + "\n" + body, "inbox"),
    ("whole", fields(MAX, "\n"), "routed"),
    ("whole-over", fields(MAX + 1, "\n"), "inbox"),
    ("small", fields(300, "\n") + "\n" + body, "routed"),
]
with open(os.path.join(T, "expect"), "w") as ex:
    for i, (tag, data, where) in enumerate(msgs):
        name = "17000000%02d.M%dP1Q1.%s" % (i, i, tag)
        for d in (new, os.path.join(T, "orig")):
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write(data.encode())
            os.chmod(p, 0o600)
            if d == new:
                os.chown(p, pw.pw_uid, pw.pw_gid)
        ex.write("%s\t%s\n" % (name, where))
EOF
	fail "cannot write the messages"

# dir_of WHERE: the Maildir a message of $T/expect goes to.
dir_of()
{
	if [ "$1" = routed ]; then echo "$ROUTED"; else echo "$LOCAL"; fi
}

# check_warnings VERB: one warning per message over the bound, naming
# the pull's Maildir with VERB ("would go to", "goes to"), and no
# warning about any other.
check_warnings()
{
	while IFS="$(printf '\t')" read -r name where; do
		n=$(grep -cF "$REMOTE/new/$name: header section over 1048576 bytes, not routed: $1 $LOCAL" "$T/err")
		if [ "$where" = inbox ]; then
			assert_eq "$n" 1 "warnings for $name ($1)"
		else
			assert_eq "$(grep -cF "$name" "$T/err")" 0 \
			    "warnings for $name, routed ($1)"
		fi
	done <"$T/expect"
	assert_eq "$(grep -c '' "$T/err")" 3 "warnings in all ($1)"
}

# -n: each message's Maildir as the run will use it, the warnings.
run_syncmail -n
assert_rc 0 "dry run"
while IFS="$(printf '\t')" read -r name where; do
	dir=$(dir_of "$where")
	line=$(grep -F "would move $REMOTE/new/$name (" "$T/out")
	case $line in
	*" to $dir/new") ;;
	*) fail "-n sends $name ($where) elsewhere than $dir: '$line'" ;;
	esac
done <"$T/expect"
check_warnings "would go to"
[ ! -e "$ROUTED" ] || fail "-n made the route's Maildir"
assert_eq "$(count_files "$REMOTE/new")" 7 "remote messages after -n"

run_syncmail
assert_rc 0 "the run"
check_warnings "goes to"
while IFS="$(printf '\t')" read -r name where; do
	dir=$(dir_of "$where")
	sum=$(sha256sum <"$T/orig/$name" | cut -c1-64)
	assert_eq "$(_hashes "$dir/new" | grep -c "^$sum\$")" 1 \
	    "copies of $name ($where) in $dir/new"
done <"$T/expect"
assert_eq "$(count_files "$ROUTED/new")" 4 "messages routed"
assert_eq "$(count_files "$LOCAL/new")" 3 "messages in the pull's Maildir"
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ after the run"
check_tmp_empty
note "header sections of 1 MiB (LF, CR LF, no empty line) routed by a field in their first bytes, 1 MiB and a byte or 3 MiB to the pull's Maildir with a warning, -n the same"
