/*
 * solver_threads.c
 *		Splitting the solvers' data passes over threads.
 *
 * A pass over the rows (objective, gradient, Hessian, decision values)
 * is a sum over rows, so the rows are cut into nparts contiguous ranges
 * ("parts"), each summed by one thread into accumulators of its own, and
 * the parts' sums are added in part order afterwards.  The result depends
 * on the number of parts, never on thread timing.  Part 0 runs on the
 * calling thread, writing straight into the caller's output.
 *
 * The other threads only read the problem and write their own part's
 * scratch and rows: they allocate nothing and never call a hook, since
 * the caller's hooks may throw (a query cancel is a longjmp in the server)
 * and may not be thread-safe.  Cancellation still works: part 0 asks
 * hooks->pending between blocks, sets wk->stop when something waits, and
 * every part stops at its next block; after the join the interrupt hook
 * runs on the calling thread, and if it returns the pass starts over.
 * Signals are blocked in the helper threads so that they reach the
 * calling thread, as a server process expects.
 *
 * Pure C; nothing here calls the server.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "objective.h"

/* Start of one helper thread. */
typedef struct PartJob
{
	L2Work	   *wk;
	L2Part	   *part;
	L2PartFn	fn;
	void	   *arg;
	pthread_t	thread;
	bool		started;
} PartJob;

/*
 * Scratch bytes one part needs beyond the first, Hessian included.
 */
static size_t
part_bytes(int p)
{
	return sizeof(double) * ((size_t) p * p + 2 * (size_t) L2_BLOCK_ROWS * p +
							 L2_BLOCK_ROWS + 2 * (size_t) p);
}

/*
 * Cut the rows into parts: at most threads of them, each of at least
 * L2_PART_MIN_ROWS rows, and no more than L2_PART_MAX_BYTES of scratch for
 * the parts beyond the first.  Part 0 uses wk's own block buffers.
 */
void
l2_parts_init(L2Work *wk, int threads)
{
	int64_t		by_rows = wk->n / L2_PART_MIN_ROWS;
	size_t		by_bytes = L2_PART_MAX_BYTES / part_bytes(wk->p);
	int			np = threads > 1 ? threads : 1;
	int64_t		row = 0;

	if (np > by_rows)
		np = by_rows > 1 ? (int) by_rows : 1;
	if ((size_t) (np - 1) > by_bytes)
		np = (int) by_bytes + 1;

	wk->nparts = np;
	wk->parts = l2_alloc(wk, sizeof(L2Part) * np);
	for (int k = 0; k < np; k++)
	{
		L2Part	   *part = &wk->parts[k];
		size_t		blk = sizeof(double) * L2_BLOCK_ROWS * wk->p;

		part->index = k;
		part->begin = row;
		part->end = k == np - 1 ? wk->n : row + wk->n / np;
		row = part->end;
		part->block = k == 0 ? wk->block : l2_alloc(wk, blk);
		part->block2 = k == 0 ? wk->block2 : l2_alloc(wk, blk);
		part->r = l2_alloc(wk, sizeof(double) * L2_BLOCK_ROWS);
		part->g = l2_alloc(wk, sizeof(double) * wk->p);
		part->g2 = l2_alloc(wk, sizeof(double) * wk->p);
	}
}

/*
 * Give every part but the first a Hessian accumulator (first call only;
 * part 0 accumulates into the caller's matrix).
 */
void
l2_parts_need_hess(L2Work *wk)
{
	for (int k = 1; k < wk->nparts; k++)
		if (wk->parts[k].H == NULL)
			wk->parts[k].H = l2_alloc(wk, sizeof(double) * wk->p * wk->p);
}

/*
 * Whether the part should stop at this block.  With one part, the
 * interrupt hook runs here directly; with more, part 0 only polls.
 */
bool
l2_part_stopped(L2Work *wk, const L2Part *part)
{
	if (wk->nparts == 1)
	{
		l2_check_interrupt(wk);
		return false;
	}
	if (part->index == 0 && wk->poll && wk->hooks->pending &&
		wk->hooks->pending(wk->hooks->arg))
		__atomic_store_n(&wk->stop, 1, __ATOMIC_RELAXED);
	return __atomic_load_n(&wk->stop, __ATOMIC_RELAXED) != 0;
}

/*
 * Thread body: one part.
 */
static void *
run_job(void *arg)
{
	PartJob    *job = arg;

	job->fn(job->wk, job->part, job->arg);
	return NULL;
}

/*
 * Run fn on every part, parts 1.. on threads of their own; a thread that
 * cannot be started has its part run on the calling thread instead.
 */
static void
run_once(L2Work *wk, L2PartFn fn, void *arg, PartJob *jobs)
{
	sigset_t	all,
				old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int k = 1; k < wk->nparts; k++)
	{
		jobs[k].wk = wk;
		jobs[k].part = &wk->parts[k];
		jobs[k].fn = fn;
		jobs[k].arg = arg;
		jobs[k].started = pthread_create(&jobs[k].thread, NULL, run_job, &jobs[k]) == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	fn(wk, &wk->parts[0], arg);

	for (int k = 1; k < wk->nparts; k++)
		if (!jobs[k].started)
			fn(wk, &wk->parts[k], arg);
	for (int k = 1; k < wk->nparts; k++)
		if (jobs[k].started)
			pthread_join(jobs[k].thread, NULL);
}

/*
 * Run fn over all parts until a run finishes without being stopped; the
 * interrupt hook, which may not return, runs between attempts.  Should
 * the hook keep returning with something still pending, the last attempt
 * runs without polling, so that the pass always ends.
 */
void
l2_run_parts(L2Work *wk, L2PartFn fn, void *arg)
{
	PartJob		jobs[64];
	PartJob    *pj = wk->nparts <= 64 ? jobs : l2_alloc(wk, sizeof(PartJob) * wk->nparts);

	if (wk->nparts == 1)
	{
		fn(wk, &wk->parts[0], arg);
		return;
	}
	for (int attempt = 1;; attempt++)
	{
		wk->stop = 0;
		wk->poll = attempt < L2_PART_MAX_ATTEMPTS;
		run_once(wk, fn, arg, pj);
		if (!wk->stop)
			return;
		l2_check_interrupt(wk);
	}
}

/*
 * Add the accumulators of parts 1.. into part 0's (which a pass points at
 * its output): the scalar sums, which are returned, len entries of g and,
 * when hess, the upper triangles of the p x p matrices H.
 */
double
l2_parts_sum(L2Work *wk, int len, bool hess)
{
	L2Part	   *first = &wk->parts[0];
	double		sum = first->sum;
	int			p = wk->p;

	for (int k = 1; k < wk->nparts; k++)
	{
		const L2Part *part = &wk->parts[k];

		sum += part->sum;
		for (int j = 0; j < len; j++)
			first->g[j] += part->g[j];
		if (hess)
			for (int i = 0; i < p; i++)
				for (int j = i; j < p; j++)
					first->H[i * p + j] += part->H[i * p + j];
	}
	return sum;
}
