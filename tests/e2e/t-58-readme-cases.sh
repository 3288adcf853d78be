#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# README.md's use cases work as written (SPEC 8: "a section per use
# case ... each with a config that works as written"): every block
# marked "<!-- t-58: NAME -->" in README.md is taken from the file as it
# is, and only what ties it to a machine is changed: its "host
# mail.example.com" becomes this test's sshd (port, user, key,
# known_hosts, no ssh config, as every test connects) and "pull Maildir"
# the test user's remote Maildir; "~/" is HOME, the test's own home.
# procmail and maildrop take $HOME from the password file, not the
# environment (root's here), so in their recipe files $HOME is written
# as the test's home.  Then, for each case, messages that show it does
# what its section says:
#   lists       each list's messages into ~/Mail/lists/NAME by List-Id,
#               a display name RFC 2047 encoded too; the others, one of
#               another domain's list among them, into the inbox;
#   mda         To: support@... through procmail and its recipe into
#               ~/Mail/tickets, the announce list through maildrop and
#               its mailfilter (the Maildir made as the README says)
#               into ~/Mail/announce, the rest into the inbox;
#   discard     the monitoring system's messages nowhere, gone from the
#               server, each logged with its SHA-256; the rest in the
#               inbox;
#   scanner     a scan's PDF and a photo in ~/Scans, a second
#               scan-0001.pdf as scan-0001-2.pdf, a Word file not saved,
#               every message in ~/Mail/scans; "pull Maildir/.scans" is
#               the test user's Maildir/.scans;
#   sanitizer   contrib/strip-attachments (the installed path in the
#               block becomes the source tree's): a message with an .exe
#               reaches the inbox stripped, its original in the
#               quarantine; one without comes through untouched and
#               nothing of it goes to the quarantine.
# Each message byte-identical, exactly once where it belongs, and none
# left on the server.
. "$(dirname "$0")/lib.sh"
setup
command -v procmail >/dev/null || fail "procmail is not installed (tests/deps.sh)"
command -v maildrop >/dev/null || fail "maildrop is not installed (tests/deps.sh)"

README=$ROOT/README.md
H=$T/home
MAIL=$H/Mail

# take NAME FILE: the lines of README's block marked NAME, unindented
# (an indented code block right after the marker, up to the first line
# that is neither indented nor blank), into FILE; the test fails when
# there is none, or two.
take()
{
	/usr/bin/python3 - "$README" "$1" >"$2" <<'EOF' ||
import sys
text = open(sys.argv[1], encoding="utf-8").read().split("\n")
marker = "<!-- t-58: %s -->" % sys.argv[2]
at = [i for i, l in enumerate(text) if l.strip() == marker]
if len(at) != 1:
    sys.exit(1)
out = []
for line in text[at[0] + 1:]:
    if line.startswith("    "):
        out.append(line[4:])
    elif not line.strip():
        if out:
            out.append("")
    else:
        break
while out and not out[-1].strip():
    out.pop()
if not out:
    sys.exit(1)
print("\n".join(out))
EOF
		fail "README.md: no block \"$1\" (<!-- t-58: $1 -->), or two"
}

# config NAME: README's config block NAME, pointed at the test server,
# into $CONF.
config()
{
	take "$1" "$T/block.$1"
	/usr/bin/python3 - "$T/block.$1" "$CONF" "$PORT" "$TEST_USER" "$T" \
	    "$REMOTE" "$ROOT/contrib" <<'EOF' || fail "README.md: block \"$1\" has no \"host mail.example.com\" and \"pull Maildir\""
import re, sys
src, conf, port, user, T, remote, ex = sys.argv[1:8]
out, hosts, pulls = [], 0, 0
for line in open(src).read().split("\n"):
    m = re.match(r"(\s*)host mail\.example\.com$", line)
    if m:
        ind = m.group(1)
        out += [ind + "host 127.0.0.1", ind + "port " + port,
                ind + "user " + user, ind + "identity %s/id_ed25519" % T,
                ind + "known-hosts %s/known_hosts" % T,
                ind + "ssh-config none"]
        hosts += 1
        continue
    m = re.match(r"(\s*)pull Maildir(/\S+)? (.*)$", line)
    if m:
        line = "%spull %s%s %s" % (m.group(1), remote, m.group(2) or "",
                                   m.group(3))
        pulls += 1
    line = line.replace("/usr/local/share/examples/syncmail/", ex + "/")
    out.append(line)
if hosts != 1 or pulls != 1:
    sys.exit(1)
open(conf, "w").write("\n".join(out) + "\n")
EOF
}

# put NAME HEADER...: a message with these header fields into the remote
# new/ and $T/orig.
put()
{
	pt_f=$REMOTE/new/$1
	shift
	{
		for pt_h; do printf '%s\n' "$pt_h"; done
		printf '\nThe body of %s.\n' "$(basename "$pt_f")"
	} >"$pt_f"
	cp "$pt_f" "$T/orig/" && chown "$TEST_USER:" "$pt_f" || fail "put $pt_f"
}

# at NAME DIR: the message NAME is exactly once in DIR/new, byte-identical.
at()
{
	at_sum=$(sha256sum <"$T/orig/$1" | cut -c1-64)
	assert_eq "$(_hashes "$2/new" | grep -c "^$at_sum\$")" 1 "copies of $1 in $2/new"
}

# fresh: no message anywhere, locally or on the server.
fresh()
{
	rm -rf "$MAIL" "$T/orig"
	mkdir -p "$T/orig"
	find "$REMOTE/new" -mindepth 1 -delete
}

# ---- lists ----------------------------------------------------------------
fresh
config lists
put 1700000001.M1.a "From: a@example.org" "List-Id: Dev list <dev.lists.example.org>" "Subject: one"
put 1700000002.M2.a "From: b@example.org" "List-Id: <dev.lists.example.org>" "Subject: two"
put 1700000003.M3.a "From: c@example.org" "List-ID: =?utf-8?q?K8s_B=C3=BCro?= <k8s.ops.lists.example.org>" "Subject: three"
put 1700000004.M4.a "From: d@example.org" "Subject: no list"
put 1700000005.M5.a "From: e@example.org" "List-Id: <dev.lists.example.net>" "Subject: another domain"
run_syncmail -q
assert_rc 0 "lists: the README's config"
at 1700000001.M1.a "$MAIL/lists/dev"
at 1700000002.M2.a "$MAIL/lists/dev"
at 1700000003.M3.a "$MAIL/lists/k8s.ops"
at 1700000004.M4.a "$MAIL/inbox"
at 1700000005.M5.a "$MAIL/inbox"
assert_eq "$(find "$MAIL" -type f -path '*/new/*' | wc -l)" 5 "lists: messages delivered"
assert_eq "$(count_entries "$REMOTE/new")" 0 "lists: left on the server"

# ---- procmail and maildrop ------------------------------------------------
fresh
config mda
take procmailrc "$T/procmailrc"
take mailfilter "$T/mailfilter"
take mailfilter-setup "$T/setup.sh"
sed "s|\\\$HOME|$H|g" "$T/procmailrc" >"$H/.procmailrc-tickets"
sed "s|\\\$HOME|$H|g" "$T/mailfilter" >"$H/.mailfilter-announce"
HOME=$H sh -e "$T/setup.sh" || fail "mda: the README's setup commands failed"
put 1700000011.M11.b "From: a@example.org" "To: Support <support@example.com>" "Subject: printer"
put 1700000012.M12.b "From: b@example.org" "To: support@example.com" "Subject: scanner"
put 1700000013.M13.b "From: c@example.org" "List-Id: Announcements <announce.example.org>" "Subject: release"
put 1700000014.M14.b "From: d@example.org" "List-Id: <announce.example.org>" "Subject: outage"
put 1700000015.M15.b "From: e@example.org" "To: me@example.org" "Subject: hello"
run_syncmail -q
assert_rc 0 "mda: the README's config"
at 1700000011.M11.b "$MAIL/tickets"
at 1700000012.M12.b "$MAIL/tickets"
at 1700000013.M13.b "$MAIL/announce"
at 1700000014.M14.b "$MAIL/announce"
at 1700000015.M15.b "$MAIL/inbox"
assert_eq "$(find "$MAIL" -type f -path '*/new/*' | wc -l)" 5 "mda: messages delivered"
assert_eq "$(count_entries "$REMOTE/new")" 0 "mda: left on the server"

# ---- discard --------------------------------------------------------------
fresh
config discard
put 1700000021.M21.c "From: Nagios <nagios@monitor.example.com>" "Subject: PROBLEM: disk"
put 1700000022.M22.c "From: nagios@monitor.example.com" "Subject: RECOVERY: disk"
put 1700000023.M23.c "From: Ann <ann@example.org>" "Subject: lunch"
put 1700000024.M24.c "From: nagios@monitor.example.org" "Subject: a lookalike"
run_syncmail -q
assert_rc 0 "discard: the README's config"
at 1700000023.M23.c "$MAIL/inbox"
at 1700000024.M24.c "$MAIL/inbox"
assert_eq "$(find "$MAIL" -type f -path '*/new/*' | wc -l)" 2 "discard: messages delivered"
assert_eq "$(count_entries "$REMOTE/new")" 0 "discard: left on the server"
for n in 1700000021.M21.c 1700000022.M22.c; do
	sum=$(sha256sum <"$T/orig/$n" | cut -c1-64)
	grep -F "discarded $REMOTE/new/$n to discard" "$MAIL/syncmail.log" |
		grep -qF "sha256 $sum" || fail "discard: no log line with the SHA-256 of $n"
done
# ---- a scanner's PDFs ----------------------------------------------------
fresh
rm -rf "$H/Scans"
mkmaildir "$REMOTE/.scans" "$TEST_USER"
config scanner
# scan NAME FILE TYPE [FILE TYPE]: a scanner's message with these parts
# (their bytes made from FILE's name) into the remote .scans/new.
scan()
{
	sc_n=$1
	shift
	/usr/bin/python3 - "$REMOTE/.scans/new/$sc_n" "$T/orig/$sc_n" "$@" <<'EOF' || fail "scan $sc_n"
import base64, hashlib, sys
out, orig, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
msg = ("From: Scanner <scan@office.example>\nSubject: scan\nMIME-Version: 1.0\n"
       "Content-Type: multipart/mixed; boundary=\"s\"\n\n--s\n"
       "Content-Type: text/plain\n\nScanned.\n\n")
for i in range(0, len(rest), 2):
    data = hashlib.sha256(rest[i].encode()).digest() * 500
    msg += ("--s\nContent-Type: %s\nContent-Disposition: attachment; "
            "filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n%s\n"
            % (rest[i + 1], rest[i], base64.encodebytes(data).decode()))
msg += "--s--\n"
for p in (out, orig):
    open(p, "w").write(msg)
EOF
	chown "$TEST_USER:" "$REMOTE/.scans/new/$sc_n"
}
# the bytes scan gives FILE
bytes_of() { /usr/bin/python3 -c 'import hashlib,sys; sys.stdout.buffer.write(hashlib.sha256(sys.argv[1].encode()).digest() * 500)' "$1"; }
scan 1700000031.M31.d scan-0001.pdf application/pdf
scan 1700000032.M32.d scan-0001.pdf application/pdf photo.jpg image/jpeg
scan 1700000033.M33.d letter.docx application/vnd.openxmlformats-officedocument.wordprocessingml.document
run_syncmail -q
assert_rc 0 "scanner: the README's config"
for f in scan-0001.pdf scan-0001-2.pdf photo.jpg; do
	[ -f "$H/Scans/$f" ] || fail "scanner: no $f in ~/Scans: $(ls -A "$H/Scans" | tr '\n' ' ')"
done
bytes_of scan-0001.pdf | cmp -s - "$H/Scans/scan-0001.pdf" || fail "scanner: scan-0001.pdf differs"
bytes_of photo.jpg | cmp -s - "$H/Scans/photo.jpg" || fail "scanner: photo.jpg differs"
assert_eq "$(find "$H/Scans" -mindepth 1 | wc -l)" 3 "scanner: files in ~/Scans (no .docx, nothing hidden)"
at 1700000031.M31.d "$MAIL/scans"
at 1700000032.M32.d "$MAIL/scans"
at 1700000033.M33.d "$MAIL/scans"
assert_eq "$(count_entries "$REMOTE/.scans/new")" 0 "scanner: left on the server"

# ---- a sanitizer with a quarantine -----------------------------------------
fresh
config sanitizer
put 1700000041.M41.e "From: a@example.org" "Subject: plain" "MIME-Version: 1.0"
/usr/bin/python3 - "$REMOTE/new/1700000042.M42.e" <<'EOF' || fail "sanitizer: message"
import sys
open(sys.argv[1], "w").write(
    "From: b@example.org\nSubject: invoice\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
    "Content-Type: text/plain\n\nSee the invoice.\n\n--b\n"
    "Content-Type: application/octet-stream; name=\"invoice.pdf.exe\"\n"
    "Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\n"
    "Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA//8AALgAAAAA\n--b--\n")
EOF
cp "$REMOTE/new/1700000042.M42.e" "$T/orig/" && chown "$TEST_USER:" "$REMOTE/new/1700000042.M42.e"
run_syncmail -q
assert_rc 0 "sanitizer: the README's config"
at 1700000041.M41.e "$MAIL/inbox"
at 1700000042.M42.e "$MAIL/quarantine"
assert_eq "$(count_files "$MAIL/quarantine/new")" 1 "sanitizer: originals in the quarantine"
assert_eq "$(count_files "$MAIL/inbox/new")" 2 "sanitizer: messages in the inbox"
stripped=$(grep -l "Subject: invoice" "$MAIL/inbox/new/"*)
[ -n "$stripped" ] || fail "sanitizer: the invoice is not in the inbox"
grep -q "TVqQAAMAAAAE" "$stripped" && fail "sanitizer: the .exe reached the inbox"
/usr/bin/python3 - "$stripped" <<'EOF' || fail "sanitizer: no note where the .exe was"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sys.exit(0 if any(b"invoice.pdf.exe was removed" in (p.get_payload(decode=True) or b"")
                  for p in m.walk() if not p.is_multipart()) else 1)
EOF
assert_eq "$(count_entries "$REMOTE/new")" 0 "sanitizer: left on the server"
note "README's use cases (lists, procmail and maildrop, discard, a scanner, a sanitizer) run as written against the test server"
