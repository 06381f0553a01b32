-- Creating, versioning and dropping the extension.

-- pg_regress has loaded the extension already; start from scratch.
DROP EXTENSION l2fuse;
SELECT count(*) FROM pg_namespace WHERE nspname = 'l2fuse';

CREATE EXTENSION l2fuse;
SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'l2fuse';
SELECT l2fuse.version() = extversion AS version_matches FROM pg_extension WHERE extname = 'l2fuse';
SELECT pg_typeof(l2fuse.version());

-- Every object of the extension lives in schema l2fuse.
SELECT count(*) AS outside_schema
FROM pg_depend d
JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'l2fuse'
WHERE p.pronamespace <> 'l2fuse'::regnamespace;

-- Dropping leaves nothing behind: no schema, no functions, no types.
DROP EXTENSION l2fuse;
SELECT count(*) FROM pg_namespace WHERE nspname = 'l2fuse';
SELECT count(*) FROM pg_proc WHERE proname LIKE 'l2fuse%' OR prosrc LIKE 'l2fuse%';
SELECT count(*) FROM pg_type WHERE typname LIKE 'l2fuse%';

CREATE EXTENSION l2fuse;
