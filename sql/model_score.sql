-- Scoring: predict, predict_proba and decision_function.
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

CREATE TEMP TABLE m (name text PRIMARY KEY, model bytea NOT NULL);
INSERT INTO m VALUES
	('lr', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 2, -1], "intercept": 0.5}')),
	('lr_flip', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [-1, -2, 1], "intercept": -0.5}')),
	('big', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [2, -2], "intercept": 0}')),
	('svm', l2fuse.model_from_json('{"kind": "svm", "coefficients": [0.5, -0.25], "intercept": 1}')),
	('svm_cal', l2fuse.model_from_json('{"kind": "svm", "coefficients": [0.5, -0.25], "intercept": 1,
		"calibration": {"platt_a": -2, "platt_b": 0, "folds": 5}}'));
CREATE FUNCTION pg_temp.m(text) RETURNS bytea LANGUAGE sql STABLE
	AS 'SELECT model FROM m WHERE name = $1';
-- The SQLSTATE and message of the error a statement raises.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Logistic: d = 1 + 4 - 3 + 0.5 = 2.5, p = 1 / (1 + exp(-2.5)) = 0.924141819978757.
SELECT l2fuse.decision_function(pg_temp.m('lr'), '{1,2,3}'::float8[]) AS d,
	l2fuse.predict_proba(pg_temp.m('lr'), '{1,2,3}'::float8[]) AS p,
	l2fuse.predict(pg_temp.m('lr'), '{1,2,3}'::float8[]) AS y;
-- d = -1 - 4 + 3 + 0.5 = -1.5: p = 0.182425523806356, negative.
SELECT l2fuse.decision_function(pg_temp.m('lr'), '{-1,-2,-3}'::float8[]) AS d,
	l2fuse.predict_proba(pg_temp.m('lr'), '{-1,-2,-3}'::float8[]) AS p,
	l2fuse.predict(pg_temp.m('lr'), '{-1,-2,-3}'::float8[]) AS y;
-- d = 0 exactly: p = 0.5 exactly, which predicts the positive class.
SELECT l2fuse.decision_function(pg_temp.m('lr'), '{0,0,0.5}'::float8[]) AS d,
	l2fuse.predict_proba(pg_temp.m('lr'), '{0,0,0.5}'::float8[]) = 0.5 AS p_is_half,
	l2fuse.predict(pg_temp.m('lr'), '{0,0,0.5}'::float8[]) AS y;

-- Extreme margins: probabilities stay in [0, 1], never NaN.
SELECT x, l2fuse.decision_function(pg_temp.m('lr'), x) AS d,
	l2fuse.predict_proba(pg_temp.m('lr'), x) AS p,
	l2fuse.predict(pg_temp.m('lr'), x) AS y
FROM (VALUES ('{1e308,0,0}'::float8[]), ('{-1e308,0,0}'), ('{1e308,1e308,0}'),
	('{-1e308,-1e308,0}'), ('{1e308,0,1e308}'), ('{1.7976931348623157e308,1e308,-1e308}'),
	('{0,0,0}')) AS v(x);
-- 2 * 1e308 - 2 * 1e308 overflows to inf - inf in double precision; the
-- extended-precision retry gives the exact 0 and 2e308 - 1e308 = 1e308.
SELECT x, l2fuse.decision_function(pg_temp.m('big'), x) AS d,
	l2fuse.predict_proba(pg_temp.m('big'), x) AS p
FROM (VALUES ('{1e308,1e308}'::float8[]), ('{1e308,5e307}'), ('{5e307,1e308}'),
	('{-1e308,1e308}')) AS v(x);

-- SVM without calibration: decision and predict (decision >= 0), no probability.
-- d = 0.5 * 2 - 0.25 * 4 + 1 = 1; d = 0.5 * -2 - 0.25 * 0 + 1 = 0 predicts positive.
SELECT l2fuse.decision_function(pg_temp.m('svm'), '{2,4}'::float8[]) AS d,
	l2fuse.predict(pg_temp.m('svm'), '{2,4}'::float8[]) AS y,
	l2fuse.predict(pg_temp.m('svm'), '{-2,0}'::float8[]) AS y_at_zero,
	l2fuse.predict(pg_temp.m('svm'), '{-4,0}'::float8[]) AS y_neg;
SELECT l2fuse.predict_proba(pg_temp.m('svm'), '{2,4}'::float8[]);
-- Calibrated SVM: p = 1 / (1 + exp(-2 * 1 + 0.5)) = 0.817574476193644.
SELECT l2fuse.predict_proba(pg_temp.m('svm_cal'), '{2,4}'::float8[]) AS p,
	l2fuse.predict(pg_temp.m('svm_cal'), '{2,4}'::float8[]) AS y,
	l2fuse.predict_proba(pg_temp.m('svm_cal'), '{1e308,-1e308}'::float8[]) AS p_max,
	l2fuse.predict_proba(pg_temp.m('svm_cal'), '{-1e308,1e308}'::float8[]) AS p_min;

-- real[] is read natively and agrees with float8[] exactly.
SELECT l2fuse.decision_function(pg_temp.m('lr'), '{1.5,-0.25,3}'::real[]) AS d4,
	l2fuse.decision_function(pg_temp.m('lr'), '{1.5,-0.25,3}'::float8[]) AS d8,
	l2fuse.predict_proba(pg_temp.m('lr'), '{1.5,-0.25,3}'::real[])
		= l2fuse.predict_proba(pg_temp.m('lr'), '{1.5,-0.25,3}'::float8[]) AS p_equal;
CREATE TEMP TABLE rows AS
SELECT i, ARRAY[sin(i) * 3, cos(i * 7) * 2, (i % 11) - 5]::real[] AS x4
FROM generate_series(1, 2000) AS i;
SELECT count(*) AS rows,
	count(*) FILTER (WHERE l2fuse.predict_proba(pg_temp.m('lr'), x4)
		<> l2fuse.predict_proba(pg_temp.m('lr'), x4::float8[])) AS proba_mismatches,
	count(*) FILTER (WHERE l2fuse.decision_function(pg_temp.m('lr'), x4)
		<> l2fuse.decision_function(pg_temp.m('lr'), x4::float8[])) AS decision_mismatches,
	count(*) FILTER (WHERE l2fuse.predict(pg_temp.m('lr'), x4)
		<> (l2fuse.predict_proba(pg_temp.m('lr'), x4) >= 0.5)) AS predict_inconsistent,
	count(*) FILTER (WHERE l2fuse.predict(pg_temp.m('lr'), x4)) AS positives
FROM rows;
-- The probability matches the logistic function of the hand-computed margin.
SELECT count(*) FILTER (WHERE abs(l2fuse.predict_proba(pg_temp.m('lr'), x4)
		- 1 / (1 + exp(-(x4[1] + 2 * x4[2] - x4[3] + 0.5)))) > 1e-15) AS off
FROM rows;

-- The cache never serves one model's result for another: two models alternate
-- in one column, each row checked against its own margin.
CREATE TEMP TABLE mixed AS
SELECT r.i, r.x4, CASE WHEN r.i % 2 = 0 THEN pg_temp.m('lr') ELSE pg_temp.m('lr_flip') END AS model,
	CASE WHEN r.i % 2 = 0 THEN 1 ELSE -1 END AS sign
FROM rows r WHERE r.i <= 500;
SELECT count(*) AS rows,
	count(*) FILTER (WHERE l2fuse.decision_function(model, x4)
		<> sign * (x4[1]::float8 + 2 * x4[2] - x4[3] + 0.5)) AS wrong_decisions,
	count(*) FILTER (WHERE abs(l2fuse.predict_proba(model, x4)
		- 1 / (1 + exp(-sign * (x4[1] + 2 * x4[2] - x4[3] + 0.5)))) > 1e-15) AS wrong_probas
FROM mixed;
-- ... and across kinds with different feature counts, row by row.
SELECT i, l2fuse.decision_function(model, x) AS d
FROM (VALUES (1, pg_temp.m('lr'), '{1,2,3}'::float8[]), (2, pg_temp.m('svm'), '{2,4}'),
	(3, pg_temp.m('lr'), '{1,2,3}'), (4, pg_temp.m('lr_flip'), '{1,2,3}'),
	(5, pg_temp.m('svm'), '{-4,0}')) AS v(i, model, x)
ORDER BY i;

-- STRICT: NULL in, NULL out.
SELECT l2fuse.predict(NULL, '{1,2,3}'::float8[]) IS NULL AS a,
	l2fuse.predict_proba(pg_temp.m('lr'), NULL::float8[]) IS NULL AS b;

-- Bad features.
SELECT pg_temp.err($$SELECT l2fuse.predict(pg_temp.m('lr'), '{1,2}'::float8[])$$);
SELECT pg_temp.err($$SELECT l2fuse.predict(pg_temp.m('lr'), '{1,2,3,4}'::real[])$$);
SELECT pg_temp.err($$SELECT l2fuse.predict(pg_temp.m('lr'), '{}'::float8[])$$);
SELECT pg_temp.err($$SELECT l2fuse.predict_proba(pg_temp.m('lr'), '{1,NaN,3}'::float8[])$$);
SELECT pg_temp.err($$SELECT l2fuse.predict_proba(pg_temp.m('lr'), '{1,2,Infinity}'::float8[])$$);
-- A wider row is checked four values at a time: every position is caught,
-- and the first bad one is named.
SELECT i, pg_temp.err(format($$SELECT l2fuse.predict_proba(
		l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1,1,1,1,1,1,1,1,1], "intercept": 0}'),
		%L::float8[])$$, f)) AS err
	FROM (VALUES (1, '{NaN,0,0,0,0,0,0,0,0}'), (4, '{0,0,0,Infinity,0,0,0,0,0}'),
		(5, '{0,0,0,0,-Infinity,0,0,0,NaN}'), (9, '{0,0,0,0,0,0,0,0,Infinity}'),
		(0, '{1e308,1e308,1e308,1e308,-1e308,-1e308,-1e308,-1e308,0}')) v(i, f)
	ORDER BY i;
SELECT pg_temp.err($$SELECT l2fuse.decision_function(pg_temp.m('lr'), '{-Infinity,2,3}'::real[])$$);
SELECT pg_temp.err($$SELECT l2fuse.predict(pg_temp.m('lr'), '{1,NULL,3}'::float8[])$$);
SELECT pg_temp.err($$SELECT l2fuse.predict(pg_temp.m('lr'), '{{1,2,3},{4,5,6}}'::float8[])$$);
SELECT pg_temp.err($$SELECT l2fuse.predict_proba(pg_temp.m('svm'), '{1,2}'::float8[])$$);
-- The full messages with their hints.
SELECT l2fuse.predict(pg_temp.m('lr'), '{1,NULL,3}'::float8[]);
SELECT l2fuse.predict_proba(pg_temp.m('svm'), '{2,4}'::real[]);

-- Features of any numeric element type; untyped array literals need a cast.
SELECT l2fuse.decision_function(l2fuse.model_from_json('{"kind":"logistic","coefficients":[1,2,3],"intercept":0.5}'), f)
FROM (VALUES (ARRAY[1, 2, 3]), (NULL)) AS v(f) WHERE f IS NOT NULL;
SELECT l2fuse.decision_function(m, ARRAY[1, 2, 3]::smallint[]) AS int2,
	l2fuse.decision_function(m, ARRAY[1, 2, 3]) AS int4,
	l2fuse.decision_function(m, ARRAY[1, 2, 3]::bigint[]) AS int8,
	l2fuse.decision_function(m, ARRAY[1.0, 2, 3]) AS numeric,
	l2fuse.decision_function(m, ARRAY[1, 2, 3]::real[]) AS float4,
	l2fuse.decision_function(m, '{1,2,3}'::float8[]) AS float8
FROM (SELECT l2fuse.model_from_json('{"kind":"logistic","coefficients":[1,2,3],"intercept":0.5}') AS m) s;
SELECT l2fuse.predict(l2fuse.model_from_json('{"kind":"logistic","coefficients":[1]}'), ARRAY[NULL::int]);
SELECT l2fuse.predict(l2fuse.model_from_json('{"kind":"logistic","coefficients":[1]}'), ARRAY['NaN'::numeric]);
SELECT l2fuse.predict(l2fuse.model_from_json('{"kind":"logistic","coefficients":[1]}'), ARRAY['a'::text]);
SELECT l2fuse.predict(l2fuse.model_from_json('{"kind":"logistic","coefficients":[1]}'), '{1}');
