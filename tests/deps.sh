#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# Installs what building and testing syncmail needs on Debian, when it is
# missing: as root it runs apt-get; otherwise it prints the command.
# With arguments, those packages instead (tests/bench/deps.sh).
PKGS="build-essential pkg-config libssh2-1-dev libssl-dev libbsd-dev openssh-server openssh-sftp-server openssh-client rsync python3 e2fsprogs clang netcat-openbsd gesftpserver dropbear-bin proftpd-core proftpd-mod-crypto python3-asyncssh tinysshd valgrind time fuse3 libfuse3-dev iproute2 procmail maildrop libgmime-3.0-dev mpack inotify-tools"
[ $# -gt 0 ] && PKGS="$*"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "syncmail needs:$missing" >&2
	echo "run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || exit 1
apt-get install -y -qq $missing >&2 || exit 1
