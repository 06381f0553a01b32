-- l2fuse 0.1.0

\echo Use "CREATE EXTENSION l2fuse" to load this file. \quit

-- Every object lives in schema l2fuse.  The script creates the schema itself
-- so that it belongs to the extension and DROP EXTENSION removes it.
CREATE SCHEMA l2fuse;
COMMENT ON SCHEMA l2fuse IS 'l2fuse: in-database L2-regularized linear classifiers';
SET LOCAL search_path = l2fuse, pg_catalog;

---------------------------------------------------------------------------
-- General
---------------------------------------------------------------------------

-- IMMUTABLE for a given installed library; PARALLEL SAFE: reads no state.
CREATE FUNCTION version() RETURNS text
	AS 'MODULE_PATHNAME', 'l2fuse_version'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION version() IS 'version of the l2fuse shared library';

---------------------------------------------------------------------------
-- Models: scoring, introspection and interchange
---------------------------------------------------------------------------


---------------------------------------------------------------------------
-- Training aggregates
---------------------------------------------------------------------------


---------------------------------------------------------------------------
-- Ensembles and fitted fusion
---------------------------------------------------------------------------


---------------------------------------------------------------------------
-- Evaluation
---------------------------------------------------------------------------

