#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
"""A TCP relay that cuts the connection after a given number of bytes, for
syncmail's connection-fault tests (tests/e2e/t-34-cut.sh).

    cutrelay.py PORTFILE TARGET_PORT CUT fin|rst REPORT

Listens on 127.0.0.1 (a free port, written to PORTFILE once listening),
accepts one connection, connects it to 127.0.0.1:TARGET_PORT and relays
both ways.  Bytes are counted in both directions together; when CUT
bytes have passed (CUT < 0: never), the byte that would pass the mark is
not sent and both sockets are closed: with "rst" as a reset (SO_LINGER
0), with "fin" in an orderly way.  When the connection ends, the number of
bytes relayed and whether it was cut ("TOTAL cut" or "TOTAL end") go to
REPORT.  Gives up after 120 s.  Standard library only.
"""
import os
import select
import socket
import struct
import sys
import time


def close(s, rst):
    try:
        if rst:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
        s.close()
    except OSError:
        pass


def main():
    portfile, target, cut = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rst = sys.argv[4] == "rst"
    report = sys.argv[5]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, portfile)
    end = time.time() + 120
    ls.settimeout(120)
    try:
        c, _ = ls.accept()
    except OSError:
        return
    ls.close()
    s = socket.create_connection(("127.0.0.1", target))
    peer = {c: s, s: c}
    open_in = {c, s}		# sides that may still send to us
    total = 0
    how = "end"
    while open_in and time.time() < end:
        r, _, _ = select.select(list(open_in), [], [], 1.0)
        for a in r:
            try:
                data = a.recv(65536)
            except OSError:
                data = b""
            if not data:
                open_in.discard(a)
                try:
                    peer[a].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            if cut >= 0 and total + len(data) >= cut:
                data = data[:cut - total]
                if data:
                    try:
                        peer[a].sendall(data)
                    except OSError:
                        pass
                total += len(data)
                how = "cut"
                open_in = set()
                break
            try:
                peer[a].sendall(data)
            except OSError:
                open_in = set()
                break
            total += len(data)
    close(c, rst and how == "cut")
    close(s, rst and how == "cut")
    with open(report, "w") as f:
        f.write("%d %s\n" % (total, how))


main()
