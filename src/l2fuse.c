/*
 * l2fuse.c
 *		Module entry points and functions that belong to no single part.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "l2fuse.h"

PG_MODULE_MAGIC;

int			l2fuse_max_train_memory_kb = 1024 * 1024;

void		_PG_init(void);

/*
 * Define the configuration parameters.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("l2fuse.max_train_memory",
							"Memory one aggregate state may use to train or evaluate.",
							"Exact ranking metrics keep 8 bytes per row.",
							&l2fuse_max_train_memory_kb,
							1024 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("l2fuse");
}

/*
 * Return the version of the loaded shared library.
 */
PG_FUNCTION_INFO_V1(l2fuse_version);
Datum
l2fuse_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(L2FUSE_VERSION));
}
