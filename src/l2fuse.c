/*
 * l2fuse.c
 *		Module entry points and functions that belong to no single part.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "l2fuse.h"

PG_MODULE_MAGIC;

/*
 * Return the version of the loaded shared library.
 */
PG_FUNCTION_INFO_V1(l2fuse_version);
Datum
l2fuse_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(L2FUSE_VERSION));
}
