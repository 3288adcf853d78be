# syncmail: pull new mail from Maildirs on SSH servers into local Maildirs.

PREFIX ?=	/usr/local
MANDIR ?=	$(PREFIX)/share/man
DESTDIR ?=
CC ?=		cc
PKGS =		libssh2 openssl libbsd-overlay

PKG_CFLAGS !=	pkg-config --cflags $(PKGS) 2>/dev/null || true
PKG_LIBS !=	pkg-config --libs $(PKGS) 2>/dev/null || true

WARN =		-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
		-Wstrict-prototypes -Wpointer-arith -Wformat=2
CFLAGS ?=	-O2 -g
ALL_CFLAGS =	$(CFLAGS) $(WARN) -std=c11 -D_GNU_SOURCE -pthread -I. -Isyncmail -Isftp -Imaildir \
		$(PKG_CFLAGS)
LDLIBS =	$(PKG_LIBS) -pthread

OBJS =		syncmail/main.o \
		syncmail/account.o \
		syncmail/pull.o \
		syncmail/worker.o \
		syncmail/fault.o \
		syncmail/config.o \
		syncmail/error.o \
		syncmail/msg.o \
		sftp/session.o \
		sftp/hostkey.o \
		sftp/sshconfig.o \
		sftp/proxy.o \
		sftp/proto.o \
		sftp/client.o \
		maildir/maildir.o \
		maildir/deliver.o \
		maildir/commit.o \
		maildir/tmppool.o \
		maildir/record.o \
		maildir/names.o \
		maildir/nameset.o \
		compat/rename.o

HDRS =		syncmail/error.h syncmail/config.h syncmail/msg.h \
		syncmail/account.h syncmail/pull.h syncmail/worker.h syncmail/fault.h \
		sftp/session.h sftp/hostkey.h sftp/proto.h sftp/client.h \
		sftp/sshconfig.h sftp/proxy.h \
		maildir/maildir.h maildir/deliver.h maildir/record.h maildir/commit.h \
		maildir/tmppool.h \
		maildir/names.h maildir/nameset.h compat/compat.h

UNIT =		tests/unit/test_config \
		tests/unit/test_names \
		tests/unit/test_proto \
		tests/unit/test_hostkey \
		tests/unit/test_sshconfig

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

tests/unit/test_config: tests/unit/test_config.o syncmail/config.o sftp/sshconfig.o \
	    syncmail/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_names: tests/unit/test_names.o maildir/names.o maildir/nameset.o syncmail/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_proto: tests/unit/test_proto.o sftp/proto.o syncmail/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_hostkey: tests/unit/test_hostkey.o sftp/hostkey.o syncmail/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
tests/unit/test_sshconfig: tests/unit/test_sshconfig.o sftp/sshconfig.o syncmail/error.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(UNIT:=.o): $(HDRS) tests/unit/check.h

unit: $(UNIT)

# A second build of the program with AddressSanitizer and UBSan, from its
# own objects, so that the suite can run the end-to-end tests on it too.
# It also has the crash points of syncmail/fault.h.
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

# The one test command: installs what is missing, builds, runs every test:
# the unit tests, then the end-to-end tests on the program and on its
# sanitizer build.
check: deps
	@$(MAKE) -s all unit $(ASAN_PROG)
	@SYNCMAIL_ASAN=$(ASAN_PROG) sh tests/run

demo: deps
	@$(MAKE) -s all
	@sh tests/demo.sh

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/syncmail
	install -m 644 syncmail.1 $(DESTDIR)$(MANDIR)/man1/syncmail.1
	install -m 644 syncmail.conf.5 $(DESTDIR)$(MANDIR)/man5/syncmail.conf.5

clean:
	rm -f $(PROG) $(OBJS) $(ASAN_PROG) $(ASAN_OBJS) $(UNIT) $(UNIT:=.o)
