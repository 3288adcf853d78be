#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Watch mode with SPEC 8's destinations (SPEC 9: what appears is moved as
# in sections 4 and 8): a route by List-Id to a folder per list, a
# route's pipe (a command that keeps each message under its
# SYNCMAIL_NAME, as a command that must not see one twice does) and a
# route to attachments DIR MAILDIR, beside the pull's own Maildir.  60
# messages, 15 of each kind, are delivered one at a time at random
# intervals (0 to 0.4 s) while syncmail -w watches at watch-interval 1;
# half-way, up to 0.3 s after a burst of 8, the account's watching process is
# killed (SIGKILL), and syncmail -w started again.  Then each message is
# exactly once at its destination (a list's folder, the inbox, the
# command's keep, the attachments' Maildir), each attachment once in
# DIR, the command given a message again only with SYNCMAIL_REDELIVERY=1,
# nothing left on the server or in a tmp/.
. "$(dirname "$0")/lib.sh"
setup
conf_add watch-interval 1
LISTS=$T/local/lists
SCANS=$T/local/scans
SCANMAIL=$T/local/Scans
PIPED=$T/piped
mkdir -p "$PIPED" "$T/exp/inbox" "$T/exp/pipe" "$T/exp/scan" "$T/exp/att" \
    "$T/exp/dev" "$T/exp/users"
cat >"$T/keep.sh" <<EOF
#!/bin/sh
# What a command that must see a message once does: keeps it under its
# name, written whole before it is renamed in; logs each time it is given.
echo "\$SYNCMAIL_NAME \${SYNCMAIL_REDELIVERY:-0}" >>"$T/pipe.log"
cat >"$PIPED/.\$SYNCMAIL_NAME" || exit 1
mv "$PIPED/.\$SYNCMAIL_NAME" "$PIPED/\$SYNCMAIL_NAME"
EOF
chmod 755 "$T/keep.sh"
: >"$T/pipe.log"
conf_add route List-Id "\"<([^>]*)\\.lists\\.example\\.org>\"" "$LISTS/%1"
conf_add route Subject "^pipe" pipe "$T/keep.sh"
conf_add route Subject "^scan" attachments "$SCANS" "$SCANMAIL"

# deliver KIND N: message N of KIND (list, pipe, scan, plain) written in
# the remote tmp/ and renamed into new/, as an MDA delivers; its copy (and
# its attachment's) in $T/exp/WHERE.
cat >"$T/gen.py" <<'EOF'
import base64, os, pwd, random, sys
t, remote, user, kind, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
rnd = random.Random(n * 31 + len(kind))
body = "".join("line %d of message %s %d: %s\n" % (i, kind, n, rnd.randbytes(20).hex())
               for i in range(rnd.randrange(5, 200)))
head = "From: a@example.org\nTo: b@example.org\nMessage-ID: <%s%d@example.org>\n" % (kind, n)
where = kind
if kind == "list":
    where = ("dev", "users")[n // 4 % 2]
    msg = head + "List-Id: The %s list <%s.lists.example.org>\nSubject: about %d\n\n%s" % (where, where, n, body)
elif kind == "pipe":
    msg = head + "Subject: pipe %d\n\n%s" % (n, body)
elif kind == "scan":
    att = b"%PDF-1.4\n" + rnd.randbytes(rnd.randrange(1000, 40000))
    with open(os.path.join(t, "exp", "att", "scan-%d.pdf" % n), "wb") as f:
        f.write(att)
    b = base64.b64encode(att).decode()
    msg = (head + "Subject: scan %d\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n"
           "--b%d\nContent-Type: text/plain\n\n%s\n"
           "--b%d\nContent-Type: application/pdf\n"
           "Content-Disposition: attachment; filename=\"scan-%d.pdf\"\n"
           "Content-Transfer-Encoding: base64\n\n%s\n--b%d--\n") % (
        n, n, n, body, n, n, "\n".join(b[i:i + 76] for i in range(0, len(b), 76)), n)
else:
    where = "inbox"
    msg = head + "Subject: hello %d\n\n%s" % (n, body)
name = "18%08d.M%dP%d.%s" % (n, n, n, kind)
data = msg.encode()
tmp = os.path.join(remote, "tmp", name)
with open(tmp, "wb") as f:
    f.write(data)
pw = pwd.getpwnam(user)
os.chown(tmp, pw.pw_uid, pw.pw_gid)
os.chmod(tmp, 0o600)
with open(os.path.join(t, "exp", where, name), "wb") as f:
    f.write(data)
os.rename(tmp, os.path.join(remote, "new", name))
EOF
deliver()
{
	python3 "$T/gen.py" "$T" "$REMOTE" "$TEST_USER" "$1" "$2" ||
		fail "gen.py $1 $2"
}

KINDS="list pipe scan plain"
# deliver_some FROM TO MAXMS: messages FROM..TO, their kind in turn, at
# random intervals of 0 to MAXMS ms.
deliver_some()
{
	ds_i=$1
	while [ "$ds_i" -le "$2" ]; do
		ds_k=$(echo $KINDS | cut -d' ' -f$((ds_i % 4 + 1)))
		deliver "$ds_k" "$ds_i"
		[ "$3" -gt 0 ] && sleep_ms "$(rand "$3")"
		ds_i=$((ds_i + 1))
	done
}

# the account's process: the main process's child in its process group
# (the pipes' runner, also its child, has a group of its own).
account_proc()
{
	for ap in $(descendants "$WATCH"); do
		[ "$(sed 's/.*) //' "/proc/$ap/stat" 2>/dev/null | cut -d' ' -f3)" = "$ap" ] && continue
		[ "$(cat "/proc/$ap/comm" 2>/dev/null)" = "$(basename "$SYNCMAIL" | cut -c1-15)" ] && echo "$ap"
	done
}

start_syncmail -w
WATCH=$BG_PID
sleep 1
deliver_some 1 26 400
# A burst, and the SIGKILL while it moves.
acct=$(account_proc)
[ "$(echo $acct | wc -w)" = 1 ] || fail "account processes: '$acct', want one"
deliver_some 27 34 0
sleep_ms "$(rand 300)"
kill -KILL "$acct"
wait_exit "$WATCH" 20
[ "$WAIT_RC" = 1 ] || fail "the watch whose account was killed: status $WAIT_RC, want 1"
killed_at=$(find "$T/local" "$PIPED" -path '*/new/*' -type f -o -path "$PIPED/*" -type f | wc -l)
start_syncmail -w
WATCH=$BG_PID
deliver_some 35 60 400
# Everything delivered arrives, within 10 s of the last.
n=100
while [ "$(count_entries "$REMOTE/new")" != 0 ] && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
sleep 1
kill -TERM "$WATCH"
wait_exit "$WATCH" 30
[ "$WAIT_RC" = 143 ] || fail "SIGTERM: status $WAIT_RC, want 143"
[ -s "$BG_ERR" ] && fail "unexpected stderr after the restart: $(head -n 3 "$BG_ERR")"
assert_eq "$(count_entries "$REMOTE/new")" 0 "remote new/ at the end"

# same_set EXPDIR DIR...: the files of DIRs are those of EXPDIR, each once.
same_set()
{
	ss_exp=$1
	shift
	_hashes "$ss_exp" >"$T/.h.exp"
	_hashes "$@" >"$T/.h.got"
	[ -s "$T/.h.exp" ] || fail "no messages for $(basename "$ss_exp") (the generator)"
	cmp -s "$T/.h.exp" "$T/.h.got" ||
		fail "$* holds $(wc -l <"$T/.h.got") files, want the $(wc -l <"$T/.h.exp") of $(basename "$ss_exp"), each once ($(comm -3 "$T/.h.exp" "$T/.h.got" | wc -l) differ)"
}
same_set "$T/exp/dev" "$LISTS/dev/new" "$LISTS/dev/cur"
same_set "$T/exp/users" "$LISTS/users/new" "$LISTS/users/cur"
same_set "$T/exp/inbox" "$LOCAL/new" "$LOCAL/cur"
same_set "$T/exp/scan" "$SCANMAIL/new" "$SCANMAIL/cur"
same_set "$T/exp/att" "$SCANS"
same_set "$T/exp/pipe" "$PIPED"
assert_eq "$(find "$LISTS" -mindepth 1 -maxdepth 1 | wc -l)" 2 "folders in lists/"
assert_eq "$(ls -A "$PIPED" | grep -c '^\.')" 0 "half-written files of the command"
for d in "$LOCAL" "$LISTS/dev" "$LISTS/users" "$SCANMAIL"; do
	assert_eq "$(count_entries "$d/tmp")" 0 "entries in $d/tmp"
done
# The command saw each message once, or again only flagged as a redelivery.
sort "$T/pipe.log" | awk '$2 == 0 { if (seen[$1]++) bad = bad " " $1 } END { if (bad != "") { print bad; exit 1 } }' >"$T/.twice" ||
	fail "given to the command twice without SYNCMAIL_REDELIVERY=1:$(cat "$T/.twice")"
given=$(wc -l <"$T/pipe.log")
assert_eq "$(cut -d' ' -f1 "$T/pipe.log" | sort -u | wc -l)" 15 "messages given to the command"
note "60 messages (15 per destination) while watching, SIGKILL after $killed_at had arrived: each once at its place; the command given $given times"
