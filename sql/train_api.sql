-- Training aggregates: signatures, options, row handling, GROUP BY, windows.
SET extra_float_digits = 0;

CREATE TABLE tr AS
SELECT i,
       ARRAY[sin(i), cos(0.7 * i), (i % 5)::float8] AS f,
       sin(i) + 0.5 * cos(0.7 * i) + 0.3 * ((i % 7) - 3) > 0 AS l,
       ((i % 3) + 1)::float8 AS w,
       i % 2 AS g
FROM generate_series(1, 200) i;

-- max |difference| of coefficients and intercept, relative to the larger model
CREATE FUNCTION pg_temp.mdiff(a bytea, b bytea) RETURNS float8 AS $$
  SELECT max(abs(x - y)) / greatest(1e-300, max(greatest(abs(x), abs(y))))
  FROM unnest(l2fuse.coefficients(a) || l2fuse.intercept(a),
              l2fuse.coefficients(b) || l2fuse.intercept(b)) t(x, y)
$$ LANGUAGE sql;

-- Every signature trains, and returns bytea.
SELECT pg_typeof(l2fuse.logistic_regression(f, l)) FROM tr;
SELECT round(x::numeric, 6) AS coef
FROM unnest(l2fuse.coefficients((SELECT l2fuse.logistic_regression(f, l) FROM tr))) x;
SELECT round(l2fuse.intercept(l2fuse.logistic_regression(f, l))::numeric, 6) FROM tr;
SELECT m->>'kind' AS kind, m->'options'->>'loss' AS loss, (m->'options'->>'lambda')::float8 AS lambda,
       m->'training'->>'rows_used' AS used, m->'training'->>'rows_skipped' AS skipped, m->'training'->>'positives' AS positives,
       m->'training'->>'converged' AS converged, m->'calibration'->>'calibrated' AS calibrated
FROM (SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l)) m FROM tr) s;
SELECT m->>'kind' AS kind, m->'options'->>'loss' AS loss, (m->'options'->>'lambda')::float8 AS lambda,
       m->'training'->>'converged' AS converged, m->'calibration'->>'calibrated' AS calibrated,
       (m->'calibration'->>'platt_a')::float8 < 0 AS slope_negative, (m->'calibration'->>'platt_b')::float8 AS platt_b,
       m->'calibration'->>'folds' AS folds
FROM (SELECT l2fuse.model_info(l2fuse.linear_svm(f, l, '{"lambda": 0.1}')) m FROM tr) s;
SELECT m->'options'->>'loss' AS loss, m->'training'->>'converged' AS converged, m->'calibration'->>'calibrated' AS calibrated
FROM (SELECT l2fuse.model_info(l2fuse.linear_svm(f, l,
        '{"loss": "squared_hinge", "calibration": false}')) m FROM tr) s;

-- real[] trains the same model as float8[] on the same values.
SELECT pg_temp.mdiff(
  (SELECT l2fuse.logistic_regression(f::real[]::float8[], l) FROM tr),
  (SELECT l2fuse.logistic_regression(f::real[], l) FROM tr)) < 1e-12 AS real_matches;
SELECT pg_temp.mdiff(
  (SELECT l2fuse.linear_svm(f::real[]::float8[], l, w, '{"calibration": false}') FROM tr),
  (SELECT l2fuse.linear_svm(f::real[], l, w, '{"calibration": false}') FROM tr)) < 1e-9
  AS real_matches_svm;

-- Options reach the solver: a larger lambda shrinks the coefficients.
SELECT (SELECT sqrt(sum(x * x)) FROM unnest(l2fuse.coefficients(a)) x) >
       (SELECT sqrt(sum(x * x)) FROM unnest(l2fuse.coefficients(b)) x) AS shrinks
FROM (SELECT l2fuse.logistic_regression(f, l, '{"lambda": 0.01}') a,
             l2fuse.logistic_regression(f, l, '{"lambda": 100}') b FROM tr) s;
-- fit_intercept false gives intercept 0.
SELECT l2fuse.intercept(l2fuse.logistic_regression(f, l, '{"fit_intercept": false}')) FROM tr;
SELECT l2fuse.intercept(l2fuse.linear_svm(f, l, '{"fit_intercept": false}')) FROM tr;
-- NULL options are the defaults.
SELECT pg_temp.mdiff(
  (SELECT l2fuse.logistic_regression(f, l, NULL) FROM tr),
  (SELECT l2fuse.logistic_regression(f, l) FROM tr)) = 0 AS null_options_default;
-- standardize and class weights are recorded.
SELECT m->'options'->>'standardized' AS standardized, m->'options'->>'class_weight_pos' AS cw_pos,
       m->'options'->>'class_weight_neg' AS cw_neg
FROM (SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l,
        '{"standardize": true, "class_weight": {"true": 2, "false": 0.5}}')) m FROM tr) s;
SELECT round((m->'options'->>'class_weight_pos')::numeric, 6) AS cw_pos,
       round((m->'options'->>'class_weight_neg')::numeric, 6) AS cw_neg
FROM (SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l, '{"class_weight": "balanced"}')) m
      FROM tr) s;
-- balanced weights: n / (2 n_class)
SELECT round(count(*) / (2.0 * count(*) FILTER (WHERE l)), 6) AS cw_pos,
       round(count(*) / (2.0 * count(*) FILTER (WHERE NOT l)), 6) AS cw_neg FROM tr;

-- Rows with a NULL features, label or weight are skipped and counted.
SELECT m->'training'->>'rows_used' AS used, m->'training'->>'rows_skipped' AS skipped
FROM (SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l, w, NULL)) m FROM (
  SELECT f, l, w FROM tr
  UNION ALL SELECT NULL, true, 1
  UNION ALL SELECT ARRAY[1, 2, 3]::float8[], NULL, 1
  UNION ALL SELECT ARRAY[1, 2, 3]::float8[], true, NULL) s) s2;
SELECT pg_temp.mdiff(
  (SELECT l2fuse.logistic_regression(f, l) FROM tr),
  (SELECT l2fuse.logistic_regression(f, l) FROM
    (SELECT f, l FROM tr UNION ALL SELECT NULL, true UNION ALL SELECT f, NULL FROM tr) s))
  < 1e-12 AS skipped_rows_ignored;

-- Zero rows, or only skipped rows: NULL.
SELECT l2fuse.logistic_regression(f, l) IS NULL AS null_model FROM tr WHERE false;
SELECT l2fuse.linear_svm(f, l) IS NULL AS null_model FROM tr WHERE false;
SELECT l2fuse.logistic_regression(NULL::float8[], l) IS NULL AS null_model FROM tr;

-- Weight 0 is the same as leaving the row out.
SELECT pg_temp.mdiff(
  (SELECT l2fuse.logistic_regression(f, l, CASE WHEN i % 4 = 0 THEN 0 ELSE 1 END, NULL) FROM tr),
  (SELECT l2fuse.logistic_regression(f, l) FROM tr WHERE i % 4 <> 0)) < 1e-10 AS zero_weight;
SELECT pg_temp.mdiff(
  (SELECT l2fuse.linear_svm(f, l, CASE WHEN i % 4 = 0 THEN 0 ELSE 1 END, '{"calibration": false}')
   FROM tr),
  (SELECT l2fuse.linear_svm(f, l, '{"calibration": false}') FROM tr WHERE i % 4 <> 0)) < 1e-8
  AS zero_weight_svm;

-- Integer weight k is the same as k copies of the row.
SELECT pg_temp.mdiff(
  (SELECT l2fuse.logistic_regression(f, l, w, NULL) FROM tr),
  (SELECT l2fuse.logistic_regression(f, l) FROM tr, generate_series(1, w::int))) < 1e-10
  AS weight_copies;
SELECT pg_temp.mdiff(
  (SELECT l2fuse.linear_svm(f, l, w, '{"loss": "squared_hinge", "calibration": false}') FROM tr),
  (SELECT l2fuse.linear_svm(f, l, '{"loss": "squared_hinge", "calibration": false}')
   FROM tr, generate_series(1, w::int))) < 1e-10 AS weight_copies_svm;
SELECT pg_temp.mdiff(
  (SELECT l2fuse.linear_svm(f, l, w, '{"calibration": false}') FROM tr),
  (SELECT l2fuse.linear_svm(f, l, '{"calibration": false}')
   FROM tr, generate_series(1, w::int))) < 1e-6 AS weight_copies_hinge;
-- balanced class weights use weighted counts, so copies still match.
SELECT pg_temp.mdiff(
  (SELECT l2fuse.logistic_regression(f, l, w, '{"class_weight": "balanced"}') FROM tr),
  (SELECT l2fuse.logistic_regression(f, l, 1, '{"class_weight": "balanced"}')
   FROM tr, generate_series(1, w::int))) < 1e-10 AS balanced_copies;

-- Row order does not matter.
SELECT pg_temp.mdiff(
  (SELECT l2fuse.logistic_regression(f, l ORDER BY i) FROM tr),
  (SELECT l2fuse.logistic_regression(f, l ORDER BY i DESC) FROM tr)) < 1e-10 AS order_free;
SELECT pg_temp.mdiff(
  (SELECT l2fuse.linear_svm(f, l ORDER BY i) FROM tr),
  (SELECT l2fuse.linear_svm(f, l ORDER BY i DESC) FROM tr)) < 1e-8 AS order_free_svm;
SELECT abs((SELECT (l2fuse.model_info(l2fuse.linear_svm(f, l ORDER BY i))->'calibration'->>'platt_a')::float8
            FROM tr) -
           (SELECT (l2fuse.model_info(l2fuse.linear_svm(f, l ORDER BY i DESC))->'calibration'->>'platt_a')::float8
            FROM tr)) < 1e-8 AS calibration_order_free;

-- GROUP BY: one model per group, equal to training on the group alone.
SELECT g, pg_temp.mdiff(m, (SELECT l2fuse.logistic_regression(f, l) FROM tr WHERE tr.g = s.g))
  < 1e-12 AS matches
FROM (SELECT g, l2fuse.logistic_regression(f, l) m FROM tr GROUP BY g) s ORDER BY g;
SELECT g, l2fuse.model_info(m)->'training'->>'rows_used' AS used
FROM (SELECT g, l2fuse.linear_svm(f, l, '{"lambda": 0.5}') m FROM tr GROUP BY g) s ORDER BY g;

-- Window aggregates: per-partition and running (peer groups hold both classes).
SELECT DISTINCT g, pg_temp.mdiff(m, (SELECT l2fuse.logistic_regression(f, l) FROM tr WHERE tr.g = s.g))
  < 1e-12 AS matches
FROM (SELECT g, l2fuse.logistic_regression(f, l) OVER (PARTITION BY g) m FROM tr) s ORDER BY g;
SELECT i / 50 AS part, pg_temp.mdiff(m,
  (SELECT l2fuse.logistic_regression(f, l) FROM tr t2 WHERE t2.i / 50 <= s.i / 50)) < 1e-12
  AS running_matches
FROM (SELECT i, l2fuse.logistic_regression(f, l) OVER (ORDER BY i / 50) m FROM tr) s
WHERE i % 50 = 1 ORDER BY i;

-- The model scores: the logistic probability is the sigmoid of the decision value.
SELECT bool_and(abs(l2fuse.predict_proba(m, f) - 1 / (1 + exp(-l2fuse.decision_function(m, f))))
                < 1e-12) AS proba_is_sigmoid
FROM tr, (SELECT l2fuse.logistic_regression(f, l) m FROM tr) s;
-- SVM probabilities pass 1/2 at decision 0: same side as the decision.
SELECT bool_and((l2fuse.predict_proba(m, f) >= 0.5) = (l2fuse.decision_function(m, f) >= 0))
  AS proba_agrees
FROM tr, (SELECT l2fuse.linear_svm(f, l) m FROM tr) s;
