#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# What `make bench` needs beyond tests/deps.sh, installed when missing (as
# root: apt-get; otherwise the command is printed): rsync and OpenSSH's
# sftp as contenders, GNU time, iproute2 for the network namespaces,
# iptables and libnetfilter-queue for the packet delay (tests/bench/nfdelay.c),
# ping to measure the round trip.
exec sh "$(dirname "$0")/../deps.sh" rsync openssh-client iptables \
    libnetfilter-queue-dev time iproute2 iputils-ping python3 build-essential
