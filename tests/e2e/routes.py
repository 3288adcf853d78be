#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Writes mailing-list messages for the route tests (t-60, t-61):
#
#   routes.py T DIR OWNER lists N_PER_LIST N_PLAIN [SEED]
#   routes.py T DIR OWNER hostile
#   routes.py T DIR OWNER nagios N
#   routes.py T DIR OWNER subject SUBJECT COUNT SIZE [SEED]
#   routes.py T DIR OWNER mixed COUNT SEED
#
# Each message goes into DIR (as OWNER) and, with the same bytes, into
# T/orig; T/expect gets a line "NAME<TAB>WHERE" per message: the folder
# the route "<([^>]*)\.lists\.example\.org>" names (its capture made
# safe), "-" for none, "discard" for the monitoring system's.
# "mixed" (t-41's power cuts with routes) writes COUNT messages of 200 B
# to 16 KB (at least 10), each one of three lists (WHERE "lists/NAME"),
# of the work folder (X-Folder: work, "Work"), of the monitoring system
# ("discard"), a ticket (Subject: [ticket] ..., "pipe") or none ("-"):
# two of each kind, the others by chance.
# The List-Id fields vary as mailers write them: display names plain,
# quoted and RFC 2047 encoded (Q and B), the whole value encoded, the
# field folded (CRLF and LF), the name in other cases, a second List-Id
# of another list after the first, and lookalikes in other fields.
import base64
import os
import pwd
import random
import sys

T, DIR, OWNER, MODE = sys.argv[1:5]
ARGS = sys.argv[5:]

LISTS = ["dev", "announce", "users", "Help-Desk", "k8s.ops"]


def q(s):
    return "=?utf-8?q?" + "".join(
        c if c.isalnum() else "=%02X" % b
        for c in s for b in c.encode()) + "?="


def b(s):
    return "=?utf-8?b?" + base64.b64encode(s.encode()).decode() + "?="


def list_id(name, variant):
    lid = "<%s.lists.example.org>" % name
    if variant == 0:
        return "List-Id: %s list <%s.lists.example.org>\n" % (name, name)
    if variant == 1:
        return 'List-Id: "%s" %s\n' % (q("Liste für " + name), lid)
    if variant == 2:
        return "List-Id: The %s people\r\n\t%s\r\n" % (name, lid)
    if variant == 3:
        return "list-ID: %s %s\n" % (b("Développeurs " + name), lid)
    if variant == 4:
        return "List-Id: %s\n" % b("%s list %s" % (name, lid))
    if variant == 5:
        return "LIST-ID:\n  %s\n" % lid
    return "List-Id: %s\nList-Id: <other.example.net>\n" % lid


seq = [0]


def write(name, header, where):
    seq[0] += 1
    body = "Message %d for the route tests.\n" % seq[0]
    put(name, ("Return-Path: <a@example.org>\n"
               "From: Someone <a@example.org>\n"
               "To: me@example.org\n" + header +
               "Subject: test %d\nMessage-ID: <%d.%s@example.org>\n\n%s" %
               (seq[0], seq[0], name, body)).encode(), where)


def put(name, msg, where):
    for d in (DIR, os.path.join(T, "orig")):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(msg)
        os.chmod(p, 0o600)
        if d == DIR and OWNER:
            pw = pwd.getpwnam(OWNER)
            os.chown(p, pw.pw_uid, pw.pw_gid)
    with open(os.path.join(T, "expect"), "a") as f:
        f.write("%s\t%s\n" % (name, where))


def name(tag, i):
    return "17%08d.M%dP1Q1.%s" % (random.randrange(10**8), i, tag)


if MODE == "lists":
    per, plain = int(ARGS[0]), int(ARGS[1])
    random.seed(int(ARGS[2]) if len(ARGS) > 2 else 1)
    i = 0
    for n in LISTS:
        for k in range(per):
            i += 1
            write(name("list", i), list_id(n, k % 7), n)
    for k in range(plain):
        i += 1
        # Lookalikes outside List-Id must not route.
        h = ["", "Subject-Hint: <dev.lists.example.org>\n",
             "X-List: <users.lists.example.org>\n",
             "List-Post: <mailto:dev@lists.example.org>\n"][k % 4]
        write(name("plain", i), h, "-")
elif MODE == "hostile":
    random.seed(7)
    # Each capture, and the folder SPEC 8's "made safe" names for it.
    caps = [("../../escape", "___.._escape"), ("a/b", "a_b"),
            ("x\x01y", "x_y"), ("..", "__"), (".hidden", "_hidden"),
            ("", "_"), ("z" * 300, "z" * 255), ("back\\slash", "back_slash")]
    for i, (c, safe) in enumerate(caps):
        # Encoded, so that any byte can be in the capture.
        write(name("hostile", i), "List-Id: %s\n" %
              b("<%s.lists.example.org>" % c), safe)
elif MODE == "nagios":
    n = int(ARGS[0])
    random.seed(3)
    for i in range(n):
        if i % 2 == 0:
            write(name("nagios", i), "X-Mailer: nagios\n"
                  "Sender: =?us-ascii?q?Nagios?= <nagios@monitor.example.com>\n",
                  "discard")
        else:
            write(name("human", i), "Sender: Ann <ann@example.org>\n", "-")
elif MODE == "subject":
    subj, count, size = ARGS[0], int(ARGS[1]), int(ARGS[2])
    # The same names for the same SUBJECT and COUNT, unless SEED says
    # otherwise (a test that reuses a record needs names never seen).
    random.seed(int(ARGS[3]) if len(ARGS) > 3 else
                sum(map(ord, subj)) * 1000 + count)
    for i in range(count):
        body = ("%s %d " % (subj, i)) * (size // (len(subj) + 6) + 1)
        seq[0] += 1
        put(name(subj.replace(" ", "_"), seq[0]),
            ("From: a@example.org\nSubject: %s %d\n\n%s\n" %
             (subj, i, body[:size])).encode(), subj)
elif MODE == "mixed":
    count, rnd = int(ARGS[0]), random.Random(int(ARGS[1]))
    random.seed(int(ARGS[1]))
    # At least two of each kind (a crash point of the pipe needs a
    # second message there), the rest drawn, all shuffled.
    kinds = ["list", "work", "discard", "pipe", "plain"] * 2
    while len(kinds) < count:
        r = rnd.random()
        kinds.append("list" if r < 0.35 else "work" if r < 0.50 else
                     "discard" if r < 0.65 else "pipe" if r < 0.75 else
                     "plain")
    rnd.shuffle(kinds)
    for kind in kinds[:count]:
        seq[0] += 1
        subject = "note %d" % seq[0]
        if kind == "list":
            lst = rnd.choice(["dev", "users", "k8s.ops"])
            header, where = list_id(lst, rnd.randrange(7)), "lists/" + lst
        elif kind == "work":
            header, where = "X-Folder: work\n", "Work"
        elif kind == "discard":
            header, where = ("Sender: Nagios <nagios@monitor.example.com>\n",
                             "discard")
        elif kind == "pipe":
            header, where = "", "pipe"
            subject = "[ticket] printer %d" % seq[0]
        else:
            header, where = "", "-"
        head = ("From: a@example.org\nTo: me@example.org\n%s"
                "Subject: %s\nMessage-ID: <%d.%s.mixed@example.org>\n\n" %
                (header, subject, seq[0], ARGS[1]))
        size = rnd.randint(200, 16 * 1024)
        line = "%d %s\n" % (seq[0], "x" * 70)
        body = (line * (size // len(line) + 1))[:max(size - len(head), 1)]
        put(name("mixed", seq[0]), (head + body).encode(), where)
else:
    sys.exit("routes.py: unknown mode " + MODE)
