/*
 * l2fuse.c
 *		Module entry points and functions that belong to no single part.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include <cblas.h>

#include "l2fuse.h"

PG_MODULE_MAGIC;

int			l2fuse_max_train_memory_kb = 1024 * 1024;

void		_PG_init(void);

/*
 * Module load: define the settings, and keep OpenBLAS to one thread per
 * backend, since parallel query already spreads work over processes and a
 * thread pool in every backend would oversubscribe the cores.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("l2fuse.max_train_memory",
							"Largest buffer one training, fusion or evaluation aggregate "
							"may hold per group.",
							"These aggregates keep their rows in memory; a group needing "
							"more than this fails early with an error.",
							&l2fuse_max_train_memory_kb,
							1024 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("l2fuse");

	openblas_set_num_threads(1);
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
