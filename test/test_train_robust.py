"""Robustness of the training aggregates on awkward data, and the SVM
probability calibration checked against a re-implementation here."""
import io
import time
import unittest
import zlib

import numpy as np
import psycopg2
import psycopg2.errors
from scipy.optimize import linprog, minimize_scalar
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import train_reference as ref


def base_data(n=300, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.5, -1.0, 0.5]) + rng.normal(size=n) > 0
    return X, y


class TrainRobust(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.conn = ref.connect()

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()

    def fit(self, X, y, kind="logistic_regression", **opts):
        ref.load_table(self.conn, "rb_data", X, y)
        if kind == "linear_svm":
            opts.setdefault("calibration", False)
        return ref.train(self.conn, "rb_data", kind, opts)

    def test_separable_data_gives_finite_weights(self):
        X, _ = base_data()
        y = X[:, 0] > 0
        for kind, loss in (("logistic_regression", None), ("linear_svm", "hinge"),
                           ("linear_svm", "squared_hinge")):
            with self.subTest(kind=kind, loss=loss):
                opts = {"lambda": 1e-3}
                if loss:
                    opts["loss"] = loss
                coef, icpt, info = self.fit(X, y, kind, **opts)
                self.assertTrue(info["converged"])
                self.assertTrue(np.all(np.isfinite(coef)) and np.isfinite(icpt))
                self.assertGreater(coef[0], 0)
                if loss is None:
                    rw, rb = ref.reference("logistic", X, y, np.ones(len(y)), 1e-3, True)
                    self.assertLessEqual(ref.rel_diff(coef, icpt, rw, rb), 1e-4)

    def test_constant_zero_and_duplicate_columns(self):
        X, y = base_data()
        Xc = np.c_[X, np.full(len(y), 7.0), np.zeros(len(y)), X[:, 0]]
        for kind, loss in (("logistic_regression", "logistic"), ("linear_svm", "hinge"),
                           ("linear_svm", "squared_hinge")):
            for standardize in (False, True):
                with self.subTest(loss=loss, standardize=standardize):
                    opts = {"standardize": standardize}
                    if kind == "linear_svm":
                        opts["loss"] = loss
                    coef, icpt, info = self.fit(Xc, y, kind, **opts)
                    self.assertTrue(info["converged"])
                    self.assertEqual(coef[3], 0.0)
                    self.assertEqual(coef[4], 0.0)
                    # the duplicate shares the weight equally
                    self.assertAlmostEqual(coef[0], coef[5], delta=1e-6 * abs(coef[0]))

    def test_shift_changes_only_the_intercept(self):
        X, y = base_data()
        Xs = X.copy()
        Xs[:, 1] += 1000.0
        for kind, loss in (("logistic_regression", None), ("linear_svm", "hinge"),
                           ("linear_svm", "squared_hinge")):
            with self.subTest(kind=kind, loss=loss):
                opts = {"loss": loss} if loss else {}
                c0, b0, _ = self.fit(X, y, kind, **opts)
                c1, b1, _ = self.fit(Xs, y, kind, **opts)
                self.assertLessEqual(np.abs(c1 - c0).max(), 1e-7 * np.abs(c0).max())
                self.assertAlmostEqual(b1, b0 - 1000.0 * c0[1], delta=1e-5 * max(1, abs(b0)))

    def test_huge_features(self):
        # x * 1e100: the penalty becomes negligible, so the model is the
        # unpenalized one on x, scaled by 1e-100
        X, y = base_data()
        coef, icpt, info = self.fit(X * 1e100, y)
        self.assertTrue(info["converged"])
        m = LogisticRegression(penalty=None, tol=1e-12, max_iter=10000,
                               solver="newton-cholesky").fit(X, y)
        self.assertLessEqual(ref.rel_diff(coef * 1e100, icpt, m.coef_[0], m.intercept_[0]), 1e-4)
        coef, icpt, info = self.fit(X * 1e100, y, "linear_svm", loss="squared_hinge")
        self.assertTrue(info["converged"])
        rw, rb = ref.reference("squared_hinge", X, y, np.ones(len(y)), 1e-200, True)
        self.assertLessEqual(ref.rel_diff(coef * 1e100, icpt, rw, rb), 1e-4)

        # hinge: the unpenalized limit is a linear program; the solver finds
        # its optimum, though its duality-gap certificate cannot show it
        # (converged is false and a warning says so)
        coef, icpt, info = self.fit(X * 1e100, y, "linear_svm", loss="hinge")
        n, d = X.shape
        yy = np.where(y, 1.0, -1.0)
        lp = linprog(np.r_[np.zeros(d + 1), np.ones(n)],
                     A_ub=np.c_[-(yy[:, None] * X), -yy[:, None], -np.eye(n)],
                     b_ub=-np.ones(n), bounds=[(None, None)] * (d + 1) + [(0, None)] * n,
                     method="highs")
        ours = np.maximum(0, 1 - yy * (X @ (coef * 1e100) + icpt)).sum()
        self.assertLessEqual(ours, lp.fun * (1 + 1e-9))
        self.assertLessEqual(ref.rel_diff(coef * 1e100, icpt, lp.x[:d], lp.x[d]), 1e-4)

    def test_tiny_features(self):
        # x * 1e-300 carries no usable signal: an intercept-only model
        X, y = base_data()
        coef, icpt, info = self.fit(X * 1e-300, y)
        self.assertTrue(info["converged"])
        self.assertTrue(np.all(np.isfinite(coef)))
        self.assertLess(np.abs(coef @ X.T * 1e-300).max(), 1e-12)
        self.assertAlmostEqual(icpt, np.log(y.sum() / (~y).sum()), delta=1e-9)

    def test_verbose_notices_per_iteration(self):
        X, y = base_data()
        ref.load_table(self.conn, "rb_data", X, y)
        del self.conn.notices[:]
        with self.conn.cursor() as cur:
            cur.execute("SET client_min_messages = notice")
            cur.execute("SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l, "
                        "'{\"verbose\": true}'))->'training'->>'iterations' FROM rb_data")
            iterations = int(cur.fetchone()[0])
        notices = [n for n in self.conn.notices if "iteration" in n]
        self.assertEqual(len(notices), iterations)
        self.assertIn("objective", notices[0])

    def test_statement_timeout_cancels_the_solver(self):
        # 2000 rows of 600 features: scanning takes well under the timeout,
        # forming Hessians takes seconds, so the cancel lands in the solver
        with self.conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS rb_wide")
            cur.execute("CREATE TABLE rb_wide AS SELECT i, (SELECT array_agg(sin(i * k + k)) "
                        "FROM generate_series(1, 600) k) f, sin(i * 1.7) > 0 l "
                        "FROM generate_series(1, 2000) i")
            cur.execute("SET statement_timeout = '1500ms'")
            start = time.monotonic()
            with self.assertRaises(psycopg2.errors.QueryCanceled):
                cur.execute("SELECT l2fuse.linear_svm(f, l, '{\"lambda\": 1e-6}') FROM rb_wide")
            elapsed = time.monotonic() - start
            cur.execute("RESET statement_timeout")
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchone()[0], 1)
        self.assertLess(elapsed, 10.0)

    def test_solver_threads_agree_and_cancel(self):
        # 40000 rows are enough for the solvers to split passes over threads
        X, y = make_classification(n_samples=40000, n_features=12, n_informative=6,
                                   random_state=8)
        ref.load_table(self.conn, "rb_threads", X, y)
        with self.conn.cursor() as cur:
            cur.execute("SHOW l2fuse.solver_threads")
            self.assertEqual(cur.fetchone()[0], "0")
        for kind, opts in (("logistic_regression", {"lambda": 4.0}),
                           ("linear_svm", {"lambda": 4.0, "calibration": False}),
                           ("linear_svm", {"lambda": 4.0, "loss": "squared_hinge"})):
            fits = {}
            for threads in (1, 2, 3):
                with self.conn.cursor() as cur:
                    cur.execute(f"SET l2fuse.solver_threads = {threads}")
                fits[threads] = ref.train(self.conn, "rb_threads", kind, opts)
            with self.subTest(kind=kind, opts=opts):
                c1, b1, i1 = fits[1]
                for threads in (2, 3):
                    c, b, info = fits[threads]
                    self.assertTrue(info["converged"])
                    self.assertLessEqual(abs(info["objective"] - i1["objective"]),
                                         1e-11 * abs(i1["objective"]))
                    self.assertLessEqual(ref.rel_diff(c, b, c1, b1), 1e-7)

        # a cancel lands in a threaded solve: an error, and the server lives on
        with self.conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS rb_threads_wide")
            cur.execute("CREATE TABLE rb_threads_wide AS SELECT i, (SELECT array_agg(sin(i * k + k)) "
                        "FROM generate_series(1, 120) k) f, sin(i * 1.7) > 0 l "
                        "FROM generate_series(1, 40000) i")
            cur.execute("SET l2fuse.solver_threads = 2")
            cur.execute("SET statement_timeout = '1500ms'")
            start = time.monotonic()
            with self.assertRaises(psycopg2.errors.QueryCanceled):
                cur.execute("SELECT l2fuse.linear_svm(f, l, '{\"lambda\": 1e-6}') "
                            "FROM rb_threads_wide")
            elapsed = time.monotonic() - start
            cur.execute("RESET statement_timeout")
            cur.execute("RESET l2fuse.solver_threads")
            cur.execute("SELECT count(*) FROM rb_threads_wide")
            self.assertEqual(cur.fetchone()[0], 40000)
        self.assertLess(elapsed, 10.0)

    def test_platt_calibration_matches_reimplementation(self):
        X, y = base_data(n=400, seed=11)
        ref.load_table(self.conn, "rb_data", X, y)
        k = 4
        opts = {"lambda": 0.3, "calibration_folds": k}
        _, _, info = ref.train(self.conn, "rb_data", "linear_svm", opts)
        self.assertTrue(info["calibrated"])

        # folds from crc32 of each row's float8 bytes; out-of-fold decisions
        fold = np.array([zlib.crc32(np.ascontiguousarray(x, dtype="<f8").tobytes()) % k
                         for x in X])
        f = np.zeros(len(y))
        for j in range(k):
            with self.conn.cursor() as cur:
                cur.execute("ALTER TABLE rb_data ADD COLUMN IF NOT EXISTS fold int")
                cur.execute("UPDATE rb_data SET fold = %s WHERE i = ANY(%s)",
                            (j, [int(i) for i in np.where(fold == j)[0]]))
        for j in range(k):
            c, b, _ = ref.train(self.conn, "rb_data", "linear_svm",
                                {"lambda": 0.3, "calibration": False}, where=f"fold <> {j}")
            f[fold == j] = X[fold == j] @ c + b

        npos, nneg = y.sum(), (~y).sum()
        t = np.where(y, (npos + 1) / (npos + 2), 1 / (nneg + 2))

        def loss(a):
            return float(np.sum(t * np.logaddexp(0, a * f) + (1 - t) * np.logaddexp(0, -a * f)))

        a = minimize_scalar(loss, bounds=(-100, 0), method="bounded",
                            options=dict(xatol=1e-12)).x
        self.assertAlmostEqual(info["platt_a"], a, delta=1e-6 * abs(a))
        self.assertEqual(info["platt_b"], 0.0)


    def test_hinge_with_redundant_features_and_many_margin_rows(self):
        # 80,000 rows whose 32 features span 24 dimensions (8 are linear
        # combinations of others): the margin set outnumbers the rank, the
        # restricted dual is singular, and sequential minimal optimization
        # alone stalls on it.  The solver must still certify the optimum,
        # and an independent certificate must agree.
        X, y = make_classification(n_samples=100_000, n_features=32, n_informative=16,
                                   n_redundant=8, n_repeated=0, n_clusters_per_class=2,
                                   flip_y=0.05, class_sep=1.0, random_state=52245)
        keep = np.array([zlib.crc32(np.ascontiguousarray(x, dtype="<f8").tobytes()) % 5 != 2
                         for x in X])
        X, y = X[keep], y[keep] > 0
        buf = io.StringIO()
        for i in range(len(y)):
            buf.write("{%s}\t%s\n" % (",".join(repr(float(v)) for v in X[i]), "t" if y[i] else "f"))
        buf.seek(0)
        with self.conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS rb_big")
            cur.execute("CREATE TABLE rb_big (f float8[], l boolean)")
            cur.copy_expert("COPY rb_big FROM STDIN", buf)
        lam = 10.0
        coef, icpt, info = ref.train(self.conn, "rb_big", "linear_svm",
                                     {"lambda": lam, "calibration": False})
        self.assertTrue(info["converged"])
        self.assertLessEqual(info["optimality"], 1e-9)
        gap, balance = ref.hinge_certificate(X, y, np.ones(len(y)), coef, icpt, lam, True)
        self.assertLessEqual(gap, 1e-8)
        self.assertLessEqual(balance, 1e-9)
        self.assertAlmostEqual(info["objective"],
                               ref.objective("hinge", X, y, np.ones(len(y)), coef, icpt, lam),
                               delta=1e-9 * info["objective"])
        with self.conn.cursor() as cur:
            cur.execute("DROP TABLE rb_big")

if __name__ == "__main__":
    unittest.main()
