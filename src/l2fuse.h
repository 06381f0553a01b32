/*
 * l2fuse.h
 *		Declarations shared by every part of the extension.
 */
#ifndef L2FUSE_H
#define L2FUSE_H

#define L2FUSE_VERSION "0.1.0"

/* l2fuse.max_train_memory: memory bound of training and metric states, kB */
extern int	l2fuse_max_train_memory_kb;

#endif							/* L2FUSE_H */
