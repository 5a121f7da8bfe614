"""Dask: the numba kernel on every row block of X, wherever the blocks live; one update per epoch.

X is cut into row blocks (whole rows: all columns in one block) and persisted, so the data stays on
the workers and only the weights travel. Each epoch one task per block runs the fused numba kernel
(``numba_fused.block_sums``) and returns its partial sums; they are added in block order — the same
bits whichever worker ran which block — and the update happens once, here. Like every dask
computation, it runs on the active ``distributed.Client`` when there is one, the local threads otherwise.
"""

import math
import os
import warnings

import dask
import dask.array as da
import numpy as np

from .numba_fused import block_sums

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


def fit(X, labels, weights, bias, learning_rate, epochs, mean, l2, tol, previous_loss):
    blocks = list(zip(X.to_delayed().ravel(), labels.to_delayed().ravel(), strict=True))  # in row order
    scale = 1.0 / X.shape[0] if mean else 1.0
    w, b = weights.copy(), float(bias)
    loss_history, previous = [], previous_loss
    for epoch in range(epochs + 1):  # the last pass only measures the loss at the final weights
        totals = _epoch_sums(blocks, w, b)
        loss = totals[0] * scale + 0.5 * l2 * float(w @ w)
        if epoch == epochs or abs(previous - loss) < tol * abs(previous):  # done, or converged
            return w, b, loss, np.array(loss_history, dtype=np.float64)
        loss_history.append(loss)
        w = w - learning_rate * (totals[2:] * scale + l2 * w)
        b -= learning_rate * (totals[1] * scale)
        previous = loss


def _epoch_sums(blocks, w, b):
    """One task per block (plain delayed calls: a few milliseconds per epoch where an array graph
    costs several times that), then the partial sums added in block order — the same bits whichever
    worker finished first."""
    partials = dask.compute(*[_block_sums(X_block, labels_block, w, b) for X_block, labels_block in blocks])
    totals = np.zeros(w.shape[0] + 2)
    for row in partials:
        totals += row
    return totals


_block_sums = dask.delayed(block_sums, pure=False)  # pure=False: a fresh key every epoch


def _as_blocks(X, y):
    """X as a dask array of whole-row blocks, and the labels (uint8) blocked the same way."""
    if not isinstance(X, da.Array):
        rows = math.ceil(X.shape[0] / _block_count(X))
        X = da.from_array(X, chunks=(rows, X.shape[1]))
    X = X.rechunk({1: -1})  # a block must hold whole rows: the kernel needs every feature of a row
    labels = da.asarray(y).astype(np.uint8).rechunk((X.chunks[0],))
    return X, labels


def _block_count(X):
    try:
        from distributed import get_client

        workers = len(get_client().scheduler_info()["workers"])
    except (ImportError, ValueError):  # no distributed, or no client: dask's local threads
        workers = os.cpu_count() or 1
    return max(BLOCKS_PER_WORKER * workers, math.ceil(X.nbytes / MAX_BLOCK_BYTES))
