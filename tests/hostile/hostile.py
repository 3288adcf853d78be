#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
"""A hostile SFTP v3 server for syncmail's end-to-end tests.

Run by a test's sshd as its sftp subsystem (lib.sh start_sshd_subsystem):

    Subsystem sftp /usr/bin/python3 -S /path/hostile.py @MODEFILE LOGFILE

It speaks SFTP v3 on stdin/stdout (INIT, OPENDIR, READDIR, OPEN, READ,
CLOSE, LSTAT, REMOVE) and serves the real files under the paths asked for,
as the remote user, so REMOVE really removes.  MODE (given as an argument,
or read from MODEFILE at start when the argument is @MODEFILE, so that one
sshd serves a whole loop of modes) picks one fault to inject; "none" is an
honest server.  Faults aimed at one message hit the files whose name
contains "victim" (the test makes such a file, larger than three READs).
Every injected fault is logged as "inject MODE: what", every request that
touches a name the server invented, and every OPEN or REMOVE of something
in new/ that is not a regular file, as "VIOLATION: ...", every OPEN as
"open NAME", and a stall as "stall at UNIXTIME", so a test can tell that
the fault really happened.

Standard library only; no state survives the process.
"""
import os
import stat
import struct
import sys
import time

SSH_FXP_INIT, SSH_FXP_VERSION, SSH_FXP_OPEN, SSH_FXP_CLOSE = 1, 2, 3, 4
SSH_FXP_READ, SSH_FXP_LSTAT, SSH_FXP_OPENDIR, SSH_FXP_READDIR = 5, 7, 11, 12
SSH_FXP_REMOVE = 13
SSH_FXP_STATUS, SSH_FXP_HANDLE, SSH_FXP_DATA = 101, 102, 103
SSH_FXP_NAME, SSH_FXP_ATTRS = 104, 105
FX_OK, FX_EOF, FX_NO_SUCH_FILE, FX_PERMISSION_DENIED = 0, 1, 2, 3
FX_FAILURE, FX_OP_UNSUPPORTED = 4, 8

MODES = {
    "none": "an honest server",
    # listing
    "name-slash": "names with '/' that climb out of new/",
    "name-dotdot": "'..' and '../x' listed as regular files",
    "name-nul": "a name with a NUL byte after the victim's name",
    "name-long": "names of 256, 300 and 1500 bytes",
    "name-ctrl": "names with a newline, an escape and a DEL byte",
    "name-repeat": "every name listed twice",
    "noattrs": "entries without attributes (the client must LSTAT)",
    "count-over": "a NAME count far above the entries in the packet",
    "count-under": "a NAME count below the entries in the packet",
    "readdir-stat": "new/ listed with stat, not lstat, attributes (as "
                    "Paramiko's stub server), every entry as a regular file",
    "lstat-gone": "LSTAT of the victim answered no such file (as if moved "
                  "away just then); it stays",
    "readdir-fail": "a new/ of more than 50 entries: its second READDIR "
                    "answers failure, its first names in flight",
    # legal, if unusual: must work
    "short-read": "every DATA half of what the READ asked for",
    "reorder": "replies to pipelined requests in reverse order",
    # one message's bytes
    "data-long": "DATA longer than the READ asked for",
    "grow": "the victim has more bytes than listed (grew)",
    "grow-short": "the victim grew, and every DATA for it is half as long as asked",
    "grow-cap": "the victim grew, and DATA is capped at 32768 bytes (as pkg/sftp)",
    "shrink": "the victim has fewer bytes than listed (shrank)",
    "list-short": "the victim is listed 100 bytes smaller than it is",
    "size-huge": "the victim is listed with 2^64-1 bytes",
    "data-empty": "an empty DATA reply",
    "open-denied": "OPEN of the victim answered permission denied",
    # protocol
    "unknown-id": "a reply to an id never sent",
    "dup-id": "a READ reply sent twice",
    "dup-open": "an OPEN reply (HANDLE) sent twice",
    "wrong-type": "READ answered with ATTRS",
    "handle-long": "a 300-byte handle",
    "trunc-field": "a DATA string longer than its packet",
    "strlen-huge": "a DATA string length near 2^32",
    "len-huge": "a packet length near 2^32",
    "len-over": "a packet length one over the 256 KiB limit",
    "trunc-stream": "half a packet, then the server exits",
    # deletes and silence
    "remove-fail": "every REMOVE answered with a failure, nothing removed",
    "stall": "the server stops answering mid-file",
    "stall-half": "half a DATA packet, then silence",
    # a listing that never ends (t-38)
    "endless-list": "READDIR never answers EOF",
}

# Names the server invents per listing mode; each is listed as a regular
# file of FAKE_SIZE bytes that does not exist.
FAKE_SIZE = 40
FAKE_DATA = b"hostile-escape: bytes of an invented name\n"[:FAKE_SIZE]


def fake_names(mode, victim):
    if mode == "name-slash":
        return [b"../../../canary/hostile-escape-1",
                b"1700000000.hostile-escape-2/../../../../canary/x",
                b"sub/hostile-escape-3", b"/tmp/hostile-escape-4",
                b"1700000001.M1P1.host/"]
    if mode == "name-dotdot":
        return [b"..", b"../hostile-escape-dotdot", b"../..", b"..."]
    if mode == "name-nul":
        names = [b"1700000002.hostile-escape-nul\0/../../../canary/x",
                 b"\0hostile-escape-lead"]
        if victim is not None:
            names.append(victim + b"\0.hostile-escape-after-victim")
        return names
    if mode == "name-long":
        return [b"1700000003.hostile-escape-" + b"L" * (n - 26)
                for n in (256, 300, 1500)]
    if mode == "name-ctrl":
        return [b"1700000004.hostile-escape\n.x", b"1700000005.hostile\x1b[2J",
                b"1700000006.hostile\x7f", b"1700000007.hostile\r"]
    return []


class Server:
    def __init__(self, mode, log):
        self.mode = mode
        self.logf = log
        self.handles = {}
        self.nreaddir = {}
        self.nhandle = 0
        self.inbuf = b""
        self.fakes = set()
        self.victim_reads = {}
        self.stalled = False
        self.held = None
        self.injected = False
        self.debug = os.environ.get("HOSTILE_DEBUG") is not None or \
            os.path.exists(log + ".debug") if log else False

    # ---- output ----

    def log(self, line):
        if self.logf is None:
            return
        try:
            with open(self.logf, "a") as f:
                f.write("%d %s\n" % (os.getpid(), line))
        except OSError:
            pass

    def inject(self, what):
        self.log("inject %s: %s" % (self.mode, what))

    def _write_all(self, b):
        while b:
            n = os.write(1, b)
            b = b[n:]

    def send(self, body):
        if self.held is not None:
            self.held.append(struct.pack(">I", len(body)) + body)
            return
        self._write_all(struct.pack(">I", len(body)) + body)

    def status(self, rid, code, msg=""):
        m = msg.encode()
        self.send(bytes([SSH_FXP_STATUS]) + u32(rid) + u32(code) +
                  u32(len(m)) + m + u32(0))

    def handle_reply(self, rid, h):
        self.send(bytes([SSH_FXP_HANDLE]) + u32(rid) + sstr(h))

    # ---- requests ----

    def run(self):
        while True:
            pkt = self.read_packet()
            if pkt is None:
                return
            if self.stalled:
                continue
            # The INIT is answered first, whatever the mode: until its
            # VERSION a client cannot read any other reply (syncmail
            # sends its first requests right behind the INIT).
            if self.mode != "reorder" or pkt[0] == SSH_FXP_INIT:
                self.dispatch(pkt)
                continue
            # Every request already received is answered, in reverse.
            self.held = []
            self.dispatch(pkt)
            while self.complete_packet():
                self.dispatch(self.read_packet())
            held, self.held = self.held, None
            if len(held) > 1:
                self.inject("%d replies in reverse order" % len(held))
            for b in reversed(held):
                self._write_all(b)

    def complete_packet(self):
        return len(self.inbuf) >= 4 and \
            len(self.inbuf) >= 4 + struct.unpack(">I", self.inbuf[:4])[0]

    def read_packet(self):
        while True:
            if len(self.inbuf) >= 4:
                n = struct.unpack(">I", self.inbuf[:4])[0]
                if len(self.inbuf) >= 4 + n:
                    p = self.inbuf[4:4 + n]
                    self.inbuf = self.inbuf[4 + n:]
                    return p
            b = os.read(0, 65536)
            if not b:
                return None
            self.inbuf += b

    def dispatch(self, p):
        t = p[0]
        if self.debug:
            self.log("request type %d: %r" % (t, p[1:60]))
        if t == SSH_FXP_INIT:
            self.send(bytes([SSH_FXP_VERSION]) + u32(3))
            return
        rid = struct.unpack(">I", p[1:5])[0]
        r = Reader(p[5:])
        if t == SSH_FXP_OPENDIR:
            self.opendir(rid, r.string())
        elif t == SSH_FXP_READDIR:
            self.readdir(rid, r.string())
        elif t == SSH_FXP_OPEN:
            path = r.string()
            self.open(rid, path)
        elif t == SSH_FXP_READ:
            h = r.string()
            off = r.u64()
            ln = r.u32()
            self.read(rid, h, off, ln)
        elif t == SSH_FXP_CLOSE:
            self.handles.pop(r.string(), None)
            self.status(rid, FX_OK)
        elif t == SSH_FXP_LSTAT:
            self.lstat(rid, r.string())
        elif t == SSH_FXP_REMOVE:
            self.remove(rid, r.string())
        else:
            self.status(rid, FX_OP_UNSUPPORTED, "unsupported")

    def new_handle(self, obj, length=None):
        self.nhandle += 1
        h = b"H%d" % self.nhandle
        if length is not None:
            h = h + b"x" * (length - len(h))
        self.handles[h] = obj
        return h

    def fake_of(self, path):
        """The invented name that path asks for, or None."""
        for f in self.fakes:
            if path.endswith(b"/new/" + f) or path == f:
                return f
        return None

    def opendir(self, rid, path):
        try:
            names = sorted(os.listdir(path))
        except OSError as e:
            self.status(rid, errno_status(e), e.strerror)
            return
        entries = []
        for n in [b".", b".."] + names:
            try:
                st = os.lstat(os.path.join(path, n))
            except OSError:
                continue
            entries.append((n, attrs_of(st)))
        is_new = path.rstrip(b"/").endswith(b"/new")
        if is_new:
            victim = None
            for i, (n, a) in enumerate(entries):
                if b"victim" not in n:
                    continue
                victim = n
                if self.mode == "size-huge":
                    st = os.lstat(os.path.join(path, n))
                    entries[i] = (n, attrs(2**64 - 1, st.st_mode,
                                           int(st.st_mtime)))
                    self.inject("%r listed with 2^64-1 bytes" % n)
                if self.mode == "list-short":
                    st = os.lstat(os.path.join(path, n))
                    entries[i] = (n, attrs(st.st_size - 100, st.st_mode,
                                           int(st.st_mtime)))
                    self.inject("%r listed with %d bytes, has %d" %
                                (n, st.st_size - 100, st.st_size))
            fakes = fake_names(self.mode, victim)
            now = int(time.time())
            for f in fakes:
                self.fakes.add(f)
                entries.append((f, attrs(FAKE_SIZE, 0o100600, now)))
            if fakes:
                self.inject("%d invented names listed" % len(fakes))
            if self.mode == "name-repeat":
                entries = entries + entries
                self.inject("%d names listed twice" % (len(entries) // 2))
            if self.mode == "noattrs":
                entries = [(n, b"") for n, _ in entries]
                self.inject("listing without attributes")
            if self.mode == "readdir-stat":
                entries = [(n, self.stat_attrs(path, n, a))
                           for n, a in entries]
        h = self.new_handle(("dir", entries, is_new))
        self.handle_reply(rid, h)

    def stat_attrs(self, path, n, a):
        """The attributes of new/'s entry n as a server that uses stat(2)
        for READDIR reports them (Paramiko's StubSFTPServer does): a
        symlink's are its target's.  A type other than a regular file is
        reported as one, so that only an LSTAT of the entry can tell."""
        if n in (b".", b".."):
            return a
        p = os.path.join(path, n)
        try:
            lst = os.lstat(p)
        except OSError:
            return a
        try:
            st = os.stat(p)
        except OSError:
            st = lst        # a dangling link: what lstat says
        if stat.S_ISREG(lst.st_mode):
            return a
        self.inject("%r (%s) listed as a regular file of %d bytes" %
                    (n, kind_of(lst.st_mode), st.st_size))
        return attrs(st.st_size, stat.S_IFREG | stat.S_IMODE(st.st_mode),
                     int(st.st_mtime))

    def not_regular(self, what, path):
        """Logs a VIOLATION if path, in a new/, is not a regular file, and
        returns its lstat mode then (else None)."""
        if not os.path.dirname(path).rstrip(b"/").endswith(b"/new"):
            return None
        try:
            m = os.lstat(path).st_mode
        except OSError:
            return None
        if stat.S_ISREG(m):
            return None
        self.log("VIOLATION: %s of %r, %s" % (what, path, kind_of(m)))
        return m

    def readdir(self, rid, h):
        d = self.handles.get(h)
        if not d or d[0] != "dir":
            self.status(rid, FX_FAILURE, "bad handle")
            return
        entries, is_new = d[1], d[2]
        if is_new and self.mode == "endless-list":
            self.nendless = getattr(self, "nendless", 0) + 1
            if self.nendless == 1:
                self.inject("READDIR never ends")
            now = int(time.time())
            entries = [(b"%d.M%dP%d.endless" % (now, self.nendless, i),
                        attrs(10, 0o100600, now)) for i in range(1500)]
            self.handles[h] = ("dir", entries, is_new)
        if not entries:
            self.status(rid, FX_EOF, "")
            return
        if is_new and self.mode == "readdir-fail":
            self.nreaddir[h] = self.nreaddir.get(h, 0) + 1
            if self.nreaddir[h] == 2:
                self.inject("second READDIR of new/ fails, %d names left"
                            % len(entries))
                self.status(rid, FX_FAILURE, "I/O error")
                return
        per = 1500 if self.mode == "endless-list" else 50
        batch, rest = entries[:per], entries[per:]
        self.handles[h] = ("dir", rest, is_new)
        body = b""
        for n, a in batch:
            body += sstr(n) + sstr(longname(n, a)) + (a if a else u32(0))
        count = len(batch)
        if is_new and self.mode == "count-over":
            count = 0xfffffff0
            self.inject("NAME count %u for %d entries" % (count, len(batch)))
        elif is_new and self.mode == "count-under" and len(batch) > 1:
            count = len(batch) - 1
            self.inject("NAME count %u for %d entries" % (count, len(batch)))
        self.send(bytes([SSH_FXP_NAME]) + u32(rid) + u32(count) + body)

    def open(self, rid, path):
        f = self.fake_of(path)
        if f is not None:
            self.log("VIOLATION: OPEN of invented name %r" % path)
            self.handle_reply(rid, self.new_handle(("file", FAKE_DATA, path)))
            return
        victim = b"victim" in os.path.basename(path)
        if victim:
            self.log("open victim %r" % os.path.basename(path))
        else:
            self.log("open %r" % os.path.basename(path))
        m = self.not_regular("OPEN", path)
        if m is not None:
            try:
                fifo = stat.S_ISFIFO(os.stat(path).st_mode)
            except OSError:
                fifo = False
            if fifo:
                # Opening it would block this single-threaded server
                # until the test's timeout; the violation is logged.
                self.status(rid, FX_FAILURE, "hostile: a fifo")
                return
        if victim and self.mode == "open-denied":
            self.inject("OPEN %r denied" % path)
            self.status(rid, FX_PERMISSION_DENIED, "hostile: denied")
            return
        try:
            with open(path, "rb") as fp:
                data = fp.read()
        except OSError as e:
            self.status(rid, errno_status(e), e.strerror)
            return
        if victim and self.mode in ("grow", "grow-short", "grow-cap"):
            data += b"X-Grown: these bytes were not there at listing time\n" * 4
            self.inject("victim serves %d bytes" % len(data))
        elif victim and self.mode == "shrink":
            data = data[:len(data) - 100]
            self.inject("victim serves %d bytes" % len(data))
        length = None
        if victim and self.mode == "handle-long":
            length = 300
            self.inject("a 300-byte handle for the victim")
        h = self.new_handle(("file", data, path), length)
        self.handle_reply(rid, h)
        if victim and self.mode == "dup-open":
            self.inject("HANDLE for id %u sent twice" % rid)
            self.handle_reply(rid, h)

    def read(self, rid, h, off, ln):
        d = self.handles.get(h)
        if not d or d[0] != "file":
            self.status(rid, FX_FAILURE, "bad handle")
            return
        data, path = d[1], d[2]
        victim = b"victim" in os.path.basename(path)
        n = 0
        if victim:
            n = self.victim_reads[h] = self.victim_reads.get(h, 0) + 1
        chunk = data[off:off + min(ln, 65536)]
        m = self.mode
        if m == "grow-cap" and len(chunk) > 32768:
            chunk = chunk[:32768]
            self.inject("DATA of 32768 bytes for a READ of %d" % ln)
        if (m == "short-read" or (m == "grow-short" and victim)) and \
                len(chunk) > 1:
            chunk = chunk[:len(chunk) // 2]
            if not self.injected:
                self.inject("DATA of %d bytes for a READ of %d" % (len(chunk), ln))
                self.injected = True
        if victim and m == "data-long":
            self.inject("DATA of %d bytes for a READ of %d" % (len(chunk) + 64, ln))
            chunk = data[off:off + ln] + b"Z" * 64
        if off >= len(data) and not (victim and n == 2 and m in (
                "data-empty", "wrong-type")):
            self.status(rid, FX_EOF, "")
            return
        body = bytes([SSH_FXP_DATA]) + u32(rid) + sstr(chunk)
        if not victim or n != 2:
            self.send(body)
            return
        # The second READ of the victim: the file is half written locally.
        if m == "unknown-id":
            self.inject("STATUS for id %u, never sent" % (rid + 100000))
            self.status(rid + 100000, FX_OK)
            self.send(body)
        elif m == "dup-id":
            self.inject("DATA for id %u sent twice" % rid)
            self.send(body)
            self.send(body)
        elif m == "wrong-type":
            self.inject("ATTRS in answer to READ %u" % rid)
            self.send(bytes([SSH_FXP_ATTRS]) + u32(rid) + attrs(5, 0o100600, 0))
        elif m == "data-empty":
            self.inject("empty DATA for READ %u" % rid)
            self.send(bytes([SSH_FXP_DATA]) + u32(rid) + u32(0))
        elif m == "trunc-field":
            self.inject("DATA string claims %d bytes, packet has %d" %
                        (len(chunk) + 1, len(chunk)))
            self.send(bytes([SSH_FXP_DATA]) + u32(rid) + u32(len(chunk) + 1) +
                      chunk)
        elif m == "strlen-huge":
            self.inject("DATA string length 0xfffffff0")
            self.send(bytes([SSH_FXP_DATA]) + u32(rid) + u32(0xfffffff0) +
                      chunk)
        elif m == "len-huge":
            self.inject("packet length 0xfffffffb")
            self._write_all(u32(0xfffffffb) + body)
        elif m == "len-over":
            self.inject("packet length %d" % (256 * 1024 + 1))
            self._write_all(u32(256 * 1024 + 1) + body + b"\0" *
                            (256 * 1024 + 1 - len(body)))
        elif m == "trunc-stream":
            self.inject("half a DATA packet, then exit")
            whole = u32(len(body)) + body
            self._write_all(whole[:len(whole) // 2])
            sys.exit(0)
        elif m == "stall":
            self.stall()
        elif m == "stall-half":
            whole = u32(len(body)) + body
            self._write_all(whole[:len(whole) // 2])
            self.stall()
        else:
            self.send(body)

    def stall(self):
        self.inject("no more replies")
        self.log("stall at %.3f" % time.time())
        self.stalled = True

    def lstat(self, rid, path):
        if self.fake_of(path) is not None:
            self.log("VIOLATION: LSTAT of invented name %r" % path)
            self.send(bytes([SSH_FXP_ATTRS]) + u32(rid) +
                      attrs(FAKE_SIZE, 0o100600, int(time.time())))
            return
        try:
            st = os.lstat(path)
        except OSError as e:
            self.status(rid, errno_status(e), e.strerror)
            return
        if b"victim" in os.path.basename(path) and self.mode == "lstat-gone":
            self.inject("LSTAT %r answered no such file" %
                        os.path.basename(path))
            self.status(rid, FX_NO_SUCH_FILE, "hostile: gone")
            return
        a = attrs_of(st)
        if b"victim" in os.path.basename(path) and self.mode == "list-short":
            a = attrs(st.st_size - 100, st.st_mode, int(st.st_mtime))
        self.send(bytes([SSH_FXP_ATTRS]) + u32(rid) + a)

    def remove(self, rid, path):
        if self.fake_of(path) is not None:
            self.log("VIOLATION: REMOVE of invented name %r" % path)
            self.status(rid, FX_OK)
            return
        self.not_regular("REMOVE", path)
        if self.mode == "remove-fail":
            self.inject("REMOVE %r refused" % os.path.basename(path))
            self.status(rid, FX_FAILURE, "hostile: remove refused")
            return
        try:
            os.unlink(path)
        except OSError as e:
            self.status(rid, errno_status(e), e.strerror)
            return
        self.log("removed %r" % os.path.basename(path))
        self.status(rid, FX_OK)


class Reader:
    def __init__(self, b):
        self.b = b

    def u32(self):
        v = struct.unpack(">I", self.b[:4])[0]
        self.b = self.b[4:]
        return v

    def u64(self):
        v = struct.unpack(">Q", self.b[:8])[0]
        self.b = self.b[8:]
        return v

    def string(self):
        n = self.u32()
        s = self.b[:n]
        self.b = self.b[n:]
        return s


def u32(v):
    return struct.pack(">I", v & 0xffffffff)


def sstr(b):
    return u32(len(b)) + b


def attrs(size, mode, mtime):
    return (u32(0xf) + struct.pack(">Q", size & (2**64 - 1)) + u32(0) + u32(0) +
            u32(mode) + u32(mtime) + u32(mtime))


def attrs_of(st):
    return attrs(st.st_size, st.st_mode, int(st.st_mtime))


def longname(n, a):
    return b"-rw-------    1 u g " + n


def kind_of(mode):
    for test, name in ((stat.S_ISLNK, "a symlink"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISFIFO, "a fifo"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "a regular file"


def errno_status(e):
    import errno
    if e.errno == errno.ENOENT:
        return FX_NO_SUCH_FILE
    if e.errno in (errno.EACCES, errno.EPERM):
        return FX_PERMISSION_DENIED
    return FX_FAILURE


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: hostile.py MODE|@MODEFILE [LOGFILE]\n")
        sys.exit(2)
    mode = sys.argv[1]
    if mode.startswith("@"):
        with open(mode[1:]) as f:
            mode = f.read().strip()
    log = sys.argv[2] if len(sys.argv) > 2 else None
    if mode not in MODES:
        sys.stderr.write("hostile.py: unknown mode %r\n" % mode)
        sys.exit(2)
    s = Server(mode, log)
    s.log("start %s" % mode)
    try:
        s.run()
    except (BrokenPipeError, ConnectionResetError):
        pass
    except Exception:
        import traceback
        s.log("SERVER ERROR: " + traceback.format_exc().replace("\n", " | "))
        raise
    s.log("end")


if __name__ == "__main__":
    main()
