"""Cross-checks of model scoring against scikit-learn and numpy.

Models trained by scikit-learn are loaded through l2fuse.model_from_json and
scored in the database; the results must match scikit-learn's own to 1e-12
(relative, for decision values) and 1e-13 (absolute, for probabilities).
Also checks that COPY in binary format carries models byte for byte.
"""
import io
import os
import unittest

import numpy as np
import psycopg2
import psycopg2.extras
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

DBNAME = "l2fuse_py_model"


def model_json(kind, coef, intercept, **extra):
    """The minimal model_from_json object for a linear model."""
    obj = {"kind": kind, "coefficients": [float(c) for c in coef],
           "intercept": float(intercept)}
    obj.update(extra)
    return psycopg2.extras.Json(obj)


class ModelScoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        admin = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DBNAME}")
            cur.execute(f"CREATE DATABASE {DBNAME}")
        admin.close()
        cls.conn = psycopg2.connect(dbname=DBNAME)
        cls.conn.autocommit = True
        with cls.conn.cursor() as cur:
            cur.execute("CREATE EXTENSION l2fuse")

        rng = np.random.default_rng(20261203)
        cls.X = rng.normal(size=(300, 5)) * np.array([1, 10, 0.1, 3, 1])
        w = np.array([1.0, -0.2, 5.0, 0.3, -1.0])
        cls.y = (cls.X @ w + rng.normal(size=300) > 0).astype(int)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        admin = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DBNAME}")
        admin.close()

    def score(self, model, fn, feature_type="float8"):
        """fn(model, x) for every row of X, in row order."""
        with self.conn.cursor() as cur:
            rows = []
            for row in self.X:
                cur.execute(f"SELECT l2fuse.{fn}(%s, %s::{feature_type}[])",
                            (model, row.tolist()))
                rows.append(cur.fetchone()[0])
        return np.array(rows)

    def make_model(self, obj):
        with self.conn.cursor() as cur:
            cur.execute("SELECT l2fuse.model_from_json(%s)", (obj,))
            return cur.fetchone()[0]

    def test_logistic_matches_sklearn(self):
        clf = LogisticRegression(C=0.5, tol=1e-10, max_iter=1000).fit(self.X, self.y)
        model = self.make_model(model_json("logistic", clf.coef_[0], clf.intercept_[0]))
        d = self.score(model, "decision_function")
        p = self.score(model, "predict_proba")
        y = self.score(model, "predict")
        np.testing.assert_allclose(d, clf.decision_function(self.X), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(p, clf.predict_proba(self.X)[:, 1], rtol=0, atol=1e-13)
        np.testing.assert_array_equal(y.astype(int), (p >= 0.5).astype(int))
        # sklearn predicts positive when its decision is > 0; equal unless d == 0
        np.testing.assert_array_equal(y.astype(int), clf.predict(self.X))

    def test_svm_decision_matches_sklearn(self):
        svc = LinearSVC(C=0.1, tol=1e-8, max_iter=100000).fit(self.X, self.y)
        model = self.make_model(model_json("svm", svc.coef_[0], svc.intercept_[0]))
        d = self.score(model, "decision_function")
        y = self.score(model, "predict")
        np.testing.assert_allclose(d, svc.decision_function(self.X), rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(y.astype(int), (d >= 0).astype(int))

    def test_soft_vote_matches_numpy(self):
        a = LogisticRegression(C=1.0).fit(self.X, self.y)
        b = LogisticRegression(C=0.01).fit(self.X[:, ::-1], self.y)
        coef_b = b.coef_[0][::-1]
        ma = self.make_model(model_json("logistic", a.coef_[0], a.intercept_[0]))
        mb = self.make_model(model_json("logistic", coef_b, b.intercept_[0]))
        with self.conn.cursor() as cur:
            cur.execute("SELECT l2fuse.ensemble(ARRAY[%s, %s], '{0.7, 0.3}')", (ma, mb))
            ens = cur.fetchone()[0]
        p = self.score(ens, "predict_proba")
        expect = 0.7 * a.predict_proba(self.X)[:, 1] + 0.3 * b.predict_proba(self.X[:, ::-1])[:, 1]
        np.testing.assert_allclose(p, expect, rtol=0, atol=1e-13)
        d = self.score(ens, "decision_function")
        np.testing.assert_allclose(d, np.log(expect / (1 - expect)), rtol=1e-9, atol=1e-9)

    def test_real_features_agree(self):
        clf = LogisticRegression().fit(self.X, self.y)
        model = self.make_model(model_json("logistic", clf.coef_[0], clf.intercept_[0]))
        x32 = self.X.astype(np.float32).astype(np.float64)
        with self.conn.cursor() as cur:
            for row in x32[:50]:
                cur.execute("SELECT l2fuse.predict_proba(%s, %s::real[]), "
                            "l2fuse.predict_proba(%s, %s::float8[])",
                            (model, row.tolist(), model, row.tolist()))
                p4, p8 = cur.fetchone()
                self.assertEqual(p4, p8)

    def test_copy_binary_round_trip(self):
        obj = model_json("svm", [0.1, -2.5, 1e-300, 5e-324, 1.7976931348623157e308], -0.75,
                         calibration={"platt_a": -1.25})
        model = self.make_model(obj)
        with self.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE src AS SELECT %s::bytea AS m "
                        "UNION ALL SELECT l2fuse.ensemble(ARRAY[%s::bytea, %s::bytea])",
                        (model, model, model))
            cur.execute("CREATE TEMP TABLE dst (m bytea)")
            buf = io.BytesIO()
            cur.copy_expert("COPY src TO STDOUT (FORMAT binary)", buf)
            buf.seek(0)
            cur.copy_expert("COPY dst FROM STDIN (FORMAT binary)", buf)
            cur.execute("SELECT count(*), count(*) FILTER (WHERE s.m = d.m) FROM src s "
                        "JOIN dst d ON l2fuse.model_info(s.m) = l2fuse.model_info(d.m)")
            self.assertEqual(cur.fetchone(), (2, 2))
            cur.execute("SELECT l2fuse.model_from_json(l2fuse.model_info(m)) = m FROM dst")
            self.assertTrue(all(r[0] for r in cur.fetchall()))


if __name__ == "__main__":
    unittest.main()
