-- The bytea model format: header layout and rejection of corrupted values.
-- Every corrupted value must fail with SQLSTATE XX001 (data_corrupted) and a
-- message saying what is wrong, and the server must stay up.
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

CREATE TEMP TABLE m (name text PRIMARY KEY, model bytea NOT NULL);
INSERT INTO m VALUES
	('lr', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 2, -1], "intercept": 0.5}')),
	('svm_cal', l2fuse.model_from_json('{"kind": "svm", "coefficients": [0.5, -0.25, 2], "intercept": 1,
		"options": {"standardized": true, "means": [1, 2, 3], "scales": [1, 1, 4]},
		"calibration": {"platt_a": -2, "platt_b": 0, "folds": 5}}'));
INSERT INTO m SELECT 'soft', l2fuse.ensemble(ARRAY[a.model, b.model], '{3,1}')
	FROM m a, m b WHERE a.name = 'lr' AND b.name = 'svm_cal';
INSERT INTO m VALUES ('stack', l2fuse.model_from_json('{"kind": "ensemble", "voting": "stacking",
	"members": [{"kind": "logistic", "coefficients": [1, 0]},
		{"kind": "ensemble", "voting": "hard", "members": [{"kind": "svm", "coefficients": [0, 1]}]}],
	"meta": {"intercept": 0.25, "coefficients": [1.5, -0.5]},
	"fit": {"method": "stacking", "holdout_rows": 300, "member_scores": [0.61, 0.72]}}'));
CREATE FUNCTION pg_temp.m(text) RETURNS bytea LANGUAGE sql STABLE
	AS 'SELECT model FROM m WHERE name = $1';

-- Every corrupted value tried, with the outcome of decoding it.
CREATE TEMP TABLE tried (label text, state text, message text);
CREATE FUNCTION pg_temp.try(label text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM l2fuse.model_info(b);
	INSERT INTO tried VALUES (label, 'ok', NULL);
	RETURN 'decoded';
EXCEPTION WHEN OTHERS THEN
	INSERT INTO tried VALUES (label, SQLSTATE, SQLERRM);
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- zlib's CRC-32 (reflected polynomial 0xEDB88320), to forge valid checksums.
CREATE FUNCTION pg_temp.crc32(b bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	c bigint := 4294967295;
BEGIN
	FOR i IN 0 .. length(b) - 1 LOOP
		c := c # get_byte(b, i);
		FOR k IN 1 .. 8 LOOP
			IF (c & 1) = 1 THEN
				c := (c >> 1) # 3988292384;
			ELSE
				c := c >> 1;
			END IF;
		END LOOP;
	END LOOP;
	RETURN c # 4294967295;
END $$;
-- v as 4 little-endian bytes.
CREATE FUNCTION pg_temp.le32(v bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT decode(string_agg(lpad(to_hex((v >> (8 * k)) & 255), 2, '0'), '' ORDER BY k), 'hex')
	FROM generate_series(0, 3) AS k $$;
-- b with hex bytes written at 0-based offset off.
CREATE FUNCTION pg_temp.put(b bytea, off int, hex text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT overlay(b PLACING decode(hex, 'hex') FROM off + 1) $$;
-- b with the top-level payload length and checksum made consistent again.
CREATE FUNCTION pg_temp.fix(b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT overlay(overlay(b PLACING pg_temp.le32(length(b) - 20) FROM 13)
		PLACING pg_temp.le32(pg_temp.crc32(substr(b, 21))) FROM 17) $$;

-- The header: tag L2FM, version 1, kind 1, flags 0, 3 features, payload
-- length 138, checksum.
SELECT encode(substr(pg_temp.m('lr'), 1, 20), 'hex') AS header, length(pg_temp.m('lr')) AS bytes;
-- The forged checksum agrees with the encoder's.
SELECT name, pg_temp.fix(model) = model AS same FROM m ORDER BY name;

-- Empty value, one extra byte.
SELECT pg_temp.try('empty', '\x'::bytea);
SELECT pg_temp.try('extra byte', pg_temp.m('lr') || '\x00'::bytea);
SELECT pg_temp.try('extra byte, ensemble', pg_temp.m('soft') || '\x00'::bytea);

-- Truncated at every length, for each model.
SELECT name, count(*) AS lengths,
	count(*) FILTER (WHERE pg_temp.try('truncated ' || name, substr(model, 1, n)) LIKE 'XX001:%') AS xx001
FROM m, generate_series(0, length(model) - 1) AS n GROUP BY name ORDER BY name;

-- Header fields out of range.
SELECT pg_temp.try('tag', pg_temp.put(pg_temp.m('lr'), 0, '4c32464e'));
SELECT pg_temp.try('version 0', pg_temp.put(pg_temp.m('lr'), 4, '0000'));
SELECT pg_temp.try('version 2', pg_temp.put(pg_temp.m('lr'), 4, '0200'));
SELECT pg_temp.try('kind 0', pg_temp.put(pg_temp.m('lr'), 6, '00'));
SELECT pg_temp.try('kind 4', pg_temp.put(pg_temp.m('lr'), 6, '04'));
SELECT pg_temp.try('kind ensemble', pg_temp.put(pg_temp.m('lr'), 6, '03'));
SELECT pg_temp.try('flags', pg_temp.put(pg_temp.m('lr'), 7, '01'));
SELECT pg_temp.try('0 features', pg_temp.put(pg_temp.m('lr'), 8, '00000000'));
SELECT pg_temp.try('-1 features', pg_temp.put(pg_temp.m('lr'), 8, 'ffffffff'));
SELECT pg_temp.try('4 features', pg_temp.put(pg_temp.m('lr'), 8, '04000000'));
SELECT pg_temp.try('payload length +1', pg_temp.put(pg_temp.m('lr'), 12, '8b000000'));
SELECT pg_temp.try('payload length -1', pg_temp.put(pg_temp.m('lr'), 12, '89000000'));
SELECT pg_temp.try('payload length 2^32-1', pg_temp.put(pg_temp.m('lr'), 12, 'ffffffff'));
SELECT pg_temp.try('checksum', pg_temp.put(pg_temp.m('lr'), 16, '00000000'));
-- Headers alone claiming huge feature counts fail at once, allocating nothing.
SELECT pg_temp.try('2^31-1 features, no payload', '\x4c32464d01000100ffffff7f0000000000000000'::bytea);
SELECT pg_temp.try('2^31 features, no payload', '\x4c32464d01000100000000800000000000000000'::bytea);
SELECT pg_temp.try('1e8 features, no payload', pg_temp.fix('\x4c32464d0100010000e1f5050000000000000000'::bytea));
SELECT pg_temp.try('1e8 features, huge length', '\x4c32464d0100010000e1f505ffffff7f00000000'::bytea);
-- The full message of a newer format version, with its hint.
SELECT l2fuse.model_info(pg_temp.put(pg_temp.m('lr'), 4, '0200'));

-- Payload fields out of range, behind a valid checksum.
SELECT pg_temp.try('NaN intercept', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 20, '000000000000f87f')));
SELECT pg_temp.try('inf coefficient', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 36, '000000000000f07f')));
SELECT pg_temp.try('negative lambda', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 52, '000000000000f0bf')));
SELECT pg_temp.try('loss 9', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 60, '09')));
SELECT pg_temp.try('hinge loss on logistic', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 60, '02')));
SELECT pg_temp.try('fit_intercept 2', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 61, '02')));
SELECT pg_temp.try('standardized without arrays', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 62, '01')));
SELECT pg_temp.try('class weight mode 7', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 63, '07')));
SELECT pg_temp.try('zero class weight', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 64, '0000000000000000')));
SELECT pg_temp.try('negative max_iter', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 88, 'ffffffff')));
SELECT pg_temp.try('negative rows', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 92, 'ffffffffffffffff')));
SELECT pg_temp.try('positives > rows', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 108, '0100000000000000')));
SELECT pg_temp.try('converged 2', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 136, '02')));
SELECT pg_temp.try('calibrated logistic', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 137, '01')));
SELECT pg_temp.try('inf platt_b', pg_temp.fix(pg_temp.put(pg_temp.m('lr'), 146, '000000000000f0ff')));
SELECT pg_temp.try('payload byte extra', pg_temp.fix(pg_temp.m('lr') || '\x00'::bytea));
SELECT pg_temp.try('payload byte short', pg_temp.fix(substr(pg_temp.m('lr'), 1, 157)));
-- A standardized model, svm_cal with 3 features: intercept at 20,
-- coefficients at 28, lambda at 52, the four option bytes at 60, means at
-- 64, scales at 88 and class_weight_pos at 112.  Its scales are 1, 1, 4.
SELECT encode(substr(pg_temp.m('svm_cal'), 89, 24), 'hex') AS scales;
SELECT pg_temp.try('zero scale', pg_temp.fix(pg_temp.put(pg_temp.m('svm_cal'), 88, '0000000000000000')));
SELECT pg_temp.try('negative third scale', pg_temp.fix(pg_temp.put(pg_temp.m('svm_cal'), 104, '000000000000f0bf')));
SELECT pg_temp.try('NaN second mean', pg_temp.fix(pg_temp.put(pg_temp.m('svm_cal'), 72, '000000000000f87f')));
-- The class weights follow the standardization arrays.
SELECT pg_temp.try('zero class weight after scales', pg_temp.fix(pg_temp.put(pg_temp.m('svm_cal'), 112, '0000000000000000')));

-- Ensemble fields, behind a valid top-level checksum.
SELECT pg_temp.try('0 members', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 20, '00000000')));
SELECT pg_temp.try('1025 members', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 20, '01040000')));
SELECT pg_temp.try('3 members', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 20, '03000000')));
SELECT pg_temp.try('1000 members, no payload', pg_temp.fix('\x4c32464d01000300030000000000000000000000'::bytea || '\xe803000001000000'::bytea));
SELECT pg_temp.try('voting 9', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 24, '09')));
SELECT pg_temp.try('soft as stacking', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 24, '03')));
SELECT pg_temp.try('fit method 9', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 25, '09')));
SELECT pg_temp.try('reserved', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 26, '0100')));
SELECT pg_temp.try('negative weight', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 28, '000000000000f0bf')));
SELECT pg_temp.try('zero weights', pg_temp.fix(pg_temp.put(pg_temp.put(pg_temp.m('soft'), 28,
	'0000000000000000'), 36, '0000000000000000')));
SELECT pg_temp.try('member checksum', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 44 + 16, '00000000')));
SELECT pg_temp.try('member feature count', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 44 + 8, '02000000')));
SELECT pg_temp.try('member tag', pg_temp.fix(pg_temp.put(pg_temp.m('soft'), 44, '00')));

-- One flipped bit in every payload byte: the checksum catches each.
SELECT name, count(*) AS flips,
	count(*) FILTER (WHERE pg_temp.try('flip ' || name,
		set_byte(model, n, get_byte(model, n) # 1)) LIKE 'XX001: invalid l2fuse model: model checksum mismatch%') AS caught
FROM m, generate_series(20, length(model) - 1) AS n GROUP BY name ORDER BY name;

-- 1 kB of pseudo-random bytes, raw, behind a valid tag, and behind a valid
-- header and checksum.
CREATE TEMP TABLE noise AS
SELECT decode(string_agg(md5('l2fuse' || i), '' ORDER BY i), 'hex') AS b
FROM generate_series(1, 64) AS i;
SELECT length(b) AS bytes, pg_temp.try('random', b) FROM noise;
SELECT pg_temp.try('random after tag', pg_temp.put(b, 0, '4c32464d0100')) FROM noise;
SELECT pg_temp.try('random after header', pg_temp.fix(pg_temp.put(b, 0, '4c32464d01000100030000000000000000000000'))) FROM noise;
SELECT pg_temp.try('random ensemble', pg_temp.fix(pg_temp.put(b, 0, '4c32464d01000300030000000000000000000000'))) FROM noise;
SELECT count(*) AS tries, count(*) FILTER (WHERE pg_temp.try('random ' || i,
		pg_temp.fix(pg_temp.put(substr(b, 1 + i, 200), 0, '4c32464d010001000' || (i % 3 + 1) || '000000')))
		LIKE 'XX001:%') AS xx001
FROM noise, generate_series(0, 199) AS i;

-- Every corrupted value failed with XX001, and the server is still up.
SELECT state, count(*) FROM tried GROUP BY state ORDER BY state;
SELECT l2fuse.predict(pg_temp.m('soft'), '{1,2,3}'::float8[]) AS still_scoring;
