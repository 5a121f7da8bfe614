"""Numba: the whole training loop compiled; each epoch one fused, vectorized pass over the rows.

How an epoch runs, and why:
- The rows are cut into chunks whose size depends only on the number of features. Each chunk writes
  its partial sums (loss, gradient) into its own row of ``partials``, and the rows are added in chunk
  order afterwards: no races, and the same bits whether one thread or many ran the chunks.
- Large problems run the chunks on all cores (``prange``); small ones stay on one thread, where
  starting threads every epoch would cost more than it saves. Same chunks, same answer.
- A chunk is first copied into a small column-major float64 buffer that stays in cache. From there
  every loop is contiguous and branch-free and so vectorizes: the scores z, then the loss terms and
  residuals (with numba_math's exp and log1p), then the gradient sums. X itself is read once per
  epoch and never copied whole, whatever its layout or float dtype.
"""

import threading

import numba
import numpy as np

from numba.extending import overload

from .numba_config import JIT_OPTIONS, jit
from .numba_math import exp_nonpositive, log1p_unit

# Below this many entries of X, one thread is faster than waking the others every epoch.
PARALLEL_MIN_ENTRIES = 1 << 16
# numba's default "workqueue" threading layer aborts when two threads enter parallel code at once;
# the parallel kernel is entered by one train() at a time (it uses every core anyway).
_PARALLEL_LOCK = threading.Lock()


def chunk_rows(n_features: int) -> int:
    """Rows per chunk: a chunk's working copy stays near 64 KiB, in L2, for any width."""
    return int(np.clip(8192 // n_features, 64, 2048))


def fit(X, y, weights, bias, learning_rate, epochs, mean):
    scale = 1.0 / X.shape[0] if mean else 1.0
    labels = y.astype(np.uint8)  # an eighth of float64's memory traffic per epoch
    w = weights.copy()
    loss_history = np.empty(epochs)
    parallel = X.size >= PARALLEL_MIN_ENTRIES
    arguments = (X, labels, w, float(bias), learning_rate, epochs, scale, chunk_rows(X.shape[1]), parallel, loss_history)
    if parallel:
        with _PARALLEL_LOCK:
            bias, loss = _train(*arguments)
    else:
        bias, loss = _train(*arguments)
    return w, bias, loss, loss_history


@jit()
def _train(X, labels, w, b, learning_rate, epochs, scale, rows_per_chunk, parallel, loss_history):
    """Gradient descent in place on w; returns the final bias and the loss there."""
    n, d = X.shape
    partials = np.empty(((n + rows_per_chunk - 1) // rows_per_chunk, d + 2))
    totals = np.empty(d + 2)
    scratch = np.empty((d + 2) * rows_per_chunk)  # the serial path's working memory, reused every epoch
    for epoch in range(epochs + 1):  # the extra pass measures the loss at the final weights
        if parallel:
            _chunk_sums_parallel(X, labels, w, b, rows_per_chunk, partials)
        else:
            _chunk_sums_serial(X, labels, w, b, rows_per_chunk, partials, scratch)
        totals[:] = 0.0
        for c in range(partials.shape[0]):  # fixed order: repeatable to the bit
            totals += partials[c]
        loss = totals[0] * scale
        if epoch == epochs:
            return b, loss
        loss_history[epoch] = loss
        for j in range(d):
            w[j] -= learning_rate * (totals[2 + j] * scale)
        b -= learning_rate * (totals[1] * scale)
    return b, np.nan  # unreachable: the loop returns


@jit(parallel=True)
def _chunk_sums_parallel(X, labels, w, b, rows_per_chunk, partials):
    n, d = X.shape
    for c in numba.prange(partials.shape[0]):
        start = c * rows_per_chunk
        scratch = np.empty((d + 2) * rows_per_chunk)  # per chunk: threads never share one
        _chunk_sums(X, labels, w, b, start, min(start + rows_per_chunk, n), scratch, partials[c])


@jit()
def _chunk_sums_serial(X, labels, w, b, rows_per_chunk, partials, scratch):
    n = X.shape[0]
    for c in range(partials.shape[0]):
        start = c * rows_per_chunk
        _chunk_sums(X, labels, w, b, start, min(start + rows_per_chunk, n), scratch, partials[c])


@jit()
def _chunk_sums(X, labels, w, b, start, stop, scratch, out):
    """out = [summed loss, gradient of b, gradient of w...] over rows start:stop."""
    m, d = stop - start, X.shape[1]
    # contiguous pieces of one buffer, so that every loop below sees unit strides
    z, loss_terms = scratch[d * m : (d + 1) * m], scratch[(d + 1) * m : (d + 2) * m]
    by_rows = X.flags.c_contiguous and d > 4
    if by_rows:  # wide rows: each score is a dot product along one contiguous row
        for i in range(m):
            z[i] = b + _dot(X[start + i], w)
    else:  # a few features, or columns already contiguous: work column by column from a cached copy
        columns = scratch[: d * m].reshape((d, m))  # this chunk of X, column-major, float64
        _load_columns(X, start, columns)
        z[:] = b
        for j in range(d):
            w_j = w[j]
            for i in range(m):
                z[i] += columns[j, i] * w_j
    for i in range(m):
        z_i, y_i = z[i], float(labels[start + i])
        e = exp_nonpositive(-abs(z_i))  # e^-|z| in (0, 1]: never overflows
        loss_terms[i] = max(z_i, 0.0) + log1p_unit(e) - y_i * z_i  # log(1 + e^z) - y z
        inverse = 1.0 / (1.0 + e)
        z[i] = (inverse if z_i >= 0 else e * inverse) - y_i  # residual p - y, reusing z's buffer
    out[0] = _sum(loss_terms)
    out[1] = _sum(z)
    if by_rows:
        out[2:] = 0.0
        for i in range(m):
            residual, row = z[i], X[start + i]
            for j in range(d):
                out[2 + j] += residual * row[j]
    else:
        for j in range(d):
            out[2 + j] = _dot(z, columns[j])


def _load_columns(X, start, columns):
    """columns[j, i] = X[start + i, j], converted to float64 (compiled by the overload below)."""


@jit(inline="always")
def _load_columns_any_layout(X, start, columns):
    d, m = columns.shape
    for j in range(d):
        for i in range(m):
            columns[j, i] = X[start + i, j]


@overload(_load_columns, jit_options=JIT_OPTIONS)
def _load_columns_for(X, start, columns):
    def row_major(X, start, columns):
        d, m = columns.shape
        if d > 4:
            return _load_columns_any_layout(X, start, columns)
        # Rows of a few features: a constant stride lets LLVM de-interleave with vector shuffles,
        # where the general loop would gather one element at a time.
        flat = X.reshape(-1)[start * d : (start + m) * d]
        if d == 1:
            for i in range(m):
                columns[0, i] = flat[i]
        elif d == 2:
            for i in range(m):
                columns[0, i], columns[1, i] = flat[2 * i], flat[2 * i + 1]
        elif d == 3:
            for i in range(m):
                columns[0, i], columns[1, i], columns[2, i] = flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]
        else:
            for i in range(m):
                columns[0, i], columns[1, i] = flat[4 * i], flat[4 * i + 1]
                columns[2, i], columns[3, i] = flat[4 * i + 2], flat[4 * i + 3]

    return row_major if X.layout == "C" else _load_columns_any_layout.py_func


@jit(reduction=True)
def _sum(a):
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i]
    return total


@jit(reduction=True)
def _dot(a, b):
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i] * b[i]
    return total
