#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
"""A TCP relay whose connections can go silent, for syncmail's watch-mode
tests (tests/e2e/t-73-watch-stalls.sh): a connection dropped by a NAT or
a Wi-Fi change sends no FIN and no reset, it just stops.

    stallrelay.py PORTFILE TARGET_PORT COUNTFILE

Listens on 127.0.0.1 (a free port, written to PORTFILE once listening)
and relays every connection it accepts to 127.0.0.1:TARGET_PORT, both
ways.  On SIGUSR1 every connection open at that moment stalls: nothing
more is read from or written to either of its sockets, which stay open.
Connections accepted later relay as before.  On SIGUSR2 the bytes
relayed so far, both directions together, are written to COUNTFILE (its
own write, replaced whole).  Standard library only.
"""
import os
import select
import signal
import socket
import sys

portfile, target, countfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stall = [False]
report = [False]
signal.signal(signal.SIGUSR1, lambda s, f: stall.__setitem__(0, True))
signal.signal(signal.SIGUSR2, lambda s, f: report.__setitem__(0, True))

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)

peer = {}       # socket -> the other end, for live connections
stalled = []    # sockets kept open, never touched again
total = 0
while True:
    if stall[0]:
        stall[0] = False
        stalled.extend(peer)
        peer.clear()
    if report[0]:
        report[0] = False
        with open(countfile + ".tmp", "w") as f:
            f.write("%d\n" % total)
        os.rename(countfile + ".tmp", countfile)
    try:
        r, _, _ = select.select([ls] + list(peer), [], [], 0.2)
    except InterruptedError:
        continue
    for s in r:
        if s is ls:
            c, _ = ls.accept()
            try:
                t = socket.create_connection(("127.0.0.1", target))
            except OSError:
                c.close()
                continue
            peer[c], peer[t] = t, c
            continue
        if s not in peer:
            continue        # stalled meanwhile
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        o = peer[s]
        if data:
            try:
                o.sendall(data)
                total += len(data)
                continue
            except OSError:
                pass
        for x in (s, o):
            peer.pop(x, None)
            x.close()
