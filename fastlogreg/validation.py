"""Every check on train()'s inputs, in one place, before any backend runs.

The backends may then assume: X is a 2-D finite float32/float64 ndarray (a dask array, for the dask
backend) with at least one row and one column; y is a float64 vector of 0.0/1.0 of the same length;
the start is a fresh float64 weight vector and a float bias; the hyper-parameters are in range.
"""

from __future__ import annotations

import importlib.util
import math
import numbers
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .backends import get_backend

REDUCTIONS = ("sum", "mean")
INITS = ("zeros", "normal")
DTYPES: dict[str, type[np.floating]] = {"float64": np.float64, "float32": np.float32}
# train() keeps every epoch's loss, 8 bytes each: at this many epochs that is 8 GB, allocated up front.
MAX_EPOCHS = 10**9


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
    l2: float
    tol: float | None
    standardize: bool
    progress: bool
    callback: object
    callback_every: int


def validate(
    X,
    y,
    *,
    backend,
    learning_rate,
    epochs,
    reduction,
    init,
    random_state,
    dtype,
    l2,
    tol,
    standardize,
    progress,
    callback,
    callback_every,
) -> Problem:
    get_backend(backend)  # unknown or uninstalled backend: fail before looking at the data
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if progress is True and importlib.util.find_spec("tqdm") is None:
        raise ImportError("progress=True draws its bar with tqdm: pip install tqdm (or fastlogreg[progress])")
    settings = dict(  # the cheap checks first: a mistyped setting should not wait for a pass over X
        learning_rate=positive_real(learning_rate, "learning_rate"),
        epochs=check_epochs(epochs),
        reduction=check_reduction(reduction),
        dtype=check_dtype(dtype),
        backend=backend,
        l2=non_negative_real(l2, "l2"),
        tol=None if tol is None else non_negative_real(tol, "tol"),
        standardize=flag(standardize, "standardize"),
        progress=flag(progress, "progress"),
        callback=callback,
        callback_every=count(callback_every, "callback_every", minimum=1),
    )
    lazy = backend == "dask"  # dask input stays distributed for the dask backend; others gather it
    X = check_features(X, settings["dtype"], lazy=lazy)
    y = check_labels(y, n_rows=X.shape[0], lazy=lazy)
    weights, bias = initial_weights(init, random_state, n_features=X.shape[1])
    return Problem(X=X, y=y, weights=weights, bias=bias, **settings)


def check_dtype(dtype) -> str:
    try:
        name = None if dtype is None else np.dtype(dtype).name  # np.dtype(None) would be float64
    except TypeError:
        name = None
    if name not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}: use one of {', '.join(map(repr, DTYPES))}")
    return name


def check_epochs(epochs) -> int:
    epochs = count(epochs, "epochs", minimum=0)
    if epochs > MAX_EPOCHS:
        raise ValueError(
            f"epochs must be <= {MAX_EPOCHS:,}, got {epochs:,}: the loss history keeps 8 bytes per epoch "
            f"({8 * epochs / 2**30:,.0f} GiB here)"
        )
    return epochs


def check_features(X, dtype: str = "float64", *, n_features: int | None = None, lazy: bool = False):
    """X as a finite 2-D array of the compute dtype; no copy when it already is one.

    With ``lazy`` a dask array stays a dask array (checked by dask computations, never gathered here).
    """
    X = _as_numeric_array(X, "X", lazy=lazy)
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (rows x features), got {X.ndim}-D with shape {X.shape}. "
            "Reshape your data: X.reshape(-1, 1) for one feature, X.reshape(1, -1) for one row"
        )
    n, d = X.shape
    if n == 0:
        raise ValueError(f"X has zero rows: found 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
    if d == 0:
        raise ValueError(f"X has zero features: found 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
    if n_features is not None and d != n_features:
        raise ValueError(f"X has {d} features, but the model was trained on {n_features}")
    # A finite sum proves every entry finite without an n-by-d mask; only if it is not finite
    # (a NaN/inf, or mere overflow of large values) do we look entry by entry.
    with np.errstate(over="ignore", invalid="ignore"):
        total = X.sum() if X.dtype.kind == "f" else 0.0
    if not np.isfinite(total):
        bad = ~np.isfinite(X)
        if bad.any():
            row, col = np.argwhere(np.asarray(bad))[0]
            raise ValueError(f"X contains NaN or infinity ({int(bad.sum())} entries; first at row {row}, column {col})")
    limit = np.finfo(DTYPES[dtype]).max
    if X.dtype.kind == "f" and X.dtype.itemsize > np.dtype(DTYPES[dtype]).itemsize and max(-X.min(), X.max()) > limit:
        raise ValueError(f"X has values beyond the {dtype} range (|x| > {limit:.3g})")
    if _is_dask_array(X):
        return X.astype(DTYPES[dtype])
    return np.asarray(X, dtype=DTYPES[dtype])  # a view, not a copy, when the dtype already matches


def check_labels(y, *, n_rows: int, lazy: bool = False):
    """y as a fresh float64 vector of 0.0/1.0 (with ``lazy``, a dask array stays one)."""
    y = _as_numeric_array(y, "y", lazy=lazy)
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
        examples = ", ".join(f"{v:g}" for v in np.unique(np.asarray(y[bad]))[:5])
        raise ValueError(f"y must contain only 0 and 1 labels, found {examples}")
    return y


def real(value, name) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def positive_real(value, name) -> float:
    value = real(value, name)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return value


def non_negative_real(value, name) -> float:
    value = real(value, name)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value}")
    return value


def count(value, name, *, minimum) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def flag(value, name) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


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
    if random_state is None:
        return np.random.RandomState()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) < 2**32:
            raise ValueError(f"random_state must be between 0 and 2**32 - 1, got {random_state}")
        return np.random.RandomState(int(random_state))
    raise TypeError(f"random_state must be None, an int or a numpy.random.RandomState, got {random_state!r}")


def _is_dask_array(values) -> bool:
    dask_array = sys.modules.get("dask.array")  # if dask was never imported, this is no dask array
    return dask_array is not None and isinstance(values, dask_array.Array)


def _as_numeric_array(values, name: str, *, lazy: bool = False):
    """An array of bool, integer or real floating dtype; a clear error for anything else.

    NumPy's, or with ``lazy`` a dask array as it is (sizes computed if unknown).
    """
    if lazy and _is_dask_array(values):
        if any(math.isnan(size) for size in values.shape):
            values = values.compute_chunk_sizes()
        _check_numeric_dtype(values.dtype, name)
        return values
    if hasattr(values, "toarray") and hasattr(values, "nnz"):  # scipy.sparse, without importing scipy
        raise TypeError(f"{name} is a sparse matrix: sparse input is not supported; pass {name}.toarray()")
    if isinstance(values, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array: fill or drop the masked entries first")
    if isinstance(values, Iterator):  # np.asarray would wrap it whole in one object
        raise TypeError(f"{name} is an iterator ({type(values).__name__}): pass a list or an array, e.g. list({name})")
    try:
        array = np.asarray(values)
    except (ValueError, TypeError) as error:  # e.g. ragged nested lists
        raise ValueError(f"{name} could not be read as a rectangular array: {error}") from None
    if array.dtype == object and array.size:
        array = _numbers_of(array, name)  # e.g. a pandas frame mixing bool, int and float columns
    _check_numeric_dtype(array.dtype, name)
    return array


def _numbers_of(array: np.ndarray, name: str) -> np.ndarray:
    """An object array of numbers as float64, pandas' missing value as NaN; as it is if anything else is in it."""
    if not all(isinstance(value, (numbers.Real, np.bool_)) or _is_pandas_na(value) for value in array.flat):
        return array  # refused by the dtype check as non-numeric
    try:
        return array.astype(np.float64)
    except (TypeError, OverflowError):  # pandas.NA (a nullable Int64 column beside a float one), or a huge int
        pass
    numbers_only = np.empty(array.shape)
    for index, value in np.ndenumerate(array):
        try:
            numbers_only[index] = np.nan if _is_pandas_na(value) else value
        except OverflowError:
            digits, at = len(str(abs(int(value)))) - 1, ", ".join(map(str, index))
            raise ValueError(f"{name} has a number too large for float64 (about 1e{digits}) at [{at}]") from None
    return numbers_only


def _is_pandas_na(value) -> bool:
    return type(value).__name__ == "NAType"  # without importing pandas


def _check_numeric_dtype(dtype, name):
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} must be real numbers (bool, int or float)")
    if dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers (bool, int or float), got non-numeric ({dtype}) values")
