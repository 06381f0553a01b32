/*
 * l2fuse.h
 *		Declarations shared by every part of the extension.
 */
#ifndef L2FUSE_H
#define L2FUSE_H

#define L2FUSE_VERSION "0.1.0"

#endif							/* L2FUSE_H */
