"""Shared helpers for the training cross-checks: data sets, the exact
objective, independent reference solvers and a duality-gap certificate.

The objective, with y in {-1, +1} and s_i = row weight x class weight:
    logistic:       sum_i s_i log(1 + exp(-y_i (w.x_i + b))) + lambda/2 ||w||^2
    hinge:          sum_i s_i max(0, 1 - y_i (w.x_i + b))     + lambda/2 ||w||^2
    squared hinge:  sum_i s_i max(0, 1 - y_i (w.x_i + b))^2   + lambda/2 ||w||^2
"""
import json
import os

import numpy as np
import psycopg2
import psycopg2.extras
from scipy.optimize import lsq_linear, minimize
from sklearn.datasets import load_breast_cancer, load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

HEART = "/usr/share/doc/liblinear-tools/examples/heart_scale"


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS l2fuse")
    return conn


def breast_cancer():
    d = load_breast_cancer()
    return d.data.astype(float), d.target == 1


def heart_scale():
    X, y = load_svmlight_file(HEART)
    return X.toarray(), y > 0


def synthetic(n=400, d=6, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.array([1, 2, 0.5, 3, 1, 0.1])[:d]
    w = rng.normal(size=d)
    y = X @ w + 0.3 + rng.normal(scale=1.0, size=n) > 0
    weights = rng.integers(1, 4, size=n).astype(float)
    return X, y, weights


def load_table(conn, name, X, y, w=None):
    """Create table name(i, f float8[], l boolean, w float8)."""
    w = np.ones(len(y)) if w is None else w
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.execute(f"CREATE TABLE {name} (i int, f float8[], l boolean, w float8)")
        rows = [(i, [float(v) for v in X[i]], bool(y[i]), float(w[i])) for i in range(len(y))]
        psycopg2.extras.execute_values(cur, f"INSERT INTO {name} VALUES %s", rows)


def train(conn, table, kind, options, weighted=False, where="true"):
    """Train in the database; returns (coef, intercept, info dict)."""
    args = "f, l, w, %s::jsonb" if weighted else "f, l, %s::jsonb"
    with conn.cursor() as cur:
        cur.execute(f"SELECT l2fuse.model_info(l2fuse.{kind}({args})) FROM {table} "
                    f"WHERE {where}", (json.dumps(options),))
        info = flatten_info(cur.fetchone()[0])
    return np.array(info["coefficients"], dtype=float), float(info["intercept"]), info


def flatten_info(info):
    """model_info's options, training and calibration objects merged into one dict."""
    flat = dict(info)
    for key in ("options", "training", "calibration"):
        flat.update(info.get(key) or {})
    return flat


def class_weights(y, w, mode):
    """Per-row class weight: balanced uses weighted class totals."""
    if mode is None:
        return np.ones(len(y))
    if mode == "balanced":
        tot = w.sum()
        return np.where(y, tot / (2 * w[y].sum()), tot / (2 * w[~y].sum()))
    return np.where(y, mode.get("true", 1.0), mode.get("false", 1.0))


def standardizer(X, w):
    """Weighted mean and population std; constant columns get scale 1."""
    mean = (w @ X) / w.sum()
    std = np.sqrt((w @ (X - mean) ** 2) / w.sum())
    const = np.all(X == X[0], axis=0)
    std[const] = 1.0
    return mean, std


def objective(loss, X, y, s, w, b, lam):
    m = np.where(y, 1.0, -1.0) * (X @ w + b)
    if loss == "logistic":
        v = np.logaddexp(0.0, -m)
    elif loss == "hinge":
        v = np.maximum(0.0, 1.0 - m)
    else:
        v = np.maximum(0.0, 1.0 - m) ** 2
    return float(s @ v + lam / 2 * w @ w)


def reference(loss, X, y, s, lam, fit_intercept):
    """Independent solution (w, b) of the problem on X."""
    yy = np.where(y, 1.0, -1.0)
    if loss == "logistic":
        m = LogisticRegression(C=1 / lam, tol=1e-12, max_iter=100000, solver="newton-cholesky",
                               fit_intercept=fit_intercept).fit(X, y, sample_weight=s)
        return m.coef_[0].copy(), (float(m.intercept_[0]) if fit_intercept else 0.0)
    if loss == "hinge":
        if not fit_intercept:
            return None
        m = SVC(kernel="linear", C=1 / lam, tol=1e-10, max_iter=200000).fit(X, y, sample_weight=s)
        return m.coef_[0].copy(), float(m.intercept_[0])

    # squared hinge: L-BFGS-B on max-abs scaled coordinates, exact gradient
    sc = np.maximum(np.abs(X).max(axis=0), 1e-300)
    Xs = X / sc

    def fg(v):
        w = v[:-1] / sc
        b = v[-1] if fit_intercept else 0.0
        t = np.maximum(0.0, 1.0 - yy * (X @ w + b))
        r = -2.0 * s * t * yy
        g = np.append(Xs.T @ r + lam * w / sc, r.sum() if fit_intercept else 0.0)
        return float(s @ t ** 2 + lam / 2 * w @ w), g

    v = minimize(fg, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B",
                 options=dict(maxiter=100000, ftol=1e-16, gtol=1e-14, maxcor=50)).x
    return v[:-1] / sc, (float(v[-1]) if fit_intercept else 0.0)


def hinge_certificate(X, y, s, w, b, lam, fit_intercept, tau=1e-6):
    """Relative duality gap of (w, b) for the hinge problem, with the dual
    point built from the margins (box-constrained least squares on the
    rows at the margin); also returns |sum beta y| / sum s."""
    yy = np.where(y, 1.0, -1.0)
    m = yy * (X @ w + b)
    primal = s @ np.maximum(0, 1 - m) + lam / 2 * w @ w
    below = (m < 1 - tau) & (s > 0)
    at = (np.abs(m - 1) <= tau) & (s > 0)
    beta = np.where(below, s, 0.0)
    rhs = lam * w - X.T @ (beta * yy)
    A = (X[at] * yy[at][:, None]).T
    if fit_intercept:
        A = np.vstack([A, yy[at][None, :]])
        rhs = np.append(rhs, -(beta * yy).sum())
    if at.sum() > 0:
        beta[at] = lsq_linear(A, rhs, bounds=(np.zeros(at.sum()), s[at]), tol=1e-14,
                              method="bvls").x
    u = X.T @ (beta * yy)
    dual = beta.sum() - u @ u / (2 * lam)
    balance = abs((beta * yy).sum()) / s.sum() if fit_intercept else 0.0
    return (primal - dual) / abs(primal), balance


def rel_diff(w, b, rw, rb):
    """||(w, b) - (rw, rb)|| / ||(rw, rb)||."""
    a = np.append(w, b)
    r = np.append(rw, rb)
    return float(np.linalg.norm(a - r) / max(np.linalg.norm(r), 1e-300))
