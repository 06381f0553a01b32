-- l2fuse demo
CREATE EXTENSION l2fuse;
SELECT l2fuse.version() AS "l2fuse version";
