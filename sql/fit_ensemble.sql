-- fit_ensemble: weights fitted on held-out rows, and every construction error
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

CREATE TABLE fe_members AS SELECT
	l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "intercept": 0}') AS up,
	l2fuse.model_from_json('{"kind": "logistic", "coefficients": [-1], "intercept": 0}') AS down,
	l2fuse.model_from_json('{"kind": "svm", "coefficients": [1], "intercept": 0}') AS svm,
	l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 1], "intercept": 0}') AS two;

-- four held-out rows: x = -2, -1 (false), 1 (true), 2 (false)
CREATE TABLE fe_rows (id int, x float8[], y boolean);
INSERT INTO fe_rows VALUES (1, '{-2}', false), (2, '{-1}', false), (3, '{1}', true), (4, '{2}', false);

-- accuracy: "up" predicts x >= 0 (3 of 4 right), "down" -x >= 0 (1 of 4)
SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[up, down], x, y, '{"method": "accuracy"}'))
	- 'members' AS accuracy
FROM fe_rows, fe_members;

-- auc: "up" ranks the positive above 2 of 3 negatives, "down" above 1 of 3
SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[up, down], x, y, '{"method": "auc"}'))
	- 'members' AS auc
FROM fe_rows, fe_members;

-- a member without probability: hard vote by default, by decision >= 0
SELECT j->'voting' AS voting, j->'weights' AS weights
FROM (SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[svm, down], x, y,
		'{"method": "accuracy"}')) AS j FROM fe_rows, fe_members) s;
SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[up, down], x, y,
		'{"method": "accuracy", "voting": "hard"}'))->'voting' AS voting
FROM fe_rows, fe_members;

-- log_loss: with weights (t, 1 - t) the loss is convex in t and its
-- derivative, -mean((a_up - a_down) / (t a_up + (1 - t) a_down)) over the
-- probabilities a each member gives the true label, is 0 at the optimum
CREATE TABLE fe_ll AS
SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[up, down], x, y,
	'{"method": "log_loss"}')) AS j FROM fe_rows, fe_members;
SELECT round((j->'weights'->>0)::numeric, 9) AS t, j->'fit'->'method' AS method,
	j->'voting' AS voting, jsonb_array_length(j->'members') AS members
FROM fe_ll;
SELECT round(avg((a_up - a_down) / (t * a_up + (1 - t) * a_down))::numeric, 12) AS derivative
FROM (SELECT (j->'weights'->>0)::float8 AS t,
		CASE WHEN y THEN 1 / (1 + exp(-x[1])) ELSE 1 / (1 + exp(x[1])) END AS a_up,
		CASE WHEN y THEN 1 / (1 + exp(x[1])) ELSE 1 / (1 + exp(-x[1])) END AS a_down
	  FROM fe_rows, fe_ll) s;
-- a member that loses everywhere gets weight exactly 0 and is kept
SELECT j->'weights' AS weights, jsonb_array_length(j->'members') AS members
FROM (SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[up, down], x, y,
		'{"method": "log_loss"}')) AS j FROM fe_rows, fe_members WHERE id IN (1, 3)) s;

-- integer features are read as numbers
SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[up, down], x::int[], y,
		'{"method": "accuracy"}'))->'weights' AS weights
FROM fe_rows, fe_members;

-- NULL features or labels are skipped with a NOTICE; no row used gives NULL
SELECT l2fuse.model_info(l2fuse.fit_ensemble(ARRAY[up, down], x, y, '{"method": "accuracy"}'))
	->'fit'->'holdout_rows' AS rows
FROM (SELECT x, y FROM fe_rows UNION ALL SELECT NULL, true UNION ALL SELECT '{1}', NULL) r,
	fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up, down], x, y) IS NULL AS is_null
FROM (SELECT NULL::float8[] AS x, true AS y) r, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up, down], x, y) IS NULL AS is_null
FROM fe_rows, fe_members WHERE false;

-- option errors: unknown key, wrong type, out of range, not applicable
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"lamda": 1}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"method": 1}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"method": "vote"}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"lambda": 0}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"lambda": "1"}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"tol": 1}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"max_iter": 2.5}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"method": "auc", "voting": "stacking"}')
FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"method": "auc", "lambda": 2}')
FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"voting": "soft"}') FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"method": "accuracy", "tol": 0.1}')
FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '[1]') FROM fe_rows, fe_members;

-- model errors: empty, NULL, NULL member, feature counts, bad bytes
SELECT l2fuse.fit_ensemble('{}'::bytea[], x, y) FROM fe_rows;
SELECT l2fuse.fit_ensemble(NULL::bytea[], x, y) FROM fe_rows;
SELECT l2fuse.fit_ensemble(ARRAY[up, NULL], x, y) FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up, two], x, y) FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], '{1, 2}'::float8[], y) FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY['\x00'::bytea], x, y) FROM fe_rows;
SELECT l2fuse.fit_ensemble(ARRAY[up], '{NaN}'::float8[], y) FROM fe_rows, fe_members;

-- the models (or options) must not change between rows
SELECT l2fuse.fit_ensemble(CASE WHEN id < 3 THEN ARRAY[up] ELSE ARRAY[down] END, x, y)
FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y,
	CASE WHEN id < 3 THEN '{}' ELSE '{"lambda": 2}' END::jsonb)
FROM fe_rows, fe_members;

-- what a method needs of the members and the rows
SELECT l2fuse.fit_ensemble(ARRAY[up, svm], x, y, '{"method": "log_loss"}')
FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[svm], x, y, '{"method": "auc", "voting": "soft"}')
FROM fe_rows, fe_members;
SELECT l2fuse.fit_ensemble(ARRAY[down], x, y, '{"method": "accuracy"}')
FROM fe_rows, fe_members WHERE id IN (1, 3);
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, '{"method": "auc"}')
FROM fe_rows, fe_members WHERE y;
SELECT l2fuse.fit_ensemble(ARRAY[up], x, y) FROM fe_rows, fe_members WHERE NOT y;

-- the memory bound names its setting; SQLSTATEs of the main error classes
SET l2fuse.max_train_memory = 64;
SELECT l2fuse.fit_ensemble(ARRAY[up, down], ARRAY[i::float8], i % 2 = 0)
FROM generate_series(1, 3000) i, fe_members;
RESET l2fuse.max_train_memory;
DO $$
DECLARE
	q text;
BEGIN
	FOREACH q IN ARRAY ARRAY[
		'SELECT l2fuse.fit_ensemble(ARRAY[up], x, y, ''{"lamda": 1}'') FROM fe_rows, fe_members',
		'SELECT l2fuse.fit_ensemble(ARRAY[''\x00''::bytea], x, y) FROM fe_rows',
		'SELECT l2fuse.fit_ensemble(ARRAY[up], x, y) FROM fe_rows, fe_members WHERE NOT y',
		'SET LOCAL l2fuse.max_train_memory = 64; '
		'SELECT l2fuse.fit_ensemble(ARRAY[up], ARRAY[i], true) FROM generate_series(1, 5000) i, '
		'fe_members']
	LOOP
		BEGIN
			EXECUTE q;
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE 'SQLSTATE %', SQLSTATE;
		END;
	END LOOP;
END $$;
