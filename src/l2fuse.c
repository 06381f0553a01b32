/*
 * l2fuse.c
 *		Module entry points and functions that belong to no single part.
 */
#include "postgres.h"

#include <limits.h>
#include <sys/mman.h>
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
 * MemoryContextAllocExtended(cxt, size, flags | MCXT_ALLOC_HUGE), with the
 * kernel asked to back the block by transparent huge pages where the
 * system leaves that to madvise.  The row buffers and the solvers' per-row
 * arrays are hundreds of MB written once in order; with 4 kB pages, the
 * page faults alone took about a sixth of a 1e6 x 32 training here.
 */
void *
l2fuse_alloc_huge(MemoryContext cxt, Size size, int flags)
{
	void	   *p;
	uintptr_t	from,
				to;

	if (size < L2FUSE_HUGE_PAGE_MIN)
		return MemoryContextAllocExtended(cxt, size, flags | MCXT_ALLOC_HUGE);

	p = MemoryContextAllocExtended(cxt, size, (flags & ~MCXT_ALLOC_ZERO) | MCXT_ALLOC_HUGE);
#ifdef MADV_HUGEPAGE
	from = TYPEALIGN(L2FUSE_HUGE_PAGE, (uintptr_t) p);
	to = TYPEALIGN_DOWN(L2FUSE_HUGE_PAGE, (uintptr_t) p + size);
	if (to > from)
		(void) madvise((void *) from, to - from, MADV_HUGEPAGE);
#else
	(void) from;
	(void) to;
#endif
	if (flags & MCXT_ALLOC_ZERO)
		memset(p, 0, size);
	return p;
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
