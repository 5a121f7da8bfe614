"""train(): validate once, then hand the problem to the chosen backend."""

from __future__ import annotations

import numpy as np

from .backends import get_backend
from .result import TrainResult
from .validation import validate

# "mean" keeps the step size independent of the number of rows: with "sum" the gradient grows with n,
# so a learning rate that works on 12 rows diverges on a million. 0.01 is stable for mean BCE on
# features of order 10 (like the tutorial's); scale features to order 1 and larger rates converge faster.
DEFAULT_LEARNING_RATE = 0.01
DEFAULT_EPOCHS = 1000
DEFAULT_REDUCTION = "mean"


def train(
    X,
    y,
    *,
    backend: str = "numba",
    learning_rate: float = DEFAULT_LEARNING_RATE,
    epochs: int = DEFAULT_EPOCHS,
    reduction: str = DEFAULT_REDUCTION,
    init="zeros",
    random_state=None,
    dtype: str = "float64",
) -> TrainResult:
    """Fit binary logistic regression by full-batch gradient descent.

    Parameters
    ----------
    X : array-like, shape (n, d)
        Features: bool, int or float; lists, NumPy arrays (any layout) and pandas frames all work.
        Never modified, and not copied when it already has the compute dtype.
    y : array-like, shape (n,) or (n, 1)
        Labels 0/1 (bool, int or float).
    backend : {"python", "numpy", "numba"}
        Which implementation runs; all give the same answer to 1e-9. See ``available_backends()``.
    learning_rate : float > 0
        The gradient-descent step.
    epochs : int >= 0
        Number of full-batch steps.
    reduction : {"mean", "sum"}
        Loss (and gradient) averaged over rows, as PyTorch's default, or summed, as the tutorial.
    init : "zeros", "normal" or (weights, bias)
        Starting point. "normal" draws ``RandomState(random_state).randn(d, 1)`` then ``.randn(1, 1)``.
    random_state : None, int or numpy.random.RandomState
        Seed for ``init="normal"``; ignored otherwise.
    dtype : {"float64", "float32"}
        The dtype X is held in while training; sums and parameters are always float64.

    Returns
    -------
    TrainResult
        ``weights`` (d,), ``bias``, ``loss`` at the returned parameters, ``loss_history`` (epochs,)
        with entry k the loss before update k, and ``predict_proba`` / ``predict``.
    """
    problem = validate(
        X,
        y,
        backend=backend,
        learning_rate=learning_rate,
        epochs=epochs,
        reduction=reduction,
        init=init,
        random_state=random_state,
        dtype=dtype,
    )
    fit = get_backend(problem.backend)
    weights, bias, loss, loss_history = fit(
        problem.X,
        problem.y,
        problem.weights,
        problem.bias,
        problem.learning_rate,
        problem.epochs,
        problem.reduction == "mean",
    )
    if not (np.isfinite(loss) and np.isfinite(bias) and np.isfinite(weights).all()):
        raise FloatingPointError(
            f"training diverged: the {problem.backend} backend reached non-finite weights or loss; "
            "lower learning_rate or scale X's features"
        )
    return TrainResult(
        weights=weights,
        bias=float(bias),
        loss=float(loss),
        loss_history=loss_history,
        backend=problem.backend,
        reduction=problem.reduction,
        learning_rate=problem.learning_rate,
        epochs=problem.epochs,
        dtype=problem.dtype,
    )
