"""Every check on train()'s inputs, in one place, before any backend runs.

The solvers and backends may then assume: X is a 2-D finite float32/float64 ndarray (a dask array, for
the dask backend) with at least one row and one column; y is a uint8 vector of 0/1 of the same length;
the start is a fresh float64 weight vector and a float bias; the settings are in range, and the
solver and its defaults are resolved (``Problem``).
"""

from __future__ import annotations

import importlib.util
import math
import numbers
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends import get_backend
from .data import label_text
from .solvers import SOLVER_FUNCTIONS
from .solvers.gradient_descent import DEFAULT_EPOCHS, DEFAULT_LEARNING_RATE
from .solvers.newton import DEFAULT_MAX_ITERATIONS, DEFAULT_TOL, MAX_FEATURES
from .solvers.objective import l2_penalty

REDUCTIONS = ("sum", "mean")
INITS = ("zeros", "normal")
DTYPES: dict[str, type[np.floating]] = {"float64": np.float64, "float32": np.float32}
# train() keeps every epoch's loss, 8 bytes each in the float64 array it returns (more while a Python loop
# collects them in a list): at this many epochs that is 8 GB or more, grown epoch by epoch as the run goes.
MAX_EPOCHS = 10**9
# Arrays of at least this many entries are checked in blocks of rows side by side (NumPy's loops release
# the GIL): on one thread, checking 10M x 3 and its labels took 55 ms on 16 cores, as long as 9 epochs.
PARALLEL_CHECK_ENTRIES = 1 << 22
# Entries of |x| computed at a time by the float32 range check (2 MiB): fewer numpy calls per block than
# smaller pieces, and no copy of X. Measured at 4M x 3 on Zen 4, 2 threads: 5-7 ms, as X.min() and X.max().
MAGNITUDE_ENTRIES = 1 << 18


SOLVER_CHOICES = ("auto", *SOLVER_FUNCTIONS)  # what train(solver=...) takes
# What the API takes as X or y: anything np.asarray reads (lists, NumPy arrays of any layout, memory
# maps), pandas frames, dask arrays, GPU arrays for the cuda backend. Checked at run time, here.
ArrayInput = Any


@dataclass(frozen=True)
class Problem:
    """A training problem whose every part has passed validation, its defaults resolved."""

    X: Any  # 2-D finite float32/float64 ndarray (a dask array for the dask backend)
    y: Any  # uint8 vector of 0/1, one per row of X
    weights: np.ndarray  # the start: a fresh float64 vector
    bias: float
    solver: str  # "gd" or "newton" ("auto" resolved)
    learning_rate: float | None  # gd's step; None for newton
    epochs: int  # gd's epochs, newton's most iterations
    reduction: str
    dtype: str
    backend: str
    l2: float
    tol: float | None  # None: gd never stops early
    standardize: bool
    progress: bool
    callback: Callable[[int, float], object] | None
    callback_every: int

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def scale(self) -> float:
        """The factor on the summed loss: 1/n for the mean reduction, 1 for the sum."""
        return 1.0 / self.n_rows if self.reduction == "mean" else 1.0


def validate(
    X,
    y,
    *,
    backend,
    solver,
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
    solver = check_solver(solver, learning_rate)
    newton_solver = solver == "newton"
    if epochs is None:
        epochs = default_epochs(solver)
    if learning_rate is None and not newton_solver:
        learning_rate = DEFAULT_LEARNING_RATE
    if tol is None and newton_solver:
        tol = DEFAULT_TOL
    settings = dict(  # the cheap checks first: a mistyped setting should not wait for a pass over X
        solver=solver,
        learning_rate=None if newton_solver else positive_real(learning_rate, "learning_rate"),
        epochs=check_epochs(epochs),
        reduction=check_reduction(reduction),
        dtype=check_dtype(dtype),
        backend=backend,
        l2=non_negative_real(l2, "l2"),
        tol=None if tol is None else (positive_real if newton_solver else non_negative_real)(tol, "tol"),
        standardize=flag(standardize, "standardize"),
        progress=flag(progress, "progress"),
        callback=callback,
        callback_every=count(callback_every, "callback_every", minimum=1),
    )
    check_random_state(random_state)
    # after flag(): np.bool_(True) asks for a bar too, and must not reach tqdm's import (after dask sent X out)
    if settings["progress"] and importlib.util.find_spec("tqdm") is None:
        raise ImportError("progress=True draws its bar with tqdm: pip install tqdm (or fastlogreg[progress])")
    lazy = backend == "dask"  # dask input stays distributed for the dask backend; others gather it
    X = shaped_features(X, lazy=lazy, device=backend == "cuda")  # X's shape, not yet its values
    if newton_solver and X.shape[1] > MAX_FEATURES:
        raise ValueError(
            f"solver='newton' takes at most {MAX_FEATURES} features (X has {X.shape[1]}): its Hessian "
            "grows with the square of the features; use solver='gd'"
        )
    if settings["standardize"] and on_gpu(X):
        raise ValueError("standardize=True needs X on the host: standardize X on the GPU yourself, or pass it as NumPy")
    y = check_labels(y, n_rows=X.shape[0], lazy=lazy, device=backend == "cuda")  # a pass over y: 1/d of X's
    weights, bias = initial_weights(init, random_state, n_features=X.shape[1])
    check_start_penalty(weights, settings["l2"])
    X = finite_features(X, settings["dtype"])  # last: the one pass over all of X
    return Problem(X=X, y=y, weights=weights, bias=bias, **settings)


def check_solver(solver, learning_rate) -> str:
    """ "gd" or "newton"; "auto" is gradient descent when a learning rate is given, Newton otherwise."""
    if not isinstance(solver, str) or solver not in SOLVER_CHOICES:
        raise ValueError(f"unknown solver {solver!r}: use one of {', '.join(map(repr, SOLVER_CHOICES))}")
    if solver == "auto":
        return "newton" if learning_rate is None else "gd"
    if solver == "newton" and learning_rate is not None:
        raise ValueError("solver='newton' takes no learning_rate: its steps come from the Hessian")
    return solver


def default_epochs(solver: str) -> int:
    """What ``epochs=None`` means for a resolved solver: gd's epochs, or newton's most iterations."""
    return DEFAULT_MAX_ITERATIONS if solver == "newton" else DEFAULT_EPOCHS


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
        # math.log10, not str(): Python's str() of an int stops at 4,300 digits
        shown = f"{epochs:,}" if epochs < 10**18 else f"about 1e{int(math.log10(epochs))}"
        raise ValueError(
            f"epochs must be <= {MAX_EPOCHS:,}, got {shown}: the loss history keeps 8 bytes per epoch, "
            f"{8 * MAX_EPOCHS / 1e9:g} GB at that limit"
        )
    return epochs


def feature_names_of(X) -> tuple[str, ...] | None:
    """A pandas frame's column names when they are all strings, None when none is (scikit-learn's rules);
    names that mix strings with other types are a TypeError, since they could be read neither way."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    strings = [isinstance(name, str) for name in columns]
    if any(strings) and not all(strings):
        kinds = sorted({type(name).__name__ for name in columns})
        raise TypeError(
            f"X's column names mix strings with other types ({', '.join(kinds)}): make them all strings "
            "(X.columns = X.columns.astype(str)) to have them checked, or all of another type"
        )
    return tuple(columns) if any(strings) else None


def check_feature_names(X, fitted: Sequence[str] | None) -> None:
    """A frame given to a model fitted on named columns has those columns, in their order: its columns
    reordered (or named otherwise) would be read by position, a silent wrong answer. Arrays, which have
    no names, are read by position."""
    names = feature_names_of(X)
    if fitted is not None and hasattr(X, "columns") and (names is None or list(names) != list(fitted)):
        raise ValueError(
            f"The feature names should match those that were passed during fit: got {list(X.columns)}, "
            f"fitted on {list(fitted)}"
        )


def check_features(
    X, dtype: str = "float64", *, n_features: int | None = None, lazy: bool = False, device: bool = False
):
    """X as a finite 2-D array of the compute dtype; no copy when it already is one.

    With ``lazy`` a dask array stays a dask array (checked by dask computations, never gathered here);
    with ``device`` an array on the GPU stays there (checked by kernels).
    """
    return finite_features(shaped_features(X, n_features=n_features, lazy=lazy, device=device), dtype)


def shaped_features(X, *, n_features: int | None = None, lazy: bool = False, device: bool = False):
    """X as a numeric 2-D array with rows and features (and ``n_features`` of them, if given): checks
    that need its shape only, none of its values."""
    X = _as_numeric_array(X, "X", lazy=lazy, device=device)
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
    return X


def finite_features(X, dtype: str):
    """``shaped_features``' X, every value checked finite and within ``dtype``, and in that dtype."""
    if on_gpu(X):
        from .backends.numba_cuda import check_device_features

        return check_device_features(X, dtype)
    # A finite sum proves every entry finite without an n-by-d mask; only if it is not finite
    # (a NaN/inf, or mere overflow of large values) do we look entry by entry.
    if X.dtype.kind != "f":
        finite = True
    elif isinstance(X, np.ndarray):
        finite = math.isfinite(sum(_side_by_side(_quiet_sum, X)))
    else:  # a dask array, checked by dask block by block (one block's mask at a time)
        finite = bool(np.isfinite(X).all())
    if not finite:
        bad = ~np.isfinite(X)
        if bad.any():
            row, col = np.argwhere(np.asarray(bad))[0]
            raise ValueError(f"X contains NaN or infinity ({int(bad.sum())} entries; first at row {row}, column {col})")
    if X.dtype.kind == "f" and X.dtype.itemsize > np.dtype(DTYPES[dtype]).itemsize:  # narrowed: check the range
        limits = np.finfo(DTYPES[dtype])
        peak, smallest = _magnitude_range(X)  # in X's dtype: float() would round a long double's to float64
        if peak > limits.max:
            raise ValueError(f"X has values beyond the {dtype} range (|x| > {float(limits.max):.3g})")
        # float32 needs normal values; float64 takes a long double's subnormals, as it takes float64 input's
        least = limits.smallest_normal if dtype == "float32" else limits.smallest_subnormal
        if smallest < least:
            shown = np.format_float_scientific(smallest, precision=2, trim="-")
            remedy = "use dtype='float64' or rescale X" if dtype == "float32" else "rescale X"
            raise ValueError(
                f"X has nonzero values below the {dtype} range (|x| < {float(least):.3g}, smallest {shown}), "
                f"which {dtype} would round to a few digits or to 0; {remedy}"
            )
    if is_dask_array(X):
        return X.astype(DTYPES[dtype])
    return np.asarray(X, dtype=DTYPES[dtype])  # a view, not a copy, when the dtype already matches


def _quiet_sum(block) -> float:
    """The sum of a block's entries, inf or NaN without a warning where large finite values overflow it. (The
    errstate is set here, in the thread that sums: NumPy keeps it per thread.)"""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(block))


def _magnitude_range(X) -> tuple[np.floating, np.floating]:
    """The largest |x| in X and the smallest that is not 0 (inf if all are), in X's dtype."""
    if isinstance(X, np.ndarray):
        parts = _side_by_side(_block_magnitudes, X)
        return max(peak for peak, _ in parts), min(smallest for _, smallest in parts)
    magnitude = abs(X)  # a dask array: dask computes it
    return magnitude.max().compute()[()], np.where(magnitude > 0, magnitude, np.inf).min().compute()[()]


def _block_magnitudes(block) -> tuple[np.floating, np.floating]:
    peak, smallest = block.dtype.type(0), block.dtype.type(np.inf)
    rows = max(1, MAGNITUDE_ENTRIES // block.shape[1])  # |x| of a few rows at a time, in one reused buffer
    magnitude = np.empty((rows, block.shape[1]), dtype=block.dtype)
    for start in range(0, block.shape[0], rows):
        part = np.abs(block[start : start + rows], out=magnitude[: min(rows, block.shape[0] - start)])
        peak = max(peak, part.max())
        least = part.min()
        if least == 0:  # rare: only then a mask, to skip the zeros
            least = part.min(where=part > 0, initial=np.inf)
        smallest = min(smallest, least)
    return peak, smallest


def label_vector(y):
    """Labels of shape (n,) or (n, 1) as shape (n,), a view; any other shape is a ValueError."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n,) or (n, 1), got {y.shape}")
    return y


def check_labels(y, *, n_rows: int, lazy: bool = False, device: bool = False):
    """y as a fresh uint8 vector of 0/1 (with ``lazy``, a dask array stays one).

    Checked in y's own dtype, so the only copy is the uint8 one: an eighth of a float64 copy.
    """
    y = _as_numeric_array(y, "y", lazy=lazy, device=device)
    if on_gpu(y):
        y = y.copy_to_host()  # a vector: checked here, and the backend copies its uint8 form back
    y = label_vector(y)
    if y.shape[0] != n_rows:
        raise ValueError(f"X and y have different lengths: X has {n_rows} rows, y has {y.shape[0]}")
    if y.dtype == bool:
        return y.astype(np.uint8)  # always a copy: the caller's y is never touched
    if isinstance(y, np.ndarray):
        labels = np.empty(y.shape, dtype=np.uint8)  # always a copy: the caller's y is never touched
        has_others = any(_side_by_side(_as_binary, y, labels))
    else:  # a dask array: dask computes the test, and the copy when it is used
        has_others, labels = _not_binary(y), y.astype(np.uint8)
    if has_others:
        if y.dtype.kind == "f" and np.isnan(y).any():
            raise ValueError("y contains NaN: labels must be 0 or 1")
        examples = ", ".join(map(label_text, np.unique(np.asarray(y[_non_binary(y)]))[:5]))
        raise ValueError(f"y must contain only 0 and 1 labels, found {examples}")
    return labels


def _non_binary(y):
    """Where y holds anything but 0 or 1 (NaN too)."""
    return (y != 0) & (y != 1)


def _not_binary(y) -> bool:
    """Whether y holds anything but 0 and 1."""
    return bool(_non_binary(y).any())


def _as_binary(y, labels) -> bool:
    """labels = y as uint8, unless y holds anything but 0 and 1: then True, and labels are left unset."""
    if _not_binary(y):
        return True
    labels[:] = y
    return False


def _side_by_side(check: Callable[..., Any], *arrays: np.ndarray) -> list:
    """[check(*blocks) for each block of rows of the arrays] (the same rows of each): one block,
    unless the first array is large enough to be checked in a block per thread, side by side."""
    threads = _check_threads() if arrays[0].size >= PARALLEL_CHECK_ENTRIES else 1
    if threads > 1:
        try:
            with ThreadPoolExecutor(threads) as pool:
                return list(pool.map(check, *(np.array_split(array, threads) for array in arrays)))
        except RuntimeError:  # no new threads at interpreter shutdown (train() from an atexit handler)
            pass
    return [check(*arrays)]


def _check_threads() -> int:
    """How many threads check a large input: numba's count once numba's threads run (so that
    numba.set_num_threads applies), else the count numba would start (NUMBA_NUM_THREADS), else the
    CPUs this process may use. Never numba.get_num_threads() before numba's threads run: it would
    start them here, in its default threading layer, before fork_safety could choose for a forked
    child (OpenMP hangs in a child forked from a process whose OpenMP threads ran)."""
    numba = sys.modules.get("numba")
    if numba is None:  # not imported (the python and numpy backends): not imported here either
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        numba.threading_layer()  # ValueError until numba has started its threads
    except ValueError:
        return int(numba.config.NUMBA_NUM_THREADS)
    return int(numba.get_num_threads())


def real(value, name) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:  # an int past float64's range
        raise ValueError(f"{name} must be finite, got {type(value).__name__} beyond float64's range") from None


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
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
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
    weights, bias = _as_numeric_array(init[0], "init weights"), _as_numeric_array(init[1], "init bias")
    for values, name in ((weights, "init weights"), (bias, "init bias")):
        if values.dtype == np.bool_:  # as for every numeric setting: True is no starting value
            raise TypeError(f"{name} must be real, got bool")
    weights, bias = weights.astype(np.float64), bias.astype(np.float64)  # copies: the caller's stay
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.shape != (n_features,):
        raise ValueError(f"init weights must have length {n_features} (one per feature), got shape {weights.shape}")
    if bias.size != 1:
        raise ValueError(f"init bias must be a single number, got shape {bias.shape}")
    if not (np.isfinite(weights).all() and np.isfinite(bias).all()):
        raise ValueError("init weights and bias must be finite")
    return weights, float(bias.reshape(()))


def check_start_penalty(weights: np.ndarray, l2: float) -> None:
    """The L2 penalty l2/2 |w|^2 at the start is finite: where it is not, no solver can take a step, and
    the overflow would otherwise be reported as the data's or the learning rate's."""
    with np.errstate(over="ignore"):  # an overflow is this check's finding, reported below
        penalty = l2_penalty(weights, l2)
    if not math.isfinite(penalty):
        raise ValueError(
            f"init weights up to {np.max(np.abs(weights)):.3g} make the L2 penalty l2/2 * |w|^2 overflow "
            f"float64 (l2={l2:g}): start from smaller weights, or set l2=0"
        )


def check_random_state(random_state) -> None:
    """None, an int in [0, 2**32) or a RandomState, whether or not init draws from it: a mistyped seed
    is a mistake even where it goes unused."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) < 2**32:
            raise ValueError(f"random_state must be between 0 and 2**32 - 1, got {random_state}")
        return
    raise TypeError(f"random_state must be None, an int or a numpy.random.RandomState, got {random_state!r}")


def _legacy_random_state(random_state) -> np.random.RandomState:
    """The RandomState of a checked random_state (None: one seeded by the operating system)."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(None if random_state is None else int(random_state))


def is_dask_array(values) -> bool:
    dask_array = sys.modules.get("dask.array")  # if dask was never imported, this is no dask array
    return dask_array is not None and isinstance(values, dask_array.Array)


def on_gpu(values) -> bool:
    """An array in GPU memory (CuPy, PyTorch, numba; or the CUDA simulator's stand-in)."""
    return hasattr(values, "__cuda_array_interface__") or bool(getattr(values, "__cuda_ndarray__", False))


def as_host_array(values, name: str) -> np.ndarray:
    """np.asarray(values), of any dtype, with a clear error where that would drop or misread something:
    sparse and masked arrays (a masked row in a list too), iterators, ragged nested lists."""
    if hasattr(values, "toarray") and hasattr(values, "nnz"):  # scipy.sparse, without importing scipy
        raise TypeError(f"{name} is a sparse matrix: sparse input is not supported; pass {name}.toarray()")
    masked_rows = isinstance(values, (list, tuple)) and any(isinstance(row, np.ma.MaskedArray) for row in values)
    if isinstance(values, np.ma.MaskedArray) or masked_rows:  # np.asarray would drop the mask
        raise TypeError(f"{name} is a masked array: fill or drop the masked entries first")
    if isinstance(values, Iterator):  # np.asarray would wrap it whole in one object
        raise TypeError(f"{name} is an iterator ({type(values).__name__}): pass a list or an array, e.g. list({name})")
    try:
        return np.asarray(values)
    except ValueError as error:  # e.g. ragged nested lists
        raise ValueError(f"{name} could not be read as a rectangular array: {error}") from None
    except TypeError as error:  # e.g. a type NumPy has no dtype for (a torch bfloat16 tensor)
        raise TypeError(f"{name} could not be read as a NumPy array: {error}") from None
    except RuntimeError as error:  # e.g. a PyTorch tensor that requires grad
        raise TypeError(f"{name} could not be read as an array: {error}") from None


def _as_numeric_array(values, name: str, *, lazy: bool = False, device: bool = False):
    """An array of bool, integer or real floating dtype; a clear error for anything else.

    NumPy's, or with ``lazy`` a dask array as it is (sizes computed if unknown), or with ``device`` an
    array on the GPU as numba sees it (no copy).
    """
    if on_gpu(values):
        if not device:
            raise TypeError(f"{name} is an array on the GPU: use backend='cuda', or copy it to the host first")
        from .backends.numba_cuda import as_device_array

        values = as_device_array(values)
        _check_numeric_dtype(values.dtype, name)
        return values
    if lazy and is_dask_array(values):
        if any(math.isnan(size) for size in values.shape):
            values = values.compute_chunk_sizes()
        _check_numeric_dtype(values.dtype, name)
        return values
    array = as_host_array(values, name)
    if array.dtype == object and array.size:
        array = _numbers_of(array, name)  # e.g. a pandas frame mixing bool, int and float columns
    _check_numeric_dtype(array.dtype, name)
    return array


def _numbers_of(array: np.ndarray, name: str) -> np.ndarray:
    """An object array of numbers as float64, pandas' missing value as NaN; as it is if anything else is in it."""
    if not all(isinstance(value, (numbers.Real, np.bool_)) or _is_pandas_na(value) for value in array.flat):
        return array  # refused by the dtype check as non-numeric
    # over="raise": a long double beyond float64's range is an error below, not an inf and a warning
    with np.errstate(over="raise"):
        try:
            return array.astype(np.float64)
        except (TypeError, OverflowError, FloatingPointError):  # pandas.NA beside floats, or a huge number
            pass
        numbers_only = np.empty(array.shape)
        for index, value in np.ndenumerate(array):
            try:
                numbers_only[index] = np.nan if _is_pandas_na(value) else value
            except (OverflowError, FloatingPointError):
                digits, at = int(math.log10(abs(int(value)))), ", ".join(map(str, index))  # log10: see check_epochs
                raise ValueError(f"{name} has a number too large for float64 (about 1e{digits}) at [{at}]") from None
    return numbers_only


def _is_pandas_na(value) -> bool:
    return type(value).__name__ == "NAType"  # without importing pandas


def _check_numeric_dtype(dtype, name):
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} must be real numbers (bool, int or float)")
    if dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers (bool, int or float), got non-numeric ({dtype}) values")
