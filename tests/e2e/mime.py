#!/usr/bin/env python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
"""Messages with attachments for tests/e2e/t-63-attachments.sh.

    mime.py T NEWDIR USER CASE...

writes one message per CASE into NEWDIR (owned by USER, as a delivery on
the server would leave it) and a copy into T/orig, and appends to
T/expect one line per attachment the message carries, "NAME\\tCASE\\tSHA256
\\tSAFE", SAFE being the file name syncmail is to give it when DIR holds
no file of that name yet, and for a message without any, one line
"NAME\\tCASE\\t-\\t-".  The messages are written as mail clients write
them (LF line ends, as delivered into a Maildir): a scanner's PDF, an
inline image, RFC 2231 long and non-ASCII names, quoted-printable, an
attached message, two parts of one name, hostile names, none at all,
10,000 levels of nesting, and a 50 MB attachment as one base64 line.
With MIME_UNIQUE=1 in the environment no two attachments have the same
bytes.
"""
import base64
import hashlib
import os
import pwd
import random
import sys
import time
import urllib.parse

seq = [0]


# MIME_UNIQUE=1 (t-41's power cuts): each attachment's bytes its own,
# told apart by the process and the message, so that a test can find
# every one by its SHA-256.
UNIQUE = os.environ.get("MIME_UNIQUE") == "1"


def payload(n, head=b""):
    if UNIQUE:
        head += b"\n%d.%d\n" % (os.getpid(), seq[0])
    return head + random.Random(n * 7919 + len(head)).randbytes(n)


def b64(data, width=76):
    s = base64.b64encode(data).decode()
    if width == 0:
        return s + "\n"
    return "".join(s[i:i + width] + "\n" for i in range(0, len(s), width))


def header(subject):
    return ("From: Scanner <scanner@office.example>\n"
            "To: scans@example.org\n"
            "Subject: %s\n"
            "Date: Tue, 01 Dec 2026 10:00:00 +0000\n"
            "Message-ID: <%d.%s@office.example>\n"
            "MIME-Version: 1.0\n" % (subject, seq[0], subject.replace(" ", "")))


def part(ctype, data, disposition=None, encoding="base64", extra=""):
    h = "Content-Type: %s\n" % ctype
    if disposition:
        h += "Content-Disposition: %s\n" % disposition
    h += extra
    h += "Content-Transfer-Encoding: %s\n\n" % encoding
    if encoding == "base64":
        return h + b64(data)
    return h + data.decode()


def multipart(subtype, parts, boundary):
    out = "Content-Type: multipart/%s; boundary=\"%s\"\n\n" % (subtype, boundary)
    out += "This is a multi-part message in MIME format.\n"
    for p in parts:
        # the line end before a boundary is the boundary's, not the part's
        out += "--%s\n%s\n" % (boundary, p)
    return out + "--%s--\n" % boundary


TEXT = part("text/plain; charset=us-ascii", b"Please find the document attached.\n",
            encoding="7bit")


def case_scan():
    pdf = payload(150000, b"%PDF-1.4\n")
    body = multipart("mixed", [TEXT, part(
        "application/pdf; name=\"scan-0001.pdf\"", pdf,
        "attachment; filename=\"scan-0001.pdf\"")], "scanB")
    return header("scan") + body, [(pdf, "scan-0001.pdf")]


def case_inline():
    png = payload(20000, b"\x89PNG\r\n\x1a\n")
    html = part("text/html; charset=utf-8",
                b"<p>Logo: <img src=\"cid:logo\"></p>\n", encoding="7bit")
    img = part("image/png", png, "inline; filename=\"logo.png\"",
               extra="Content-ID: <logo>\n")
    return header("inline") + multipart("related", [html, img], "relB"), \
        [(png, "logo.png")]


def case_rfc2231():
    name = ("Überweisungsbestätigung für das Geschäftsjahr 2026 "
            "mit einem sehr langen Namen.pdf")
    # as mail clients do: each segment encoded on its own, never cut
    # inside a character's %XX
    chunks = [urllib.parse.quote(name[i:i + 20].encode(), safe="")
              for i in range(0, len(name), 20)]
    disp = "attachment;\n" + ";\n".join(
        " filename*%d*=%s%s" % (i, "UTF-8''" if i == 0 else "", c)
        for i, c in enumerate(chunks))
    pdf = payload(30000, b"%PDF-1.5\n")
    body = multipart("mixed", [TEXT, part("application/pdf", pdf, disp)],
                     "r2231")
    return header("rfc2231") + body, [(pdf, name)]


def case_qp():
    text = ("Grüße aus dem Büro — a line that is long enough to be soft "
            "broken by quoted-printable encoding, with = signs and tabs\t.\n"
            "Second line.\n").encode()
    import quopri
    qp = quopri.encodestring(text).replace(b"\r\n", b"\n")
    p = part("text/plain; charset=utf-8", qp,
             "attachment; filename=\"notes.txt\"", encoding="quoted-printable")
    return header("qp") + multipart("mixed", [TEXT, p], "qpB"), \
        [(text, "notes.txt")]


def case_nested():
    pdf = payload(12000, b"%PDF-1.3\n")
    inner = ("From: a@example.com\nSubject: inner\nMIME-Version: 1.0\n" +
             multipart("mixed", [TEXT, part(
                 "application/pdf", pdf,
                 "attachment; filename=\"inner.pdf\"")], "innerB"))
    outer = multipart("mixed", [TEXT, "Content-Type: message/rfc822\n"
                                "Content-Disposition: inline\n\n" + inner],
                      "outerB")
    return header("nested") + outer, [(pdf, "inner.pdf")]


def case_samename():
    a = payload(5000, b"%PDF-1.4\nfirst")
    b = payload(6000, b"%PDF-1.4\nsecond")
    parts = [TEXT] + [part("application/pdf", d,
                           "attachment; filename=\"report.pdf\"")
                      for d in (a, b)]
    return header("samename") + multipart("mixed", parts, "sameB"), \
        [(a, "report.pdf"), (b, "report-2.pdf")]


def case_hostile():
    names = [("../../x", "x"), (".bashrc", "_bashrc"), ("a/b", "b"),
             ("a\\\\..\\\\c.sh", "c.sh"),
             ("n" * 300 + ".pdf", "n" * 251 + ".pdf"), ("", "attachment.pdf")]
    parts, want = [TEXT], []
    for i, (n, safe) in enumerate(names):
        d = payload(1000 + i, b"%PDF-1.4\nhostile")
        parts.append(part("application/pdf", d,
                          "attachment; filename=\"%s\"" % n))
        want.append((d, safe))
    return header("hostile") + multipart("mixed", parts, "hostB"), want


def case_plain():
    return header("plain") + "Content-Type: text/plain\n\nNo attachment.\n", []


def case_image_only():
    png = payload(3000, b"\x89PNG\r\n\x1a\nonly")
    body = multipart("mixed", [TEXT, part(
        "image/png", png, "attachment; filename=\"photo.png\"")], "imgB")
    return header("image only") + body, [(png, "photo.png")]


def case_deep():
    depth = 10000
    pdf = payload(100, b"%PDF-1.4\ndeep")
    out = part("application/pdf", pdf, "attachment; filename=\"deep.pdf\"").rstrip("\n")
    for i in range(depth):
        out = "Content-Type: multipart/mixed; boundary=\"d%d\"\n\n--d%d\n%s\n--d%d--" \
            % (i, i, out, i)
    return header("deep") + out + "\n", []


def case_big():
    data = random.Random(5).randbytes(1 << 16) * 800
    body = multipart("mixed", [TEXT, "Content-Type: application/pdf\n"
                               "Content-Disposition: attachment; "
                               "filename=\"big.pdf\"\n"
                               "Content-Transfer-Encoding: base64\n\n" +
                               b64(data, 0)], "bigB")
    return header("big") + body, [(data, "big.pdf")]


def case_two():
    a = payload(40000, b"%PDF-1.4\npage one")
    b = payload(50000, b"%PDF-1.4\npage two")
    parts = [TEXT, part("application/pdf", a, "attachment; filename=\"one.pdf\""),
             part("application/pdf", b, "attachment; filename=\"two.pdf\"")]
    return header("two") + multipart("mixed", parts, "twoB"), \
        [(a, "one.pdf"), (b, "two.pdf")]


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    t, new, user = sys.argv[1:4]
    pw = pwd.getpwnam(user)
    os.makedirs(os.path.join(t, "orig"), exist_ok=True)
    with open(os.path.join(t, "expect"), "a") as ex:
        for case in sys.argv[4:]:
            seq[0] += 1
            text, atts = CASES[case]()
            data = text.encode()
            name = "%d.M%dP%d_%s.mime" % (int(time.time()), seq[0],
                                          os.getpid(), case)
            for d in (new, os.path.join(t, "orig")):
                path = os.path.join(d, name)
                with open(path + ".part", "wb") as f:
                    f.write(data)
                if d == new:
                    os.chown(path + ".part", pw.pw_uid, pw.pw_gid)
                os.rename(path + ".part", path)
            for d, safe in atts:
                ex.write("%s\t%s\t%s\t%s\n" % (name, case,
                                              hashlib.sha256(d).hexdigest(), safe))
            if not atts:
                ex.write("%s\t%s\t-\t-\n" % (name, case))


if __name__ == "__main__":
    main()
