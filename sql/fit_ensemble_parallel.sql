-- fit_ensemble under a parallel plan gives the serial result
SET extra_float_digits = 0;
CREATE TABLE fp_rows (id int, x float8[], y boolean);
INSERT INTO fp_rows
SELECT i, ARRAY[sin(i), cos(1.3 * i)], sin(i) + 0.5 * cos(1.3 * i) + 0.4 * sin(7.1 * i) > 0
FROM generate_series(1, 30000) i;
INSERT INTO fp_rows VALUES (0, NULL, true), (-1, '{0, 0}', NULL);
ANALYZE fp_rows;
CREATE TABLE fp_members AS SELECT ARRAY[
	l2fuse.model_from_json('{"kind": "logistic", "coefficients": [2, 0], "intercept": 0}'),
	l2fuse.model_from_json('{"kind": "logistic", "coefficients": [0, 1.5], "intercept": 0.1}'),
	l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 1], "intercept": -0.2}')]
	AS ms;

CREATE FUNCTION fp_fit(options jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT l2fuse.model_info(l2fuse.fit_ensemble((SELECT ms FROM fp_members), x, y, options))
		- 'members'
	FROM fp_rows
$$;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE fp_serial AS
SELECT m, fp_fit(jsonb_build_object('method', m)) AS j
FROM unnest(ARRAY['stacking', 'log_loss', 'accuracy', 'auc']) m;

-- parallel
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT l2fuse.fit_ensemble((SELECT ms FROM fp_members), x, y, '{"method": "auc"}') FROM fp_rows;
CREATE TABLE fp_parallel (m text, j jsonb);
DO $$
DECLARE
	m text;
BEGIN
	FOREACH m IN ARRAY ARRAY['stacking', 'log_loss', 'accuracy', 'auc'] LOOP
		EXECUTE format('INSERT INTO fp_parallel SELECT %L, l2fuse.model_info('
			'l2fuse.fit_ensemble((SELECT ms FROM fp_members), x, y, %L)) - ''members'' '
			'FROM fp_rows', m, jsonb_build_object('method', m));
	END LOOP;
END $$;

-- held-out rows agree exactly; fitted numbers within 1e-9
SELECT s.m, (s.j->'fit'->>'holdout_rows')::int AS rows,
	(s.j->'fit'->'holdout_rows') = (p.j->'fit'->'holdout_rows') AS same_rows,
	(SELECT max(abs(a::float8 - b::float8)) < 1e-9
	 FROM jsonb_array_elements_text(s.j->'weights') WITH ORDINALITY x(a, i)
	 JOIN jsonb_array_elements_text(p.j->'weights') WITH ORDINALITY y(b, k) ON i = k)
	AS same_weights,
	(SELECT coalesce(max(abs(a::float8 - b::float8)) < 1e-9, true)
	 FROM jsonb_array_elements_text(s.j->'meta'->'coefficients') WITH ORDINALITY x(a, i)
	 JOIN jsonb_array_elements_text(p.j->'meta'->'coefficients') WITH ORDINALITY y(b, k)
	 ON i = k) AS same_meta,
	(SELECT max(abs(a::float8 - b::float8)) < 1e-9
	 FROM jsonb_array_elements_text(s.j->'fit'->'member_scores') WITH ORDINALITY x(a, i)
	 JOIN jsonb_array_elements_text(p.j->'fit'->'member_scores') WITH ORDINALITY y(b, k)
	 ON i = k) AS same_scores
FROM fp_serial s JOIN fp_parallel p USING (m) ORDER BY s.m;
