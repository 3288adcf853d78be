#ifdef SYNCMAIL_FAULTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

void
fault_point(const char *name)
{
	static int hits;
	const char *spec = getenv("SYNCMAIL_FAULT");
	size_t len = strlen(name);

	if (spec == NULL || strncmp(spec, name, len) != 0 ||
	    spec[len] != ':')
		return;
	if (__atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) ==
	    atoi(spec + len + 1))
		kill(getpid(), SIGKILL);
}
#else
/* ISO C wants something in a translation unit. */
typedef int fault_unused;
#endif
