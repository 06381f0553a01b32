/*
 * test_util.h
 *		What the pure C test drivers share: a failure count, a check that
 *		reports what it got and wanted, and deterministic uniform numbers.
 */
#ifndef L2FUSE_TEST_UTIL_H
#define L2FUSE_TEST_UTIL_H

#include <stdio.h>

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

#endif							/* L2FUSE_TEST_UTIL_H */
