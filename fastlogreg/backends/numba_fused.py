"""Numba: the whole training loop compiled; each epoch one fused, vectorized pass over the rows.

How an epoch runs, and why:
- The rows are cut into chunks whose size depends only on the number of features. Each chunk writes
  its partial sums (loss, gradient) into its own row of ``partials``, and the rows are added in chunk
  order afterwards: no races, and the same bits whether one thread or many ran the chunks.
- Large problems run the chunks on all cores (``prange``); small ones stay on one thread, where
  starting threads every epoch would cost more than it saves. Same chunks, same answer.
- A chunk of a few features (or of column-major X) is first copied into a small column-major float64
  buffer that stays in cache; wide row-major X is read row by row instead. From there every loop is
  contiguous and branch-free and so vectorizes: the scores z, then the loss terms and residuals (with
  numba_math's exp and log1p), then the gradient sums. X itself is read once per epoch and never
  copied whole, whatever its layout or float dtype.
"""

import threading

import numba
import numpy as np

from .numba_config import jit
from .numba_math import exp_nonpositive, log1p_and_reciprocal

# Below this many entries of X, one thread is faster than waking the others every epoch.
PARALLEL_MIN_ENTRIES = 1 << 16
# numba's default "workqueue" threading layer aborts when two threads enter parallel code at once;
# the parallel kernel is entered by one train() at a time (it uses every core anyway).
_PARALLEL_LOCK = threading.Lock()
# Tasks per parallel epoch: several per core on 16 cores, so that threads stay balanced. (Not the
# thread count: numba.get_num_threads() in compiled code would stop it from being cached.)
PARALLEL_TASKS = 64


# The exp/log1p loop runs to a multiple of this many rows: a few extra rows of vector work cost less
# than the scalar remainder iterations they replace (which dominate an epoch on a dozen rows).
PAD_ROWS = 8


def chunk_rows(n_features: int) -> int:
    """Rows per chunk, a multiple of PAD_ROWS: a chunk's working copy stays near 64 KiB, in L2."""
    return min(max(8192 // n_features, 64), 2048) // PAD_ROWS * PAD_ROWS


def prepare(X, y):
    """The labels as uint8: an eighth of float64's memory traffic per epoch."""
    return X, y.astype(np.uint8)


def fit(X, labels, weights, bias, learning_rate, epochs, mean, l2, tol, previous_loss):
    scale = 1.0 / X.shape[0] if mean else 1.0
    w = weights.copy()
    loss_history = np.empty(epochs)
    parallel = X.size >= PARALLEL_MIN_ENTRIES
    arguments = (
        X,
        labels,
        w,
        float(bias),
        learning_rate,
        epochs,
        scale,
        l2,
        tol,
        previous_loss,
        chunk_rows(X.shape[1]),
        _by_rows(X),
        parallel,
        loss_history,
    )
    if parallel:
        with _PARALLEL_LOCK:
            bias, loss, epochs_run = _train(*arguments)
    else:
        bias, loss, epochs_run = _train(*arguments)
    return w, bias, loss, loss_history[:epochs_run]


@jit()
def _train(
    X, labels, w, b, learning_rate, epochs, scale, l2, tol, previous, rows_per_chunk, by_rows, parallel, loss_history
):
    """Gradient descent in place on w; returns the final bias, the loss there and the epochs run."""
    n, d = X.shape
    partials = np.empty(((n + rows_per_chunk - 1) // rows_per_chunk, d + 2))
    totals = np.empty(d + 2)
    columns, z, loss_terms = _working_arrays(d, rows_per_chunk)  # the serial path's, reused every epoch
    for epoch in range(epochs + 1):  # the extra pass measures the loss at the final weights
        if parallel:
            _chunk_sums_parallel(X, labels, w, b, rows_per_chunk, by_rows, partials)
        else:
            _chunk_sums_serial(X, labels, w, b, rows_per_chunk, by_rows, partials, columns, z, loss_terms)
        _add_in_order(partials, totals)
        squared_norm = 0.0
        for j in range(d):
            squared_norm += w[j] * w[j]
        loss = totals[0] * scale + 0.5 * l2 * squared_norm  # L2 penalty on w, not b
        if epoch == epochs or abs(previous - loss) < tol * abs(previous):  # done, or converged
            return b, loss, epoch
        loss_history[epoch] = loss
        for j in range(d):
            w[j] -= learning_rate * (totals[2 + j] * scale + l2 * w[j])
        b -= learning_rate * (totals[1] * scale)
        previous = loss
    return b, np.nan, epochs  # unreachable: the loop returns


def block_sums(X, labels, w, b):
    """[summed loss, gradient of b, gradient of w...] over all rows of X (uint8 labels), on this
    thread: the kernel the dask backend runs on each block."""
    return _block_sums(X, labels, w, float(b), chunk_rows(X.shape[1]), _by_rows(X))


def _by_rows(X) -> bool:
    """Whether chunks read X row by row (wide row-major X) instead of through a column copy."""
    return bool(X.flags.c_contiguous and X.shape[1] > 4)


@jit()
def _block_sums(X, labels, w, b, rows_per_chunk, by_rows):
    n, d = X.shape
    partials = np.empty(((n + rows_per_chunk - 1) // rows_per_chunk, d + 2))
    columns, z, loss_terms = _working_arrays(d, rows_per_chunk)
    _chunk_sums_serial(X, labels, w, b, rows_per_chunk, by_rows, partials, columns, z, loss_terms)
    totals = np.empty(d + 2)
    _add_in_order(partials, totals)
    return totals


@jit(allocates=False)
def _add_in_order(partials, totals):
    """totals = the sum of the rows of partials, in row order: the same bits however they were computed."""
    totals[:] = 0.0
    for c in range(partials.shape[0]):
        for k in range(totals.shape[0]):  # element by element: a row view would cost reference counting
            totals[k] += partials[c, k]


@jit(parallel=True)
def _chunk_sums_parallel(X, labels, w, b, rows_per_chunk, by_rows, partials):
    n, d = X.shape
    chunks = partials.shape[0]
    # A fixed number of tasks, each over a contiguous run of chunks with working arrays of its own:
    # one allocation per task instead of per chunk, and the sums do not depend on which thread ran what.
    tasks = min(PARALLEL_TASKS, chunks)
    for task in numba.prange(tasks):
        columns, z, loss_terms = _working_arrays(d, rows_per_chunk)
        for c in range(task * chunks // tasks, (task + 1) * chunks // tasks):
            start = c * rows_per_chunk
            _chunk_sums(
                X, labels, w, b, start, min(start + rows_per_chunk, n), by_rows, columns, z, loss_terms, partials, c
            )


@jit(allocates=False)
def _chunk_sums_serial(X, labels, w, b, rows_per_chunk, by_rows, partials, columns, z, loss_terms):
    n = X.shape[0]
    for c in range(partials.shape[0]):
        start = c * rows_per_chunk
        _chunk_sums(
            X, labels, w, b, start, min(start + rows_per_chunk, n), by_rows, columns, z, loss_terms, partials, c
        )


@jit(inline="always")
def _working_arrays(d, rows):
    """A chunk's column-major copy of X (and a spare row for e^-|z|), its scores (later its residuals)
    and its loss terms."""
    return np.empty((d + 1, rows)), np.empty(rows), np.empty(rows)


@jit(allocates=False)
def _chunk_sums(X, labels, w, b, start, stop, by_rows, columns, z, loss_terms, partials, c):
    """partials[c] = [summed loss, gradient of b, gradient of w...] over rows start:stop.

    It creates no arrays, so it compiles without reference counting: that, and no scalar remainder
    in the exp/log1p loop, keep an epoch over the tutorial's 12 rows near a tenth of a microsecond.
    """
    m, d = stop - start, X.shape[1]
    if by_rows:  # wide row-major X: each score is a dot product along one contiguous row
        for i in range(m):
            z[i] = b + _dot_row(X, start + i, w)
    else:  # a few features, or columns already contiguous: work column by column from a cached copy
        _load_columns(X, start, m, columns)  # this chunk of X, column-major, float64
        for i in range(m):
            z[i] = b
        for j in range(d):
            w_j = w[j]
            for i in range(m):
                z[i] += columns[j, i] * w_j
    padded = (m + PAD_ROWS - 1) // PAD_ROWS * PAD_ROWS  # <= len(z): chunk_rows is a multiple of PAD_ROWS
    for i in range(m):
        loss_terms[i] = labels[start + i]  # the labels as float64, until their loss terms replace them
    for i in range(m, padded):
        z[i] = loss_terms[i] = 0.0  # rows past the chunk: computed, never summed
    # Two loops, not one: each is short enough that the core overlaps many rows' long chains of
    # dependent multiply-adds (one loop was latency-bound, ~1.5x slower).
    for i in range(padded):
        columns[d, i] = exp_nonpositive(-abs(z[i]))  # e^-|z| in (0, 1]: never overflows
    for i in range(padded):
        z_i, y_i, e = z[i], loss_terms[i], columns[d, i]
        log1p_e, inverse = log1p_and_reciprocal(e)
        loss_terms[i] = max(z_i, 0.0) + log1p_e - y_i * z_i  # log(1 + e^z) - y z
        z[i] = (inverse if z_i >= 0 else e * inverse) - y_i  # residual p - y, reusing z's buffer
    _chunk_totals(X, start, columns, z, loss_terms, m, by_rows, partials, c)


@jit(inline="always")
def _load_columns(X, start, m, columns):
    """columns[j, i] = X[start + i, j] for i < m, converted to float64."""
    d = X.shape[1]
    # Rows of a few features: inside each branch d is a constant, and so is the stride of C-ordered X,
    # so LLVM de-interleaves rows with vector shuffles where the general loop reads one element at a time.
    if d == 1:
        for i in range(m):
            columns[0, i] = X[start + i, 0]
    elif d == 2:
        for i in range(m):
            columns[0, i], columns[1, i] = X[start + i, 0], X[start + i, 1]
    elif d == 3:
        for i in range(m):
            columns[0, i], columns[1, i], columns[2, i] = X[start + i, 0], X[start + i, 1], X[start + i, 2]
    elif d == 4:
        for i in range(m):
            columns[0, i], columns[1, i] = X[start + i, 0], X[start + i, 1]
            columns[2, i], columns[3, i] = X[start + i, 2], X[start + i, 3]
    else:  # column-major X (wide row-major X is read by rows instead): each column is contiguous
        for j in range(d):
            for i in range(m):
                columns[j, i] = X[start + i, j]


@jit(reduction=True, allocates=False)
def _chunk_totals(X, start, columns, z, loss_terms, m, by_rows, partials, c):
    """partials[c] = [sum of loss terms, sum of residuals, gradient of w]: every sum of a chunk in one
    call (calls cost reference counting; reassociation here lets each sum vectorize)."""
    total = 0.0
    for i in range(m):
        total += loss_terms[i]
    partials[c, 0] = total
    total = 0.0
    for i in range(m):
        total += z[i]
    partials[c, 1] = total
    d = X.shape[1]
    if by_rows:  # accumulate along wide contiguous rows of X
        partials[c, 2:] = 0.0
        for i in range(m):
            for j in range(d):
                partials[c, 2 + j] += z[i] * X[start + i, j]
    else:
        for j in range(d):
            total = 0.0
            for i in range(m):
                total += z[i] * columns[j, i]
            partials[c, 2 + j] = total


@jit(reduction=True, allocates=False)
def _dot_row(X, i, w):
    total = 0.0
    for j in range(w.shape[0]):
        total += X[i, j] * w[j]
    return total
