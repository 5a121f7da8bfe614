"""train(): validate once, pick the solver, and run it over the chosen backend's passes.

The layers, top to bottom: ``validation`` checks every input and resolves the defaults into a
``Problem``; ``standardization`` optionally rescales X; a solver (``solvers.gradient_descent`` or
``solvers.newton``) iterates; it asks a backend (``backends``: python, numpy, numba, dask, cuda) for passes
over the rows; ``result.TrainResult`` holds what came out.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .backends import get_backend
from .result import TrainResult
from .solvers import SOLVER_FUNCTIONS, Monitor, OffsetFeatures, in_original_units, newton_centred
from .standardization import Standardization
from .validation import ArrayInput, feature_names_of, validate

# "mean" keeps the step size independent of the number of rows: with "sum" the gradient grows with n,
# so a learning rate that works on 12 rows diverges on a million.
DEFAULT_REDUCTION = "mean"


def train(
    X: ArrayInput,
    y: ArrayInput,
    *,
    backend: str = "numba",
    solver: str = "auto",
    learning_rate: float | None = None,
    epochs: int | None = None,
    reduction: str = DEFAULT_REDUCTION,
    init: str | tuple[Any, Any] = "zeros",
    random_state: int | np.random.RandomState | None = None,
    dtype: str = "float64",
    l2: float = 0.0,
    tol: float | None = None,
    standardize: bool = False,
    progress: bool = False,
    callback: Callable[[int, float], object] | None = None,
    callback_every: int = 100,
) -> TrainResult:
    """Fit binary logistic regression: the optimum by Newton's method, or the tutorial's gradient descent.

    ``train(X, y)`` returns the optimum (``converged=True``) of the mean cross-entropy (plus ``l2``)
    without any tuning: Newton's method, a handful of fused passes over the rows. Give a
    ``learning_rate`` and it runs plain full-batch gradient descent with exactly your settings.

    Parameters
    ----------
    X : array-like, shape (n, d)
        Features: bool, int or float; lists, NumPy arrays (any layout, memory-mapped too), pandas
        frames, dask arrays. Never modified, and not copied when it already has the compute dtype
        (except by standardize=True, and by Newton for features far from 0: see solvers.newton).
    y : array-like, shape (n,) or (n, 1)
        Labels 0/1 (bool, int or float).
    backend : {"python", "numpy", "numba", "dask", "cuda"}
        Which implementation runs the passes; all give the same answer to 1e-9.
        See ``available_backends()``. With "cuda", X may already be on the GPU (CuPy, PyTorch, numba).
    solver : {"auto", "gd", "newton"}
        "gd": full-batch gradient descent with a fixed ``learning_rate``. "newton": Newton's method with
        a line search; each iteration is one pass that also computes the Hessian, O(n d^2), so it pays
        for up to a few hundred features (at most 1024). "auto" (the default): "gd" when a
        ``learning_rate`` is given, "newton" otherwise.
    learning_rate : float > 0, optional
        The gradient-descent step (default 0.01 with solver="gd"). Newton takes none.
    epochs : int >= 0, optional
        gd: the number of full-batch steps (default 1000). newton: the most iterations (default 100).
    reduction : {"mean", "sum"}
        Loss (and gradient) averaged over rows, as PyTorch's default, or summed, as the tutorial.
    init : "zeros", "normal" or (weights, bias)
        Starting point. "normal" draws ``RandomState(random_state).randn(d, 1)`` then ``.randn(1, 1)``.
    random_state : None, int or numpy.random.RandomState
        Seed for ``init="normal"``; checked always, used only there.
    dtype : {"float64", "float32"}
        The dtype X is held in while training; sums and parameters are always float64.
    l2 : float >= 0
        L2 penalty ``l2 / 2 * ||w||^2`` on the weights (not the bias), added to the reduced loss as it
        is: it does not scale with n under either reduction.
    tol : float >= 0 (> 0 for newton), optional
        gd: stop before an update when the loss changed by at most ``tol`` relative to the epoch
        before (|L_k-1 - L_k| < tol |L_k-1|, or L_k = 0); None (the default) runs every epoch. newton: stop when
        the last step's Newton decrement is at most ``tol`` times the loss (default 1e-12,
        ``solvers.newton.DEFAULT_TOL``).
        ``result.converged`` says whether it stopped this way.
    standardize : bool
        Train on features scaled to mean 0 and standard deviation 1 (a copy of X), and return the
        weights and bias in the original units.
    progress : bool
        Show a tqdm progress bar over the epochs (iterations) on stderr.
    callback : callable(epochs_run, loss) -> bool or None
        Called after every ``callback_every`` epochs (iterations) with the number run so far and the
        loss at the current weights; returning True stops training there.
    callback_every : int >= 1
        How many epochs (iterations) between calls of ``callback`` (default 100).

    Returns
    -------
    TrainResult
        ``weights`` (d,), ``bias``, ``loss`` at the returned parameters, ``loss_history``
        (epochs_run,) with entry k the loss before update k, ``epochs_run``, ``converged``, and
        ``predict_proba`` / ``predict`` / ``score`` / ``log_loss`` / ``save``.

    Raises
    ------
    ValueError, TypeError
        For bad input, before any pass over the data.
    ImportError
        When the backend's package (or tqdm, for ``progress=True``) is not installed.
    FloatingPointError
        When gradient descent diverges (the loss ends above where it started, or overflows): the
        message names the learning rate. When Newton's loss, gradient or Hessian overflows float64 at
        the start, or a feature's curvature underflows (the Hessian sums squares of the features): the
        message suggests standardize=True. When Newton's step overflows (a start whose scores are
        hundreds of units on the wrong side): the message suggests init='zeros'. With standardize=True,
        when the weights in X's original units overflow (features of order 1e-308 and below).
    KeyboardInterrupt
        Ctrl-C stops any run within about a second, on every backend (one that lands while numba
        compiles, on a first call, can be lost inside llvmlite: press it again).
    """
    names = feature_names_of(X)  # before validation makes X an array
    problem = validate(
        X,
        y,
        backend=backend,
        solver=solver,
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
        problem = dataclasses.replace(problem, X=X)  # the solvers see the X they train on
    chosen = get_backend(problem.backend)
    data = chosen.prepare(X, problem.y)  # once, however many passes follow
    monitor = Monitor(
        total=problem.epochs,
        entries=math.prod(X.shape),
        label=f"fastlogreg[{problem.backend}] {problem.solver}",
        progress=problem.progress,
        callback=problem.callback,
        callback_every=problem.callback_every,
    )
    with monitor:
        offsets = None
        try:
            fit = SOLVER_FUNCTIONS[problem.solver](chosen, data, weights, bias, problem, monitor)
        except OffsetFeatures as found:  # Newton's features far from 0, centred below on a copy of X
            offsets = found.features
        if offsets is not None:  # out of the except block, whose traceback holds the data too
            del data  # first: on the cuda and dask backends it is a copy of X
            fit = newton_centred(chosen, weights, bias, problem, monitor, offsets)
    if problem.standardize:
        fitted = "newton reached the optimum" if problem.solver == "newton" else "gradient descent converged"
        fit = in_original_units(fit, standardization, f"{fitted} on standardized X")
    return TrainResult(  # finite: each solver raises where the weights, bias or loss would not be
        weights=fit.weights,
        bias=float(fit.bias),
        loss=float(fit.loss),
        loss_history=fit.loss_history,
        epochs_run=len(fit.loss_history),
        converged=fit.converged,
        backend=problem.backend,
        solver=problem.solver,
        reduction=problem.reduction,
        learning_rate=problem.learning_rate,
        epochs=problem.epochs,
        l2=problem.l2,
        tol=problem.tol,
        standardize=problem.standardize,
        dtype=problem.dtype,
        version=_version(),
        feature_names=names,
    )


def _version() -> str:
    from . import __version__  # the package's, set once at import

    return __version__
