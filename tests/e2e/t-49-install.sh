#!/bin/sh
# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# make install DESTDIR=...: the program, both man pages, the example
# config and contrib/ (the systemd user units, the crontab line, their
# README) in the examples directory, the units also in
# PREFIX/lib/systemd/user on Linux (not with SYSTEMD_USER_DIR=), each
# naming the installed program's path.  When systemd-analyze is there,
# "systemd-analyze verify --user" accepts the installed units without a
# word (it checks that ExecStart's program and the Documentation= man
# pages exist, so they are installed under a real prefix for it).  The
# crontab lines are read by sh -n and hold no bare %.  Needs no sshd.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/syncmail-e2e.XXXXXX) || fail "mktemp"
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# inst DIR ARGS...: make install into DIR (DESTDIR) with ARGS.
inst()
{
	in_dir=$1
	shift
	make -s -C "$ROOT" install DESTDIR="$in_dir" "$@" >"$T/make.out" 2>&1 ||
		fail "make install DESTDIR=$in_dir $*: $(tail -n 3 "$T/make.out")"
}

# has FILE MODE [SOURCE]: FILE is a regular file of mode MODE (with
# SOURCE: the same bytes).
has()
{
	[ -f "$1" ] || fail "make install did not install $1"
	[ "$(stat -c %a "$1")" = "$2" ] ||
		fail "$1 has mode $(stat -c %a "$1"), want $2"
	[ -z "$3" ] || cmp -s "$1" "$ROOT/$3" || fail "$1 differs from $3"
}

# names_prog FILE PREFIX: FILE runs PREFIX/bin/syncmail, and names no
# other syncmail program.
names_prog()
{
	grep -q "$2/bin/syncmail -q" "$1" || fail "$1 does not run $2/bin/syncmail"
	[ "$(grep -o '[^ "=]*/bin/syncmail' "$1" | sort -u)" = "$2/bin/syncmail" ] ||
		fail "$1 names another program: $(grep -o '[^ "=]*/bin/syncmail' "$1" | sort -u)"
}

# The crontab lines (the active one and the commented ones): five time
# fields, then a command that sh can read, with no bare % (cron would
# make it a newline).
sed -n 's/^#\{0,1\}\(\*\/5 \* \* \* \*\)[[:blank:]]\{1,\}//p' \
    "$ROOT/contrib/crontab.example" >"$T/cron.cmds"
[ "$(grep -c . "$T/cron.cmds")" -ge 3 ] ||
	fail "contrib/crontab.example: want 3 lines every 5 minutes, found $(grep -c . "$T/cron.cmds")"
while IFS= read -r cmd; do
	printf '%s\n' "$cmd" | grep -q '\(^\|[^\\]\)%' &&
		fail "contrib/crontab.example: a bare % in: $cmd"
	printf '%s\n' "$cmd" | sh -n 2>"$T/sh.err" ||
		fail "contrib/crontab.example: sh cannot read: $cmd: $(cat "$T/sh.err")"
	case $cmd in
	*/usr/local/bin/syncmail" -q"*) ;;
	*) fail "contrib/crontab.example: does not run syncmail -q: $cmd" ;;
	esac
done <"$T/cron.cmds"

D=$T/inst
inst "$D" PREFIX=/usr/local
P=$D/usr/local
EX=$P/share/examples/syncmail
[ -x "$P/bin/syncmail" ] || fail "make install did not install the program"
has "$P/bin/syncmail" 755
has "$P/share/man/man1/syncmail.1" 644 syncmail.1
has "$P/share/man/man5/syncmail.conf.5" 644 syncmail.conf.5
has "$EX/syncmail.conf.example" 644 syncmail.conf.example
has "$EX/syncmail.service" 644
has "$EX/syncmail.timer" 644 contrib/syncmail.timer
has "$EX/crontab.example" 644
has "$EX/README.contrib" 644 contrib/README
has "$EX/strip-attachments" 755 contrib/strip-attachments
names_prog "$EX/syncmail.service" /usr/local
names_prog "$EX/crontab.example" /usr/local
if [ "$(uname -s)" = Linux ]; then
	has "$P/lib/systemd/user/syncmail.service" 644
	has "$P/lib/systemd/user/syncmail.timer" 644 contrib/syncmail.timer
	cmp -s "$P/lib/systemd/user/syncmail.service" "$EX/syncmail.service" ||
		fail "the two installed syncmail.service differ"
fi

# Another prefix: the units and the crontab line follow it.
inst "$T/inst2" PREFIX=/opt/sm
names_prog "$T/inst2/opt/sm/share/examples/syncmail/syncmail.service" /opt/sm
names_prog "$T/inst2/opt/sm/share/examples/syncmail/crontab.example" /opt/sm
[ "$(uname -s)" != Linux ] ||
	names_prog "$T/inst2/opt/sm/lib/systemd/user/syncmail.service" /opt/sm

# SYSTEMD_USER_DIR= leaves the units in the examples directory only.
inst "$T/inst3" PREFIX=/usr/local SYSTEMD_USER_DIR=
[ ! -e "$T/inst3/usr/local/lib/systemd" ] ||
	fail "SYSTEMD_USER_DIR= still installed $(find "$T/inst3/usr/local/lib" | head -n 3)"
has "$T/inst3/usr/local/share/examples/syncmail/syncmail.service" 644

if ! command -v systemd-analyze >/dev/null 2>&1; then
	note "make install: every file in place; systemd-analyze absent:" \
	    "the units were not verified"
	exit 0
fi
# Under a real prefix, so that ExecStart's program and the man pages of
# Documentation= exist where the units say (man finds them by MANPATH).
inst "" PREFIX="$T/prefix"
mkdir -p "$T/run"
chmod 700 "$T/run"
man_opt=
command -v man >/dev/null 2>&1 || man_opt=--man=no
# shellcheck disable=SC2086
MANPATH=$T/prefix/share/man XDG_RUNTIME_DIR=$T/run \
    systemd-analyze verify --user $man_opt \
    "$T/prefix/lib/systemd/user/syncmail.service" \
    "$T/prefix/lib/systemd/user/syncmail.timer" >"$T/verify.out" 2>&1
rc=$?
if [ "$rc" != 0 ] || [ -s "$T/verify.out" ]; then
	sed 's/^/  /' "$T/verify.out" | head -n 10
	fail "systemd-analyze verify --user: status $rc, or it had something to say"
fi
note "make install: program, man pages, example, contrib/ in place;" \
    "systemd-analyze verify accepts the units${man_opt:+ ($man_opt: no man)}"
