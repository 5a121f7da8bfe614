"""Every check on train()'s inputs, in one place, before any backend runs.

The backends may then assume: X is a 2-D finite float32/float64 ndarray with at least one row and
one column; y is a float64 vector of 0.0/1.0 of the same length; the start is a fresh float64 weight
vector and a float bias; the hyper-parameters are in range.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .backends import get_backend

REDUCTIONS = ("sum", "mean")
INITS = ("zeros", "normal")
DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass(frozen=True)
class Problem:
    """A training problem whose every part has passed validation."""

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    bias: float
    learning_rate: float
    epochs: int
    reduction: str
    dtype: str
    backend: str


def validate(X, y, *, backend, learning_rate, epochs, reduction, init, random_state, dtype) -> Problem:
    get_backend(backend)  # unknown or uninstalled backend: fail before looking at the data
    dtype = check_dtype(dtype)
    X = check_features(X, dtype)
    y = check_labels(y, n_rows=X.shape[0])
    weights, bias = initial_weights(init, random_state, n_features=X.shape[1])
    return Problem(
        X=X,
        y=y,
        weights=weights,
        bias=bias,
        learning_rate=check_learning_rate(learning_rate),
        epochs=check_epochs(epochs),
        reduction=check_reduction(reduction),
        dtype=dtype,
        backend=backend,
    )


def check_dtype(dtype) -> str:
    try:
        name = None if dtype is None else np.dtype(dtype).name  # np.dtype(None) would be float64
    except TypeError:
        name = None
    if name not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}: use one of {', '.join(map(repr, DTYPES))}")
    return name


def check_features(X, dtype: str = "float64", *, n_features: int | None = None) -> np.ndarray:
    """X as a finite 2-D array of the compute dtype; no copy when it already is one."""
    X = _as_numeric_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (rows x features), got {X.ndim}-D with shape {X.shape}")
    n, d = X.shape
    if n == 0:
        raise ValueError("X has zero rows: need at least one sample")
    if d == 0:
        raise ValueError("X has zero features: need at least one column")
    if n_features is not None and d != n_features:
        raise ValueError(f"X has {d} features, but the model was trained on {n_features}")
    # A finite sum proves every entry finite without an n-by-d mask; only if it is not finite
    # (a NaN/inf, or mere overflow of large values) do we look entry by entry.
    with np.errstate(over="ignore", invalid="ignore"):
        total = X.sum() if X.dtype.kind == "f" else 0.0
    if not np.isfinite(total):
        bad = ~np.isfinite(X)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"X contains NaN or infinity ({int(bad.sum())} entries; first at row {row}, column {col})"
            )
    limit = np.finfo(DTYPES[dtype]).max
    if X.dtype.kind == "f" and X.dtype.itemsize > np.dtype(DTYPES[dtype]).itemsize and max(-X.min(), X.max()) > limit:
        raise ValueError(f"X has values beyond the {dtype} range (|x| > {limit:.3g})")
    return np.asarray(X, dtype=DTYPES[dtype])  # a view, not a copy, when the dtype already matches


def check_labels(y, *, n_rows: int) -> np.ndarray:
    """y as a fresh float64 vector of 0.0/1.0."""
    y = _as_numeric_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n,) or (n, 1), got {y.shape}")
    if y.shape[0] != n_rows:
        raise ValueError(f"X and y have different lengths: X has {n_rows} rows, y has {y.shape[0]}")
    y = y.astype(np.float64)  # always a copy: the caller's y is never touched
    if np.isnan(y).any():
        raise ValueError("y contains NaN: labels must be 0 or 1")
    bad = (y != 0) & (y != 1)
    if bad.any():
        examples = ", ".join(f"{v:g}" for v in np.unique(y[bad])[:5])
        raise ValueError(f"y must contain only 0 and 1 labels, found {examples}")
    return y


def check_learning_rate(learning_rate) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate must be a real number, got {type(learning_rate).__name__}")
    learning_rate = float(learning_rate)
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be finite and > 0, got {learning_rate}")
    return learning_rate


def check_epochs(epochs) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral):
        raise TypeError(f"epochs must be an int, got {type(epochs).__name__} {epochs!r}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    return int(epochs)


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}: use 'sum' or 'mean'")
    return reduction


def initial_weights(init, random_state, *, n_features: int) -> tuple[np.ndarray, float]:
    """The starting (weights, bias): zeros, the tutorial's normal draw, or the caller's own."""
    if isinstance(init, str):
        if init == "zeros":
            return np.zeros(n_features), 0.0
        if init == "normal":
            rng = _legacy_random_state(random_state)
            weights = rng.randn(n_features, 1)[:, 0]  # the tutorial's draw order: W, then B
            return weights, float(rng.randn(1, 1)[0, 0])
        raise ValueError(f"unknown init {init!r}: use 'zeros', 'normal' or a (weights, bias) pair")
    if not (isinstance(init, (tuple, list)) and len(init) == 2):
        raise TypeError("init must be 'zeros', 'normal' or a (weights, bias) pair")
    weights = _as_numeric_array(init[0], "init weights").astype(np.float64)  # a copy: caller's stays
    bias = _as_numeric_array(init[1], "init bias").astype(np.float64)
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.shape != (n_features,):
        raise ValueError(f"init weights must have length {n_features} (one per feature), got shape {weights.shape}")
    if bias.size != 1:
        raise ValueError(f"init bias must be a single number, got shape {bias.shape}")
    if not (np.isfinite(weights).all() and np.isfinite(bias).all()):
        raise ValueError("init weights and bias must be finite")
    return weights, float(bias.reshape(()))


def _legacy_random_state(random_state) -> np.random.RandomState:
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        return np.random.RandomState(random_state)
    raise TypeError(f"random_state must be None, an int or a numpy.random.RandomState, got {random_state!r}")


def _as_numeric_array(values, name: str) -> np.ndarray:
    """An ndarray of bool, integer or real floating dtype; a clear error for anything else."""
    if isinstance(values, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array: fill or drop the masked entries first")
    try:
        array = np.asarray(values)
    except (ValueError, TypeError) as error:  # e.g. ragged nested lists
        raise ValueError(f"{name} could not be read as a rectangular array: {error}") from None
    if array.dtype == object and array.size and all(isinstance(v, (numbers.Real, np.bool_)) for v in array.flat):
        array = array.astype(np.float64)  # e.g. a pandas frame mixing bool, int and float columns
    if array.dtype.kind not in "biuf":
        kind = "complex" if array.dtype.kind == "c" else f"non-numeric ({array.dtype})"
        raise TypeError(f"{name} must be real numbers (bool, int or float), got {kind} values")
    return array
