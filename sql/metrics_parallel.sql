-- Parallel aggregation gives the same results as a serial scan.
SET extra_float_digits = 0;

-- Deterministic scores with many ties (1009 distinct values) and labels
-- that depend on them only partly.
CREATE TABLE pm AS
SELECT i,
	((i * 7919) % 1009) / 1009.0::float8 AS score,
	((i * 7919) % 1009) / 1009.0::float8 > ((i * 104729) % 997) / 997.0 AS label
FROM generate_series(1::bigint, 60000) i;
INSERT INTO pm VALUES (60001, NULL, true), (60002, 0.5, NULL);
ANALYZE pm;

CREATE TEMP TABLE serial AS
SELECT l2fuse.roc_auc(score, label) AS auc,
	l2fuse.roc_curve(score, label) AS curve,
	l2fuse.log_loss(score, label) AS ll,
	l2fuse.confusion(score >= 0.5, label) AS cm
FROM pm;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

EXPLAIN (COSTS OFF)
SELECT l2fuse.roc_auc(score, label), l2fuse.roc_curve(score, label),
	l2fuse.log_loss(score, label), l2fuse.confusion(score >= 0.5, label)
FROM pm;

-- Ranking results are exact and independent of the row order; the log loss
-- sum is compensated, so it matches to well below 1e-12.
SELECT p.auc = s.auc AS auc_equal,
	p.curve = s.curve AS curve_equal,
	abs(p.ll - s.ll) < 1e-12 AS log_loss_equal,
	p.cm = s.cm AS confusion_equal,
	jsonb_array_length(p.curve) AS points,
	round(p.auc::numeric, 10) AS auc
FROM serial s,
	(SELECT l2fuse.roc_auc(score, label) AS auc,
		l2fuse.roc_curve(score, label) AS curve,
		l2fuse.log_loss(score, label) AS ll,
		l2fuse.confusion(score >= 0.5, label) AS cm
	 FROM pm) p;
SELECT cm FROM serial;

-- The plan really ran in parallel workers.
CREATE FUNCTION workers_launched(query text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO plan;
	RETURN (plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Workers Launched')::int;
END
$$;
SELECT workers_launched('SELECT l2fuse.roc_auc(score, label) FROM pm') > 0 AS parallel;

-- Workers that see no rows contribute empty states.
SELECT i, score, label FROM pm WHERE i IN (1, 2, 3, 4, 5, 6) ORDER BY i;
SELECT l2fuse.roc_auc(score, label) AS auc, l2fuse.confusion(score >= 0.5, label) ->> 'n' AS n
FROM pm WHERE i IN (1, 2, 3, 4, 5, 6);
SELECT l2fuse.roc_auc(score, label) IS NULL AS auc_null,
	l2fuse.roc_curve(score, label) IS NULL AS curve_null,
	l2fuse.log_loss(score, label) IS NULL AS log_loss_null,
	l2fuse.confusion(score >= 0.5, label) IS NULL AS confusion_null
FROM pm WHERE i < 0;
