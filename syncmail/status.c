/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */
/*
 * Exit statuses: what each kind of error means for the exit status, and
 * which of two statuses a run that met both reports.
 */
#include "syncmail/status.h"

int
status_of(const struct error *e)
{
	switch (e->kind) {
	case ERR_NONE:
		return STATUS_OK;
	case ERR_TRANSIENT:
		return STATUS_TEMPFAIL;
	case ERR_NOHOST:
		return STATUS_NOHOST;
	case ERR_NOALGO:
		return STATUS_PROTOCOL;
	case ERR_DENIED:
		return STATUS_NOPERM;
	case ERR_CONFIG:
		return STATUS_CONFIG;
	case ERR_USAGE:
		return STATUS_USAGE;
	case ERR_MAILBOX:
	default:
		return STATUS_PARTIAL;
	}
}

/* Where s stands among the statuses, 0 the least bad (SPEC 2). */
static int
status_rank(int s)
{
	switch (s) {
	case STATUS_OK:
		return 0;
	case STATUS_TEMPFAIL:
		return 1;
	case STATUS_NOHOST:
		return 2;	/* a typo outlasts a network hiccup */
	case STATUS_PROTOCOL:
		return 3;
	case STATUS_NOPERM:
		return 4;
	default:
		return 5;	/* 1 and anything unexpected rank worst */
	}
}

int
status_worst(int a, int b)
{
	return status_rank(a) >= status_rank(b) ? a : b;
}
