#!/bin/sh
# What `make bench` needs beyond tests/deps.sh, installed when missing (as
# root: apt-get; otherwise the command is printed): rsync and OpenSSH's
# sftp as contenders, GNU time, iproute2 for the network namespaces,
# iptables and libnetfilter-queue for the packet delay (tests/bench/nfdelay.c),
# ping to measure the round trip.
PKGS="rsync openssh-client iptables libnetfilter-queue-dev time iproute2 iputils-ping python3 build-essential"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "make bench needs:$missing" >&2
	echo "run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || exit 1
apt-get install -y -qq --no-install-recommends $missing >&2 || exit 1
