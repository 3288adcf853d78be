#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
"""Writes the seed corpus of fuzz_proto: real SFTP v3 replies of every type
from OpenSSH's sftp-server (run locally on a scratch directory over pipes),
one packet per file, plus a stream of several packets and a few
hand-made edge cases (old-style STATUS without message, an empty NAME,
an ATTRS with extended pairs).

    tests/fuzz/mkseeds_proto.py tests/fuzz/corpus/proto
"""
import os
import struct
import subprocess
import sys
import tempfile

SERVER = "/usr/lib/openssh/sftp-server"


def u32(v):
    return struct.pack(">I", v)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def packet(body):
    return u32(len(body)) + body


class Server:
    def __init__(self):
        self.p = subprocess.Popen([SERVER, "-e", "-l", "QUIET"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.id = 0

    def send(self, body):
        self.p.stdin.write(packet(body))
        self.p.stdin.flush()
        n = self.p.stdout.read(4)
        rest = self.p.stdout.read(struct.unpack(">I", n)[0])
        return n + rest

    def req(self, typ, payload):
        self.id += 1
        return self.send(bytes([typ]) + u32(self.id) + payload)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    with tempfile.TemporaryDirectory() as d:
        md = os.path.join(d, "Maildir")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(md, sub))
        for i, size in enumerate((0, 17, 70000)):
            with open(os.path.join(md, "new", "17000000%02d.M1P2.host,S=%d" % (i, size)), "wb") as f:
                f.write(bytes((j * 7 + i) & 0xff for j in range(size)))
        os.symlink("/etc/passwd", os.path.join(md, "new", "1700000099.link"))
        s = Server()
        seeds["version"] = s.send(bytes([1]) + u32(3))
        seeds["handle-dir"] = h = s.req(11, string(md + "/new"))
        handle = h[13:]
        seeds["name-readdir"] = s.req(12, string(handle))
        seeds["status-eof"] = s.req(12, string(handle))
        seeds["status-ok"] = s.req(4, string(handle))
        big = md + "/new/1700000002.M1P2.host,S=70000"
        h = s.req(3, string(big) + u32(1) + u32(0))
        seeds["handle-file"] = h
        fh = h[13:]
        seeds["data-small"] = s.req(5, string(fh) + struct.pack(">Q", 0) + u32(100))
        seeds["data-32k"] = s.req(5, string(fh) + struct.pack(">Q", 32768) + u32(32768))
        seeds["data-short"] = s.req(5, string(fh) + struct.pack(">Q", 69990) + u32(32768))
        seeds["status-eof-read"] = s.req(5, string(fh) + struct.pack(">Q", 70000) + u32(1))
        s.req(4, string(fh))
        seeds["attrs-lstat"] = s.req(7, string(big))
        seeds["attrs-symlink"] = s.req(7, string(md + "/new/1700000099.link"))
        seeds["status-nosuchfile"] = s.req(3, string(md + "/new/missing") + u32(1) + u32(0))
        seeds["status-remove-ok"] = s.req(13, string(md + "/new/1700000000.M1P2.host,S=0"))
        os.chmod(md + "/new", 0o500)
        if os.geteuid() != 0:
            seeds["status-permission"] = s.req(13, string(big))
        os.chmod(md + "/new", 0o700)
        seeds["status-failure"] = s.req(13, string(md + "/new"))
        s.p.stdin.close()
        s.p.wait()
    # Hand-made: what other servers send.
    seeds["status-old-nomsg"] = packet(bytes([101]) + u32(7) + u32(4))
    seeds["name-empty"] = packet(bytes([104]) + u32(8) + u32(0))
    attrs = u32(0x8000000f) + struct.pack(">Q", 5) + u32(1000) + u32(1000) + \
        u32(0o100600) + u32(1) + u32(2) + u32(1) + string("x@y") + string("z")
    seeds["attrs-extended"] = packet(bytes([105]) + u32(9) + attrs)
    seeds["name-noattrs"] = packet(bytes([104]) + u32(10) + u32(2) +
                                   string("a") + string("") + u32(0) +
                                   string("b") + string("") + u32(0))
    seeds["version-ext"] = packet(bytes([2]) + u32(3) +
                                  string("posix-rename@openssh.com") + string("1"))
    stream = b"".join(seeds[k] for k in ("handle-file", "data-small",
                                         "status-eof-read", "status-ok",
                                         "name-readdir"))
    seeds["stream"] = stream
    for k, v in seeds.items():
        with open(os.path.join(out, "seed-" + k), "wb") as f:
            f.write(v)
    print("%d seeds in %s" % (len(seeds), out))


main()
