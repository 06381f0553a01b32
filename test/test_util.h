/*
 * test_util.h
 *		What the pure C test drivers share: a failure count, a check that
 *		reports what it got and wanted, deterministic uniform numbers, and
 *		an allocator for the solvers.
 */
#ifndef L2FUSE_TEST_UTIL_H
#define L2FUSE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

static int	failures = 0;

/* Report a failed check. */
static inline void
Check(int ok, const char *what, double got, double want)
{
	if (!ok)
	{
		printf("FAILED %s: got %.17g, want %.17g\n", what, got, want);
		failures++;
	}
}

/* Deterministic uniform numbers in [0, 1) (a 64-bit LCG, top 53 bits). */
static inline double
Uniform(unsigned long long *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double) (*state >> 11) / 9007199254740992.0;
}

/* Zeroed memory for the solvers (an L2Hooks alloc); freed at exit. */
static inline void *
TestAlloc(size_t size, void *ctx)
{
	void	   *p = calloc(1, size ? size : 1);

	(void) ctx;
	if (p == NULL)
		abort();
	return p;
}

#endif							/* L2FUSE_TEST_UTIL_H */
