#!/usr/bin/python3
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# A small inetd for servers that talk on stdin and stdout (tinysshd, for
# tests/e2e/t-44): listens on 127.0.0.1:PORT and runs CMD for each
# connection, the connection as its standard input and output, as
# tcpserver or inetd would.  Children are reaped as they end; killing
# this process's tree (the tests' teardown) stops everything.
#
#	inetd.py PORT CMD [ARG...]
import os
import signal
import socket
import sys


def main():
    port, argv = int(sys.argv[1]), sys.argv[2:]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    # children that end are reaped by the kernel
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        conn, peer = s.accept()
        if os.fork() == 0:
            s.close()
            os.dup2(conn.fileno(), 0)
            os.dup2(conn.fileno(), 1)
            conn.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.environ["TCPREMOTEIP"] = peer[0]
            os.environ["TCPREMOTEPORT"] = str(peer[1])
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        conn.close()


if __name__ == "__main__":
    main()
