/*
 * l2fuse.c
 *		Module entry points and functions that belong to no single part.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include <cblas.h>

#include "l2fuse.h"
#include "train.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load: define the settings, and keep OpenBLAS to one thread per
 * backend, since parallel query already spreads work over processes and a
 * thread pool in every backend would oversubscribe the cores.
 */
void
_PG_init(void)
{
	openblas_set_num_threads(1);
	train_define_gucs();
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
