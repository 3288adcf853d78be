/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * A route's pipe (SPEC 8, Commands): a downloaded message on a command's
 * standard input.  The command runs in the runner process
 * (exec/runner.h), outside the sandbox; here, in the sandboxed engine,
 * one message at a time, in listing order, once the pull's downloads
 * are done.  Exactly once, in this order, each step durable before the
 * next:
 *
 *   the tmp file and tmp/ flushed -> "+ NAME SIZE TMP NAME pipe" in the
 *   record -> the command runs -> it exits 0 having read the whole
 *   message: the tmp file goes, tmp/ flushed (a recorded tmp file that
 *   is gone is "done", as for a Maildir) -> REMOVE on the server -> the
 *   name dropped from the record.
 *
 * A clean failure (exit 75, another status, a signal, a short read)
 * drops the name from the record, durably, before its tmp file goes; the
 * message stays on the server.  A command killed at command-timeout, or
 * a run that dies while it runs (recover.c finds its tmp file still
 * there), leaves the outcome unknown: the record keeps "r NAME", and the
 * next attempt gets SYNCMAIL_REDELIVERY=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/runner.h"
#include "maildir/deliver.h"
#include "syncmail/engine.h"
#include "syncmail/say.h"
#include "util/fault.h"

/*
 * The first lines of the command's stderr, made printable, into buf: at
 * most three, joined by " / ".
 */
void
pipe_stderr_lines(const struct command_result *res, char *buf, size_t size)
{
	const char *s = res->stderr_head, *end = s + res->stderr_len, *nl;
	char line[400];
	size_t len = 0;
	int n = 0;

	buf[0] = '\0';
	while (s < end && n < 3 && len + 4 < size) {
		if ((nl = memchr(s, '\n', end - s)) == NULL)
			nl = end;
		if (nl > s) {
			names_printable(s, nl - s, line, sizeof(line));
			len = strlcat(buf, n > 0 ? " / " : "", size);
			len = strlcat(buf, line, size);
			n++;
		}
		s = nl + 1;
	}
}

/*
 * The environment strings of m's command into env (PIPE_ENV pointers
 * into PIPE_ENV buffers of PIPE_ENV_SIZE bytes); returns how many.
 */
size_t
pipe_env(struct run *r, struct message *m, int redelivery,
    char (*buf)[PIPE_ENV_SIZE], const char **env)
{
	size_t n = 0, i;
	const char *s;

	snprintf(buf[n++], PIPE_ENV_SIZE, "SYNCMAIL_ACCOUNT=%s", r->account);
	snprintf(buf[n++], PIPE_ENV_SIZE, "SYNCMAIL_HOST=%s",
	    r->job->acct->host);
	snprintf(buf[n++], PIPE_ENV_SIZE, "SYNCMAIL_REMOTE=%s/new/%s",
	    r->remote, m->name);
	snprintf(buf[n++], PIPE_ENV_SIZE, "SYNCMAIL_NAME=%s", m->name);
	snprintf(buf[n++], PIPE_ENV_SIZE, "SYNCMAIL_SIZE=%llu",
	    (unsigned long long)m->size);
	snprintf(buf[n++], PIPE_ENV_SIZE, "SYNCMAIL_REDELIVERY=%d",
	    redelivery);
	/* m->matches: "value\0" for each group the route has, in order */
	for (i = 0, s = m->matches; s != NULL && i < m->nmatches && i < 9;
	    i++, s += strlen(s) + 1)
		snprintf(buf[n++], PIPE_ENV_SIZE, "SYNCMAIL_MATCH%zu=%s",
		    i + 1, s);
	for (i = 0; i < n; i++)
		env[i] = buf[i];
	return n;
}

/* Removes m's tmp file and flushes tmp/: its "done".  0, or -1 with err. */
static int
pipe_done(struct run *r, const char *tmp, struct error *err)
{
	if (unlinkat(r->job->md->tmpfd, tmp, 0) == -1)
		return error_errno(err, ERR_MAILBOX, "%s/tmp/%s: unlink",
		    r->job->md->path, tmp);
	return maildir_sync(r->job->md, r->job->md->tmpfd, "tmp", err);
}

/* Says what became of m's command, sets r->status; m stays on the server. */
static void
pipe_failed(struct run *r, struct message *m, const char *command,
    const struct command_result *res)
{
	char name[1100], what[300], lines[1200];

	printable(m->name, name, sizeof(name));
	command_describe(res, r->job->acct->command_timeout, what,
	    sizeof(what));
	pipe_stderr_lines(res, lines, sizeof(lines));
	say_warn(r->account, "%s/new/%s: pipe \"%s\" %s%s%s; it stays on the "
	    "server", r->remote, name, command, what, lines[0] != '\0' ?
	    ": " : "", lines);
	r->status = status_worst(r->status, res->outcome == COMMAND_TEMPFAIL ?
	    STATUS_TEMPFAIL : STATUS_PARTIAL);
	m->state = MSG_FAIL;
}

/*
 * Waits for the runner's answer; a second signal ends the wait (the
 * pull then fails, the engine exits, and the runner, seeing its socket
 * close, stops the command).  0, or -1 with err set.
 */
static int
pipe_wait_runner(struct run *r, struct error *err)
{
	struct pollfd pfd;
	int n;

	pfd.fd = runner_fd(r->job->runner);
	pfd.events = POLLIN;
	for (;;) {
		if (r->job->abort != NULL && *r->job->abort)
			return error_set(err, ERR_TRANSIENT, "stopped by signal "
			    "while a command ran; its message stays on the "
			    "server");
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, 200)) > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return error_errno(err, ERR_TRANSIENT, "poll");
	}
}

/*
 * m through spec's command on the runner, for pipe_message and filter.c
 * (engine.h says what the caller sets).  0 with res filled, or -1 with
 * err set; the environment is freed before it returns.
 */
int
pipe_run(struct run *r, struct message *m, struct command_spec *spec,
    const char *what, int redelivery, struct command_result *res,
    struct error *err)
{
	char (*envbuf)[PIPE_ENV_SIZE], name[1100];
	const char *env[PIPE_ENV];
	int rc = -1;

	if ((envbuf = calloc(PIPE_ENV, PIPE_ENV_SIZE)) == NULL)
		return error_errno(err, ERR_MAILBOX, "calloc");
	spec->env = env;
	spec->nenv = pipe_env(r, m, redelivery, envbuf, env);
	spec->in_size = m->size;
	spec->timeout = (unsigned)r->job->acct->command_timeout;
	spec->watch_fd = -1;
	memset(res, 0, sizeof(*res));
	if (runner_send(r->job->runner, spec, err) == -1) {
		/* Nothing ran: a clean failure, the message stays. */
		printable(m->name, name, sizeof(name));
		say_warn(r->account, "%s/new/%s: %s \"%s\": %s; it stays on "
		    "the server", r->remote, name, what, spec->command,
		    err->msg);
		r->status = status_worst(r->status, STATUS_PARTIAL);
		error_clear(err);
		res->outcome = COMMAND_NOT_STARTED;
		rc = 0;
		goto out;
	}
	if (pipe_wait_runner(r, err) == -1 ||
	    runner_receive(r->job->runner, res, err) == -1)
		goto out;
	rc = 0;
out:
	spec->env = NULL;
	spec->nenv = 0;
	free(envbuf);
	return rc;
}

/*
 * Gives the downloaded message mi to its route's command.  Returns 0 (the
 * message is done, or failed alone: warned about, on the server), or -1
 * with err set when the pull cannot go on (the record cannot be written:
 * ERR_MAILBOX; the runner is gone).
 */
int
pipe_message(struct run *r, size_t mi, struct error *err)
{
	struct message *m = &r->msgs[mi];
	const struct dest *d = route_pipe_dest(r, m);
	struct record *rec = r->job->rec;
	struct command_spec spec;
	struct command_result res;
	char tmp[TMPPOOL_NAME], name[1100];
	uint8_t sha[32];
	int fd = -1, rc = -1, redelivery, have_sha;

	run_tmpname(r, m, tmp);
	/*
	 * Never MSG_PIPE again: from the record line on, its tmp file is
	 * the record's, which the pull's cleanup must not remove.
	 */
	m->state = MSG_FAIL;
	if (r->job->runner == NULL)
		return error_set(err, ERR_MAILBOX, "no command runner");
	/* The file and its name on disk before the record names it. */
	if ((fd = deliver_open_durable(r->job->md, tmp, err)) == -1)
		goto out;
	have_sha = r->job->log != NULL && mlog_active(r->job->log) &&
	    deliver_sha256(r->job->md, tmp, sha) == 0;
	redelivery = record_note(rec, NOTE_REDELIVER, m->name);
	if (record_add(rec, m->name, m->size, tmp, NULL, RECORD_PIPE,
	    err) == -1 || record_sync(rec, err) == -1)
		goto out;
	fault_point("pipe-recorded");

	memset(&spec, 0, sizeof(spec));
	spec.command = d->command;
	spec.in_fd = fd;
	spec.out_fd = -1;
	if (pipe_run(r, m, &spec, "pipe", redelivery, &res, err) == -1)
		goto out;	/* the record says "unknown" */
	/*
	 * A clean failure forgets it with its "f" line kept: a filter's
	 * quarantine of the original stays noted (record.h).
	 */
	if (res.outcome == COMMAND_NOT_STARTED) {
		rc = run_forget(r, m->name, tmp, record_drop_delivery, -1, err);
		goto out;
	}
	fault_point("pipe-exited");
	if (res.outcome != COMMAND_OK) {
		pipe_failed(r, m, d->command, &res);
		rc = run_forget(r, m->name, tmp, record_drop_delivery,
		    res.outcome == COMMAND_TIMEOUT ||
		    res.outcome == COMMAND_OUTPUT_LIMIT ? NOTE_REDELIVER : -1,
		    err);
		goto out;
	}
	if (pipe_done(r, tmp, err) == -1)
		goto out;
	fault_point("pipe-done");
	printable(m->name, name, sizeof(name));
	say_info(1, r->account, "piped %s (%llu bytes) to pipe \"%s\"%s", name,
	    (unsigned long long)m->size, d->command, redelivery ?
	    " (a redelivery)" : "");
	if (r->job->log != NULL && mlog_active(r->job->log)) {
		char from[5200], to[4200];

		snprintf(from, sizeof(from), "%s/new/%s", r->remote, name);
		snprintf(to, sizeof(to), "pipe \"%s\"", d->command);
		mlog_message(r->job->log, "piped", from, to, m->size,
		    have_sha ? sha : NULL);
	}
	r->st->moved++;
	r->st->bytes += m->size;
	r->done++;
	if (fetch_delivered(r, mi, err) == -1)
		goto out;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(m->matches);
	m->matches = NULL;
	return rc;
}
