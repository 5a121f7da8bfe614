"""Shared test helpers: random training problems, agreement with the reference backend, code run in a fresh
Python process."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastlogreg

# The pure-Python reference: every other backend must give its answer.
REFERENCE = "python"


def random_problem(n, d, seed, *, scale=1.0, one_class=None):
    """Features of magnitude ``scale``, labels from a noisy logistic model (or all one class)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * scale
    if one_class is None:
        y = (rng.random(n) < 1 / (1 + np.exp(-(X / scale) @ rng.normal(size=d)))).astype(float)
    else:
        y = np.full(n, float(one_class))
    return X, y


def stable_learning_rate(X, reduction):
    """A step below 2/L for the BCE's gradient Lipschitz bound L = ||X_aug||_F^2 / 4 (per row if mean)."""
    lipschitz = (np.sum(X.astype(float) ** 2) + X.shape[0]) / 4
    if reduction == "mean":
        lipschitz /= X.shape[0]
    return 1.0 / lipschitz


# Backends sum in different orders, so their answers agree to rounding, not bit for bit.
RTOL = 1e-9


def assert_agree(result, reference, *, summed_scale=0.0):
    """Relative agreement; entries far below the vector's scale are judged against that scale.

    ``summed_scale`` bounds the size of the terms the weights add up (see summed_scale): where they cancel
    to almost nothing, each backend's rounding of them is all that is left, and is judged against them.
    """
    for name in ("weights", "loss_history"):
        ours, ref = getattr(result, name), getattr(reference, name)
        assert ours.shape == ref.shape
        scale = max(np.max(np.abs(ref), initial=0.0), summed_scale if name == "weights" else 0.0)
        np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=RTOL * scale, err_msg=name)
    bias_scale = max(np.max(np.abs(reference.weights), initial=0.0), summed_scale)
    assert result.bias == pytest.approx(reference.bias, rel=RTOL, abs=RTOL * bias_scale)
    assert result.loss == pytest.approx(reference.loss, rel=RTOL, abs=0)


def summed_scale(X, learning_rate, epochs, reduction):
    """A bound on the terms gradient descent adds into a weight or the bias: each step is the learning
    rate times a sum (or mean) of residuals in [-1, 1] times a column of X (of ones, for the bias)."""
    column_sums = np.append(np.abs(X).sum(axis=0), X.shape[0]) / (X.shape[0] if reduction == "mean" else 1)
    return learning_rate * float(np.max(column_sums)) * epochs


def train_both(X, y, backend, **settings):
    """(backend's result, the reference's result) for the same data and settings."""
    return (
        fastlogreg.train(X, y, backend=backend, **settings),
        fastlogreg.train(X, y, backend=REFERENCE, **settings),
    )


def run_python(code, *args, env=None, cwd=None, timeout=300):
    """``python -c CODE ARGS...`` (CODE dedented) in a fresh process: its exit status, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
