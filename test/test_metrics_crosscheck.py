"""Cross-check the metric aggregates and evaluate() against sklearn.metrics.

Every metric must equal scikit-learn's on the same predictions within
TOL = 1e-9 (absolute).  Data: probabilities of a logistic regression fit on
the breast-cancer data set, 1e5 random scores with heavy ties (rounded to 2
decimals, with exact 0 and 1 among them), 1e5 continuous random scores,
and 1e6 rows scored by a one-feature model.  Each test prints the largest difference it saw.
"""
import io
import json
import unittest

import numpy as np
import psycopg2
import sklearn
from sklearn import metrics
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

TOL = 1e-9
SKLEARN_INF_THRESHOLD = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 3)



def sigmoid(z):
    """P = 1 / (1 + exp(-z)), computed without overflow."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def sk_metrics(y, p, threshold=0.5):
    """scikit-learn's metrics of probabilities p for labels y."""
    pred = p >= threshold
    tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[False, True]).ravel()
    two = len(np.unique(y)) == 2
    return {
        "n": len(y), "positives": int(y.sum()),
        "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
        "accuracy": metrics.accuracy_score(y, pred),
        "precision": metrics.precision_score(y, pred, zero_division=0),
        "recall": metrics.recall_score(y, pred, zero_division=0),
        "f1": metrics.f1_score(y, pred, zero_division=0),
        "roc_auc": metrics.roc_auc_score(y, p) if two else None,
        "average_precision": metrics.average_precision_score(y, p) if y.any() else None,
        "log_loss": metrics.log_loss(y, p, labels=[False, True]),
        "brier": metrics.brier_score_loss(y, p),
    }


class MetricsCrossCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.conn = psycopg2.connect("")
        cls.conn.autocommit = True
        cls.cur = cls.conn.cursor()
        cls.cur.execute("CREATE EXTENSION IF NOT EXISTS l2fuse")
        cls.cur.execute("SET extra_float_digits = 3")

        rng = np.random.default_rng(20261203)

        # breast cancer: a fitted logistic regression's probabilities
        X, y = load_breast_cancer(return_X_y=True)
        scaler = StandardScaler().fit(X)
        clf = LogisticRegression(C=0.5, max_iter=10000).fit(scaler.transform(X), y)
        coef = clf.coef_[0] / scaler.scale_
        intercept = clf.intercept_[0] - np.dot(coef, scaler.mean_)
        cls.cancer = (X, y.astype(bool), coef, intercept)

        # heavy ties: scores rounded to 2 decimals, exact 0 and 1 included
        n = 100000
        s = np.round(rng.beta(2, 2, n), 2)
        cls.tied = (s, rng.random(n) < 0.2 + 0.6 * s)

        # continuous scores
        s = rng.random(n)
        cls.continuous = (s, rng.random(n) < s)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()

    def load_scores(self, scores, labels):
        """Fill temp table sc(score, label) by COPY."""
        self.cur.execute("DROP TABLE IF EXISTS sc")
        self.cur.execute("CREATE TEMP TABLE sc (score float8, label boolean)")
        buf = io.StringIO("".join(f"{s!r}\t{'t' if y else 'f'}\n"
                                  for s, y in zip(scores.tolist(), labels.tolist())))
        self.cur.copy_from(buf, "sc", columns=("score", "label"))

    def load_features(self, X, labels):
        """Fill temp table ft(x float8[], label) by COPY."""
        self.cur.execute("DROP TABLE IF EXISTS ft")
        self.cur.execute("CREATE TEMP TABLE ft (x float8[], label boolean)")
        buf = io.StringIO("".join(
            "{" + ",".join(repr(v) for v in row) + "}\t" + ("t" if y else "f") + "\n"
            for row, y in zip(X.tolist(), labels.tolist())))
        self.cur.copy_from(buf, "ft", columns=("x", "label"))

    def model(self, coef, intercept):
        """A logistic model as bytea."""
        spec = {"kind": "logistic", "coefficients": [float(c) for c in coef],
                "intercept": float(intercept)}
        self.cur.execute("SELECT l2fuse.model_from_json(%s)", (json.dumps(spec),))
        return self.cur.fetchone()[0]

    def check_standalone(self, name, scores, labels):
        """roc_auc, log_loss, confusion and roc_curve against sklearn."""
        self.load_scores(scores, labels)
        self.cur.execute("""SELECT l2fuse.roc_auc(score, label), l2fuse.log_loss(score, label),
                                   l2fuse.confusion(score >= 0.5, label),
                                   l2fuse.roc_curve(score, label) FROM sc""")
        auc, ll, cm, curve = self.cur.fetchone()
        want = sk_metrics(labels, scores)
        diffs = {"roc_auc": abs(auc - want["roc_auc"]), "log_loss": abs(ll - want["log_loss"])}
        for k in ("accuracy", "precision", "recall", "f1"):
            diffs[k] = abs(cm[k] - want[k])
        for k in ("tp", "fp", "tn", "fn", "n"):
            self.assertEqual(cm[k], want[k], k)

        # the ROC curve, point by point
        fpr, tpr, thr = metrics.roc_curve(labels, scores, drop_intermediate=False)
        self.assertEqual(len(curve), len(thr))
        got = np.array([[c["threshold"], c["fpr"], c["tpr"]] for c in curve])
        self.assertEqual(got[0, 0], scores.max() + 1)
        if not SKLEARN_INF_THRESHOLD:
            self.assertEqual(thr[0], got[0, 0])
        np.testing.assert_array_equal(got[1:, 0], thr[1:])
        diffs["roc_curve"] = max(np.abs(got[:, 1] - fpr).max(), np.abs(got[:, 2] - tpr).max())

        print(f"\n  {name}: n={len(scores)} max |diff| = {max(diffs.values()):.3g} "
              + " ".join(f"{k}={v:.2g}" for k, v in diffs.items()))
        for k, v in diffs.items():
            self.assertLessEqual(v, TOL, k)

    def check_evaluate(self, name, X, labels, coef, intercept):
        """evaluate() against sklearn on the model's probabilities."""
        self.load_features(X, labels)
        model = self.model(coef, intercept)
        self.cur.execute("SELECT l2fuse.evaluate(%s, x, label) FROM ft", (psycopg2.Binary(model),))
        got = self.cur.fetchone()[0]
        want = sk_metrics(labels, sigmoid(X @ coef + intercept))

        diffs = {}
        for k, v in want.items():
            if isinstance(v, (int, np.integer)):
                self.assertEqual(got[k], v, k)
            elif v is None:
                self.assertIsNone(got[k], k)
            else:
                diffs[k] = abs(got[k] - v)
        self.assertEqual(got["skipped"], 0)
        self.assertEqual(got["scores"], "probability")
        print(f"\n  {name}: n={len(labels)} max |diff| = {max(diffs.values()):.3g} "
              + " ".join(f"{k}={v:.2g}" for k, v in diffs.items()))
        for k, v in diffs.items():
            self.assertLessEqual(v, TOL, k)

    def test_cancer_scores(self):
        X, y, coef, intercept = self.cancer
        self.check_standalone("breast cancer scores", sigmoid(X @ coef + intercept), y)

    def test_cancer_evaluate(self):
        X, y, coef, intercept = self.cancer
        self.check_evaluate("breast cancer evaluate", X, y, coef, intercept)

    def test_tied_scores(self):
        self.check_standalone("tied scores", *self.tied)

    def test_continuous_scores(self):
        self.check_standalone("continuous scores", *self.continuous)

    def test_tied_evaluate(self):
        # one feature, logit of the rounded score: ties survive the sigmoid
        s, y = self.tied
        x = np.log(np.clip(s, 0.005, 0.995) / (1 - np.clip(s, 0.005, 0.995)))
        self.check_evaluate("tied evaluate", x[:, None], y, np.array([1.0]), 0.0)

    def test_random_evaluate(self):
        rng = np.random.default_rng(7)
        X = rng.normal(size=(100000, 5))
        coef = np.array([1.5, -0.5, 0.25, 0.0, 2.0])
        y = rng.random(100000) < sigmoid(X @ coef - 0.4)
        self.check_evaluate("random evaluate", X, y, coef * 0.8, -0.3)

    def test_million_evaluate(self):
        # n = 1e6 with ties (x rounded to 3 decimals): compensated sums hold
        rng = np.random.default_rng(11)
        x = np.round(rng.normal(size=1000000), 3)
        y = rng.random(1000000) < sigmoid(1.2 * x)
        self.check_evaluate("million evaluate", x[:, None], y, np.array([1.1]), 0.05)

    def test_one_class(self):
        # sklearn raises for the AUC; l2fuse returns NULL; the rest agree
        s, y = self.continuous
        self.load_scores(s[:1000], np.ones(1000, dtype=bool))
        self.cur.execute("SELECT l2fuse.roc_auc(score, label), l2fuse.log_loss(score, label) "
                         "FROM sc")
        auc, ll = self.cur.fetchone()
        self.assertIsNone(auc)
        with self.assertRaises(ValueError):
            metrics.roc_auc_score(np.ones(1000, dtype=bool), s[:1000])
        want = metrics.log_loss(np.ones(1000, dtype=bool), s[:1000], labels=[False, True])
        self.assertLessEqual(abs(ll - want), TOL)


if __name__ == "__main__":
    unittest.main()
