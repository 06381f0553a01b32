"""Cross-checks of l2fuse.fit_ensemble against scipy and scikit-learn.

Members are scikit-learn logistic regressions (and a calibrated SVM) on
different feature groups of the Wisconsin breast-cancer data, loaded with
l2fuse.model_from_json.  The ensembles are fitted on held-out rows; the
references are fitted on the same held-out decision values and
probabilities, read back from the database:

  - stacking vs LogisticRegression(C = 1/lambda, tol = 1e-12): objectives
    agree to 1e-9 (relative) and coefficients to 1e-6;
  - log_loss vs scipy.optimize.minimize (SLSQP, then trust-constr) on the
    simplex: our objective is never above the reference's by more than 1e-9
    (relative), and the weights agree to 1e-6 where the optimum is unique;
  - accuracy and auc: weights equal the members' held-out scores to 1e-12.
"""
import json
import os
import unittest

import numpy as np
import psycopg2
import psycopg2.extras
from scipy.optimize import minimize
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.svm import LinearSVC

DBNAME = "l2fuse_py_fusion"
EPS = 2.0 ** -52


def raw_scale(coef, intercept, mean, scale):
    """A model on standardized features as coefficients on raw features."""
    c = coef / scale
    return c, intercept - float(c @ mean)


def report(line):
    """Print a measured agreement when L2F_REPORT is set."""
    if os.environ.get("L2F_REPORT"):
        print(line)


def stacking_objective(c, b, d, y, lam):
    """sum log(1 + exp(-y z)) + lam/2 ||c||^2 with y in {-1, +1}."""
    z = d @ c + b
    return float(np.sum(np.logaddexp(0.0, -y * z)) + 0.5 * lam * c @ c)


def simplex_log_loss(w, a):
    """Mean -log(a_i . w)."""
    return float(-np.mean(np.log(a @ w)))


class FusionCrossCheck(unittest.TestCase):
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

        data = load_breast_cancer()
        X, y = data.data, data.target == 0           # positive = malignant
        ids = np.arange(len(y))
        train, hold = ids % 5 < 3, ids % 5 >= 3
        mean, scale = X[train].mean(axis=0), X[train].std(axis=0)
        Z = (X - mean) / scale

        # members on different feature groups, so that they disagree
        models = []
        for cols, C in ((range(0, 10), 0.05), (range(10, 20), 1.0), (range(20, 30), 0.01)):
            mask = np.zeros(30)
            mask[list(cols)] = 1
            lr = LogisticRegression(C=C, tol=1e-10, max_iter=10000)
            lr.fit(Z[train] * mask, y[train])
            c, b = raw_scale(lr.coef_[0] * mask, lr.intercept_[0], mean, scale)
            models.append({"kind": "logistic", "coefficients": list(map(float, c)),
                           "intercept": b})
        svm = LinearSVC(C=0.05, loss="hinge", tol=1e-8, max_iter=100000)
        svm.fit(Z[train][:, :5], y[train])
        c, b = raw_scale(np.r_[svm.coef_[0], np.zeros(25)], svm.intercept_[0], mean, scale)
        models.append({"kind": "svm", "coefficients": list(map(float, c)), "intercept": b,
                       "calibration": {"platt_a": -1.7, "platt_b": 0.0}})

        with cls.conn.cursor() as cur:
            cur.execute("CREATE EXTENSION l2fuse")
            cur.execute("CREATE TABLE hold (id int, x float8[], y boolean)")
            psycopg2.extras.execute_values(
                cur, "INSERT INTO hold VALUES %s",
                [(int(i), list(map(float, X[i])), bool(y[i])) for i in ids[hold]])
            cur.execute("CREATE TABLE members (k int, m bytea)")
            for k, obj in enumerate(models):
                cur.execute("INSERT INTO members SELECT %s, l2fuse.model_from_json(%s)",
                            (k, json.dumps(obj)))
        cls.nmembers = len(models)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        admin = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DBNAME}")
        admin.close()

    def held_out(self, ks):
        """Decisions, probabilities (n x len(ks)) and labels of the held-out rows."""
        with self.conn.cursor() as cur:
            cur.execute("""SELECT array_agg(l2fuse.decision_function(m.m, h.x) ORDER BY m.k),
                                  array_agg(l2fuse.predict_proba(m.m, h.x) ORDER BY m.k), h.y
                           FROM hold h, members m WHERE m.k = ANY(%s)
                           GROUP BY h.id, h.y ORDER BY h.id""", (ks,))
            rows = cur.fetchall()
        d = np.array([r[0] for r in rows])
        p = np.array([r[1] for r in rows])
        y = np.array([r[2] for r in rows])
        return d, p, y

    def fit(self, ks, options):
        """model_info of fit_ensemble over members ks."""
        with self.conn.cursor() as cur:
            cur.execute("""SELECT l2fuse.model_info(l2fuse.fit_ensemble(
                               (SELECT array_agg(m ORDER BY k) FROM members WHERE k = ANY(%s)),
                               x, y, %s))
                           FROM hold""", (ks, json.dumps(options)))
            return cur.fetchone()[0]

    def check_stacking(self, ks, lam):
        info = self.fit(ks, {"method": "stacking", "lambda": lam})
        d, _, y = self.held_out(ks)
        ref = LogisticRegression(C=1.0 / lam, tol=1e-12, max_iter=100000,
                                 solver="newton-cg")
        ref.fit(d, y)
        ys = np.where(y, 1.0, -1.0)
        c, b = np.array(info["meta"]["coefficients"]), info["meta"]["intercept"]
        ours = stacking_objective(c, b, d, ys, lam)
        theirs = stacking_objective(ref.coef_[0], ref.intercept_[0], d, ys, lam)
        self.assertLessEqual(ours, theirs * (1 + 1e-9))
        self.assertAlmostEqual(ours, theirs, delta=1e-9 * theirs)
        report("stacking lambda=%g: objective ours %.17g ref %.17g, max |coef diff| %.2e"
               % (lam, ours, theirs, np.max(np.abs(c - ref.coef_[0]))))
        np.testing.assert_allclose(c, ref.coef_[0], rtol=0, atol=1e-6)
        self.assertAlmostEqual(b, ref.intercept_[0], delta=1e-6)
        self.assertEqual(info["voting"], "stacking")
        self.assertEqual(info["fit"]["holdout_rows"], len(y))
        aucs = [roc_auc_score(y, d[:, j]) for j in range(len(ks))]
        np.testing.assert_allclose(info["fit"]["member_scores"], aucs, rtol=0, atol=1e-12)

    def test_stacking_lambda_1(self):
        self.check_stacking([0, 1, 2, 3], 1.0)

    def test_stacking_lambda_small(self):
        self.check_stacking([0, 1, 2], 0.01)

    def reference_simplex(self, a):
        """Best of SLSQP and trust-constr on the simplex."""
        k = a.shape[1]
        f = lambda w: simplex_log_loss(w, a)
        grad = lambda w: -(a / (a @ w)[:, None]).mean(axis=0)
        cons = {"type": "eq", "fun": lambda w: np.sum(w) - 1.0,
                "jac": lambda w: np.ones_like(w)}
        best = None
        for method, opts in (("SLSQP", {"ftol": 1e-16, "maxiter": 10000}),
                             ("trust-constr", {"gtol": 1e-14, "xtol": 1e-14,
                                               "maxiter": 20000})):
            r = minimize(f, np.full(k, 1.0 / k), jac=grad, method=method,
                         bounds=[(0.0, 1.0)] * k, constraints=[cons], options=opts)
            w = np.clip(r.x, 0, None)
            w /= w.sum()
            if best is None or f(w) < f(best):
                best = w
        return best

    def check_log_loss(self, ks):
        info = self.fit(ks, {"method": "log_loss"})
        _, p, y = self.held_out(ks)
        pc = np.clip(p, EPS, 1 - EPS)
        a = np.where(y[:, None], pc, 1 - pc)
        w = np.array(info["weights"])
        w = w / w.sum()
        ref = self.reference_simplex(a)
        ours, theirs = simplex_log_loss(w, a), simplex_log_loss(ref, a)
        self.assertLessEqual(ours, theirs * (1 + 1e-9))
        report("log_loss %s: objective ours %.17g ref %.17g, weights %s ref %s"
               % (ks, ours, theirs, np.round(w, 9), np.round(ref, 9)))

        # the KKT certificate, recomputed here: FW gap = -1 - min gradient
        g = -(a / (a @ w)[:, None]).mean(axis=0)
        self.assertLessEqual(-1.0 - g.min(), 1e-10)

        # the optimum is unique when the Hessian is positive definite on the
        # face of the support, within the simplex
        support = w > 0
        h = (a[:, support] / (a @ w)[:, None]) .T @ (a[:, support] / (a @ w)[:, None]) / len(y)
        m = support.sum()
        basis = np.linalg.qr(np.c_[np.ones(m), np.eye(m)[:, :m - 1]])[0][:, 1:]
        if m == 1 or np.linalg.eigvalsh(basis.T @ h @ basis).min() > 1e-3:
            np.testing.assert_allclose(w, ref, rtol=0, atol=1e-6)
        losses = [float(np.mean(-np.log(a[:, j]))) for j in range(len(ks))]
        np.testing.assert_allclose(info["fit"]["member_scores"], losses, rtol=1e-12, atol=0)
        self.assertEqual(len(info["members"]), len(ks))
        return w

    def test_log_loss_all_members(self):
        self.check_log_loss([0, 1, 2, 3])

    def test_log_loss_two_members(self):
        self.check_log_loss([0, 2])

    def test_log_loss_rejects_uncalibrated(self):
        with self.conn.cursor() as cur:
            cur.execute("""SELECT l2fuse.model_from_json(
                               l2fuse.model_info(m) - 'calibration') FROM members WHERE k = 3""")
            svm = cur.fetchone()[0]
            with self.assertRaises(psycopg2.Error) as ctx:
                cur.execute("""SELECT l2fuse.fit_ensemble(ARRAY[%s::bytea], x, y,
                                   '{"method": "log_loss"}') FROM hold""", (svm,))
            self.assertEqual(ctx.exception.pgcode, "22023")

    def test_accuracy_and_auc_weights(self):
        ks = [0, 1, 2, 3]
        d, p, y = self.held_out(ks)
        acc = [float(np.mean((p[:, j] >= 0.5) == y)) for j in range(len(ks))]
        auc = [roc_auc_score(y, d[:, j]) for j in range(len(ks))]
        for method, want in (("accuracy", acc), ("auc", auc)):
            info = self.fit(ks, {"method": method})
            np.testing.assert_allclose(info["weights"], want, rtol=0, atol=1e-12)
            np.testing.assert_allclose(info["fit"]["member_scores"], want, rtol=0, atol=1e-12)
            self.assertEqual(info["voting"], "soft")


if __name__ == "__main__":
    unittest.main()
