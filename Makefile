# Copyright (c) 2026 The syncmail authors
# SPDX-License-Identifier: ISC (the text is in LICENSE)
# syncmail: pull new mail from Maildirs on SSH servers into local Maildirs.

PREFIX ?=	/usr/local
MANDIR ?=	$(PREFIX)/share/man
EXAMPLES ?=	$(PREFIX)/share/examples/syncmail
# The systemd user units (contrib/) also go where the user's systemd finds
# them, on Linux only; "make install SYSTEMD_USER_DIR=" leaves them out.
SYSTEMD_USER_DIR_OS != case "$$(uname -s)" in Linux) echo '$$(PREFIX)/lib/systemd/user' ;; esac
SYSTEMD_USER_DIR ?= $(SYSTEMD_USER_DIR_OS)
DESTDIR ?=
CC ?=		cc
PKGS =		libssh2 openssl libbsd-overlay
# GMime's headers only: the attachments child loads the library itself
# (mail/gmime_load.h), by the file name GMIME_LIBRARY.
GMIME_PKG =	gmime-3.0

# The sandbox's platform file (compat/sandbox-*.c), and the mail
# parser's confinement's (compat/confine-*.c).
SANDBOX_OS !=	case "$$(uname -s)" in Linux) echo linux ;; \
		OpenBSD) echo openbsd ;; *) echo none ;; esac

PKG_CFLAGS !=	pkg-config --cflags $(PKGS) $(GMIME_PKG) 2>/dev/null || true
PKG_LIBS !=	pkg-config --libs $(PKGS) 2>/dev/null || true
GMIME_LIBRARY_OS != case "$$(uname -s)" in OpenBSD) echo libgmime-3.0.so ;; \
		*) echo libgmime-3.0.so.0 ;; esac
GMIME_LIBRARY ?= $(GMIME_LIBRARY_OS)
GMIME_LIBS !=	pkg-config --libs $(GMIME_PKG) 2>/dev/null || true
DL_LIBS_OS !=	case "$$(uname -s)" in Linux) echo -ldl ;; esac

# libssh2 1.11 signs with an RSA key as rsa-sha2-512 or -256 (RFC 8332),
# chosen from the server's server-sig-algs; 1.10 with SHA-1 only
# (compat/compat.h).
RSA_SHA2 !=	pkg-config --atleast-version=1.11.0 libssh2 2>/dev/null && \
		echo -DHAVE_LIBSSH2_RSA_SHA2 || true

WARN =		-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
		-Wstrict-prototypes -Wpointer-arith -Wformat=2
CFLAGS ?=	-O2 -g
# EXAMPLES_DIR: where make install puts the example, for the first run's message.
ALL_CFLAGS =	$(CFLAGS) $(WARN) -std=c11 -D_GNU_SOURCE -pthread -I. \
		-DEXAMPLES_DIR='"$(EXAMPLES)"' $(RSA_SHA2) \
		-DGMIME_LIBRARY='"$(GMIME_LIBRARY)"' $(PKG_CFLAGS)
LDLIBS =	$(PKG_LIBS) $(DL_LIBS_OS) -pthread

OBJS =		syncmail/main.o \
		syncmail/account.o \
		syncmail/watch.o \
		syncmail/pull.o \
		syncmail/list.o \
		syncmail/recover.o \
		syncmail/fetch.o \
		syncmail/batch.o \
		syncmail/route.o \
		syncmail/preview.o \
		syncmail/pipe.o \
		syncmail/save.o \
		syncmail/filter.o \
		maildir/committer.o \
		util/fault.o \
		syncmail/config.o \
		syncmail/config_check.o \
		syncmail/config_route.o \
		syncmail/config_filter.o \
		syncmail/config_same.o \
		syncmail/selection.o \
		util/error.o \
		util/readfile.o \
		syncmail/say.o \
		syncmail/mlog.o \
		syncmail/sandbox.o \
		syncmail/status.o \
		sftp/session.o \
		sftp/kex.o \
		sftp/hostcheck.o \
		sftp/auth.o \
		sftp/keyfile.o \
		sftp/hostkey.o \
		sftp/hostkey_blob.o \
		sftp/sshconfig.o \
		sftp/sshkw.o \
		sftp/proxy.o \
		sftp/proto.o \
		sftp/client.o \
		sftp/stream.o \
		sftp/notify.o \
		util/match.o \
		util/lex.o \
		mail/header.o \
		mail/safename.o \
		mail/utf8.o \
		mail/attach.o \
		mail/gmime_load.o \
		util/note.o \
		util/prompt.o \
		maildir/maildir.o \
		maildir/deliver.o \
		maildir/commit.o \
		maildir/tmppool.o \
		maildir/record.o \
		maildir/names.o \
		maildir/nameset.o \
		maildir/localset.o \
		compat/rename.o \
		compat/syncfs.o \
		compat/pdeath.o \
		exec/command.o \
		exec/runner.o \
		compat/sandbox-$(SANDBOX_OS).o \
		compat/confine-$(SANDBOX_OS).o

HDRS =		util/error.h syncmail/status.h syncmail/config.h syncmail/say.h util/readfile.h \
		syncmail/mlog.h \
		syncmail/account.h syncmail/watch.h syncmail/selection.h syncmail/pull.h syncmail/engine.h maildir/committer.h util/fault.h \
		sftp/session.h sftp/kex.h sftp/hostcheck.h sftp/auth.h sftp/keyfile.h \
		sftp/hostkey.h sftp/proto.h sftp/client.h sftp/stream.h sftp/notify.h \
		sftp/sshconfig.h sftp/sshkw.h sftp/proxy.h \
		maildir/maildir.h maildir/deliver.h maildir/record.h maildir/commit.h \
		maildir/tmppool.h maildir/localset.h \
		maildir/names.h maildir/nameset.h compat/compat.h compat/sandbox.h \
		syncmail/sandbox.h util/match.h util/note.h util/prompt.h util/lex.h \
		syncmail/config_int.h sftp/hostkey_blob.h \
		mail/header.h mail/safename.h mail/utf8.h mail/attach.h mail/gmime_load.h \
		compat/confine.h exec/command.h exec/runner.h

UNIT =		tests/unit/test_config \
		tests/unit/test_names \
		tests/unit/test_proto \
		tests/unit/test_hostkey \
		tests/unit/test_sshconfig \
		tests/unit/test_localset \
		tests/unit/test_match \
		tests/unit/test_lex \
		tests/unit/test_header \
		tests/unit/test_safename \
		tests/unit/test_runner \
		tests/unit/test_attach \
		tests/unit/test_engine
# Unit tests linked with the sanitizer objects, which have the crash points;
# test_runner_asan is test_runner under ASan and UBSan (its runner process
# too, which is forked, not executed).
UNIT_ASAN =	tests/unit/test_crash \
		tests/unit/test_runner_asan

.PHONY: all deps check unit e2e asan demo install clean fuzz fuzz-replay fuzz-cmin

# The program is built inside its own source directory.
PROG =		syncmail/syncmail

all: $(PROG)

deps:
	@sh tests/deps.sh

$(PROG): $(OBJS)
	$(CC) $(CFLAGS) -o $@ $(OBJS) $(LDLIBS)

.c.o:
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Every object depends on every header: the tree is small and a full
# rebuild takes seconds, which beats a stale object.
$(OBJS): $(HDRS)


tests/unit/test_config: tests/unit/test_config.o syncmail/config.o \
	    syncmail/config_check.o syncmail/config_route.o \
	    syncmail/config_filter.o sftp/sshconfig.o \
	    sftp/sshkw.o util/match.o util/lex.o \
	    util/error.o util/readfile.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_names: tests/unit/test_names.o maildir/names.o maildir/nameset.o util/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_proto: tests/unit/test_proto.o sftp/proto.o util/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_hostkey: tests/unit/test_hostkey.o sftp/hostkey.o \
	    sftp/hostkey_blob.o util/match.o util/lex.o util/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_sshconfig: tests/unit/test_sshconfig.o sftp/sshconfig.o \
	    sftp/sshkw.o util/match.o \
	    util/lex.o util/error.o util/readfile.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_localset: tests/unit/test_localset.o maildir/localset.o \
	    maildir/maildir.o maildir/nameset.o maildir/names.o util/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_match: tests/unit/test_match.o util/match.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_lex: tests/unit/test_lex.o util/lex.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_header: tests/unit/test_header.o mail/header.o mail/utf8.o util/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_safename: tests/unit/test_safename.o mail/safename.o mail/utf8.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# The command runner, as a process, with real /bin/sh commands.
tests/unit/test_runner: tests/unit/test_runner.o exec/runner.o exec/command.o \
	    compat/pdeath.o util/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# Linked with GMime: its gmime#165 case calls GMime in the child itself.
tests/unit/test_attach: tests/unit/test_attach.o mail/attach.o mail/gmime_load.o \
	    mail/safename.o mail/utf8.o util/match.o util/error.o compat/rename.o \
	    compat/confine-$(SANDBOX_OS).o compat/pdeath.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(GMIME_LIBS)
# The engine against a local sftp-server: everything but the command line,
# the account's connection and the sandbox.
ENGINE_OBJS =	$(filter-out syncmail/main.o syncmail/account.o syncmail/watch.o \
		syncmail/selection.o \
		syncmail/sandbox.o \
		compat/sandbox%,$(OBJS))
tests/unit/test_engine: tests/unit/test_engine.o tests/unit/fixture.o $(ENGINE_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(UNIT:=.o) tests/unit/fixture.o: $(HDRS) tests/unit/check.h tests/unit/fixture.h

unit: $(UNIT) $(UNIT_ASAN)

# A second build of the program with AddressSanitizer and UBSan, from its
# own objects, so that the suite can run the end-to-end tests on it too.
# It also has the crash points of util/fault.h.
ASAN_FLAGS =	-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all
ASAN_OBJS =	$(OBJS:.o=.asan.o)
ASAN_PROG =	syncmail/syncmail-asan

$(ASAN_PROG): $(ASAN_OBJS)
	$(CC) $(ASAN_FLAGS) -o $@ $(ASAN_OBJS) $(LDLIBS)

$(ASAN_OBJS): $(HDRS)

%.asan.o: %.c
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -DSYNCMAIL_FAULTS -c -o $@ $<

asan: $(ASAN_PROG)

# The engine killed at each crash point, against a local sftp-server; the
# test logs the engine's moves and fsyncs (ld's --wrap) to check their order.
CRASH_WRAP =	-Wl,--wrap=renameat2 -Wl,--wrap=linkat -Wl,--wrap=fsync
tests/unit/test_crash: tests/unit/test_crash.asan.o tests/unit/fixture.asan.o \
	    $(ENGINE_OBJS:.o=.asan.o)
	$(CC) $(ASAN_FLAGS) $(CRASH_WRAP) -o $@ $^ $(LDLIBS)
tests/unit/test_runner_asan: tests/unit/test_runner.asan.o exec/runner.asan.o \
	    exec/command.asan.o compat/pdeath.asan.o util/error.asan.o
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
$(UNIT_ASAN:=.asan.o) tests/unit/test_runner.asan.o tests/unit/fixture.asan.o: \
	    $(HDRS) tests/unit/check.h tests/unit/fixture.h

# Fuzz targets (tests/fuzz): the config parser, the SFTP reply codec,
# the known_hosts line parser, the ssh_config reader, a whole pull and
# the header reader (with names made safe).  "make fuzz"
# builds each with clang's libFuzzer and runs it FUZZ_SECONDS (one target:
# FUZZ_NAMES=sshconfig), adding what it finds new to its
# corpus tests/fuzz/corpus/NAME (with the dictionary tests/fuzz/NAME.dict
# if there is one); a crash is saved as tests/fuzz/crash-NAME-* and fails
# the target.  "make check" only replays the corpora, with
# tests/fuzz/replay.c instead of libFuzzer, built by $(CC) with ASan and
# UBSan, so it needs no clang.
FUZZ_CC ?=	clang
FUZZ_SECONDS ?=	60
FUZZ_FLAGS =	-g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES =	config proto hostkey sshconfig pull header
FUZZ_config =	syncmail/config.c syncmail/config_check.c syncmail/config_route.c \
		syncmail/config_filter.c \
		util/lex.c util/error.c \
		util/readfile.c
FUZZ_proto =	sftp/proto.c
FUZZ_hostkey =	sftp/hostkey.c sftp/hostkey_blob.c util/lex.c util/match.c \
		util/error.c
FUZZ_sshconfig = sftp/sshconfig.c sftp/sshkw.c util/lex.c util/match.c util/error.c \
		util/readfile.c
FUZZ_pull =	$(ENGINE_OBJS:.o=.c)
FUZZ_header =	mail/header.c mail/safename.c mail/utf8.c util/error.c
FUZZ_PROGS =	tests/fuzz/fuzz_config tests/fuzz/fuzz_proto tests/fuzz/fuzz_hostkey \
		tests/fuzz/fuzz_sshconfig tests/fuzz/fuzz_pull tests/fuzz/fuzz_header
REPLAY_PROGS =	tests/fuzz/replay_config tests/fuzz/replay_proto tests/fuzz/replay_hostkey \
		tests/fuzz/replay_sshconfig tests/fuzz/replay_pull tests/fuzz/replay_header

tests/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(FUZZ_config) $(HDRS)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_config.c $(FUZZ_config) $(LDLIBS)
tests/fuzz/fuzz_proto: tests/fuzz/fuzz_proto.c $(FUZZ_proto) $(HDRS)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_proto.c $(FUZZ_proto) $(LDLIBS)
tests/fuzz/fuzz_hostkey: tests/fuzz/fuzz_hostkey.c $(FUZZ_hostkey) $(HDRS)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_hostkey.c $(FUZZ_hostkey) $(LDLIBS)
tests/fuzz/fuzz_sshconfig: tests/fuzz/fuzz_sshconfig.c $(FUZZ_sshconfig) $(HDRS)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_sshconfig.c $(FUZZ_sshconfig) $(LDLIBS)
tests/fuzz/fuzz_pull: tests/fuzz/fuzz_pull.c $(FUZZ_pull) $(HDRS)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_pull.c $(FUZZ_pull) $(LDLIBS)
tests/fuzz/fuzz_header: tests/fuzz/fuzz_header.c $(FUZZ_header) $(HDRS)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_header.c $(FUZZ_header) $(LDLIBS)

tests/fuzz/replay_config: tests/fuzz/replay.asan.o tests/fuzz/fuzz_config.asan.o \
		syncmail/config.asan.o syncmail/config_check.asan.o \
		syncmail/config_route.asan.o syncmail/config_filter.asan.o \
		util/lex.asan.o \
		util/error.asan.o util/readfile.asan.o
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
tests/fuzz/replay_proto: tests/fuzz/replay.asan.o tests/fuzz/fuzz_proto.asan.o \
		sftp/proto.asan.o
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
tests/fuzz/replay_hostkey: tests/fuzz/replay.asan.o tests/fuzz/fuzz_hostkey.asan.o \
		sftp/hostkey.asan.o sftp/hostkey_blob.asan.o util/lex.asan.o \
		util/match.asan.o util/error.asan.o
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
tests/fuzz/replay_sshconfig: tests/fuzz/replay.asan.o tests/fuzz/fuzz_sshconfig.asan.o \
		sftp/sshconfig.asan.o sftp/sshkw.asan.o util/lex.asan.o \
		util/match.asan.o \
		util/error.asan.o util/readfile.asan.o
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
tests/fuzz/replay_pull: tests/fuzz/replay.asan.o tests/fuzz/fuzz_pull.asan.o \
		$(ENGINE_OBJS:.o=.asan.o)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
tests/fuzz/replay_header: tests/fuzz/replay.asan.o tests/fuzz/fuzz_header.asan.o \
		mail/header.asan.o mail/safename.asan.o mail/utf8.asan.o \
		util/error.asan.o
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
tests/fuzz/replay.asan.o tests/fuzz/fuzz_config.asan.o \
tests/fuzz/fuzz_proto.asan.o tests/fuzz/fuzz_hostkey.asan.o \
tests/fuzz/fuzz_sshconfig.asan.o tests/fuzz/fuzz_pull.asan.o \
tests/fuzz/fuzz_header.asan.o: $(HDRS)

fuzz-replay: $(REPLAY_PROGS)

fuzz: deps $(FUZZ_PROGS)
	@rc=0; for t in $(FUZZ_NAMES); do \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $$dict \
		    -print_final_stats=1 -close_fd_mask=3 \
		    -artifact_prefix=tests/fuzz/crash-$$t- \
		    tests/fuzz/corpus/$$t || rc=1; \
	done; exit $$rc

# Shrinks each corpus (libFuzzer -merge): the hand-made seeds (any name
# that is not libFuzzer's 40 hex digits) stay, and of what the fuzzer
# added only the inputs that add coverage to the seeds'.
fuzz-cmin: $(FUZZ_PROGS)
	@for t in $(FUZZ_NAMES); do \
		c=tests/fuzz/corpus/$$t; \
		rm -rf $$c.new && mkdir $$c.new && \
		find $$c -maxdepth 1 -type f -regextype posix-extended \
		    ! -regex '.*/[0-9a-f]{40}' \
		    -exec cp {} $$c.new/ \; && \
		tests/fuzz/fuzz_$$t -merge=1 $$c.new $$c 2>$$c.merge.log && \
		rm -rf $$c $$c.merge.log && mv $$c.new $$c || exit 1; \
		echo "$$c: $$(ls $$c | wc -l) inputs"; \
	done

# The one test command: installs what is missing, builds, runs every test:
# the unit tests, the fuzz corpora replayed, then the end-to-end tests on
# the program and on its sanitizer build.
check: deps
	@$(MAKE) -s all unit $(ASAN_PROG) $(REPLAY_PROGS)
	@SYNCMAIL_ASAN=$(ASAN_PROG) sh tests/run

demo: deps
	@$(MAKE) -s all
	@sh tests/demo.sh

# The benchmark (tests/bench/bench.py): syncmail against rsync and OpenSSH
# sftp, on loopback and across a veth pair with a delayed round trip; as
# root, about 20 minutes.  QUICK=1 for a short run of about a minute.
# The soak run of watch mode, not part of check: SOAK_MINUTES (default 30)
# of deliveries at random intervals and connection cuts (SOAK_CUT s apart,
# default 180); it reports moved, duplicates, losses, RSS and descriptors.
.PHONY: soak
soak: deps all
	@SOAK_MINUTES=$(SOAK_MINUTES) SOAK_CUT=$(SOAK_CUT) sh tests/soak.sh

.PHONY: bench
bench: deps
	@sh tests/bench/deps.sh
	@$(MAKE) -s all
	@QUICK=$(QUICK) python3 tests/bench/bench.py

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(EXAMPLES)
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/syncmail
	install -m 644 syncmail.1 $(DESTDIR)$(MANDIR)/man1/syncmail.1
	install -m 644 syncmail.conf.5 $(DESTDIR)$(MANDIR)/man5/syncmail.conf.5
	install -m 644 syncmail.conf.example $(DESTDIR)$(EXAMPLES)/syncmail.conf.example
	@# contrib/: how to run it unattended, with the program's installed path
	for f in syncmail.service syncmail.timer syncmail-watch.service \
	    crontab.example; do \
		sed 's|/usr/local/bin/syncmail|$(PREFIX)/bin/syncmail|g' contrib/$$f \
		    >$(DESTDIR)$(EXAMPLES)/$$f && \
		chmod 644 $(DESTDIR)$(EXAMPLES)/$$f || exit 1; \
	done
	install -m 644 contrib/README $(DESTDIR)$(EXAMPLES)/README.contrib
	@# a filter for the sanitizer use case (README, "Use cases")
	install -m 755 contrib/strip-attachments $(DESTDIR)$(EXAMPLES)/strip-attachments
	if [ -n "$(SYSTEMD_USER_DIR)" ]; then \
		install -d $(DESTDIR)$(SYSTEMD_USER_DIR) && \
		install -m 644 $(DESTDIR)$(EXAMPLES)/syncmail.service \
		    $(DESTDIR)$(EXAMPLES)/syncmail.timer \
		    $(DESTDIR)$(EXAMPLES)/syncmail-watch.service \
		    $(DESTDIR)$(SYSTEMD_USER_DIR)/; \
	fi

clean:
	rm -f $(PROG) $(OBJS) $(ASAN_PROG) $(ASAN_OBJS) $(UNIT) $(UNIT:=.o)
	rm -f $(UNIT_ASAN) $(UNIT_ASAN:=.asan.o) tests/unit/fixture.o tests/unit/fixture.asan.o \
	    tests/unit/test_runner.asan.o
	rm -f $(FUZZ_PROGS) $(REPLAY_PROGS) tests/fuzz/*.asan.o
