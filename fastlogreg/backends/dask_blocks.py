"""Dask: the numba kernel on every row block of X, wherever the blocks live; one round trip per pass.

X is cut into row blocks (whole rows: all columns in one block) and persisted, so the data stays on
the workers and only the weights travel. Each pass one task per block runs a fused numba kernel
(``numba_fused.block_sums``, or ``curvature_block_sums`` for Newton) and returns its partial sums;
they are added in block order — the same bits whichever worker ran which block — and the solver
steps once, in this process. Like every dask
computation, it runs on the active ``distributed.Client`` when there is one, the local threads otherwise.
"""

import math
import os
import threading
import warnings

import dask
import dask.array as da
import dask.threaded
import numpy as np

from .contract import Curvature, Gradient
from .numba_fused import added_in_order, block_sums, curvature_block_sums, unpack_curvature


def _new_threaded_pools_in_child() -> None:
    """dask's threaded scheduler (dask's local threads, used when no distributed.Client is active) keeps
    its thread pools in module globals: a fork()ed child inherits them without their threads, and its
    first computation waits forever (plain dask does the same). Forgotten here, they are started afresh
    in the child, so a child forked after its parent trained here trains too."""
    threaded = dask.threaded
    if not all(hasattr(threaded, name) for name in ("default_pool", "pools", "pools_lock")):
        return  # a dask whose scheduler keeps them otherwise: nothing known to forget
    threaded.default_pool = None
    threaded.pools.clear()
    threaded.pools_lock = threading.Lock()  # it may have been held by another thread at the fork


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_new_threaded_pools_in_child)

# NumPy input is cut into at least this many blocks per worker (so every worker has work), and into
# blocks of at most this many bytes (so no task holds too much).
BLOCKS_PER_WORKER = 2
MAX_BLOCK_BYTES = 128 * 2**20


def prepare(X, y):
    """X and the uint8 labels in whole-row blocks, persisted: sent to the workers once per train()."""
    with warnings.catch_warnings():
        # NumPy input travels inside the graph, once: that is what lets the scheduler rebuild a block
        # whose worker died. distributed warns about large graphs; here the size is the point.
        warnings.filterwarnings("ignore", message="Sending large graph")
        return dask.persist(*_as_blocks(X, y))


def gradient_sums(data, weights, bias) -> Gradient:
    """One round trip: every block's gradient sums, added in block order."""
    totals = _added_in_order(data, block_sums, weights, bias)
    return Gradient(float(totals[0]), totals[2:], float(totals[1]))


def curvature_sums(data, weights, bias) -> Curvature:
    """One round trip: every block's loss, gradient and Hessian sums, added in block order."""
    return unpack_curvature(_added_in_order(data, curvature_block_sums, weights, bias), weights.shape[0])


def _added_in_order(data, kernel, weights, bias):
    """One task per block (plain delayed calls: a few milliseconds per pass where an array graph costs
    several times that), then the partial sums added in block order — the same bits whichever worker
    finished first."""
    X, labels = data
    task = dask.delayed(kernel, pure=False)  # pure=False: a fresh key every pass
    blocks = zip(X.to_delayed().ravel(), labels.to_delayed().ravel(), strict=True)  # in row order
    partials = dask.compute(*[task(X_block, labels_block, weights, bias) for X_block, labels_block in blocks])
    return added_in_order(np.stack(partials))


def _as_blocks(X, y):
    """X as a dask array of whole-row blocks, and the labels (uint8 already: validated) blocked the same way."""
    if not isinstance(X, da.Array):
        rows = math.ceil(X.shape[0] / _block_count(X))
        X = da.from_array(X, chunks=(rows, X.shape[1]))
    X = X.rechunk({1: -1})  # a block must hold whole rows: the kernel needs every feature of a row
    labels = da.asarray(y).rechunk((X.chunks[0],))
    return X, labels


def _block_count(X):
    try:
        from distributed import get_client

        workers = len(get_client().scheduler_info()["workers"])
    except (ImportError, ValueError):  # no distributed, or no client: dask's local threads
        workers = os.cpu_count() or 1
    return max(BLOCKS_PER_WORKER * workers, math.ceil(X.nbytes / MAX_BLOCK_BYTES))
