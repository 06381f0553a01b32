/*
 * l2fuse.c
 *		Module entry points and functions that belong to no single part.
 */
#include "postgres.h"

#include <limits.h>
#include <unistd.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include <cblas.h>

#include "l2fuse.h"

PG_MODULE_MAGIC;

int			l2fuse_max_train_memory_kb = 1024 * 1024;
int			l2fuse_solver_threads_guc = 0;

void		_PG_init(void);

/*
 * Module load: define the settings, and keep OpenBLAS to one thread per
 * call.  OpenBLAS's own pool would split each small block product over
 * every core and spin between them; the solvers instead split their data
 * passes over l2fuse.solver_threads threads, each calling BLAS on its own
 * rows (solver_threads.c).
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
	DefineCustomIntVariable("l2fuse.solver_threads",
							"Threads one training solve may use for its passes over the rows.",
							"0 picks one per CPU online, at most 8; 1 keeps the solve on the "
							"backend's own thread.",
							&l2fuse_solver_threads_guc,
							0, 0, 64,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("l2fuse");

	openblas_set_num_threads(1);
}

/*
 * Threads for a solve: the setting, or for 0 the CPUs online (at most
 * L2FUSE_AUTO_THREADS_MAX).
 */
int
l2fuse_solver_threads(void)
{
	long		cpus;

	if (l2fuse_solver_threads_guc > 0)
		return l2fuse_solver_threads_guc;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus < L2FUSE_AUTO_THREADS_MAX ? (int) cpus : L2FUSE_AUTO_THREADS_MAX;
}

/*
 * Solver hook: whether CHECK_FOR_INTERRUPTS has work to do that it can do
 * now (it would clear the flag).  Only reads flags, so it never throws.
 */
bool
l2fuse_interrupt_pending(void *arg)
{
	return INTERRUPTS_PENDING_CONDITION() && INTERRUPTS_CAN_BE_PROCESSED();
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
