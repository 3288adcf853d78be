#!/usr/bin/env python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
"""make bench: syncmail against rsync and OpenSSH sftp, in one run.

Linux, as root (it starts sshd for the test user "syncmailtest" and sets up
network namespaces).  Run by `make bench` after tests/deps.sh and
tests/bench/deps.sh; `make bench QUICK=1` (or QUICK=1 here) is a short run
for trying things.

Each case is a remote Maildir whose new/ holds messages generated from a
fixed seed (most 2 to 20 KiB, about 2 in 100 attachments of 100 KiB to
2 MiB; or one big message).  The contenders take turns, in an order that
rotates each round, and before every run the remote Maildir is restored
from a pristine copy (cp -a), the local Maildir is made empty and the file
systems are synced, so every run starts from the same state.  After every
run the local new/ must hold exactly the original messages, byte for byte
(SHA-256), and the remote new/ nothing: any other outcome stops the
benchmark with an error.

Contenders (all with the same key, known_hosts and sshd):
  syncmail          syncmail -q -c CONFIG
  rsync             rsync -e ssh --recursive --remove-source-files
                    --ignore-existing --partial-dir=tmp --times
                    (--recursive: without it or -d rsync skips a directory)
  rsync --fsync     the same with --fsync
  sftp list+get+rm  sftp -b: one batch `ls -1 new`, then one batch with
                    `get -p NAME` and `rm NAME` for each listed name
  syncmail 20 routes  syncmail with 20 route lines that match no message
                    (the cases at 0 ms): what routing costs a message

Latency cases run syncmail, rsync and sftp in the network namespace smb-cli
against an sshd in smb-srv (tests/bench/netns.sh: a veth pair, each packet
held RTT/2 on arrival in each namespace by tests/bench/nfdelay.c).

Environment: QUICK=1 (short run), BENCH_RUNS (runs per contender and case;
default 3, 1 with QUICK), BENCH_RTT (ms, default 50), BENCH_RTT2 (ms, the
long-haul cases' round trip, default 100), BENCH_ONLY (comma-
separated case keys to run, e.g. "1k,200MB,100@50ms"), BENCH_WHO (comma-
separated contenders to run, e.g. "syncmail,rsync --fsync"), SYNCMAIL (the program,
default syncmail/syncmail), BENCH_BASELINE (another syncmail, say an
earlier commit's build, run as the contender "syncmail baseline" beside
it in every case), BENCH_REPORT (file the table is also written
to, default /tmp/syncmail-bench.md).
"""

import base64
import ctypes
import hashlib
import os
import platform
import pwd
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, "tests", "bench")
TEST_USER = "syncmailtest"
SEED = 4
SRV_NS, CLI_NS = "smb-srv", "smb-cli"
SRV_ADDR, NS_PORT = "192.0.2.1", 2222
RUN_TIMEOUT = 1800          # one contender run, seconds

SYNCMAIL = "syncmail"
BASELINE = "syncmail baseline"
RSYNC = "rsync"
RSYNC_FSYNC = "rsync --fsync"
SFTP = "sftp list+get+rm"
ROUTES = "syncmail 20 routes"
ALL = [SYNCMAIL, RSYNC, RSYNC_FSYNC, SFTP]
NO_SFTP = [SYNCMAIL, RSYNC, RSYNC_FSYNC]
# The loopback cases also time what routing costs a message: the same
# pull with 20 route lines that read its header and match none of it.
LOCAL_ALL = [SYNCMAIL, ROUTES, RSYNC, RSYNC_FSYNC, SFTP]

# The 20 routes: fields every message has and fields it lacks, plain
# and anchored patterns, captures; none matches a benchmark message, so
# each message is read against all 20 and still lands in the pull's
# Maildir, where verify() finds it.
ROUTE_LINES = [
    ('List-Id', '"<([^>]*)\\.lists\\.example\\.org>"', "lists/%1"),
    ('List-Id', '"<announce\\.example\\.com>"', "Announce"),
    ('X-Folder', '"^(work|home)$"', "%1"),
    ('Sender', '"nagios@monitor\\.example\\.com"', "discard"),
    ('From', '"@bank\\.example\\.com>?$"', "Bank"),
    ('From', '"^Scanner <scans@office"', "Scans"),
    ('To', '"^support@"', "Support"),
    ('To', '"(billing|invoices)@example\\.net"', "Billing"),
    ('Subject', '"^\\[ticket #([0-9]+)\\]"', "Tickets"),
    ('Subject', '"^(Re: )?\\[dev\\]"', "Dev"),
    ('Subject', '"newsletter"', "News"),
    ('Delivered-To', '"^postmaster@"', "Postmaster"),
    ('Return-Path', '"<>"', "Bounces"),
    ('X-Spam-Flag', '"^YES"', "Junk"),
    ('X-Mailer', '"^cron"', "Cron"),
    ('Precedence', '"^(bulk|list)$"', "Bulk"),
    ('Auto-Submitted', '"^auto-"', "Auto"),
    ('X-GitHub-Reason', '"(.*)"', "github/%1"),
    ('Message-ID', '"@calendar\\.example\\.org>$"', "Calendar"),
    ('Received', '"from relay[0-9]+\\.example\\.com "', "Relayed"),
]


class BenchError(Exception):
    pass


class Interrupted(Exception):
    """SIGTERM or SIGHUP: unwinds like ^C, so that everything is cleaned
    up."""

    def __init__(self, sig):
        super().__init__("signal %d" % sig)
        self.sig = sig


def log(msg):
    print(msg, flush=True)


class Case:
    """A case: a name, a mailbox (count messages, or one of big bytes), a
    round trip, and the contenders it runs."""

    def __init__(self, key, label, count, rtt, contenders, big=0,
                 maxruns=0):
        self.key, self.label, self.count = key, label, count
        self.rtt, self.contenders, self.big = rtt, contenders, big
        self.maxruns = maxruns      # 0: as many as the others

    @property
    def mailbox(self):
        return "big%d" % self.big if self.big else "n%d" % self.count


def cases(quick, rtt, rtt2):
    lat = "@%dms" % rtt
    lat2 = "@%dms" % rtt2
    if quick:
        return [
            Case("200", "200 msgs", 200, 0, LOCAL_ALL),
            Case("2k", "2,000 msgs", 2000, 0, LOCAL_ALL),
            Case("20MB", "1 msg of 20 MB", 1, 0, ALL, big=20 * 10**6),
            Case("1" + lat, "1 msg " + lat, 1, rtt, NO_SFTP),
            Case("20" + lat, "20 msgs " + lat, 20, rtt, ALL),
            Case("200" + lat, "200 msgs " + lat, 200, rtt, NO_SFTP),
        ]
    return [
        Case("1k", "1,000 msgs", 1000, 0, LOCAL_ALL),
        Case("10k", "10,000 msgs", 10000, 0, LOCAL_ALL),
        Case("200MB", "1 msg of 200 MB", 1, 0, ALL, big=200 * 10**6),
        # sftp list+get+rm costs several round trips per message: 100 of
        # them take about 40 s at 50 ms, 1,000 would take 7 minutes a run.
        Case("1" + lat, "1 msg " + lat, 1, rtt, NO_SFTP),
        Case("100" + lat, "100 msgs " + lat, 100, rtt, ALL),
        Case("1k" + lat, "1,000 msgs " + lat, 1000, rtt, NO_SFTP),
        Case("10k" + lat, "10,000 msgs " + lat, 10000, rtt, NO_SFTP),
        # The same three sizes a long way off; the 10,000 messages once
        # per contender, as rsync alone takes minutes there.
        Case("1" + lat2, "1 msg " + lat2, 1, rtt2, NO_SFTP),
        Case("1k" + lat2, "1,000 msgs " + lat2, 1000, rtt2, NO_SFTP),
        Case("10k" + lat2, "10,000 msgs " + lat2, 10000, rtt2, NO_SFTP,
             maxruns=1),
    ]


# ---------------------------------------------------------------- messages

class Mailbox:
    """A generated remote Maildir kept pristine under T/pristine/NAME, with
    the SHA-256 and size of every message by name."""

    def __init__(self, path, sums, total):
        self.path, self.sums, self.total = path, sums, total


_pools = {}


def pools():
    """Deterministic bodies to cut messages from: a text pool for plain
    mail and a base64 pool for attachments."""
    if not _pools:
        rnd = random.Random(SEED)
        words = [
            "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz")
                    for _ in range(rnd.randint(1, 10)))
            for _ in range(2000)]
        lines, size = [], 0
        while size < 64 * 1024:
            line = " ".join(rnd.choice(words)
                            for _ in range(rnd.randint(6, 13))) + "\n"
            lines.append(line)
            size += len(line)
        text = "".join(lines).encode()
        _pools["text"] = text * (4 * 1024 * 1024 // len(text) + 1)
        _pools["b64"] = base64.encodebytes(rnd.randbytes(3 * 1024 * 1024))
    return _pools


def message(seed, i, size):
    """Message i of the mailbox: a header unique to it, then a body cut from
    the pools, exactly size bytes."""
    rnd = random.Random(seed * 1000003 + i)
    t = 1700000000 + i * 37
    attach = size >= 100 * 1024
    head = (
        "Return-Path: <sender%d@example.org>\n"
        "Delivered-To: syncmailtest@example.net\n"
        "Received: from mx%d.example.org (mx%d.example.org [198.51.100.%d])\n"
        "\tby mail.example.net with ESMTPS id %08x; %s\n"
        "Message-ID: <bench.%d.%d.%08x@example.org>\n"
        "Date: %s\n"
        "From: Sender %d <sender%d@example.org>\n"
        "To: Test User <syncmailtest@example.net>\n"
        "Subject: benchmark message %d of seed %d\n"
        "MIME-Version: 1.0\n"
        % (i % 997, i % 7, i % 7, i % 250, rnd.getrandbits(32),
           time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
           seed, i, rnd.getrandbits(32),
           time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
           i % 997, i % 997, i, seed))
    if attach:
        head += ('Content-Type: multipart/mixed; boundary="b%d"\n\n'
                 '--b%d\nContent-Type: text/plain\n\nSee attached.\n\n'
                 '--b%d\nContent-Type: application/octet-stream\n'
                 'Content-Transfer-Encoding: base64\n\n' % (i, i, i))
        pool = pools()["b64"]
    else:
        head += "Content-Type: text/plain; charset=us-ascii\n\n"
        pool = pools()["text"]
    head = head.encode()
    need = max(size - len(head), 0)
    if need <= len(pool) // 2:
        off = rnd.randrange(0, len(pool) - need)
        body = pool[off:off + need]
    else:
        # A big attachment: fresh base64 lines, deterministic.
        raw = random.Random(seed * 7 + i).randbytes(need * 3 // 4 + 3)
        body = base64.encodebytes(raw)[:need]
    data = (head + body)[:size] if size >= len(head) else head
    name = "%d.M%06dP%dQ%d.mx.example.net,S=%d" % (
        t, rnd.randrange(10**6), 1000 + rnd.randrange(30000), i, len(data))
    return name, t, data


def sizes(count, seed):
    """The size of each of count messages: most 2 to 20 KiB, 1.8 in 100
    an attachment of 100 KiB to 2 MiB (log-uniform); about 22 KB each on
    average, like the issue's 10,000 messages in 224 MB."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        if rnd.random() < 0.018:
            lo, hi = 100 * 1024, 2 * 1024 * 1024
            out.append(int(lo * (hi / lo) ** rnd.random()))
        else:
            out.append(rnd.randint(2 * 1024, 20 * 1024))
    return out


def generate(T, case):
    """Writes the pristine remote Maildir of case's mailbox (once)."""
    path = os.path.join(T, "pristine", case.mailbox)
    pw = pwd.getpwnam(TEST_USER)
    for d in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
        os.chmod(os.path.join(path, d), 0o700)
        os.chown(os.path.join(path, d), pw.pw_uid, pw.pw_gid)
    lens = [case.big] if case.big else sizes(case.count, SEED)
    sums, total = {}, 0
    for i, size in enumerate(lens):
        name, t, data = message(SEED, i, size)
        p = os.path.join(path, "new", name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o600)
        os.chown(p, pw.pw_uid, pw.pw_gid)
        os.utime(p, (t, t))
        sums[name] = hashlib.sha256(data).hexdigest()
        total += len(data)
    if len(sums) != len(lens):
        raise BenchError("generator made duplicate names")
    return Mailbox(path, sums, total)


# ---------------------------------------------------------------- processes

def descendants(pid):
    """pid's children, grandchildren, ... (from /proc)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    out, queue = [], [pid]
    while queue:
        for k in kids.get(queue.pop(), []):
            out.append(k)
            queue.append(k)
    return out


def stop_tree(proc):
    """Stops a process we started, and whatever it started, by PID."""
    if proc is None or proc.poll() is not None:
        return
    for pid in [proc.pid] + descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def timed(argv, env, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL):
    """Runs argv, returns (wall seconds, peak RSS in KiB, exit status,
    stderr).  The peak RSS is GNU time's %M: the largest of the process and
    the children it waited for (rsync's receiver and ssh, sftp's ssh).  Not
    our own wait4: a child forked from this Python starts with its peak
    RSS, and exec keeps that figure."""
    errf = tempfile.TemporaryFile()
    rssf = tempfile.NamedTemporaryFile(mode="r")
    t0 = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rssf.name]
                            + argv, env=env, stdin=stdin, stdout=stdout,
                            stderr=errf)
    timer = threading.Timer(RUN_TIMEOUT, lambda: stop_tree(proc))
    timer.start()
    try:
        proc.wait()
    finally:
        timer.cancel()
    wall = time.monotonic() - t0
    errf.seek(0)
    err = errf.read().decode(errors="replace")
    errf.close()
    try:
        rss = int(rssf.read().split()[-1])
    except (ValueError, IndexError):
        rss = 0
    rssf.close()
    return wall, rss, proc.returncode, err


_libc = ctypes.CDLL(None, use_errno=True)


def die_with_us():
    """preexec_fn: the child gets SIGTERM if this process dies, even by
    SIGKILL, so no sshd or network outlives the benchmark."""
    _libc.prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ensure_user():
    """The remote user, as tests/e2e/lib.sh makes it: shell /bin/sh (root's
    shell startup here prints text), a password field sshd accepts with
    UsePAM no."""
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", TEST_USER])
    pw = pwd.getpwnam(TEST_USER)
    if pw.pw_shell != "/bin/sh":
        subprocess.run(["usermod", "-s", "/bin/sh", TEST_USER], check=True)
    shadow = subprocess.run(["getent", "shadow", TEST_USER],
                            capture_output=True, text=True).stdout
    field = shadow.split(":")[1] if ":" in shadow else ""
    if field == "" or field.startswith("!"):
        subprocess.run(["usermod", "-p", "*", TEST_USER], check=True)


class Sshd:
    """A private sshd for the test user, listening on addr:port, inside
    network namespace ns if given."""

    def __init__(self, T, tag, addr, port, ns=None):
        self.addr, self.port, self.ns = addr, port, ns
        conf = os.path.join(T, "sshd_config." + tag)
        with open(conf, "w") as f:
            f.write(f"""ListenAddress {addr}
Port {port}
HostKey {T}/ssh_host_ed25519_key
AuthorizedKeysFile {T}/authorized_keys
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers {TEST_USER}
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
""")
        argv = ["/usr/sbin/sshd", "-D", "-e", "-f", conf]
        if ns:
            argv = ["ip", "netns", "exec", ns] + argv
        self.logf = open(os.path.join(T, "sshd.%s.log" % tag), "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     preexec_fn=die_with_us)
        # Wait until it accepts a connection.
        probe = ["ip", "netns", "exec", CLI_NS] if ns else []
        probe += [sys.executable, "-c",
                  "import socket,sys; socket.create_connection("
                  "(sys.argv[1], int(sys.argv[2])), 1).close()",
                  addr, str(port)]
        end = time.time() + 10
        while time.time() < end:
            if self.proc.poll() is not None:
                break
            if subprocess.run(probe, stderr=subprocess.DEVNULL).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        with open(os.path.join(T, "sshd.%s.log" % tag)) as f:
            sys.stderr.write(f.read())
        raise BenchError("sshd on %s:%d did not start" % (addr, port))

    def stop(self):
        stop_tree(self.proc)
        self.logf.close()


class Network:
    """tests/bench/netns.sh, holding the two namespaces while we run."""

    def __init__(self, T, rtt, nfdelay):
        self.rtt = rtt
        ready = os.path.join(T, "netns.ready.%d" % rtt)
        self.proc = subprocess.Popen(
            ["sh", os.path.join(BENCH, "netns.sh"), str(rtt), nfdelay, ready,
             str(os.getpid())], stdin=subprocess.DEVNULL,
            preexec_fn=die_with_us)
        end = time.time() + 60
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > end:
                self.stop()
                raise BenchError("tests/bench/netns.sh failed")
            time.sleep(0.1)
        with open(ready) as f:
            self.avg, self.min, self.max = (float(x) for x in f.read().split())

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                stop_tree(self.proc)


# ---------------------------------------------------------------- the rig

class Rig:
    def __init__(self, T, syncmail, baseline=None):
        self.T, self.syncmail, self.baseline = T, syncmail, baseline
        self.remote = os.path.join(T, "remote", "Maildir")
        self.local = os.path.join(T, "local", "Maildir")
        self.key = os.path.join(T, "id_ed25519")
        self.kh = os.path.join(T, "known_hosts")
        self.env = {k: v for k, v in os.environ.items()
                    if k != "SSH_AUTH_SOCK"}
        self.env["HOME"] = os.path.join(T, "home")
        self.env["LC_ALL"] = "C"
        self.targets = {}           # rtt -> (host, port, ns)

    def add_target(self, rtt, host, port, ns):
        self.targets[rtt] = (host, port, ns)
        with open(os.path.join(self.T, "syncmail.%d.conf" % rtt), "w") as f:
            f.write(f"""# written by tests/bench/bench.py
account bench
	host {host}
	port {port}
	user {TEST_USER}
	identity {self.key}
	known-hosts {self.kh}
	ssh-config none
	pull {self.remote} {self.local}
""")
        with open(os.path.join(self.T, "syncmail.%d.conf" % rtt)) as f:
            conf = f.read()
        with open(os.path.join(self.T, "routes.%d.conf" % rtt), "w") as f:
            f.write(conf)
            for field, regex, dest in ROUTE_LINES:
                if dest != "discard":
                    dest = os.path.join(self.T, "local", "routed", dest)
                f.write("\troute %s %s %s\n" % (field, regex, dest))

    def ssh_opts(self, port):
        return ["-F", "none", "-i", self.key, "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=" + self.kh,
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"]

    def restore(self, mb):
        """The remote Maildir as generated, an empty local one, both on
        disk before the clock starts."""
        for d in (self.remote, self.local):
            if os.path.lexists(d):
                shutil.rmtree(d)
        subprocess.run(["cp", "-a", mb.path, self.remote], check=True)
        for d in ("", "tmp", "new", "cur"):
            os.makedirs(os.path.join(self.local, d), mode=0o700,
                        exist_ok=True)
        os.sync()

    def run(self, contender, rtt):
        """One timed run: returns (wall, peak RSS KiB)."""
        host, port, ns = self.targets[rtt]
        pre = ["ip", "netns", "exec", ns] if ns else []
        dest = "%s@%s" % (TEST_USER, host)
        if contender in (SYNCMAIL, BASELINE, ROUTES):
            conf = os.path.join(self.T, "%s.%d.conf" % (
                "routes" if contender == ROUTES else "syncmail", rtt))
            prog = self.baseline if contender == BASELINE else self.syncmail
            runs = [pre + [prog, "-q", "-c", conf]]
        elif contender in (RSYNC, RSYNC_FSYNC):
            ssh = " ".join(shlex.quote(a) for a in
                           ["ssh", "-p", str(port)] + self.ssh_opts(port))
            argv = pre + ["rsync", "-e", ssh, "--recursive",
                          "--remove-source-files", "--ignore-existing",
                          "--partial-dir=tmp", "--times"]
            if contender == RSYNC_FSYNC:
                argv.append("--fsync")
            runs = [argv + ["%s:%s/new/" % (dest, self.remote),
                            self.local + "/new/"]]
        else:
            return self.run_sftp(pre, dest, port)
        wall = rss = 0
        for argv in runs:
            w, r, rc, err = timed(argv, self.env)
            if rc != 0:
                raise BenchError("%s exited %d: %s" % (contender, rc,
                                                        err.strip()[-2000:]))
            wall += w
            rss = max(rss, r)
        return wall, rss

    def run_sftp(self, pre, dest, port):
        """sftp -b twice: list new/, then get and rm each listed name."""
        base = pre + ["sftp", "-q", "-P", str(port)] + self.ssh_opts(port)
        b1 = os.path.join(self.T, "sftp.list")
        b2 = os.path.join(self.T, "sftp.getrm")
        with open(b1, "w") as f:
            f.write("cd %s\nls -1 new\n" % self.remote)
        out = tempfile.TemporaryFile()
        w1, r1, rc, err = timed(base + ["-b", b1, dest], self.env,
                                stdout=out)
        if rc != 0:
            raise BenchError("sftp (list) exited %d: %s" % (rc, err.strip()))
        t0 = time.monotonic()
        out.seek(0)
        names = [os.path.basename(line) for line in
                 out.read().decode().splitlines()
                 if line and not line.startswith("sftp>")]
        out.close()
        with open(b2, "w") as f:
            f.write("cd %s/new\nlcd %s/new\n" % (self.remote, self.local))
            for n in names:
                f.write('get -p "%s"\nrm "%s"\n' % (n, n))
        w_mid = time.monotonic() - t0
        w2, r2, rc, err = timed(base + ["-b", b2, dest], self.env)
        if rc != 0:
            raise BenchError("sftp (get/rm) exited %d: %s"
                             % (rc, err.strip()[-2000:]))
        return w1 + w_mid + w2, max(r1, r2)

    def verify(self, mb):
        """Every original message, byte for byte, in the local new/ under
        its name; nothing else there, nothing left in the remote new/."""
        problems = []
        new = os.path.join(self.local, "new")
        seen = set()
        for e in os.scandir(new):
            if e.is_dir(follow_symlinks=False) and e.name == "tmp" and \
                    not os.listdir(e.path):
                continue        # rsync's --partial-dir, empty
            if not e.is_file(follow_symlinks=False) or e.name not in mb.sums:
                problems.append("unexpected local new/%s" % e.name)
                continue
            h = hashlib.sha256()
            with open(e.path, "rb") as f:
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    h.update(b)
            if h.hexdigest() != mb.sums[e.name]:
                problems.append("local new/%s differs" % e.name)
            seen.add(e.name)
        missing = set(mb.sums) - seen
        if missing:
            problems.append("%d messages missing locally, e.g. %s"
                            % (len(missing), sorted(missing)[0]))
        for d in ("cur", "tmp"):
            left = os.listdir(os.path.join(self.local, d))
            if left:
                problems.append("local %s/ holds %d entries" % (d, len(left)))
        left = os.listdir(os.path.join(self.remote, "new"))
        if left:
            problems.append("remote new/ still holds %d entries" % len(left))
        return problems


def machine(T, syncmail):
    def out(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024 // 1024
    fs = " ".join(out(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "-T",
                           T]).split())
    if syncmail == os.path.join(ROOT, "syncmail", "syncmail"):
        rev = "built from " + out(["git", "-C", ROOT, "describe", "--always",
                                   "--dirty"])
    else:
        rev = syncmail
    return [
        "%s, %d cores, %d GiB RAM, Linux %s; %s on %s" % (
            cpu, os.cpu_count(), mem, platform.release(), T, fs),
        "%s; %s; %s, %s" % (
            out(["rsync", "--version"]).split("  protocol")[0],
            out(["ssh", "-V"]).split(",")[0],
            out([syncmail, "-V"]), rev),
    ]


def with_baseline(contenders, baseline):
    """The contenders, with the baseline syncmail right after ours."""
    if not baseline:
        return contenders
    return contenders[:1] + [BASELINE] + contenders[1:]


def table(results, cases_run):
    rows = ["| case | contender | median s (min-max) | vs rsync --fsync "
            "| msgs/s | MB/s | peak RSS MiB |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for case, mb in cases_run:
        ref = results.get((case.key, RSYNC_FSYNC))
        refmed = statistics.median(ref[0]) if ref else None
        for c in [SYNCMAIL, BASELINE] + case.contenders[1:]:
            r = results.get((case.key, c))
            if not r:
                continue
            walls, rss = r
            med = statistics.median(walls)
            count = len(mb.sums)
            rows.append("| %s | %s | %.2f (%.2f-%.2f) | %s | %s | %.1f | %.1f |"
                        % (case.label, c, med, min(walls), max(walls),
                           "%.2f" % (med / refmed) if refmed else "-",
                           "%.0f" % (count / med) if count > 1 else "-",
                           mb.total / 1e6 / med, max(rss) / 1024))
    return rows


def main():
    if os.geteuid() != 0:
        print("make bench needs root (sshd, a test user, network namespaces)",
              file=sys.stderr)
        return 1
    quick = os.environ.get("QUICK", "") not in ("", "0")
    runs = int(os.environ.get("BENCH_RUNS") or (1 if quick else 3))
    rtt = int(os.environ.get("BENCH_RTT") or 50)
    rtt2 = int(os.environ.get("BENCH_RTT2") or 100)
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    syncmail = os.path.abspath(os.environ.get("SYNCMAIL") or
                               os.path.join(ROOT, "syncmail", "syncmail"))
    report = os.environ.get("BENCH_REPORT") or "/tmp/syncmail-bench.md"
    if not os.access(syncmail, os.X_OK):
        print("no syncmail at %s (run make)" % syncmail, file=sys.stderr)
        return 1
    rsync_help = subprocess.run(["rsync", "--help"], capture_output=True,
                                text=True).stdout
    if "--fsync" not in rsync_help:
        print("this rsync has no --fsync option: the benchmark needs it",
              file=sys.stderr)
        return 1
    todo = [c for c in cases(quick, rtt, rtt2) if not only or c.key in only]
    if not todo:
        print("BENCH_ONLY matches no case", file=sys.stderr)
        return 1

    def on_signal(sig, frame):
        raise Interrupted(sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    started = time.monotonic()
    T = tempfile.mkdtemp(prefix="syncmail-bench.")
    os.chmod(T, 0o755)
    procs = []          # the sshds and the network, stopped in reverse
    try:
        return bench(T, syncmail, todo, runs, quick, report, procs, started)
    except BenchError as e:
        print("bench: FAILED: %s" % e, file=sys.stderr, flush=True)
        return 1
    except Interrupted as e:
        print("bench: interrupted", file=sys.stderr)
        return 128 + e.sig
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        # The sshd inside smb-srv goes before the namespaces do.
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(T, ignore_errors=True)


def bench(T, syncmail, todo, runs, quick, report, procs, started):
    who = [s for s in os.environ.get("BENCH_WHO", "").split(",") if s]
    ensure_user()
    os.makedirs("/run/sshd", exist_ok=True)
    os.makedirs(os.path.join(T, "home"))
    os.makedirs(os.path.join(T, "remote"))
    os.makedirs(os.path.join(T, "local"))
    pw = pwd.getpwnam(TEST_USER)
    os.chown(os.path.join(T, "remote"), pw.pw_uid, pw.pw_gid)
    for k, c in (("ssh_host_ed25519_key", "bench-host"),
                 ("id_ed25519", "bench-client")):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                        c, "-f", os.path.join(T, k)], check=True)
    shutil.copy(os.path.join(T, "id_ed25519.pub"),
                os.path.join(T, "authorized_keys"))
    os.chmod(os.path.join(T, "authorized_keys"), 0o644)
    with open(os.path.join(T, "ssh_host_ed25519_key.pub")) as f:
        hostkey = " ".join(f.read().split()[:2])

    baseline = os.environ.get("BENCH_BASELINE")
    if baseline:
        baseline = os.path.abspath(baseline)
        if not os.access(baseline, os.X_OK):
            raise BenchError("no program at BENCH_BASELINE=%s" % baseline)
    rig = Rig(T, syncmail, baseline)
    lo_port = free_port()
    with open(rig.kh, "w") as f:
        f.write("[127.0.0.1]:%d %s\n[%s]:%d %s\n"
                % (lo_port, hostkey, SRV_ADDR, NS_PORT, hostkey))
    info = machine(T, syncmail)
    log("== syncmail benchmark (%s, %d run%s per contender and case)"
        % ("QUICK" if quick else "full", runs, "" if runs == 1 else "s"))
    for line in info:
        log("   " + line)
    log("   load average at start: %s" % " ".join(
        open("/proc/loadavg").read().split()[:3]))

    results, cases_run, mailboxes = {}, [], {}
    if any(c.rtt == 0 for c in todo):
        procs.append(Sshd(T, "lo", "127.0.0.1", lo_port))
        rig.add_target(0, "127.0.0.1", lo_port, None)
    if any(c.rtt for c in todo):
        nfdelay = os.path.join(T, "nfdelay")
        libs = subprocess.run(["pkg-config", "--libs", "libnetfilter_queue"],
                              capture_output=True, text=True).stdout.split()
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                        nfdelay, os.path.join(BENCH, "nfdelay.c")] + libs,
                       check=True)

    net = None
    nets = []           # (rtt, avg, min, max) of each delayed network
    # Loopback first, then each round trip in turn (in the cases' order):
    # one delayed network at a time, rebuilt when the round trip changes.
    rtts = [c.rtt for c in todo if c.rtt]
    for case in sorted(todo, key=lambda c: (c.rtt != 0, c.rtt and
                                            rtts.index(c.rtt))):
        if case.rtt and (net is None or net.rtt != case.rtt):
            if net is not None:
                sshd = procs.pop()
                sshd.stop()
                procs.remove(net)
                net.stop()
            net = Network(T, case.rtt, nfdelay)
            procs.append(net)
            nets.append((case.rtt, net.avg, net.min, net.max))
            log("== network namespaces %s <-> %s, round trip measured with "
                "ping -U: avg %.1f ms (min %.1f, max %.1f)"
                % (CLI_NS, SRV_NS, net.avg, net.min, net.max))
            procs.append(Sshd(T, "ns", SRV_ADDR, NS_PORT, ns=SRV_NS))
            rig.add_target(case.rtt, SRV_ADDR, NS_PORT, CLI_NS)
        if case.mailbox not in mailboxes:
            t0 = time.monotonic()
            mailboxes[case.mailbox] = generate(T, case)
            mb = mailboxes[case.mailbox]
            log("== generated %d message%s, %.1f MB, seed %d (%.1f s)"
                % (len(mb.sums), "" if len(mb.sums) == 1 else "s",
                   mb.total / 1e6, SEED, time.monotonic() - t0))
        mb = mailboxes[case.mailbox]
        log("== case %s: %d messages, %.1f MB" % (case.label, len(mb.sums),
                                                  mb.total / 1e6))
        cases_run.append((case, mb))
        order = [c for c in with_baseline(case.contenders, baseline)
                 if not who or c in who]
        for r in range(min(runs, case.maxruns or runs)):
            for c in order[r % len(order):] + order[:r % len(order)]:
                if net is not None and case.rtt and not net.alive():
                    raise BenchError("the delayed network went away")
                rig.restore(mb)
                wall, rss = rig.run(c, case.rtt)
                problems = rig.verify(mb)
                if problems:
                    raise BenchError("%s, %s, run %d: wrong result: %s"
                                     % (case.label, c, r + 1,
                                        "; ".join(problems[:5])))
                walls, rsss = results.setdefault((case.key, c), ([], []))
                walls.append(wall)
                rsss.append(rss)
                log("   run %d  %-17s %8.2f s  %6.1f MiB  ok"
                    % (r + 1, c, wall, rss / 1024))

    elapsed = time.monotonic() - started
    rows = table(results, cases_run)
    lines = ["Run %s, %s, %d run%s per contender and case, total %.0f s."
             % (time.strftime("%Y-%m-%d"), "QUICK" if quick else "full",
                runs, "" if runs == 1 else "s", elapsed),
             "Machine: " + info[0] + ".",
             "Software: " + info[1] + "."]
    for rtt, avg, lo, hi in nets:
        lines.append("Latency cases @%dms: round trip measured with ping -U "
                     "across the veth: avg %.1f ms (min %.1f, max %.1f)."
                     % (rtt, avg, lo, hi))
    lines.append("Load average at the end: %s." % " ".join(
        open("/proc/loadavg").read().split()[:3]))
    log("")
    for line in lines + [""] + rows:
        log(line)
    with open(report, "w") as f:
        f.write("\n".join(lines + [""] + rows) + "\n")
    log("\n(also written to %s)" % report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
