/*
 * l2fuse.h
 *		Declarations shared by every part of the extension.
 */
#ifndef L2FUSE_H
#define L2FUSE_H

#include "utils/palloc.h"

#define L2FUSE_VERSION "0.1.0"

/* l2fuse.max_train_memory: memory bound of training and metric states, kB */
extern int	l2fuse_max_train_memory_kb;

/* l2fuse.solver_threads: threads a solver's data passes may use, 0 = automatic */
extern int	l2fuse_solver_threads_guc;

/* Most threads the automatic setting picks. */
#define L2FUSE_AUTO_THREADS_MAX 8

extern int	l2fuse_solver_threads(void);
/* Transparent huge pages: their size, and the smallest block worth them. */
#define L2FUSE_HUGE_PAGE ((Size) 2 * 1024 * 1024)
#define L2FUSE_HUGE_PAGE_MIN (2 * L2FUSE_HUGE_PAGE)

extern void *l2fuse_alloc_huge(MemoryContext cxt, Size size, int flags);
extern bool l2fuse_interrupt_pending(void *arg);

#endif							/* L2FUSE_H */
