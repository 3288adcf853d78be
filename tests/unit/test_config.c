/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Unit tests for syncmail/config.c: every keyword, inheritance, quoting,
 * "~/", each error with its exact "FILE:LINE: " prefix, the duplicate
 * mailbox rule, hostile input, and syncmail.conf.example (argv[1], or
 * that name in the current directory: tests run from the repository root).
 * Run under valgrind to check that error paths free everything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syncmail/config.h"
#include "check.h"

#define HOME	"/home/alice"

static int
parse(const char *text, struct config *cfg, struct error *err)
{
	error_clear(err);
	return config_parse(text, strlen(text), "t.conf", HOME, "alice", cfg,
	    err);
}

/*
 * text must fail with exactly message want, and leave the config empty
 * even though it held garbage before.
 */
#define FAILS(text, want) do {						\
	struct config fails_c;						\
	struct error fails_e;						\
	memset(&fails_c, 0xa5, sizeof(fails_c));			\
	CHECK(parse((text), &fails_c, &fails_e) == -1);			\
	CHECK(fails_e.kind == ERR_CONFIG);				\
	CHECK_STR(fails_e.msg, (want));					\
	CHECK(fails_c.accounts == NULL && fails_c.naccounts == 0);	\
	config_free(&fails_c);						\
} while (0)

/* text must parse; the config is then the caller's to free. */
#define PARSES(text, cfg) do {						\
	struct error parses_e;						\
	int parses_rc = parse((text), (cfg), &parses_e);		\
	CHECK(parses_rc == 0);						\
	if (parses_rc != 0)						\
		printf("  unexpected error: %s\n", parses_e.msg);	\
} while (0)

/* A minimal valid account, for tests about one other keyword. */
#define ACC	"account a\nhost h\npull M /m\n"

/* log: syslog, a file (~/ expanded), off; a default, and undone. */
static void
test_log(void)
{
	struct config c;
	const struct account *a;

	PARSES("log ~/mail.log\n"
	    "account a\nhost h\npull M /m\n"
	    "account b\nhost h\npull N /n\nlog syslog\n"
	    "account c\nhost h\npull O /o\nlog off\n"
	    "account d\nhost h\npull P /p\nlog /var/log/x\n", &c);
	if ((a = config_account(&c, "a")) != NULL) {
		CHECK_STR(a->log_file, HOME "/mail.log");
		CHECK(!a->log_syslog);
	} else
		CHECK(0);
	if ((a = config_account(&c, "b")) != NULL)
		CHECK(a->log_syslog && a->log_file == NULL);
	else
		CHECK(0);
	if ((a = config_account(&c, "c")) != NULL)
		CHECK(!a->log_syslog && a->log_file == NULL);
	else
		CHECK(0);
	if ((a = config_account(&c, "d")) != NULL)
		CHECK_STR(a->log_file, "/var/log/x");
	else
		CHECK(0);
	config_free(&c);
	PARSES(ACC, &c);
	CHECK(c.naccounts == 1 && !c.accounts[0].log_syslog &&
	    c.accounts[0].log_file == NULL);
	config_free(&c);
}

static void
test_keywords(void)
{
	struct config c;
	struct account *a;

	PARSES("account work\n"
	    "host mail.example.com\n"
	    "port 2222\n"
	    "user bob\n"
	    "identity /k/one\n"
	    "identity ~/.ssh/two\n"
	    "known-hosts /etc/kh\n"
	    "host-key-check accept-new\n"
	    "pull Maildir ~/Mail/work\n"
	    "pull /var/mail/x /srv/x\n"
	    "keep yes\n"
	    "max-size 10M\n"
	    "max-messages 250\n"
	    "timeout 45\n"
	    "deadline 600\n", &c);
	CHECK(c.naccounts == 1);
	if (c.naccounts != 1)
		return;
	a = &c.accounts[0];
	CHECK_STR(a->name, "work");
	CHECK_STR(a->file, "t.conf");
	CHECK(a->line == 1);
	CHECK_STR(a->host, "mail.example.com");
	CHECK(a->port == 2222);
	CHECK_STR(a->user, "bob");
	CHECK(a->nidentities == 2);
	if (a->nidentities == 2) {
		CHECK_STR(a->identities[0], "/k/one");
		CHECK_STR(a->identities[1], HOME "/.ssh/two");
		CHECK(a->identities[2] == NULL);
	}
	CHECK_STR(a->known_hosts, "/etc/kh");
	CHECK(a->hostkey_check == HOSTKEY_CHECK_ACCEPT_NEW);
	CHECK(a->npulls == 2);
	if (a->npulls == 2) {
		CHECK_STR(a->pulls[0].remote, "Maildir");
		CHECK_STR(a->pulls[0].local, HOME "/Mail/work");
		CHECK(a->pulls[0].line == 9);
		CHECK_STR(a->pulls[1].remote, "/var/mail/x");
		CHECK_STR(a->pulls[1].local, "/srv/x");
		CHECK(a->pulls[1].line == 10);
	}
	CHECK(a->keep == 1);
	CHECK(a->max_size == 10 * 1024 * 1024);
	CHECK(a->max_messages == 250);
	CHECK(a->timeout == 45);
	CHECK(a->deadline == 600);
	CHECK(config_account(&c, "work") == a);
	CHECK(config_account(&c, "Work") == NULL);
	CHECK(config_account(&c, "") == NULL);
	config_free(&c);
	CHECK(c.accounts == NULL && c.naccounts == 0);
	config_free(&c);	/* twice is harmless */
	config_free(NULL);

	/* the other value of each two-valued keyword */
	PARSES(ACC "keep no\nhost-key-check yes\n", &c);
	if (c.naccounts == 1) {
		CHECK(c.accounts[0].keep == 0);
		CHECK(c.accounts[0].hostkey_check == HOSTKEY_CHECK_YES);
	}
	config_free(&c);
}

static void
test_builtin_defaults(void)
{
	struct config c;
	struct account *a;

	PARSES(ACC, &c);
	CHECK(c.naccounts == 1);
	if (c.naccounts != 1)
		return;
	a = &c.accounts[0];
	CHECK(a->port == 0);
	CHECK(a->user == NULL);
	CHECK(a->identities != NULL && a->identities[0] == NULL);
	CHECK(a->nidentities == 0);
	CHECK_STR(a->known_hosts, HOME "/.ssh/known_hosts");
	CHECK(a->hostkey_check == HOSTKEY_CHECK_YES);
	/* unset here, so ~/.ssh/config may set them */
	CHECK(!a->known_hosts_given && !a->hostkey_check_given);
	CHECK_STR(a->ssh_config, HOME "/.ssh/config");
	CHECK(!a->ssh_config_given);
	CHECK(a->proxy_command == NULL);
	CHECK(a->keep == 0);
	CHECK(a->max_size == 0);
	CHECK(a->max_messages == 0);
	CHECK(a->timeout == 30);
	CHECK(a->deadline == 3600);
	config_free(&c);
}

static void
test_inheritance(void)
{
	struct config c;
	struct account *a, *b;

	PARSES("host shared.example\n"
	    "port 2200\n"
	    "user carol\n"
	    "identity ~/.ssh/d1\n"
	    "identity /d2\n"
	    "known-hosts /kh\n"
	    "host-key-check accept-new\n"
	    "keep yes\n"
	    "max-size 2K\n"
	    "max-messages 7\n"
	    "timeout 11\n"
	    "deadline 22\n"
	    "account a\n"
	    "pull A /a\n"
	    "account b\n"
	    "host own.example\n"
	    "port 22\n"
	    "user dave\n"
	    "identity /own\n"
	    "known-hosts ~/kh\n"
	    "host-key-check yes\n"
	    "keep no\n"
	    "max-size none\n"
	    "max-messages none\n"
	    "timeout 1\n"
	    "deadline 604800\n"
	    "pull B /b\n", &c);
	CHECK(c.naccounts == 2);
	if (c.naccounts != 2)
		return;
	a = config_account(&c, "a");
	b = config_account(&c, "b");
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		goto out;
	/* a takes every default */
	CHECK_STR(a->host, "shared.example");
	CHECK(a->port == 2200);
	CHECK_STR(a->user, "carol");
	CHECK(a->nidentities == 2);
	if (a->nidentities == 2) {
		CHECK_STR(a->identities[0], HOME "/.ssh/d1");
		CHECK_STR(a->identities[1], "/d2");
		CHECK(a->identities[2] == NULL);
	}
	CHECK_STR(a->known_hosts, "/kh");
	CHECK(a->hostkey_check == HOSTKEY_CHECK_ACCEPT_NEW);
	CHECK(a->keep == 1);
	CHECK(a->max_size == 2048);
	CHECK(a->max_messages == 7);
	CHECK(a->timeout == 11);
	CHECK(a->deadline == 22);
	/* b overrides every one; its identity replaces the list */
	CHECK_STR(b->host, "own.example");
	CHECK(b->port == 22);
	CHECK_STR(b->user, "dave");
	CHECK(b->nidentities == 1);
	if (b->nidentities == 1) {
		CHECK_STR(b->identities[0], "/own");
		CHECK(b->identities[1] == NULL);
	}
	CHECK_STR(b->known_hosts, HOME "/kh");
	CHECK(b->hostkey_check == HOSTKEY_CHECK_YES);
	CHECK(b->keep == 0);
	CHECK(b->max_size == 0);
	CHECK(b->max_messages == 0);
	CHECK(b->timeout == 1);
	CHECK(b->deadline == 604800);
	/* each account owns its copies */
	CHECK(a->host != NULL && a->identities[0] != NULL);
out:
	config_free(&c);

	/* defaults may follow nothing else, and an account set before others */
	PARSES("timeout 5\naccount x\nhost h\npull P /p\n"
	    "account y\nhost h\ntimeout 6\npull Q /q\n", &c);
	if (c.naccounts == 2) {
		CHECK(c.accounts[0].timeout == 5);
		CHECK(c.accounts[1].timeout == 6);
	}
	config_free(&c);
}

static void
test_quoting(void)
{
	struct config c;
	struct account *a;

	PARSES("# a comment\n"
	    "\n"
	    "   \t  \n"
	    "  # indented comment\n"
	    "account \"q\"   # trailing comment\n"
	    "\thost \"a b\"\n"
	    "user \"x\\\"y\\\\z\"\n"
	    "identity \"/with#hash\"\n"
	    "known-hosts /p\"ar t\"ial\n"
	    "pull \"Mail dir\" \"~/Local Mail\"\n"
	    "pull back\\slash /b\\s\n"
	    "pull \"keep\\nthis\" /n#comment right after\n", &c);
	CHECK(c.naccounts == 1);
	if (c.naccounts != 1)
		return;
	a = &c.accounts[0];
	CHECK_STR(a->name, "q");
	CHECK(a->line == 5);
	CHECK_STR(a->host, "a b");
	CHECK_STR(a->user, "x\"y\\z");
	CHECK(a->nidentities == 1);
	if (a->nidentities == 1)
		CHECK_STR(a->identities[0], "/with#hash");
	CHECK_STR(a->known_hosts, "/par tial");
	CHECK(a->npulls == 3);
	if (a->npulls == 3) {
		CHECK_STR(a->pulls[0].remote, "Mail dir");
		CHECK_STR(a->pulls[0].local, HOME "/Local Mail");
		CHECK_STR(a->pulls[1].remote, "back\\slash");
		CHECK_STR(a->pulls[1].local, "/b\\s");
		/* only \" and \\ are escapes; others stay as written */
		CHECK_STR(a->pulls[2].remote, "keep\\nthis");
		CHECK_STR(a->pulls[2].local, "/n");
		CHECK(a->pulls[2].line == 12);
	}
	config_free(&c);

	/* CRLF line ends, a byte order mark, no final newline */
	PARSES("\xef\xbb\xbf" "account crlf\r\nhost h\r\npull M /m", &c);
	CHECK(c.naccounts == 1);
	if (c.naccounts == 1) {
		CHECK_STR(c.accounts[0].name, "crlf");
		CHECK_STR(c.accounts[0].host, "h");
		CHECK(c.accounts[0].npulls == 1);
		if (c.accounts[0].npulls == 1)
			CHECK_STR(c.accounts[0].pulls[0].local, "/m");
	}
	config_free(&c);

	/* UTF-8 in values is kept as is */
	PARSES(ACC "user \xc3\xa9lise\n", &c);
	if (c.naccounts == 1)
		CHECK_STR(c.accounts[0].user, "\xc3\xa9lise");
	config_free(&c);

	FAILS("account a\nhost \"open\n", "t.conf:2: unterminated quote");
	FAILS("account a\nhost \"esc\\\"\n", "t.conf:2: unterminated quote");
	FAILS("account a\nhost \"a\tb\"\n", "t.conf:2: control character 0x09");
	FAILS("account a\nhost a\x1b[2J\n", "t.conf:2: control character 0x1b");
	FAILS("account a\nhost a\x7f\n", "t.conf:2: control character 0x7f");
	FAILS("account a\nhost \"a\rb\"\n", "t.conf:2: control character 0x0d");
	FAILS("account a\nhost \"\"\n", "t.conf:2: \"host\": empty value");
	FAILS("account \"\"\n", "t.conf:1: \"account\": empty value");
	FAILS("account a\nhost \"a b\" c\n", "t.conf:2: \"host\" takes one "
	    "value, not 2 (a value with spaces goes in double quotes)");
}

static void
test_tilde(void)
{
	struct config c;
	struct error e;

	/* home with a trailing slash, and home "/" */
	CHECK(config_parse(ACC "identity ~/k\n", strlen(ACC) + 13, "t.conf",
	    "/home/bob/", "bob", &c, &e) == 0);
	if (c.naccounts == 1) {
		CHECK_STR(c.accounts[0].identities[0], "/home/bob/k");
		CHECK_STR(c.accounts[0].known_hosts,
		    "/home/bob/.ssh/known_hosts");
	}
	config_free(&c);
	CHECK(config_parse(ACC "known-hosts ~/kh\n", strlen(ACC) + 16,
	    "t.conf", "/", "root", &c, &e) == 0);
	if (c.naccounts == 1)
		CHECK_STR(c.accounts[0].known_hosts, "/kh");
	config_free(&c);

	/* only a leading "~/" is expanded */
	PARSES("account a\nhost h\npull ~/M /x/~/y\n", &c);
	if (c.naccounts == 1 && c.accounts[0].npulls == 1) {
		CHECK_STR(c.accounts[0].pulls[0].remote, "~/M");
		CHECK_STR(c.accounts[0].pulls[0].local, "/x/~/y");
	}
	config_free(&c);

	FAILS("account a\nhost h\npull M Mail\n",
	    "t.conf:3: \"pull\": \"Mail\" is not an absolute path");
	FAILS("account a\nhost h\npull M ~bob/Mail\n",
	    "t.conf:3: \"pull\": \"~bob/Mail\" is not an absolute path");
	FAILS("account a\nhost h\npull M ~\n",
	    "t.conf:3: \"pull\": \"~\" is not an absolute path");
	FAILS(ACC "identity id_ed25519\n",
	    "t.conf:4: \"identity\": \"id_ed25519\" is not an absolute path");
	FAILS(ACC "known-hosts kh\n",
	    "t.conf:4: \"known-hosts\": \"kh\" is not an absolute path");

	/* no home: "~/" cannot be expanded, nor the default known-hosts */
	memset(&c, 0xa5, sizeof(c));
	CHECK(config_parse("account a\nhost h\npull M ~/M\n", 27, "t.conf",
	    NULL, "bob", &c, &e) == -1);
	CHECK_STR(e.msg, "t.conf:3: \"pull\": cannot expand \"~/\": the home "
	    "directory is not known");
	CHECK(c.accounts == NULL && c.naccounts == 0);
	CHECK(config_parse(ACC, strlen(ACC), "t.conf", "", "bob", &c,
	    &e) == -1);
	CHECK_STR(e.msg, "t.conf:1: \"known-hosts\": cannot expand \"~/\": "
	    "the home directory is not known");
	CHECK(config_parse(ACC "known-hosts /kh\n", strlen(ACC) + 16,
	    "t.conf", NULL, NULL, &c, &e) == 0);
	config_free(&c);
}

/* ssh-config and proxy-command: set, "none", inherited, overridden. */
static void
test_ssh(void)
{
	struct config c;
	struct account *a, *b, *d;

	PARSES("ssh-config ~/ssh.conf\n"
	    "proxy-command \"ssh -W %h:%p jump\"\n"
	    "host-key-check accept-new\n"
	    "account a\nhost h\npull M /m\n"
	    "account b\nhost h\npull N /n\nssh-config none\n"
	    "proxy-command none\nknown-hosts /kh\n"
	    "account d\nhost h\npull O /o\nssh-config /etc/x\n"
	    "proxy-command \"nc %h %p # %% %r %n\"\n", &c);
	CHECK(c.naccounts == 3);
	if (c.naccounts != 3)
		return;
	a = &c.accounts[0];
	b = &c.accounts[1];
	d = &c.accounts[2];
	CHECK_STR(a->ssh_config, HOME "/ssh.conf");
	CHECK(a->ssh_config_given);
	CHECK_STR(a->proxy_command, "ssh -W %h:%p jump");
	CHECK(a->hostkey_check == HOSTKEY_CHECK_ACCEPT_NEW);
	CHECK(a->hostkey_check_given);
	CHECK(!a->known_hosts_given);
	CHECK(b->ssh_config == NULL);
	CHECK(b->ssh_config_given);
	CHECK_STR(b->proxy_command, "none");
	CHECK(b->known_hosts_given);
	CHECK(b->hostkey_check_given);
	CHECK_STR(d->ssh_config, "/etc/x");
	CHECK_STR(d->proxy_command, "nc %h %p # %% %r %n");
	config_free(&c);

	/* "ssh-config none" in the defaults reaches every account */
	PARSES("ssh-config none\naccount a\nhost h\npull M /m\n", &c);
	CHECK(c.naccounts == 1 && c.accounts[0].ssh_config == NULL &&
	    c.accounts[0].ssh_config_given);
	config_free(&c);
}

static void
test_errors(void)
{
	struct config c;
	struct error fe;

	FAILS("account a\n  hots mail\n", "t.conf:2: unknown keyword \"hots\"");
	FAILS("Host h\n", "t.conf:1: unknown keyword \"Host\"");
	FAILS("\"\" x\n", "t.conf:1: unknown keyword \"\"");
	FAILS(ACC "ssh-config rel/config\n",
	    "t.conf:4: \"ssh-config\": \"rel/config\" is not an absolute "
	    "path");
	FAILS(ACC "ssh-config\n", "t.conf:4: \"ssh-config\" needs a value");
	FAILS(ACC "ssh-config none\nssh-config none\n",
	    "t.conf:5: \"ssh-config\" given twice (first at line 4)");
	CHECK(config_parse(ACC "ssh-config none\n", strlen(ACC) + 16,
	    "t.conf", "/h", "u", &c, &fe) == 0);
	config_free(&c);
	FAILS(ACC "proxy-command \"ssh -W %h:%x j\"\n",
	    "t.conf:4: \"proxy-command\": unknown token \"%x\" (known: %h "
	    "%p %r %n %%)");
	FAILS(ACC "proxy-command \"nc %h 5%\"\n",
	    "t.conf:4: \"proxy-command\": \"%\" at the end (write \"%%\" "
	    "for a %)");
	FAILS(ACC "proxy-command nc %h %p\n",
	    "t.conf:4: \"proxy-command\" takes one value, not 3 (a value "
	    "with spaces goes in double quotes)");
	FAILS(ACC "log mail.log\n",
	    "t.conf:4: \"log\": \"mail.log\" is not an absolute path");
	FAILS(ACC "log\n", "t.conf:4: \"log\" needs a value");
	FAILS(ACC "log syslog\nlog off\n",
	    "t.conf:5: \"log\" given twice (first at line 4)");
	test_log();
	FAILS("# x\npull M /m\naccount a\n",
	    "t.conf:2: \"pull\" must follow an \"account\" line");
	FAILS("account a\nhost h\npull M\n",
	    "t.conf:3: \"pull\" needs two values: REMOTE DEST");
	FAILS("account a\nhost h\npull M /m /n\n", "t.conf:3: \"pull\" takes "
	    "REMOTE DEST, not 3 values (a value with spaces goes in double "
	    "quotes)");
	FAILS("account a\nhost h\npull M /m /n /o\n", "t.conf:3: \"pull\" "
	    "takes REMOTE DEST, not 4 values (a value with spaces goes in "
	    "double quotes)");
	FAILS("account a\nhost\n", "t.conf:2: \"host\" needs a value");
	FAILS("account\n", "t.conf:1: \"account\" needs a value");
	FAILS("account a b\n", "t.conf:1: \"account\" takes one value, not 2 "
	    "(a value with spaces goes in double quotes)");

	/* required keywords, named at the account's line */
	FAILS("account ok\nhost h\npull M /m\n\naccount work\npull M /w\n",
	    "t.conf:5: account \"work\" has no host");
	FAILS("account work\nhost h\n", "t.conf:1: account \"work\" has no pull");
	FAILS("", "t.conf: no account");
	FAILS("# only defaults\ntimeout 5\n", "t.conf: no account");

	/* account names */
	FAILS("account a/b\n", "t.conf:1: account name \"a/b\" may have only "
	    "letters, digits, \".\", \"_\" and \"-\", and may not start with "
	    "\".\" or \"-\"");
	FAILS("account \"a b\"\n", "t.conf:1: account name \"a b\" may have "
	    "only letters, digits, \".\", \"_\" and \"-\", and may not start "
	    "with \".\" or \"-\"");
	FAILS("account ..\n", "t.conf:1: account name \"..\" may have only "
	    "letters, digits, \".\", \"_\" and \"-\", and may not start with "
	    "\".\" or \"-\"");
	FAILS("account -v\n", "t.conf:1: account name \"-v\" may have only "
	    "letters, digits, \".\", \"_\" and \"-\", and may not start with "
	    "\".\" or \"-\"");
	FAILS("account \xc3\xa9\n", "t.conf:1: account name \"\xc3\xa9\" may "
	    "have only letters, digits, \".\", \"_\" and \"-\", and may not "
	    "start with \".\" or \"-\"");
	{
		char text[200], want[300];

		/* 64 bytes is the longest name */
		memset(text, 'n', sizeof(text));
		memcpy(text, "account ", 8);
		strcpy(text + 8 + 64, "\nhost h\npull M /m\n");
		PARSES(text, &c);
		CHECK(c.naccounts == 1 && strlen(c.accounts[0].name) == 64);
		config_free(&c);
		memset(text, 'n', sizeof(text));
		memcpy(text, "account ", 8);
		strcpy(text + 8 + 65, "\nhost h\npull M /m\n");
		snprintf(want, sizeof(want), "t.conf:1: account name \"%.65s\" "
		    "is longer than 64 bytes", text + 8);
		FAILS(text, want);
	}
	PARSES("account Work_2.old-1\nhost h\npull M /m\n", &c);
	CHECK(c.naccounts == 1);
	config_free(&c);

	/* duplicate account: at the second one, even if far apart */
	FAILS("account work\nhost h\npull A /a\naccount home\nhost h\n"
	    "pull B /b\naccount work\nhost h\npull C /c\n",
	    "t.conf:7: duplicate account \"work\" (first at line 1)");
	FAILS("account z\nhost h\npull A /a\naccount y\nhost h\npull B /b\n"
	    "account z\nhost h\npull C /c\naccount y\nhost h\npull D /d\n"
	    "account z\nhost h\npull E /e\n",
	    "t.conf:7: duplicate account \"z\" (first at line 1)");

	/* a single-valued keyword twice in one section */
	FAILS("account a\nhost h\nport 1\npull M /m\nhost g\n",
	    "t.conf:5: \"host\" given twice (first at line 2)");
	FAILS("timeout 5\ntimeout 6\n",
	    "t.conf:2: \"timeout\" given twice (first at line 1)");
	FAILS(ACC "keep yes\nkeep no\n",
	    "t.conf:5: \"keep\" given twice (first at line 4)");
	/* ... but once in the defaults and once in an account is fine */
	PARSES("port 1\naccount a\nport 2\nhost h\npull M /m\n"
	    "account b\nport 3\nhost h\npull N /n\n", &c);
	if (c.naccounts == 2) {
		CHECK(c.accounts[0].port == 2);
		CHECK(c.accounts[1].port == 3);
	}
	config_free(&c);

	/* values */
	FAILS(ACC "port 0\n", "t.conf:4: \"port\" must be 1-65535, not \"0\"");
	FAILS(ACC "port 65536\n",
	    "t.conf:4: \"port\" must be 1-65535, not \"65536\"");
	FAILS(ACC "port ssh\n",
	    "t.conf:4: \"port\" must be 1-65535, not \"ssh\"");
	FAILS(ACC "port -22\n",
	    "t.conf:4: \"port\" must be 1-65535, not \"-22\"");
	FAILS(ACC "port +22\n",
	    "t.conf:4: \"port\" must be 1-65535, not \"+22\"");
	FAILS(ACC "port 22x\n",
	    "t.conf:4: \"port\" must be 1-65535, not \"22x\"");
	FAILS(ACC "port 0x16\n",
	    "t.conf:4: \"port\" must be 1-65535, not \"0x16\"");
	FAILS(ACC "port \" 22\"\n",
	    "t.conf:4: \"port\" must be 1-65535, not \" 22\"");
	FAILS(ACC "port 99999999999999999999999\n", "t.conf:4: \"port\" must "
	    "be 1-65535, not \"99999999999999999999999\"");
	PARSES(ACC "port 65535\n", &c);
	if (c.naccounts == 1)
		CHECK(c.accounts[0].port == 65535);
	config_free(&c);
	PARSES(ACC "port 00001\n", &c);
	if (c.naccounts == 1)
		CHECK(c.accounts[0].port == 1);
	config_free(&c);

	FAILS(ACC "timeout 0\n",
	    "t.conf:4: \"timeout\" must be 1-86400, not \"0\"");
	FAILS(ACC "timeout 86401\n",
	    "t.conf:4: \"timeout\" must be 1-86400, not \"86401\"");
	FAILS(ACC "timeout 1.5\n",
	    "t.conf:4: \"timeout\" must be 1-86400, not \"1.5\"");
	FAILS(ACC "deadline 0\n",
	    "t.conf:4: \"deadline\" must be 1-604800, not \"0\"");
	FAILS(ACC "deadline 604801\n",
	    "t.conf:4: \"deadline\" must be 1-604800, not \"604801\"");
	PARSES(ACC "timeout 86400\ndeadline 1\n", &c);
	if (c.naccounts == 1) {
		CHECK(c.accounts[0].timeout == 86400);
		CHECK(c.accounts[0].deadline == 1);
	}
	config_free(&c);

	FAILS(ACC "max-messages 0\n", "t.conf:4: \"max-messages\" must be "
	    "1-18446744073709551615, not \"0\"");
	FAILS(ACC "max-messages many\n", "t.conf:4: \"max-messages\" must be "
	    "1-18446744073709551615, not \"many\"");
	FAILS(ACC "max-messages 18446744073709551616\n", "t.conf:4: "
	    "\"max-messages\" must be 1-18446744073709551615, not "
	    "\"18446744073709551616\"");
	PARSES(ACC "max-messages 18446744073709551615\n", &c);
	if (c.naccounts == 1)
		CHECK(c.accounts[0].max_messages == UINT64_MAX);
	config_free(&c);

#define SIZE_ERR(v) "t.conf:4: \"max-size\" must be a positive number of " \
	"bytes with an optional K, M or G, or \"none\", not \"" v "\""
	FAILS(ACC "max-size 0\n", SIZE_ERR("0"));
	FAILS(ACC "max-size 0K\n", SIZE_ERR("0K"));
	FAILS(ACC "max-size K\n", SIZE_ERR("K"));
	FAILS(ACC "max-size 10T\n", SIZE_ERR("10T"));
	FAILS(ACC "max-size 10KB\n", SIZE_ERR("10KB"));
	FAILS(ACC "max-size -1\n", SIZE_ERR("-1"));
	FAILS(ACC "max-size \"1 M\"\n", SIZE_ERR("1 M"));
	/* 2^34 G is 2^64 bytes: one too many */
	FAILS(ACC "max-size 17179869184G\n", SIZE_ERR("17179869184G"));
	FAILS(ACC "max-size 18446744073709551616\n",
	    SIZE_ERR("18446744073709551616"));
#undef SIZE_ERR
	{
		static const struct {
			const char	*text;
			uint64_t	 bytes;
		} sizes[] = {
			{ "1", 1 },
			{ "1000", 1000 },
			{ "1K", 1024 },
			{ "3k", 3072 },
			{ "2M", 2 * 1024 * 1024 },
			{ "5m", 5 * 1024 * 1024 },
			{ "3G", 3ULL << 30 },
			{ "17179869183G", 17179869183ULL << 30 },
			{ "none", 0 },
		};
		char text[128];
		size_t i;

		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			snprintf(text, sizeof(text), ACC "max-size %s\n",
			    sizes[i].text);
			PARSES(text, &c);
			CHECK(c.naccounts == 1 &&
			    c.accounts[0].max_size == sizes[i].bytes);
			config_free(&c);
		}
	}

	FAILS(ACC "keep maybe\n",
	    "t.conf:4: \"keep\" must be \"yes\" or \"no\", not \"maybe\"");
	FAILS(ACC "keep YES\n",
	    "t.conf:4: \"keep\" must be \"yes\" or \"no\", not \"YES\"");
	FAILS(ACC "host-key-check no\n", "t.conf:4: \"host-key-check no\" is "
	    "refused: a server whose key is not checked can be impersonated "
	    "and the mail read; use \"accept-new\" to trust a new host's key "
	    "once");
	FAILS("host-key-check no\n", "t.conf:1: \"host-key-check no\" is "
	    "refused: a server whose key is not checked can be impersonated "
	    "and the mail read; use \"accept-new\" to trust a new host's key "
	    "once");
	FAILS(ACC "host-key-check ask\n", "t.conf:4: \"host-key-check\" must "
	    "be \"yes\" or \"accept-new\", not \"ask\"");

	/* the first error in the file is the one reported */
	FAILS(ACC "bogus 1\nport 0\n", "t.conf:4: unknown keyword \"bogus\"");
	/* the file name is given back as it was given */
	{
		struct error e;

		CHECK(config_parse("nope\n", 5, "~/.syncmail.conf", HOME,
		    "alice", &c, &e) == -1);
		CHECK_STR(e.msg, "~/.syncmail.conf:1: unknown keyword \"nope\"");
	}
}

static void
test_mailboxes(void)
{
	struct config c;

	/* one account: "./Maildir/" is "Maildir" */
	FAILS("account a\nhost h\nuser alice\npull Maildir /x\n"
	    "pull ./Maildir/ /y\n",
	    "t.conf:5: two pulls of the same mailbox alice@h:Maildir "
	    "(lines 4 and 5)");
	/* two accounts: host case, unset user = local user, port 22 = unset */
	FAILS("account a\nhost Mail.Example\nuser alice\nport 22\n"
	    "pull Maildir /x\n\n\n\n\n\n\n"
	    "account b\nhost mail.example\npull Maildir// /y\n",
	    "t.conf:14: two pulls of the same mailbox "
	    "alice@mail.example:Maildir (lines 5 and 14)");
	/* other ports are shown the known_hosts way */
	FAILS("account a\nhost h\nport 2222\npull ././in /x\n"
	    "account b\nhost h\nport 2222\npull in/ /y\n",
	    "t.conf:8: two pulls of the same mailbox alice@[h]:2222:in "
	    "(lines 4 and 8)");
	/* inherited host and port count the same */
	FAILS("host h\nport 2\naccount a\npull M /x\naccount b\npull M /y\n",
	    "t.conf:6: two pulls of the same mailbox alice@[h]:2:M "
	    "(lines 4 and 6)");
	/* three of one mailbox: the first repeat is reported */
	FAILS("account a\nhost h\npull M /1\npull M /2\npull M /3\n",
	    "t.conf:4: two pulls of the same mailbox alice@h:M (lines 3 and 4)");
	/*
	 * Two repeated mailboxes: the one repeated first in the file wins,
	 * whatever the sort order of their names.
	 */
	FAILS("account a\nhost h\npull Z /1\npull A /2\npull Z /3\npull A /4\n",
	    "t.conf:5: two pulls of the same mailbox alice@h:Z (lines 3 and 5)");
	/* "./" and "/" alone */
	FAILS("account a\nhost h\npull . /1\npull ./ /2\n",
	    "t.conf:4: two pulls of the same mailbox alice@h:. (lines 3 and 4)");
	FAILS("account a\nhost h\npull / /1\npull // /2\n",
	    "t.conf:4: two pulls of the same mailbox alice@h:/ (lines 3 and 4)");

	/* not the same mailbox: other user, port, host, path; same local ok */
	PARSES("account a\nhost h\npull Maildir /x\n"
	    "account b\nhost h\nuser bob\npull Maildir /x\n"
	    "account c\nhost h\nport 2222\npull Maildir /x\n"
	    "account d\nhost h2\npull Maildir /x\n"
	    "account e\nhost h\npull Maildir/.Lists /x\n"
	    "account f\nhost h\npull /Maildir /x\n", &c);
	CHECK(c.naccounts == 6);
	config_free(&c);

	/* with no local user, unset users are still the same user */
	{
		struct error e;
		const char *t = "account a\nhost h\npull M /1\n"
		    "account b\nhost h\npull M /2\n";

		CHECK(config_parse(t, strlen(t), "t.conf", HOME, NULL, &c,
		    &e) == -1);
		CHECK_STR(e.msg, "t.conf:6: two pulls of the same mailbox "
		    "@h:M (lines 3 and 6)");
	}
}

/* Hostile input: nothing may crash, leak or read out of bounds. */
static void
test_hostile(void)
{
	struct config c;
	struct error e;
	char *big, buf[512];
	size_t n, len;

	/* NUL bytes: the parser sees len bytes, not a C string */
	memset(&c, 0xa5, sizeof(c));
	CHECK(config_parse("account a\nhost h\0x\npull M /m\n", 26, "t.conf",
	    HOME, "alice", &c, &e) == -1);
	CHECK_STR(e.msg, "t.conf:2: control character 0x00");
	CHECK(c.accounts == NULL && c.naccounts == 0);
	/* ... and need not be NUL-terminated: only 12 bytes are read */
	CHECK(config_parse("account a\nhoXXXXXXXXXXXXX", 12, "t.conf", HOME,
	    "alice", &c, &e) == -1);
	CHECK_STR(e.msg, "t.conf:2: unknown keyword \"ho\"");

	/* a very long value is kept whole; a long keyword shortened */
	len = 300000;
	if ((big = malloc(len + 64)) == NULL) {
		CHECK(big != NULL);
		return;
	}
	n = snprintf(big, 64, "account a\npull M /m\nhost ");
	memset(big + n, 'x', len);
	big[n + len] = '\0';
	PARSES(big, &c);
	CHECK(c.naccounts == 1 && strlen(c.accounts[0].host) == len);
	config_free(&c);
	memset(big, 'k', len);
	big[len] = '\0';
	memcpy(buf, "t.conf:1: unknown keyword \"", 27);
	memset(buf + 27, 'k', 76);
	strcpy(buf + 27 + 76, "...\"");
	FAILS(big, buf);
	/* a line of nothing but blanks, and an unterminated quote at 300 KB */
	memset(big, ' ', len);
	big[len] = '\0';
	FAILS(big, "t.conf: no account");
	big[0] = '"';
	FAILS(big, "t.conf:1: unterminated quote");
	free(big);

	/* larger than any config */
	len = 1024 * 1024 + 1;
	if ((big = malloc(len)) != NULL) {
		memset(big, '\n', len);
		memset(&c, 0xa5, sizeof(c));
		CHECK(config_parse(big, len, "t.conf", HOME, "alice", &c,
		    &e) == -1);
		CHECK_STR(e.msg, "t.conf: larger than 1048576 bytes");
		CHECK(c.accounts == NULL && c.naccounts == 0);
		free(big);
	}

}

static uint32_t
rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return *seed >> 16;
}

/*
 * Random input in three kinds: whole lines, some corrupted; fragments of
 * the syntax; raw bytes.  Each parse must succeed with accounts or fail
 * cleanly with an empty config, and valgrind must stay quiet.
 */
static void
test_random(void)
{
	/* at most once per section, except identity */
	static const char *lines[] = {
		"port 2222\n", "user u\n", "identity ~/k\n", "keep yes\n",
		"max-size 1K\n", "timeout 5\n", "deadline 9\n",
		"host-key-check accept-new\n", "known-hosts /kh\n",
		"max-messages 3\n", "# c\n", "\n", "  \t\r\n",
	};
	static const char *frags[] = {
		"account ", "a", "b", "host ", "h", "port ", "22", "0",
		"user ", "identity ", "~/", "/", "known-hosts ",
		"host-key-check ", "yes", "accept-new", "pull ", "M", " /m",
		"keep ", "max-size ", "1K", "max-messages ", "timeout ",
		"deadline ", "log", "\"", "\\", "#", " ", "\t", "\n", "\n",
		"\r", "\0", "\xff", "none", "no", ".", "-",
	};
	struct config c;
	struct error e;
	char buf[2048];
	const char *f;
	size_t i, j, k, n, len, flen;
	uint32_t seed = 12345;
	int rc, ok = 1, parsed = 0;

	for (i = 0; i < 4500; i++) {
		len = 0;
		if (i < 2000) {
			/* defaults, then accounts, each with some keywords */
			n = rnd(&seed) % 4;
			for (k = 0; k <= n; k++) {
				for (j = 0; j < sizeof(lines) /
				    sizeof(lines[0]); j++)
					if (rnd(&seed) % 3 == 0)
						len += snprintf(buf + len,
						    sizeof(buf) - len, "%s",
						    lines[j]);
				if (k == n)
					break;
				len += snprintf(buf + len, sizeof(buf) - len,
				    "account a%zu\n%s", k,
				    rnd(&seed) % 10 ? "host h\n" : "");
				for (j = rnd(&seed) % 3; j < 3; j++)
					len += snprintf(buf + len,
					    sizeof(buf) - len,
					    "pull M%zu_%zu ~/m\n", k, j);
			}
			/* corrupt one byte in a third of them */
			if (len > 0 && rnd(&seed) % 3 == 0)
				buf[rnd(&seed) % len] = (char)rnd(&seed);
		} else {
			n = 1 + rnd(&seed) % 60;
			for (j = 0; j < n; j++) {
				if (i >= 3500) {
					buf[len++] = (char)rnd(&seed);
					continue;
				}
				f = frags[rnd(&seed) %
				    (sizeof(frags) / sizeof(frags[0]))];
				/* "\0" is one byte, not zero */
				flen = f[0] == '\0' ? 1 : strlen(f);
				memcpy(buf + len, f, flen);
				len += flen;
			}
		}
		memset(&c, 0xa5, sizeof(c));
		error_clear(&e);
		rc = config_parse(buf, len, "t.conf", HOME, "alice", &c, &e);
		if (rc == 0)
			parsed++;
		if (rc == 0 ? c.naccounts == 0 || c.accounts[0].npulls == 0 :
		    (e.kind != ERR_CONFIG ||
		    strncmp(e.msg, "t.conf", 6) != 0 || c.naccounts != 0 ||
		    c.accounts != NULL))
			ok = 0;
		config_free(&c);
	}
	CHECK(ok);
	/* the generator reaches valid configs, not only the first error */
	CHECK(parsed > 200);
}

static void
test_example(const char *path)
{
	struct config c;
	struct error e;
	struct account *a;

	if (config_load(path, "/home/test", "tester", &c, &e) == -1) {
		printf("  %s\n", e.msg);
		CHECK(!"syncmail.conf.example parses");
		return;
	}
	CHECK(c.naccounts == 4);
	if ((a = config_account(&c, "work")) != NULL) {
		CHECK_STR(a->host, "mail.example.com");
		CHECK_STR(a->user, "alice");
		CHECK(a->port == 0);
		CHECK(a->nidentities == 1 &&
		    strcmp(a->identities[0], "/home/test/.ssh/id_ed25519") == 0);
		CHECK_STR(a->known_hosts, "/home/test/.ssh/known_hosts");
		CHECK(a->hostkey_check == HOSTKEY_CHECK_YES);
		CHECK(a->npulls == 2);
		if (a->npulls == 2) {
			CHECK_STR(a->pulls[0].remote, "Maildir");
			CHECK_STR(a->pulls[0].local, "/home/test/Mail/work");
			CHECK_STR(a->pulls[1].remote, "Maildir/.Lists");
			CHECK_STR(a->pulls[1].local, "/home/test/Mail/lists");
		}
		CHECK(a->keep == 0);
		CHECK(a->max_size == 50 * 1024 * 1024);
		CHECK(a->timeout == 30);
		CHECK(a->deadline == 3600);
	} else
		CHECK(!"account work in the example");
	if ((a = config_account(&c, "home")) != NULL) {
		CHECK_STR(a->host, "192.0.2.7");
		CHECK(a->port == 2222);
		CHECK(a->user == NULL);
		CHECK(a->nidentities == 1 &&
		    strcmp(a->identities[0], "/home/test/.ssh/id_home") == 0);
		CHECK(a->hostkey_check == HOSTKEY_CHECK_ACCEPT_NEW);
		CHECK(a->keep == 1);
		CHECK(a->max_size == 0);
		CHECK(a->max_messages == 500);
		CHECK(a->timeout == 60);
	} else
		CHECK(!"account home in the example");
	if ((a = config_account(&c, "archive")) != NULL) {
		CHECK_STR(a->host, "backup.example.org");
		CHECK(a->npulls == 1);
		if (a->npulls == 1) {
			CHECK_STR(a->pulls[0].remote, "/srv/mail/Old Mail");
			CHECK_STR(a->pulls[0].local, "/home/test/Mail/Old Mail");
		}
		CHECK(a->deadline == 7200);
	} else
		CHECK(!"account archive in the example");
	if ((a = config_account(&c, "lab")) != NULL) {
		CHECK_STR(a->host, "lab");
		CHECK(a->port == 0 && a->user == NULL);
		CHECK_STR(a->ssh_config, "/home/test/.ssh/config");
		CHECK(!a->ssh_config_given);
		CHECK_STR(a->proxy_command, "ssh -W %h:%p jump.example.org");
	} else
		CHECK(!"account lab in the example");
	config_free(&c);
}

/* write_comments PATH N: a file of N bytes, all comment lines. */
static void
write_comments(const char *path, size_t n)
{
	char line[64];
	FILE *f;

	memset(line, '#', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	for (; n >= sizeof(line); n -= sizeof(line))
		fwrite(line, 1, sizeof(line), f);
	fwrite(line + sizeof(line) - n, 1, n, f);
	fclose(f);
}

/* The size limit, from the file: 1 MiB is read, a byte more is not. */
static void
test_load_size(void)
{
	char dir[] = "/tmp/syncmail-test-config.XXXXXX", path[64];
	struct config c;
	struct error e;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_comments(path, 1048576);
	CHECK(config_load(path, HOME, "alice", &c, &e) == -1);
	CHECK(strstr(e.msg, ": no account") != NULL);	/* read, parsed */
	write_comments(path, 1048577);
	CHECK(config_load(path, HOME, "alice", &c, &e) == -1);
	CHECK(strstr(e.msg, ": larger than 1048576 bytes") != NULL);
	write_comments(path, 1900000);
	CHECK(config_load(path, HOME, "alice", &c, &e) == -1);
	CHECK(strstr(e.msg, ": larger than 1048576 bytes") != NULL);
	unlink(path);
	rmdir(dir);
}

static void
test_load(void)
{
	struct config c;
	struct error e;

	memset(&c, 0xa5, sizeof(c));
	CHECK(config_load("/nonexistent/syncmail.conf", HOME, "alice", &c,
	    &e) == -1);
	CHECK(e.kind == ERR_CONFIG);
	CHECK_STR(e.msg, "/nonexistent/syncmail.conf: No such file or "
	    "directory");
	CHECK(c.accounts == NULL && c.naccounts == 0);
	CHECK(config_load("/", HOME, "alice", &c, &e) == -1);
	CHECK_STR(e.msg, "/: Is a directory");
	CHECK(config_load("/dev/null", HOME, "alice", &c, &e) == -1);
	CHECK_STR(e.msg, "/dev/null: no account");
	test_load_size();
}

/*
 * Routes and a pull's DEST (SPEC 8): what is kept, in order, and every
 * error at its line.
 */
static void
test_routes(void)
{
	struct config c;
	struct error e;
	const struct pull *p;
	regmatch_t pm[3];
	const char *text = "account a\nhost h\npull M maildir ~/in\n"
	    "route List-Id \"<([a-z.-]+)\\.lists\\.example\\.org>\" "
	    "~/lists/%1\n"
	    "route from \"nagios@\" discard\n"
	    "route Subject \"^\\[(a)(b)\\]\" maildir \"/x/%2 %%/%1\"\n"
	    "pull N /n\n";

	CHECK(parse(text, &c, &e) == 0);
	CHECK(c.naccounts == 1 && c.accounts[0].npulls == 2);
	p = &c.accounts[0].pulls[0];
	CHECK_STR(p->local, "/home/alice/in");
	CHECK(p->nroutes == 3);
	CHECK_STR(p->routes[0].header, "List-Id");
	CHECK(p->routes[0].dest.kind == DEST_MAILDIR);
	CHECK_STR(p->routes[0].dest.path, "/home/alice/lists/%1");
	CHECK(p->routes[0].dest.templated);
	CHECK(p->routes[0].line == 4);
	/* the regex is extended and ignores case; "\." needed no doubling */
	CHECK(regexec(&p->routes[0].re, "Dev <DEV.lists.example.org>", 3, pm,
	    0) == 0 && pm[1].rm_so == 5 && pm[1].rm_eo == 8);
	CHECK(regexec(&p->routes[0].re, "<devXlistsXexampleXorg>", 3, pm,
	    0) != 0);
	CHECK(p->routes[1].dest.kind == DEST_DISCARD);
	CHECK(p->routes[1].dest.path == NULL);
	CHECK_STR(p->routes[2].dest.path, "/x/%2 %%/%1");
	CHECK(p->routes[2].dest.templated);
	CHECK(c.accounts[0].pulls[1].nroutes == 0);
	config_free(&c);

	/* a path without %N is not templated, %% alone neither */
	CHECK(parse(ACC "route X y /m/%%\n", &c, &e) == 0);
	CHECK(!c.accounts[0].pulls[0].routes[0].dest.templated);
	config_free(&c);

	FAILS("route X y /m\n",
	    "t.conf:1: \"route\" must follow an \"account\" line");
	FAILS("account a\nhost h\nroute X y /m\npull M /m\n",
	    "t.conf:3: \"route\" must follow a \"pull\" line of its "
	    "account: the routes belong to that pull");
	FAILS("account a\nhost h\npull M /m\naccount b\nhost h\n"
	    "route X y /m\npull M /n\n",
	    "t.conf:6: \"route\" must follow a \"pull\" line of its "
	    "account: the routes belong to that pull");
	FAILS(ACC "route X y\n",
	    "t.conf:4: \"route\" needs three values: HEADER REGEX DEST");
	FAILS(ACC "route X \"a(b\" /m\n", "t.conf:4: \"route\": invalid "
	    "regex \"a(b\": Unmatched ( or \\(");
	FAILS(ACC "route X \"(a)(b)\" /m/%3\n",
	    "t.conf:4: \"route\": %3, but the regex captures 2 groups");
	FAILS(ACC "route X y /m/%1\n",
	    "t.conf:4: \"route\": %1, but the regex captures 0 groups");
	FAILS(ACC "route X \"(a)\" /m/%2\n",
	    "t.conf:4: \"route\": %2, but the regex captures 1 group");
	FAILS(ACC "route X y /m/%x\n", "t.conf:4: \"route\": \"%x\" in a "
	    "path: only %1 to %9 and %% are known");
	FAILS(ACC "route X y /m/%\n", "t.conf:4: \"route\": \"% \" in a "
	    "path: only %1 to %9 and %% are known");
	FAILS(ACC "route X y m\n",
	    "t.conf:4: \"route\": \"m\" is not an absolute path");
	FAILS(ACC "route X: y /m\n",
	    "t.conf:4: \"route\": \"X:\" is not a header field name");
	FAILS(ACC "route X y discard /m\n",
	    "t.conf:4: \"route\": \"discard\" takes no value");
	FAILS(ACC "route X y maildir\n",
	    "t.conf:4: \"route\": \"maildir\" takes one path");
	FAILS(ACC "route X y /m /n\n", "t.conf:4: \"route\" takes HEADER "
	    "REGEX DEST, not 4 values (a value with spaces goes in double "
	    "quotes)");
	CHECK(parse(ACC "route X \"(a)\" pipe \"procmail -m ~/rc\"\n"
	    "command-timeout 7\n", &c, &e) == 0);
	CHECK(c.accounts[0].pulls[0].routes[0].dest.kind == DEST_PIPE);
	CHECK_STR(c.accounts[0].pulls[0].routes[0].dest.command,
	    "procmail -m ~/rc");
	CHECK(c.accounts[0].command_timeout == 7);
	config_free(&c);
	CHECK(parse(ACC, &c, &e) == 0);
	CHECK(c.accounts[0].command_timeout == 300);
	config_free(&c);
	FAILS(ACC "route X y pipe\n", "t.conf:4: \"route\": \"pipe\" takes "
	    "one command (in double quotes when it has spaces)");
	FAILS(ACC "route X y pipe cat -u\n", "t.conf:4: \"route\": \"pipe\" "
	    "takes one command (in double quotes when it has spaces)");
	FAILS(ACC "command-timeout 0\n", "t.conf:4: \"command-timeout\" must "
	    "be 1-86400, not \"0\"");
	/* a pull's pipe: its downloads wait in the staging Maildir */
	CHECK(parse("account a\nhost h\npull M pipe \"cat -u\"\n", &c,
	    &e) == 0);
	CHECK(c.accounts[0].pulls[0].dest.kind == DEST_PIPE);
	CHECK_STR(c.accounts[0].pulls[0].dest.command, "cat -u");
	CHECK_STR(c.accounts[0].pulls[0].local,
	    HOME "/.local/state/syncmail/staging");
	config_free(&c);
	FAILS("account a\nhost h\npull M pipe\n", "t.conf:3: \"pull\": "
	    "\"pipe\" takes one command (in double quotes when it has "
	    "spaces)");
	FAILS("account a\nhost h\npull M discard\n", "t.conf:3: "
	    "\"discard\" is a route's destination, not a pull's: every "
	    "message of a pull would be deleted unread");
	/* attachments: with a MAILDIR it holds the downloads, else staging */
	CHECK(parse("account a\nhost h\nattachment-types application/PDF "
	    "image/*\nattachment-types text/plain\npull M attachments ~/s "
	    "~/m\npull N attachments /s\n", &c, &e) == 0);
	p = &c.accounts[0].pulls[0];
	CHECK(p->dest.kind == DEST_ATTACH);
	CHECK_STR(p->dest.path, HOME "/s");
	CHECK_STR(p->dest.maildir, HOME "/m");
	CHECK_STR(p->local, HOME "/m");
	p = &c.accounts[0].pulls[1];
	CHECK(p->dest.kind == DEST_ATTACH);
	CHECK(p->dest.maildir == NULL);
	CHECK_STR(p->local, HOME "/.local/state/syncmail/staging");
	CHECK(c.accounts[0].nattachment_types == 3);
	CHECK_STR(c.accounts[0].attachment_types[0], "application/pdf");
	CHECK_STR(c.accounts[0].attachment_types[1], "image/*");
	CHECK_STR(c.accounts[0].attachment_types[2], "text/plain");
	CHECK(c.accounts[0].attachment_types[3] == NULL);
	config_free(&c);
	/* a route's, with %N in both; the defaults' types inherited */
	CHECK(parse("attachment-types application/pdf\naccount a\nhost h\n"
	    "pull M /m\nroute To \"(scan)-(x)\" attachments /s/%1 /m/%2\n",
	    &c, &e) == 0);
	p = &c.accounts[0].pulls[0];
	CHECK(p->routes[0].dest.kind == DEST_ATTACH);
	CHECK_STR(p->routes[0].dest.path, "/s/%1");
	CHECK_STR(p->routes[0].dest.maildir, "/m/%2");
	CHECK(p->routes[0].dest.templated && p->routes[0].dest.maildir_templated);
	CHECK(c.accounts[0].nattachment_types == 1);
	config_free(&c);
	FAILS("account a\nhost h\npull M attachments\n", "t.conf:3: "
	    "\"pull\": \"attachments\" takes DIR and perhaps MAILDIR");
	FAILS("account a\nhost h\npull M attachments /a /b /c\n", "t.conf:3: "
	    "\"pull\" takes REMOTE DEST, not 5 values (a value with spaces "
	    "goes in double quotes)");
	FAILS(ACC "route X \"(a)\" attachments /s/%2\n",
	    "t.conf:4: \"route\": %2, but the regex captures 1 group");
	FAILS(ACC "route X y attachments s\n",
	    "t.conf:4: \"route\": \"s\" is not an absolute path");
	FAILS(ACC "attachment-types pdf\n", "t.conf:4: \"attachment-types\": "
	    "\"pdf\" is not a type/subtype pattern (\"application/pdf\", "
	    "\"image/*\")");
	FAILS(ACC "attachment-types a/b/c\n", "t.conf:4: \"attachment-types\": "
	    "\"a/b/c\" is not a type/subtype pattern (\"application/pdf\", "
	    "\"image/*\")");
	FAILS("account a\nhost h\npull M maildir /m /n\n",
	    "t.conf:3: \"pull\": \"maildir\" takes one path");
}

/* A pull's filter and quarantine (SPEC 8): one of each per pull. */
static void
test_filters(void)
{
	struct config cfg;
	struct error err;
	const struct pull *pl;

	CHECK(parse(ACC "filter \"sanitize --strip\"\n"
	    "quarantine ~/Mail/q\nroute X y /r\npull N /n\n", &cfg, &err) == 0);
	pl = &cfg.accounts[0].pulls[0];
	CHECK(pl->filter != NULL && strcmp(pl->filter, "sanitize --strip") == 0);
	CHECK(pl->quarantine != NULL &&
	    strcmp(pl->quarantine, "/home/alice/Mail/q") == 0);
	CHECK(pl->nroutes == 1);
	pl = &cfg.accounts[0].pulls[1];
	CHECK(pl->filter == NULL && pl->quarantine == NULL);
	config_free(&cfg);
	/* a filter without a quarantine is fine: the originals go */
	CHECK(parse(ACC "filter cat\n", &cfg, &err) == 0);
	config_free(&cfg);
	FAILS(ACC "filter a\nfilter b\n", "t.conf:5: \"filter\" given twice "
	    "for the pull at line 3 (first at line 4)");
	FAILS(ACC "quarantine /a\nfilter f\nquarantine /b\n", "t.conf:6: "
	    "\"quarantine\" given twice for the pull at line 3 (first at "
	    "line 4)");
	FAILS(ACC "quarantine /q\n", "t.conf:4: \"quarantine\" without a "
	    "\"filter\" for the pull at line 3: nothing would go there");
	FAILS(ACC "filter f\nquarantine discard\n", "t.conf:5: \"quarantine\" "
	    "takes a Maildir, not \"discard\": the originals are kept, never "
	    "dropped");
	FAILS(ACC "filter f\nquarantine relative\n", "t.conf:5: "
	    "\"quarantine\": \"relative\" is not an absolute path");
	FAILS("account a\nhost h\nfilter f\npull M /m\n", "t.conf:3: "
	    "\"filter\" must follow a \"pull\" line of its account: it "
	    "belongs to that pull");
	FAILS("filter f\naccount a\nhost h\npull M /m\n", "t.conf:1: "
	    "\"filter\" must follow an \"account\" line");
	FAILS(ACC "filter a b\n", "t.conf:4: \"filter\" takes one value, "
	    "not 2 (a value with spaces goes in double quotes)");
	/* two accounts: each pull has its own */
	CHECK(parse(ACC "filter a\naccount b\nhost h\npull N /x\nfilter b\n",
	    &cfg, &err) == 0);
	config_free(&cfg);
}

/* watch-interval: seconds, 1 to a day, inherited, 10 by default. */
static void
test_watch(void)
{
	struct config c;

	PARSES(ACC, &c);
	CHECK(c.accounts[0].watch_interval == 10);
	config_free(&c);
	PARSES("watch-interval 60\n" ACC "account b\nhost h\npull N /n\n"
	    "watch-interval 1\n", &c);
	CHECK(c.accounts[0].watch_interval == 60);
	CHECK(c.accounts[1].watch_interval == 1);
	config_free(&c);
	FAILS(ACC "watch-interval 0\n", "t.conf:4: \"watch-interval\" must "
	    "be 1-86400, not \"0\"");
	FAILS(ACC "watch-interval 86401\n", "t.conf:4: \"watch-interval\" "
	    "must be 1-86400, not \"86401\"");
	FAILS(ACC "watch-interval 1\nwatch-interval 2\n", "t.conf:5: "
	    "\"watch-interval\" given twice (first at line 4)");
	FAILS(ACC "server-notify yes\n", "t.conf:4: \"server-notify\" is "
	    "not supported by this version of syncmail");
}

int
main(int argc, char *argv[])
{
	test_keywords();
	test_builtin_defaults();
	test_inheritance();
	test_quoting();
	test_tilde();
	test_ssh();
	test_errors();
	test_mailboxes();
	test_routes();
	test_filters();
	test_watch();
	test_hostile();
	test_random();
	test_load();
	test_example(argc > 1 ? argv[1] : "syncmail.conf.example");
	return check_done();
}
