"""train(): validate once, then hand the problem to the chosen backend."""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .backends import get_backend
from .result import TrainResult
from .standardization import Standardization
from .validation import Problem, validate

# "mean" keeps the step size independent of the number of rows: with "sum" the gradient grows with n,
# so a learning rate that works on 12 rows diverges on a million. 0.01 is stable for mean BCE on
# features of order 10 (like the tutorial's); scale features to order 1 and larger rates converge faster.
DEFAULT_LEARNING_RATE = 0.01
DEFAULT_EPOCHS = 1000
DEFAULT_REDUCTION = "mean"
# With a progress bar and no callback, the backend runs up to this many blocks of epochs, each at least
# MIN_PROGRESS_BLOCK long: the numba kernel leaves compiled code at most a hundred times per run, and
# the one extra pass each block ends with (measuring the loss) costs at most 1/16 more work.
PROGRESS_UPDATES = 100
MIN_PROGRESS_BLOCK = 16


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
    l2: float = 0.0,
    tol: float | None = None,
    standardize: bool = False,
    progress: bool = False,
    callback=None,
    callback_every: int = 100,
) -> TrainResult:
    """Fit binary logistic regression by full-batch gradient descent.

    Parameters
    ----------
    X : array-like, shape (n, d)
        Features: bool, int or float; lists, NumPy arrays (any layout, memory-mapped too) and pandas
        frames all work. Never modified, and not copied when it already has the compute dtype.
    y : array-like, shape (n,) or (n, 1)
        Labels 0/1 (bool, int or float).
    backend : {"python", "numpy", "numba"}
        Which implementation runs; all give the same answer to 1e-9. See ``available_backends()``.
    learning_rate : float > 0
        The gradient-descent step.
    epochs : int >= 0
        The most full-batch steps to take.
    reduction : {"mean", "sum"}
        Loss (and gradient) averaged over rows, as PyTorch's default, or summed, as the tutorial.
    init : "zeros", "normal" or (weights, bias)
        Starting point. "normal" draws ``RandomState(random_state).randn(d, 1)`` then ``.randn(1, 1)``.
    random_state : None, int or numpy.random.RandomState
        Seed for ``init="normal"``; ignored otherwise.
    dtype : {"float64", "float32"}
        The dtype X is held in while training; sums and parameters are always float64.
    l2 : float >= 0
        L2 penalty ``l2 / 2 * ||w||^2`` on the weights (not the bias), added to the reduced loss as it
        is: it does not scale with n under either reduction.
    tol : float >= 0 or None
        Early stopping: stop before an update when the loss changed by less than ``tol`` relative to
        the epoch before (|L_k-1 - L_k| < tol |L_k-1|). ``result.converged`` says whether it did.
    standardize : bool
        Train on features scaled to mean 0 and standard deviation 1 (a copy of X), and return the
        weights and bias in the original units.
    progress : bool
        Show a tqdm progress bar over the epochs on stderr.
    callback : callable(epoch, loss) -> bool or None
        Called after every ``callback_every`` epochs with the number of epochs run so far and the
        loss at the current weights; returning True stops training there.

    Returns
    -------
    TrainResult
        ``weights`` (d,), ``bias``, ``loss`` at the returned parameters, ``loss_history``
        (epochs_run,) with entry k the loss before update k, ``epochs_run``, ``converged``, and
        ``predict_proba`` / ``predict`` / ``score`` / ``log_loss`` / ``save``.
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
        l2=l2,
        tol=tol,
        standardize=standardize,
        progress=progress,
        callback=callback,
        callback_every=callback_every,
    )
    X, weights, bias = problem.X, problem.weights, problem.bias
    if problem.standardize:
        standardization = Standardization.of(X)
        X = standardization.transform(X)
        weights, bias = standardization.to_standardized(weights, bias)
    weights, bias, loss, loss_history, converged = _descend(problem, X, weights, bias)
    if not (np.isfinite(loss) and np.isfinite(bias) and np.isfinite(weights).all()):
        raise FloatingPointError(
            f"training diverged: the {problem.backend} backend reached non-finite weights or loss; "
            "lower learning_rate or scale X's features (standardize=True)"
        )
    if problem.standardize:
        weights, bias = standardization.to_original(weights, bias)
    return TrainResult(
        weights=weights,
        bias=float(bias),
        loss=float(loss),
        loss_history=loss_history,
        epochs_run=len(loss_history),
        converged=converged,
        backend=problem.backend,
        reduction=problem.reduction,
        learning_rate=problem.learning_rate,
        epochs=problem.epochs,
        l2=problem.l2,
        tol=problem.tol,
        standardize=problem.standardize,
        dtype=problem.dtype,
        version=_version(),
    )


def _version() -> str:
    from . import __version__  # the package's, set once at import

    return __version__


def _descend(problem: Problem, X, weights, bias):
    """Run the epochs: in one backend call, or in blocks when a progress bar or a callback watches.

    Blocks give the same numbers to the bit: each block ends by measuring the loss at its final
    weights, exactly the pass the next block starts with.
    """
    backend = get_backend(problem.backend)
    prepare = getattr(backend, "prepare", None)
    X, y = prepare(X, problem.y) if prepare else (X, problem.y)  # once, however many blocks follow
    if problem.callback is not None:
        block = problem.callback_every  # the user's cadence; each block ends with one extra pass
    elif problem.progress:
        block = max(MIN_PROGRESS_BLOCK, math.ceil(problem.epochs / PROGRESS_UPDATES))
    else:
        block = max(1, problem.epochs)
    histories, previous, done, converged = [], math.nan, 0, False
    with _progress_bar(problem) as bar:
        while True:
            steps = min(block, problem.epochs - done)
            weights, bias, loss, history = backend.fit(
                X,
                y,
                weights,
                bias,
                problem.learning_rate,
                steps,
                problem.reduction == "mean",
                problem.l2,
                problem.tol or 0.0,
                previous,
            )
            histories.append(history)
            done += len(history)
            bar.update(len(history))
            converged = len(history) < steps
            if converged or done == problem.epochs or not np.isfinite(loss):
                break
            previous = history[-1] if len(history) else previous
            if problem.callback is not None and problem.callback(done, float(loss)):  # truthy: stop
                break
    return weights, bias, loss, np.concatenate(histories), converged


def _progress_bar(problem: Problem):
    if not problem.progress:
        return contextlib.nullcontext(_NoBar)
    from tqdm.auto import tqdm

    return tqdm(total=problem.epochs, unit="epoch", desc=f"fastlogreg[{problem.backend}]", leave=False)


class _NoBar:
    @staticmethod
    def update(_):
        pass
