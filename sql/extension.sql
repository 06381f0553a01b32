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

-- A role that is not a superuser but may create objects in the database
-- installs the trusted extension, and it and any other role can use it.
CREATE ROLE regress_l2fuse_owner NOLOGIN;
CREATE ROLE regress_l2fuse_user NOLOGIN;
DO $$ BEGIN
	EXECUTE format('GRANT CREATE ON DATABASE %I TO regress_l2fuse_owner', current_database());
END $$;
SET ROLE regress_l2fuse_owner;
CREATE EXTENSION l2fuse;
SELECT extowner::regrole AS owner FROM pg_extension WHERE extname = 'l2fuse';
SET ROLE regress_l2fuse_user;
SELECT l2fuse.predict_proba(l2fuse.model_from_json(
	'{"kind": "logistic", "coefficients": [1], "intercept": 0}'), '{0}'::float8[]) AS p;
SELECT round(l2fuse.intercept(l2fuse.logistic_regression(ARRAY[g::float8], g > 2)) ::numeric, 6)
	IS NOT NULL AS trained
FROM generate_series(1, 5) g;
RESET ROLE;
DROP EXTENSION l2fuse;
DO $$ BEGIN
	EXECUTE format('REVOKE CREATE ON DATABASE %I FROM regress_l2fuse_owner', current_database());
END $$;
DROP ROLE regress_l2fuse_owner;
DROP ROLE regress_l2fuse_user;

CREATE EXTENSION l2fuse;
