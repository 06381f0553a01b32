-- evaluate(model, features, label): every metric of a model in one call.
\set SHOW_CONTEXT never
SET extra_float_digits = 0;


-- One feature, P = sigmoid(x): the ranking follows x.
CREATE TABLE ev1 (x float8, y boolean);
INSERT INTO ev1 VALUES (3, true), (2, false), (1, true), (0, false), (-1, true);

-- Average precision = (1/3)(1 + 2/3 + 3/5) = 34/45; AUC = 3/6; at 0.5 the
-- rows x >= 0 are predicted positive: tp 2, fp 2, fn 1, tn 0.
SELECT jsonb_pretty(l2fuse.evaluate(
	l2fuse.model_from_json('{"kind":"logistic","coefficients":[1],"intercept":0}'),
	ARRAY[x], y))
FROM ev1;
SELECT round(34 / 45.0, 15) AS average_precision,
	round(avg(CASE WHEN y THEN -ln(1 / (1 + exp(-x))) ELSE -ln(1 - 1 / (1 + exp(-x))) END)::numeric, 14)
		AS log_loss,
	round(avg(power(1 / (1 + exp(-x)) - y::int, 2))::numeric, 14) AS brier
FROM ev1;

-- A two-feature model on a larger table agrees with the standalone
-- aggregates applied to the same probabilities.
CREATE TABLE ev2 AS
SELECT i, ARRAY[sin(i), cos(3 * i)]::float8[] AS x,
	sin(i) + 0.5 * cos(7 * i) > 0.2 AS y
FROM generate_series(1, 2000) i;
CREATE TEMP TABLE m2 AS
SELECT l2fuse.model_from_json('{"kind":"logistic","coefficients":[2.5,-0.75],"intercept":-0.3}')
	AS model;
CREATE TEMP TABLE ev2_p AS
SELECT i, y, 1 / (1 + exp(-(2.5 * x[1] - 0.75 * x[2] - 0.3))) AS p FROM ev2;

SELECT (e ->> 'n')::int AS n, (e ->> 'positives')::int AS positives,
	abs((e ->> 'roc_auc')::float8 - (SELECT l2fuse.roc_auc(p, y) FROM ev2_p)) < 1e-12 AS auc_equal,
	abs((e ->> 'log_loss')::float8 - (SELECT l2fuse.log_loss(p, y) FROM ev2_p)) < 1e-12
		AS log_loss_equal,
	abs((e ->> 'brier')::float8 - (SELECT avg(power(p - y::int, 2)) FROM ev2_p)) < 1e-12
		AS brier_equal,
	(SELECT l2fuse.confusion(p >= 0.5, y) FROM ev2_p) @>
		jsonb_build_object('tp', e -> 'tp', 'fp', e -> 'fp', 'tn', e -> 'tn', 'fn', e -> 'fn',
						   'precision', e -> 'precision', 'recall', e -> 'recall',
						   'f1', e -> 'f1', 'accuracy', e -> 'accuracy') AS confusion_equal,
	round((e ->> 'roc_auc')::numeric, 10) AS roc_auc,
	round((e ->> 'average_precision')::numeric, 10) AS average_precision
FROM (SELECT l2fuse.evaluate(model, x, y) AS e FROM ev2, m2) s;

-- real[] features give the same result when the values are floats.
SELECT l2fuse.evaluate(model, x::real[]::float8[], y) = l2fuse.evaluate(model, x::real[], y)
	AS real_equal
FROM ev2, m2;

-- NULL model, features or label: the row is skipped and counted.
SELECT e ->> 'n' AS n, e ->> 'skipped' AS skipped
FROM (SELECT l2fuse.evaluate(CASE WHEN i % 10 = 1 THEN NULL ELSE model END,
							 CASE WHEN i % 10 = 2 THEN NULL ELSE x END,
							 CASE WHEN i % 10 = 3 THEN NULL ELSE y END) AS e
	  FROM ev2, m2) s;

-- No rows, or only skipped rows: NULL.
SELECT l2fuse.evaluate(model, x, y) IS NULL AS empty FROM ev2, m2 WHERE false;
SELECT l2fuse.evaluate(model, x, NULL) IS NULL AS all_skipped FROM ev2, m2;

-- One class: no AUC, average precision 1 when every row is positive.
SELECT e ->> 'roc_auc' AS roc_auc, e ->> 'average_precision' AS average_precision,
	e ->> 'precision' AS precision
FROM (SELECT l2fuse.evaluate(model, x, true) AS e FROM ev2, m2) s;
SELECT e ->> 'roc_auc' AS roc_auc, e ->> 'average_precision' AS average_precision,
	e ->> 'recall' AS recall
FROM (SELECT l2fuse.evaluate(model, x, false) AS e FROM ev2, m2) s;

-- A model per group; the decoded model is cached per distinct model value.
-- The reversed model predicts x <= 0 positive: one hit, one false alarm.
SELECT g, l2fuse.evaluate(model, ARRAY[x], y) ->> 'tp' AS tp,
	l2fuse.evaluate(model, ARRAY[x], y) ->> 'fp' AS fp
FROM ev1,
	(VALUES (1, l2fuse.model_from_json('{"kind":"logistic","coefficients":[1],"intercept":0}')),
			(2, l2fuse.model_from_json('{"kind":"logistic","coefficients":[-1],"intercept":0}')))
		AS m(g, model)
GROUP BY g ORDER BY g;

-- An SVM without probability calibration is judged on its decision value:
-- ranking metrics and the confusion matrix at decision >= 0, no log loss.
SELECT e ->> 'scores' AS scores, e ->> 'log_loss' AS log_loss, e ->> 'brier' AS brier,
	e ->> 'tp' AS tp, e ->> 'fp' AS fp, round((e ->> 'roc_auc')::numeric, 6) AS roc_auc
FROM (SELECT l2fuse.evaluate(
		l2fuse.model_from_json('{"kind":"svm","coefficients":[1],"intercept":-0.5}'),
		ARRAY[x], y) AS e
	  FROM ev1) s;

-- A calibrated SVM is judged on its probabilities, P = 1 / (1 + exp(a f)).
SELECT e ->> 'scores' AS scores, round((e ->> 'log_loss')::numeric, 12) AS log_loss,
	round(avg_ll::numeric, 12) AS expected
FROM (SELECT l2fuse.evaluate(
		l2fuse.model_from_json('{"kind":"svm","coefficients":[1],"intercept":0,"calibration":{"calibrated":true,"platt_a":-2}}'),
		ARRAY[x], y) AS e,
		avg(CASE WHEN y THEN -ln(1 / (1 + exp(-2 * x))) ELSE -ln(1 - 1 / (1 + exp(-2 * x))) END)
			AS avg_ll
	  FROM ev1) s;

-- Ensembles built from models of this suite: a soft vote of m2, a second
-- logistic model and a calibrated SVM, weights 3:1:2; a hard vote of m2,
-- the second logistic model and an SVM without calibration, weights 2:1:1,
-- so that the positive share is a multiple of 1/4 and 1/2 is a tie.
CREATE TEMP TABLE ev_members AS
SELECT (SELECT model FROM m2) AS lr1,
	l2fuse.model_from_json('{"kind":"logistic","coefficients":[-0.5,1.5],"intercept":-0.4}') AS lr2,
	l2fuse.model_from_json('{"kind":"svm","coefficients":[1,1],"intercept":0.1,
		"calibration":{"calibrated":true,"platt_a":-1.5}}') AS svm_cal,
	l2fuse.model_from_json('{"kind":"svm","coefficients":[1,-2],"intercept":0}') AS svm;
CREATE TEMP TABLE ev_ens AS
SELECT 'soft' AS voting, l2fuse.ensemble(ARRAY[lr1, lr2, svm_cal], '{3,1,2}', 'soft') AS model
FROM ev_members
UNION ALL
SELECT 'hard', l2fuse.ensemble(ARRAY[lr1, lr2, svm], '{2,1,1}', 'hard') FROM ev_members;

-- Each row scored one at a time by predict_proba and predict.
CREATE TEMP TABLE ev_ens_rows AS
SELECT e.voting, r.i, r.y, l2fuse.predict_proba(e.model, r.x) AS p,
	l2fuse.predict(e.model, r.x) AS pred
FROM ev_ens e, ev2 r;

-- The ensembles' probabilities are what their members give: the weighted
-- mean of the members' probabilities (soft), the weighted share of positive
-- member predictions (hard, exact in binary).  predict is p >= 0.5.
SELECT s.voting,
	max(abs(s.p - CASE s.voting
		WHEN 'soft' THEN (3 * l2fuse.predict_proba(lr1, r.x) + l2fuse.predict_proba(lr2, r.x)
						  + 2 * l2fuse.predict_proba(svm_cal, r.x)) / 6
		ELSE (2 * l2fuse.predict(lr1, r.x)::int + l2fuse.predict(lr2, r.x)::int
			  + l2fuse.predict(svm, r.x)::int) / 4.0 END)) <= 1e-15 AS members_agree,
	bool_and(s.pred = (s.p >= 0.5)) AS predict_at_half,
	count(*) FILTER (WHERE s.p = 0.5) AS ties,
	count(*) FILTER (WHERE s.p IN (0, 1)) AS unanimous
FROM ev_ens_rows s JOIN ev2 r USING (i), ev_members
GROUP BY s.voting ORDER BY s.voting;

-- The metrics from those rows with plain SQL: counts of the confusion
-- matrix; log loss with p clipped to [2^-52, 1 - 2^-52]; the Brier score;
-- ROC AUC from the rank sum of the positives (ties at their mean rank);
-- average precision as the sum over distinct scores, highest first, of
-- (positives at that score / all positives) * precision at that score.
CREATE TEMP TABLE ev_ens_expected AS
WITH c AS (
	SELECT voting, count(*) AS n, count(*) FILTER (WHERE y) AS positives,
		count(*) FILTER (WHERE pred AND y) AS tp, count(*) FILTER (WHERE pred AND NOT y) AS fp,
		count(*) FILTER (WHERE NOT pred AND NOT y) AS tn,
		count(*) FILTER (WHERE NOT pred AND y) AS fn,
		avg(-ln(CASE WHEN y THEN least(greatest(p, 2 ^ -52), 1 - 2 ^ -52)
				ELSE 1 - least(greatest(p, 2 ^ -52), 1 - 2 ^ -52) END)) AS log_loss,
		avg((p - y::int) ^ 2) AS brier
	FROM ev_ens_rows GROUP BY voting),
ranked AS (
	SELECT voting, y,
		rank() OVER (PARTITION BY voting ORDER BY p)
			+ (count(*) OVER (PARTITION BY voting, p) - 1) / 2.0 AS r
	FROM ev_ens_rows),
auc AS (
	SELECT voting, sum(r) FILTER (WHERE y) AS rank_sum FROM ranked GROUP BY voting),
thresholds AS (
	SELECT voting, p, count(*) FILTER (WHERE y) AS tp_at, count(*) AS n_at
	FROM ev_ens_rows GROUP BY voting, p),
cum AS (
	SELECT voting, tp_at,
		sum(tp_at) OVER (PARTITION BY voting ORDER BY p DESC) AS tp_cum,
		sum(n_at) OVER (PARTITION BY voting ORDER BY p DESC) AS n_cum
	FROM thresholds),
ap AS (
	SELECT cum.voting, sum(tp_at::float8 / c.positives * tp_cum / n_cum) AS average_precision
	FROM cum JOIN c USING (voting) GROUP BY cum.voting)
SELECT voting, jsonb_build_object(
	'n', n, 'positives', positives, 'skipped', 0, 'scores', 'probability',
	'tp', tp, 'fp', fp, 'tn', tn, 'fn', fn,
	'accuracy', (tp + tn)::float8 / n,
	'precision', tp::float8 / (tp + fp),
	'recall', tp::float8 / (tp + fn),
	'f1', 2 * tp::float8 / (2 * tp + fp + fn),
	'log_loss', log_loss, 'brier', brier,
	'roc_auc', (rank_sum - positives * (positives + 1) / 2.0)::float8 / (positives * (n - positives)),
	'average_precision', average_precision) AS expected
FROM c JOIN auc USING (voting) JOIN ap USING (voting);

-- evaluate over each ensemble equals that, every number within 1e-12 and
-- every other field exactly; the keys nobody computed above are listed.
SELECT voting,
	ARRAY(SELECT k FROM jsonb_each(x.expected) AS t(k, v)
		  WHERE NOT coalesce(CASE jsonb_typeof(v)
				WHEN 'number' THEN abs((v #>> '{}')::float8 - (e ->> k)::float8) <= 1e-12
				ELSE v = e -> k END, false)
		  ORDER BY k) AS mismatched,
	ARRAY(SELECT k FROM jsonb_object_keys(e) AS k WHERE NOT x.expected ? k ORDER BY k)
		AS unchecked
FROM ev_ens_expected x
	JOIN (SELECT voting, l2fuse.evaluate(model, r.x, r.y) AS e FROM ev_ens, ev2 r GROUP BY voting) g
	USING (voting)
ORDER BY voting;
-- The values checked, to 10 digits.
SELECT voting, (expected ->> 'tp')::int AS tp, (expected ->> 'fp')::int AS fp,
	(expected ->> 'tn')::int AS tn, (expected ->> 'fn')::int AS fn,
	round((expected ->> 'accuracy')::numeric, 10) AS accuracy,
	round((expected ->> 'log_loss')::numeric, 10) AS log_loss,
	round((expected ->> 'brier')::numeric, 10) AS brier,
	round((expected ->> 'roc_auc')::numeric, 10) AS roc_auc,
	round((expected ->> 'average_precision')::numeric, 10) AS average_precision
FROM ev_ens_expected ORDER BY voting;

-- Probabilities and decision values do not mix in one aggregate.
SELECT l2fuse.evaluate(m, ARRAY[x], y)
FROM ev1,
	(VALUES (l2fuse.model_from_json('{"kind":"logistic","coefficients":[1]}')),
			(l2fuse.model_from_json('{"kind":"svm","coefficients":[1]}'))) AS t(m);
\echo :LAST_ERROR_SQLSTATE

-- Bad features.
SELECT l2fuse.evaluate(model, ARRAY[1.0, 2.0, 3.0]::float8[], true) FROM m2;
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.evaluate(model, '{}'::float8[], true) FROM m2;
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.evaluate(model, ARRAY[[1.0, 2.0]]::float8[], true) FROM m2;
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.evaluate(model, ARRAY[1.0, NULL]::float8[], true) FROM m2;
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.evaluate(model, ARRAY[1.0, 'NaN']::float8[], true) FROM m2;
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.evaluate(model, ARRAY[1.0, '-Infinity']::real[], true) FROM m2;
\echo :LAST_ERROR_SQLSTATE

-- The score state is bounded by l2fuse.max_train_memory.
SET l2fuse.max_train_memory = '64kB';
SELECT l2fuse.evaluate(model, x, y) FROM ev2, m2, generate_series(1, 10);
\echo :LAST_ERROR_SQLSTATE
RESET l2fuse.max_train_memory;

-- Parallel aggregation gives the same result as a serial scan.
CREATE TABLE ev3 AS SELECT e.* FROM ev2 e, generate_series(1, 20);
ANALYZE ev3;
SELECT model AS m2 FROM m2 \gset
INSERT INTO ev3 SELECT i, x, NULL FROM ev2 WHERE i <= 100;
ANALYZE ev3;
SELECT l2fuse.model_from_json('{"kind":"svm","coefficients":[1,1],"intercept":0.1}') AS svm
\gset
CREATE TEMP TABLE ev3_serial AS
SELECT l2fuse.evaluate(:'m2', x, y) AS e, l2fuse.evaluate(:'svm', x, y) AS e_svm FROM ev3;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT l2fuse.evaluate(:'m2', x, y) FROM ev3;
SELECT (SELECT l2fuse.evaluate(:'m2', x, y) FROM ev3) = e AS parallel_equal,
	(SELECT l2fuse.evaluate(:'svm', x, y) FROM ev3) = e_svm AS parallel_svm_equal,
	e ->> 'n' AS n, e ->> 'skipped' AS skipped, e_svm ->> 'scores' AS svm_scores
FROM ev3_serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

