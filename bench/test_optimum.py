"""Time to the optimum: fastlogreg's Newton and its defaults against scikit-learn's solvers.

    pytest bench/test_optimum.py --benchmark-only

Each contender fits the unpenalized model from scratch with its own defaults, as a user would call it;
``extra_info`` records its iterations and how far its objective is above the best one found. Under a
plain ``pytest`` run each case smoke-runs once on a few thousand rows.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import fastlogreg


@dataclass(frozen=True)
class Shape:
    name: str
    rows: int
    features: int
    unscaled: bool  # features of very different scales and offsets, as real data has them


SHAPES = [Shape("1M x 4 unscaled", 1_000_000, 4, True), Shape("1M x 32", 1_000_000, 32, False)]
SMOKE_ROWS = 5_000


def dataset(shape, rows):
    X, y = fastlogreg.make_nba_like(rows, n_features=shape.features, random_state=1)
    if shape.unscaled:
        X = X * np.geomspace(1e-2, 1e2, shape.features) + np.linspace(-50.0, 50.0, shape.features)
    return X, y


def objective(X, y, weights, bias):
    """The mean cross-entropy, written independently of both libraries."""
    z = X @ weights + bias
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def fastlogreg_newton(X, y):
    result = fastlogreg.train(X, y, solver="newton")
    return result.weights, result.bias, result.epochs_run


def fastlogreg_defaults(X, y):
    result = fastlogreg.train(X, y)
    return result.weights, result.bias, result.epochs_run


def sklearn_solver(name):
    def fit(X, y):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # lbfgs may stop at max_iter: see the gap
            model = LogisticRegression(C=np.inf, solver=name).fit(X, y)
        return model.coef_[0], float(model.intercept_[0]), int(model.n_iter_[0])

    return fit


CONTENDERS = {
    "fastlogreg-newton": fastlogreg_newton,
    "fastlogreg-defaults": fastlogreg_defaults,
    "sklearn-newton-cholesky": sklearn_solver("newton-cholesky"),
    "sklearn-lbfgs": sklearn_solver("lbfgs"),
}


@pytest.mark.parametrize("contender", CONTENDERS)
@pytest.mark.parametrize("shape", SHAPES, ids=[s.name.replace(" ", "") for s in SHAPES])
def test_time_to_optimum(benchmark, request, shape, contender):
    if contender.startswith("sklearn"):
        pytest.importorskip("sklearn", reason="scikit-learn is the reference: pip install scikit-learn")
    timing = request.config.getoption("benchmark_only")
    benchmark.disabled = not timing
    X, y = dataset(shape, shape.rows if timing else SMOKE_ROWS)
    fit = CONTENDERS[contender]
    fit(X[:2000], y[:2000])  # compile (fastlogreg) or warm up, outside the timed rounds
    benchmark.group = f"time to optimum, {shape.name}"
    weights, bias, iterations = benchmark.pedantic(fit, args=(X, y), rounds=3 if timing else 1, iterations=1)
    best = fastlogreg.train(X, y, solver="newton", tol=1e-14)
    gap = objective(X, y, weights, bias) / objective(X, y, best.weights, best.bias) - 1
    benchmark.extra_info.update(iterations=iterations, objective_gap=gap)
    if contender.startswith("fastlogreg"):
        assert gap < 1e-10  # ours must reach the optimum; scikit-learn's gap is reported, not judged
