#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
"""The check after each round of t-59 (tests/e2e/t-59-powercut-dests.sh):
every message of the round exactly once where it belongs, byte for byte.

    pc_check.py route  T MNT LOCAL REMOTE PIPELOG [-c]
    pc_check.py attach T MNT LOCAL REMOTE DIR MAILDIR [-c]
    pc_check.py filter T MNT LOCAL REMOTE QUARANTINE [-c]

T/expect says where each message of T/orig belongs (from routes.py or
mime.py); LOCAL is the pull's Maildir, MNT the pcfs mount that holds it
and every other Maildir of the round.  Common to all: no file in any new/
or cur/ on MNT but the round's, none in any tmp/, nothing left in the
remote new/.  Prints the number of copies missing from where they belong;
with -c that is all, else the first problems go to stderr and the exit
status is 1.

route:  a line "NAME WHERE" per message: WHERE a folder under MNT, "-"
        (LOCAL), "discard" (nowhere) or "pipe" (MNT/Tickets, where the
        test's command delivers).  The command's log PIPELOG, a line
        "NAME REDELIVERY SHA256 DONE" per message given: each piped one
        given whole at least once, and never when syncmail's log already
        had it piped (DONE not 0), nor after the kill at pipe-done (the
        names in T/done.names: given exactly once).
attach: mime.py's lines "NAME CASE SHA256 SAFE": each attachment exactly
        once in DIR by its bytes, no hidden file there (a temporary file
        or a list of names left); a "two" message in MAILDIR, a "scan"
        one nowhere (its attachments saved, the message dropped), the
        others in LOCAL.
filter: a line "NAME SUBJECT" per message: "evil EVIL" (the original in
        QUARANTINE, the filtered one, EVIL replaced by [removed], in
        LOCAL), "fail EVIL" (the original in QUARANTINE alone), "clean"
        (in LOCAL alone).
"""
import hashlib
import os
import sys


def sha(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Round:
    def __init__(self, t, mnt, local, remote):
        self.t, self.local, self.remote = t, local, remote
        self.found, self.errors, self.want, self.lost = {}, [], set(), 0
        for root, dirs, files in os.walk(mnt):
            kind = os.path.basename(root)
            if kind in ("new", "cur"):
                for f in files:
                    p = os.path.join(root, f)
                    self.found.setdefault(sha(read(p)), []).append(p)
            elif kind == "tmp" and (files or dirs):
                self.errors.append("%s holds %s" %
                                   (root, " ".join((files + dirs)[:3])))

    def expect(self):
        with open(os.path.join(self.t, "expect")) as f:
            return [line.rstrip("\n").split("\t") for line in f]

    def orig(self, name):
        return read(os.path.join(self.t, "orig", name))

    def once_in(self, data, maildir, what):
        """data exactly once on the mount, in new/ or cur/ of maildir."""
        h = sha(data)
        self.want.add(h)
        paths = self.found.get(h, [])
        inside = [p for p in paths
                  if os.path.dirname(os.path.dirname(p)) == maildir]
        if len(inside) != 1 or len(paths) != 1:
            self.lost += not inside
            self.errors.append("%s for %s: %d copies, %s" % (
                what, maildir, len(paths), " ".join(paths) or "none"))
        return h

    def nowhere(self, data, what):
        paths = self.found.get(sha(data), [])
        if paths:
            self.errors.append("%s delivered: %s" % (what, " ".join(paths)))

    def end(self, quiet):
        for h, paths in self.found.items():
            if h not in self.want:
                self.errors.append("not a message of the round: %s" %
                                   " ".join(paths))
        left = os.listdir(os.path.join(self.remote, "new"))
        if left:
            self.errors.append("%d left in the remote new/" % len(left))
        print(self.lost)
        if quiet or not self.errors:
            return 0
        for e in self.errors[:6]:
            sys.stderr.write("  %s\n" % e)
        sys.stderr.write("  (%d problems)\n" % len(self.errors))
        return 1


def route(r, mnt, pipelog):
    given, times = {}, {}
    with open(pipelog) as f:
        for line in f:
            name, _, digest, done = line.split()
            given.setdefault(name, set()).add(digest)
            times[name] = times.get(name, 0) + 1
            if done != "0":
                r.errors.append("%s given to the command again after a "
                                "run logged it piped" % name)
    with open(os.path.join(r.t, "done.names")) as f:
        for name in f.read().split():
            if times.get(name, 0) != 1:
                r.errors.append("%s given %d times, marked done by the "
                                "first" % (name, times.get(name, 0)))
    for name, where in r.expect():
        data = r.orig(name)
        what = "%s (%s)" % (name, where)
        if where == "discard":
            r.nowhere(data, "discarded " + what)
            continue
        d = {"-": r.local, "pipe": os.path.join(mnt, "Tickets")}.get(
            where, os.path.join(mnt, where))
        h = r.once_in(data, d, what)
        if where == "pipe" and h not in given.get(name, ()):
            r.errors.append("%s never given whole to the command" % name)


def attach(r, atdir, atmd):
    saved = {}
    for f in (os.listdir(atdir) if os.path.isdir(atdir) else []):
        p = os.path.join(atdir, f)
        if f.startswith("."):
            r.errors.append("hidden file left in DIR: %s (%d bytes)" %
                            (f, os.path.getsize(p)))
            continue
        saved.setdefault(sha(read(p)), []).append(f)
    atts, kinds = set(), {}
    for name, case, digest, safe in r.expect():
        kinds[name] = case
        if digest == "-":
            continue
        atts.add(digest)
        n = len(saved.get(digest, []))
        if n != 1:
            r.lost += n == 0
            r.errors.append("attachment %s of %s: %d copies in DIR %s" %
                            (safe, name, n, saved.get(digest, [])))
    for digest, names in saved.items():
        if digest not in atts:
            r.errors.append("not an attachment of the round in DIR: %s" %
                            names)
    for name, case in kinds.items():
        what = "%s (%s)" % (name, case)
        if case == "scan":
            r.nowhere(r.orig(name), what)
        else:
            r.once_in(r.orig(name), atmd if case == "two" else r.local, what)


def filtered(r, quarantine):
    for name, subject in r.expect():
        data = r.orig(name)
        what = "%s (%s)" % (name, subject)
        r.once_in(data, r.local if subject == "clean" else quarantine,
                  what + ", the original")
        if subject == "evil EVIL":
            r.once_in(data.replace(b"EVIL", b"[removed]"), r.local,
                      what + ", filtered")


def main():
    args = sys.argv[1:]
    quiet = args[-1] == "-c"
    if quiet:
        args = args[:-1]
    kind, t, mnt, local, remote = args[:5]
    r = Round(t, mnt, local, remote)
    if kind == "route":
        route(r, mnt, *args[5:])
    elif kind == "attach":
        attach(r, *args[5:])
    elif kind == "filter":
        filtered(r, *args[5:])
    else:
        sys.exit("pc_check.py: no kind %s" % kind)
    return r.end(quiet)


if __name__ == "__main__":
    sys.exit(main())
