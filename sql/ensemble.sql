-- Voting ensembles: l2fuse.ensemble and scoring of soft, hard, stacking and
-- nested ensembles.
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

CREATE TEMP TABLE m (name text PRIMARY KEY, model bytea NOT NULL);
INSERT INTO m VALUES
	('lr', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 2, -1], "intercept": 0.5}')),
	('lr_flip', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [-1, -2, 1], "intercept": -0.5}')),
	('lr2', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [0.5, -1, 0.25], "intercept": -0.25}')),
	('svm', l2fuse.model_from_json('{"kind": "svm", "coefficients": [1, 0, 0], "intercept": -1}')),
	('lr_2f', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 1]}'));
CREATE FUNCTION pg_temp.m(text) RETURNS bytea LANGUAGE sql STABLE
	AS 'SELECT model FROM m WHERE name = $1';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TEMP TABLE rows AS
SELECT i, ARRAY[sin(i) * 3, cos(i * 7) * 2, (i % 11) - 5]::float8[] AS x
FROM generate_series(1, 1000) AS i
UNION ALL VALUES (1001, '{1e308,0,0}'::float8[]), (1002, '{-1e308,1e308,0}'), (1003, '{0,0,0.5}');

-- A model and its label-flipped twin at equal weight: exactly 0.5 everywhere,
-- decision exactly 0.
INSERT INTO m SELECT 'twins', l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr_flip')]);
SELECT count(*) AS rows,
	count(*) FILTER (WHERE l2fuse.predict_proba(pg_temp.m('twins'), x) <> 0.5) AS not_half,
	count(*) FILTER (WHERE l2fuse.decision_function(pg_temp.m('twins'), x) <> 0) AS not_zero,
	count(*) FILTER (WHERE NOT l2fuse.predict(pg_temp.m('twins'), x)) AS negative
FROM rows;

-- Weights {3,1}: at x = {1,2,3}, d = 2.5 and -1, so
-- p = (3 * 0.924141819978757 + 0.268941421369995) / 4 = 0.760341720327.
INSERT INTO m SELECT 'w31', l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{3,1}');
SELECT round(l2fuse.predict_proba(pg_temp.m('w31'), '{1,2,3}'::float8[])::numeric, 12) AS p,
	round(l2fuse.decision_function(pg_temp.m('w31'), '{1,2,3}'::float8[])::numeric, 12) AS d,
	l2fuse.predict(pg_temp.m('w31'), '{1,2,3}'::float8[]) AS y;
-- Over all rows: the weighted mean of the members' probabilities, and the
-- decision is its logit.
SELECT count(*) FILTER (WHERE abs(l2fuse.predict_proba(pg_temp.m('w31'), x)
		- (3 * l2fuse.predict_proba(pg_temp.m('lr'), x)
			+ l2fuse.predict_proba(pg_temp.m('lr2'), x)) / 4) > 1e-15) AS proba_off,
	count(*) FILTER (WHERE i <= 1000 AND abs(l2fuse.decision_function(pg_temp.m('w31'), x)
		- ln(l2fuse.predict_proba(pg_temp.m('w31'), x)
			/ (1 - l2fuse.predict_proba(pg_temp.m('w31'), x)))) > 1e-9) AS logit_off,
	count(*) FILTER (WHERE l2fuse.predict(pg_temp.m('w31'), x)
		<> (l2fuse.predict_proba(pg_temp.m('w31'), x) >= 0.5)) AS predict_inconsistent
FROM rows;
-- A soft decision stays finite when a probability reaches 1: log(1) - log(4.9e-324).
SELECT round(l2fuse.decision_function(l2fuse.ensemble(ARRAY[pg_temp.m('lr')]),
		'{1e308,0,0}'::float8[])::numeric, 6) AS d_max,
	round(l2fuse.decision_function(l2fuse.ensemble(ARRAY[pg_temp.m('lr')]),
		'{-1e308,0,0}'::float8[])::numeric, 6) AS d_min,
	l2fuse.predict_proba(l2fuse.ensemble(ARRAY[pg_temp.m('lr')]), '{1e308,0,0}'::float8[]) AS p_max;

-- Hard voting: a tie is positive; the decision is the vote margin.
INSERT INTO m SELECT 'hard_tie', l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr_flip')],
	voting => 'hard');
SELECT l2fuse.predict_proba(pg_temp.m('hard_tie'), '{1,2,3}'::float8[]) AS p,
	l2fuse.decision_function(pg_temp.m('hard_tie'), '{1,2,3}'::float8[]) AS d,
	l2fuse.predict(pg_temp.m('hard_tie'), '{1,2,3}'::float8[]) AS y,
	-- at decision 0 both members predict positive
	l2fuse.predict_proba(pg_temp.m('hard_tie'), '{0,0,0.5}'::float8[]) AS p_both;
-- Weights {1,2,1}, x = {1,2,3}: lr votes yes, lr2 and lr_flip no: p = 0.25, d = -0.5.
INSERT INTO m SELECT 'hard3', l2fuse.ensemble(
	ARRAY[pg_temp.m('lr'), pg_temp.m('lr2'), pg_temp.m('lr_flip')], '{1,2,1}', 'hard');
SELECT l2fuse.predict_proba(pg_temp.m('hard3'), '{1,2,3}'::float8[]) AS p,
	l2fuse.decision_function(pg_temp.m('hard3'), '{1,2,3}'::float8[]) AS d,
	l2fuse.predict(pg_temp.m('hard3'), '{1,2,3}'::float8[]) AS y;
-- An uncalibrated SVM votes in a hard ensemble by decision >= 0.
INSERT INTO m SELECT 'hard_svm', l2fuse.ensemble(ARRAY[pg_temp.m('svm'), pg_temp.m('lr_flip')],
	'{2,1}', 'hard');
SELECT l2fuse.predict_proba(pg_temp.m('hard_svm'), '{2,2,3}'::float8[]) AS p_svm_yes,
	l2fuse.predict_proba(pg_temp.m('hard_svm'), '{0,2,3}'::float8[]) AS p_none;

-- A hard vote has a probability (its vote share), so it may join a soft vote
-- even with an uncalibrated SVM inside: (2/3 + p_lr) / 2 at x = {2,2,3}, d_lr = 3.5.
SELECT round(l2fuse.predict_proba(l2fuse.ensemble(ARRAY[pg_temp.m('hard_svm'), pg_temp.m('lr')]),
	'{2,2,3}'::float8[])::numeric, 12) AS p;

-- Nested: a soft vote over the twins (0.5) and lr gives (0.5 + p_lr) / 2.
INSERT INTO m SELECT 'nested', l2fuse.ensemble(ARRAY[pg_temp.m('twins'), pg_temp.m('lr')]);
SELECT round(l2fuse.predict_proba(pg_temp.m('nested'), '{1,2,3}'::float8[])::numeric, 12) AS p,
	count(*) FILTER (WHERE abs(l2fuse.predict_proba(pg_temp.m('nested'), x)
		- (0.5 + l2fuse.predict_proba(pg_temp.m('lr'), x)) / 2) > 1e-15) AS off
FROM rows;
-- A hard vote nested in a soft vote contributes its vote share.
SELECT l2fuse.predict_proba(l2fuse.ensemble(ARRAY[pg_temp.m('hard3'), pg_temp.m('twins')]),
	'{1,2,3}'::float8[]) AS p;
SELECT jsonb_path_query(l2fuse.model_info(pg_temp.m('nested')), '$.members[*].kind') AS kinds;
-- Ensembles nest 8 levels deep, not 9.
DO $$
DECLARE
	e bytea := l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1]}');
BEGIN
	FOR level IN 1..9 LOOP
		BEGIN
			e := l2fuse.ensemble(ARRAY[e]);
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE 'level %: % %', level, SQLSTATE, SQLERRM;
			EXIT;
		END;
		RAISE NOTICE 'level %: p = %', level, l2fuse.predict_proba(e, '{0}'::float8[]);
	END LOOP;
END $$;

-- Stacking (built from JSON): p = sigmoid(0.25 + 1.5 * d1 - 0.5 * d2).
-- At x = {2,3}: d1 = 2, d2 = 2, z = 2.25, p = 0.904650535100891.
INSERT INTO m VALUES ('stack', l2fuse.model_from_json('{"kind": "ensemble", "voting": "stacking",
	"members": [{"kind": "logistic", "coefficients": [1, 0]},
		{"kind": "svm", "coefficients": [0, 1], "intercept": -1}],
	"meta": {"intercept": 0.25, "coefficients": [1.5, -0.5]}}'));
SELECT l2fuse.predict_proba(pg_temp.m('stack'), '{2,3}'::float8[]) AS p,
	l2fuse.decision_function(pg_temp.m('stack'), '{2,3}'::float8[]) AS d,
	l2fuse.predict(pg_temp.m('stack'), '{2,3}'::float8[]) AS y;
-- z = 0.25 + 1.5e308 + 0.5e308 overflows: p = 1 and the decision is clamped finite.
SELECT l2fuse.predict_proba(pg_temp.m('stack'), '{1e308,-1e308}'::float8[]) AS p,
	l2fuse.decision_function(pg_temp.m('stack'), '{1e308,-1e308}'::float8[]) AS d,
	l2fuse.predict_proba(pg_temp.m('stack'), '{-1e308,1e308}'::float8[]) AS p_min,
	l2fuse.decision_function(pg_temp.m('stack'), '{-1e308,1e308}'::float8[]) AS d_min;

-- Validation.
SELECT pg_temp.err($$SELECT l2fuse.ensemble(NULL)$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble('{}'::bytea[])$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), NULL])$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr_2f')])$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{1}')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{1,NULL}')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{1,-1}')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{1,NaN}')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{1,Infinity}')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{0,0}')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{1e308,1e308}')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr')], NULL, 'majority')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr')], NULL, NULL)$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr')], NULL, 'stacking')$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('svm')])$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[ARRAY[pg_temp.m('lr')], ARRAY[pg_temp.m('lr')]])$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), '\x00'::bytea])$$);
SELECT pg_temp.err($$SELECT l2fuse.ensemble(array_agg(pg_temp.m('lr'))) FROM generate_series(1, 1025)$$);
SELECT pg_temp.err($$SELECT l2fuse.predict(pg_temp.m('twins'), '{1,2}'::float8[])$$);
-- The full messages with their hints.
SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('svm')]);
SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr')], NULL, 'majority');
SELECT l2fuse.ensemble(ARRAY[pg_temp.m('lr'), pg_temp.m('lr2')], '{1}');
