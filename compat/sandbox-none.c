/* No sandbox on this platform: said at -v.  See sandbox-impl.h. */
#include "compat/sandbox-impl.h"
#include "util/note.h"

int
sandbox_ready(struct sandbox_list *l, const struct sandbox_options *o,
    struct error *err)
{
	(void)l;
	(void)o;
	(void)err;
	note(1, NULL, "sandbox: off: none on this platform");
	return 0;
}

int
sandbox_close(struct sandbox_list *l, const struct sandbox_options *o,
    int quiet, struct error *err)
{
	(void)l;
	(void)o;
	(void)quiet;
	(void)err;
	return 0;
}
