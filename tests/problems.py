"""Random training problems for the tests."""

import numpy as np

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
