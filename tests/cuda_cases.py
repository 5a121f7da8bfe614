"""The training runs that test_cuda.py compares between backend="cuda" and the pure-Python reference.

``run_cases(backend)`` trains every case on ``backend``. Run as a script, it trains them on "cuda" and
pickles the results to the path given: test_cuda.py does so in a subprocess with NUMBA_ENABLE_CUDASIM=1,
since numba reads that setting once, when it is first imported. The cases are small because the
simulator runs every GPU thread as a Python thread.
"""

import pickle
import sys
import threading
import traceback

import numpy as np
from tutorial_figures import TUTORIAL

import fastlogreg


def _problem(n, d, seed=0):
    return fastlogreg.make_nba_like(n, n_features=d, random_state=seed)


# name -> (rows, features, train() settings). 2 and 12 rows run as one block, 40 through the grid kernel.
CASES = {
    "tutorial": (None, None, TUTORIAL),
    "gd_l2_tol": (40, 3, dict(learning_rate=0.02, epochs=100, l2=0.1, tol=1e-3)),
    "gd_sum_init": (40, 2, dict(learning_rate=0.001, epochs=20, reduction="sum", init=([0.1, -0.2], 0.3))),
    "gd_standardize": (40, 3, dict(learning_rate=0.5, epochs=20, standardize=True)),
    "gd_float32": (40, 3, dict(learning_rate=0.003, epochs=20, dtype="float32")),
    "newton": (40, 3, dict(l2=0.01)),
    "newton_float32_standardize": (40, 3, dict(dtype="float32", standardize=True)),
    "callback_stops": (12, 3, dict(learning_rate=0.003, epochs=100, callback_every=7, progress=True)),
    "two_rows": (2, 3, dict(learning_rate=0.1, epochs=20)),  # a block smaller than THREADS (numba_cuda.WARP)
    # rows labelled right with |z| near 20: each loss ~2e-9, kept only if no 20 is added to it first
    "confident_rows": ("confident", 1, dict(epochs=0, init=([1.0], 0.0), reduction="sum")),
    # separable classes under l2 = 1e-30: an optimum at w ~ 64, the rows' residuals 1e-28 and 3e-56 (not 0)
    "separable_tiny_l2": ("separable", 1, dict(l2=1e-30)),
    # a feature 1e8 + u, which Newton centres (on the host) before the GPU sees it
    "newton_offset": ("offset", 2, dict()),
    # a feature equal to another plus 3: a tie, read off X (from the GPU too), along which only l2 steps
    "newton_tied": ("tied", 2, dict(l2=1e-10)),
}
STOP_AT = 21  # the callback asks to stop after this many epochs


def _data(rows, features):
    if rows is None:
        return fastlogreg.load_nba_rookie_draft()
    if rows == "confident":  # one feature x = z, labels on the side z points to
        z = np.random.default_rng(3).uniform(18.0, 22.0, 40) * np.tile([1.0, -1.0], 20)
        return z[:, np.newaxis], (z > 0).astype(np.uint8)
    if rows == "separable":
        return np.array([[1.0], [-1.0], [2.0], [-2.0]]), np.array([1, 0, 1, 0], dtype=np.uint8)
    if rows == "offset":
        return _offset_problem()
    if rows == "tied":
        X, y = _problem(40, features)
        return np.column_stack([X, X[:, 0] + 3.0]), y
    return _problem(rows, features)


def _offset_problem():
    X, y = _problem(40, 2)
    return X + np.array([1e8, 0.0]), y


def run_cases(backend, names=tuple(CASES)):
    """{case: (weights, bias, loss, loss_history, epochs_run, converged, callback calls)} on ``backend``."""
    results = {}
    for name in names:
        rows, features, settings = CASES[name]
        calls: list = []
        settings = dict(settings)
        if name == "callback_stops":
            settings["callback"] = lambda done, loss, calls=calls: calls.append((done, loss)) or done >= STOP_AT
        result = fastlogreg.train(*_data(rows, features), backend=backend, **settings)
        results[name] = (
            result.weights, result.bias, result.loss, result.loss_history, result.epochs_run, result.converged, calls
        )  # fmt: skip
    return results


def run_device_input():
    """The "gd_float32", "newton" and "newton_tied" cases again with X already on the GPU (as numba's device
    array), and "newton" by the estimator's fit."""
    from numba import cuda

    results = {}
    for name in ("gd_float32", "newton", "newton_tied"):
        rows, features, settings = CASES[name]
        X, y = _data(rows, features)
        result = fastlogreg.train(cuda.to_device(np.ascontiguousarray(X)), y, backend="cuda", **settings)
        results[name] = (result.weights, result.bias, result.loss, result.loss_history)
    rows, features, settings = CASES["newton"]
    X, y = _data(rows, features)
    model = fastlogreg.LogisticRegressionGD(backend="cuda", **settings).fit(cuda.to_device(np.ascontiguousarray(X)), y)
    results["estimator_newton"] = (model.result_.weights, model.result_.bias, model.result_.loss, model.n_features_in_)
    return results


def run_device_errors():
    """{what: the ValueError's (or warning's) message, None if none was raised} for X already on the GPU."""
    from numba import cuda

    X, y = _problem(40, 3)
    tiny = np.ascontiguousarray(X)
    tiny[5, 1] = 1e-50  # nonzero, below float32's normal range: float32 would make it 0
    messages = {}
    try:
        fastlogreg.train(cuda.to_device(tiny), y, backend="cuda", dtype="float32")
        messages["below float32"] = None
    except ValueError as error:
        messages["below float32"] = str(error)
    X, y = _offset_problem()  # X already on the GPU is not copied to be centred: Newton warns instead
    try:  # the script runs with -W error: the warning is raised
        fastlogreg.train(cuda.to_device(X), y, backend="cuda")
        messages["offset feature"] = None
    except fastlogreg.ConvergenceWarning as warning:
        messages["offset feature"] = str(warning)
    X, y = np.array([[0.0], [0.0], [1.0], [1.0]] * 10), np.array([0, 1, 1, 1] * 10)  # quasi-complete separation
    X = np.column_stack([X, np.zeros(len(y))])  # two columns: a column-major copy is read by columns
    placed = (
        ("host", X),
        ("device", cuda.to_device(X)),
        ("device, column-major", cuda.to_device(np.asfortranarray(X))),
    )
    for where, rows in placed:  # Newton reads the rows of each
        try:
            fastlogreg.train(rows, y, backend="cuda")
            messages[f"quasi-separated, {where}"] = None
        except fastlogreg.ConvergenceWarning as warning:
            messages[f"quasi-separated, {where}"] = str(warning)
    return messages


def live_copies_when_centring():
    """For each copy of the offset case's X to the GPU, how many earlier copies were still alive: Newton
    centres X on a second copy, which the first must not outlive."""
    import gc
    import importlib
    import weakref

    numba_cuda = importlib.import_module("fastlogreg.backends.numba_cuda")
    copies, to_device = [], numba_cuda.cuda.to_device
    counts = []

    def counted(array, *args, **kwargs):
        copy = to_device(array, *args, **kwargs)
        if getattr(array, "ndim", 0) == 2:  # X, not the labels or the weights
            gc.collect()
            counts.append(sum(ref() is not None for ref in copies))
            copies.append(weakref.ref(copy))
        return copy

    numba_cuda.cuda.to_device = counted
    try:
        fastlogreg.train(*_offset_problem(), backend="cuda")
    finally:
        numba_cuda.cuda.to_device = to_device
    return counts


def serialize_simulated_shared_arrays():
    """Give numba-cuda's simulator (0.30.4) a lock around its shared-array allocation.

    Its FakeCUDAShared.array looks the array up, then allocates it if missing, with no lock: two threads
    of a block that both get there before either stores it each allocate one, and the block's tree
    reduction then adds an uninitialized slot. The cuda backend's results are then wrong at random (seen
    once in CI: a Newton line search that found no lower loss). The same method, keyed by its caller's
    source line as the simulator's is, under a lock.
    """
    from numba import types
    from numba.cuda.simulator.kernelapi import FakeCUDAShared
    from numba.np import numpy_support

    unlocked, lock = FakeCUDAShared.array, threading.Lock()

    def array(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:  # dynamic shared memory, or the simulator's own error
            return unlocked(self, shape, dtype, alignment)
        caller = traceback.extract_stack(sys._getframe())[-2][0:2]
        dtype = numpy_support.as_dtype(dtype) if isinstance(dtype, types.Type) else dtype
        with lock:
            if caller not in self._allocations:
                self._allocations[caller] = np.empty(shape, dtype)
            return self._allocations[caller]

    FakeCUDAShared.array = array


if __name__ == "__main__":
    sys.setswitchinterval(1e-5)  # the simulator's threads wait on each other at every syncthreads
    serialize_simulated_shared_arrays()
    outcome = {"cases": run_cases("cuda"), "again": run_cases("cuda", ["gd_l2_tol", "newton"])}
    outcome["device_input"] = run_device_input()
    outcome["device_errors"] = run_device_errors()
    outcome["live_copies"] = live_copies_when_centring()
    with open(sys.argv[1], "wb") as file:
        pickle.dump(outcome, file)
