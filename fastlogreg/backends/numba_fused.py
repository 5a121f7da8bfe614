"""Numba: the whole training loop compiled; each epoch one fused, vectorized pass over the rows.

How an epoch runs, and why:
- The rows are cut into chunks whose size depends only on the number of features. Each chunk writes
  its partial sums (loss, gradient) into its own row of ``partials``, and the rows are added in chunk
  order afterwards: no races, and the same bits whether one thread or many ran the chunks. (X of one
  chunk, on one thread, writes its sums straight into the totals: the same bits.)
- Large problems run the chunks on all cores (``prange``); small ones stay on one thread, where
  starting threads every epoch would cost more than it saves. Same chunks, same answer.
- Row-major X of a few features and at least LANE_MIN_ROWS rows, on CPUs with AVX-512 (the common
  case there), is summed straight from X in blocks of LANES rows: one vectorized loop takes each row
  from its features to its score, loss, residual and gradient terms, added to per-lane sums, so the
  core reads the next rows while it computes (_lane_chunk_sums).
- Other X goes through separate loops over a chunk: wide row-major X row by row; any other X of a few
  features (column-major, small, or without AVX-512) through a small column-major float64 copy that
  stays in cache. Each loop is contiguous and branch-free and so vectorizes: the scores z, then the
  loss terms and residuals, then the sums. X of one chunk, on one thread, is copied once per call and
  stays in that copy: its epochs only score it, in a loop of their own (Layout.resident).
- Everywhere: 512-bit vectors wherever the CPU has AVX-512 (numba_intrinsics.prefer_512_bit_vectors),
  numba_math's exp, and the log(1 + e^-|z|) terms taken together, as logs of products. X itself is read
  at most once per epoch and never copied whole, whatever its layout or float dtype: at most a chunk at
  a time, into the column buffer (which keeps X of one chunk for the whole call).
"""

import contextlib
import functools
import math
import os
import threading
from typing import NamedTuple

import numba
import numpy as np

from . import fork_safety
from .contract import Curvature, Descent, DescentState, Gradient, hessian_rows_per_call
from .numba_config import compiles_for_avx512, jit
from .numba_intrinsics import flat_rows, prefer_512_bit_vectors
from .numba_math import exp_nonpositive

# Below this many entries of X, one thread is faster than waking the others every epoch. Measured with
# OpenMP on 2 cores: all threads win from 32k entries (parallel/serial epoch 0.59-0.77 at 3, 16 and 64
# features), and lose or tie below about 16k.
PARALLEL_MIN_ENTRIES = 1 << 15
# One train() at a time enters a parallel kernel: each uses every core anyway, and numba's "workqueue"
# threading layer (its last resort, or the user's choice) aborts when two threads enter parallel code.
_PARALLEL_LOCK = threading.Lock()


def _unlock_in_child() -> None:
    """A fork()ed child gets a fresh lock: one copied while another thread held it would never open."""
    global _PARALLEL_LOCK
    _PARALLEL_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_unlock_in_child)

# Tasks per parallel epoch: several per core on 16 cores, so that threads stay balanced. (Not the
# thread count: numba.get_num_threads() in compiled code would stop it from being cached.)
PARALLEL_TASKS = 64


# The column path's exp and row-term loops run to a multiple of this many rows: a few extra rows of
# vector work cost less than the scalar remainder iterations they replace (which dominate an epoch on a
# dozen rows).
PAD_ROWS = 8


@jit(inline="always")
def _padded(m):
    return (m + PAD_ROWS - 1) // PAD_ROWS * PAD_ROWS


def chunk_rows(n_features: int) -> int:
    """Rows per chunk, a multiple of PAD_ROWS (and of LANES for the few features the lanes take): a
    chunk's column copy stays near 64 KiB, in L2."""
    return min(max(8192 // n_features, 64), 2048) // PAD_ROWS * PAD_ROWS


class Layout(NamedTuple):
    """How a kernel walks X: chunk size; straight from narrow row-major X in blocks of LANES rows, along
    wide row-major rows, or else through a column copy; whether Python calls its parallel entry point
    or its serial twin; and whether X, one chunk of the column copy on one thread (never in parallel,
    whose tasks have working arrays of their own), is copied once per call instead of every epoch
    ("resident": 0.72-0.74x the epoch at 12 x 3, 0.90-0.91x at 1,000 x 3, on an AMD Zen 4)."""

    rows_per_chunk: int
    in_lanes: bool
    by_rows: bool
    parallel: bool
    resident: bool


def layout_of(X, *, parallel: bool | None = None) -> Layout:
    """The layout for X; large X runs in parallel unless ``parallel=False`` (a dask task's own thread)."""
    if parallel is None:
        parallel = fork_safety.parallel_allowed and X.size >= PARALLEL_MIN_ENTRIES
    # Row-major X of a few features is read in blocks of LANES rows (with AVX-512, from LANE_MIN_ROWS
    # rows), wide row-major X row by row, and other X through a column copy.
    n, d = X.shape
    in_lanes = bool(IN_LANES and X.flags.c_contiguous and 1 <= d <= LANE_FEATURES and n >= LANE_MIN_ROWS)
    by_rows = bool(X.flags.c_contiguous and d > LANE_FEATURES)
    rows_per_chunk = chunk_rows(d)
    resident = not (parallel or in_lanes or by_rows) and n <= rows_per_chunk
    return Layout(rows_per_chunk, in_lanes, by_rows, bool(parallel), resident)


def _entered(layout: Layout):
    """The lock around parallel kernels (see _PARALLEL_LOCK); nothing for serial ones."""
    return _PARALLEL_LOCK if layout.parallel else contextlib.nullcontext()


def prepare(X, y):
    """Nothing to do: the kernels read X in place, and the labels already come as uint8."""
    return X, y


def gradient_sums(data, weights, bias) -> Gradient:
    """One fused pass: the summed loss and gradient at (weights, bias)."""
    X, labels = data
    layout = layout_of(X)
    pass_totals = _pass_totals_parallel if layout.parallel else _pass_totals_serial
    with _entered(layout):
        totals = pass_totals(X, labels, weights, float(bias), layout)
    return Gradient(float(totals[0]), totals[2:], float(totals[1]))


def block_sums(X, labels, w, b):
    """[summed loss, gradient of b, gradient of w...] over all rows of X, on this thread: the kernel the
    dask backend runs on each block."""
    return _pass_totals_serial(X, labels, w, float(b), layout_of(X, parallel=False))


def descend(data, weights, bias, descent: Descent, epochs, previous_loss, gradient) -> DescentState:
    """Up to ``epochs`` steps of gradient descent in one compiled loop (see contract.CompiledDescent)."""
    X, labels = data
    w = weights.copy()
    loss_history = np.empty(epochs)
    totals = np.empty(X.shape[1] + 2) if gradient is None else gradient.copy()
    settings = (descent.learning_rate, descent.scale, descent.l2, descent.tol)
    layout = layout_of(X)
    run = _descend_parallel if layout.parallel else _descend_serial
    with _entered(layout):
        bias, loss, epochs_run = run(
            X, labels, w, float(bias), settings, epochs, previous_loss, totals, gradient is not None, layout,
            loss_history,
        )  # fmt: skip
    return DescentState(w, bias, loss, loss_history[:epochs_run], totals)


# How an entry point runs its epochs, a constant of each (see _epoch_totals): chunk by chunk on this thread
# or on all threads, or X's one chunk kept in the column buffer (Layout.resident).
SERIAL, PARALLEL, RESIDENT = 0, 1, 2


# Every kernel that runs chunks in parallel is an entry point called from Python, compiled with
# parallel=True (around an inlined body, or holding its prange itself), never a parallel function
# called by another compiled one: numba
# loads such a caller from its disk cache into a crash when it was compiled in a process that had loaded
# the parallel callee from the cache (numba issue #8578; tests/test_reliability.py reproduces it).
@jit()
def _descend_serial(X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history):
    buffers = _pass_buffers(X, layout)
    if layout.resident:
        return _descend_resident(
            X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers
        )
    return _descend_uncounted(
        X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers
    )


# The serial epochs run in a function of their own, compiled without reference counting: in the caller,
# which allocates, every epoch's calls cost atomic counts on their arrays (a tenth of a 12-row epoch).
@jit(allocates=False)
def _descend_uncounted(X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers):
    return _descend(
        X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers, SERIAL
    )


# X of one chunk runs in a function of its own: the chunk's work inlined into the epoch loop, its sums
# written straight into the totals. Against the chunked loop, in one process on an AMD Zen 4: 0.52-0.58x
# the epoch at 12 x 3 row-major (about 135 -> 78 ns), 0.61-0.68x column-major, 0.90x at column-major 100 x 9.
@jit(allocates=False)
def _descend_resident(X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers):
    return _descend(
        X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers, RESIDENT
    )


@jit(parallel=True)
def _descend_parallel(X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history):
    buffers = _pass_buffers(X, layout)
    return _descend(
        X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers, PARALLEL
    )


@jit(inline="always")
def _descend(X, labels, w, b, settings, epochs, previous, totals, have_totals, layout, loss_history, buffers, mode):
    """Gradient descent in place on w and totals; returns the final bias, the loss there and the epochs run.

    ``totals`` holds the pass's sums at the current point: given on entry when ``have_totals`` (a
    previous block ended here), and left at the final point on return, so blocks repeat no pass.
    ``mode`` is a constant of the entry point (see _epoch_totals).
    """
    learning_rate, scale, l2, tol = settings
    d = X.shape[1]
    for epoch in range(epochs + 1):  # the extra pass measures the loss at the final weights
        if epoch > 0 or not have_totals:
            _epoch_totals(X, labels, w, b, layout, buffers, totals, mode)
        squared_norm = 0.0
        for j in range(d):
            squared_norm += w[j] * w[j]
        # solvers.objective.l2_penalty, compiled: on w, not b; none at all at l2=0, where weights past
        # 1e154 (whose squares overflow) can be optimal
        loss = totals[0] * scale + (0.5 * l2 * squared_norm if l2 > 0.0 else 0.0)
        # the stopping rule of solvers.gradient_descent._settled (tol NaN: never)
        settled = abs(previous - loss) < tol * abs(previous) or (loss == 0.0 and tol >= 0.0)
        if epoch == epochs or settled:
            return b, loss, epoch
        loss_history[epoch] = loss
        for j in range(d):
            w[j] -= learning_rate * (totals[2 + j] * scale + l2 * w[j])
        b -= learning_rate * (totals[1] * scale)
        previous = loss
    return b, np.nan, epochs  # unreachable: the loop returns


@jit()
def _pass_totals_serial(X, labels, w, b, layout):
    if layout.resident:  # X's one chunk, in the column buffer: the descent's resident epoch, alone
        return _pass_totals(X, labels, w, b, layout, RESIDENT)
    return _pass_totals(X, labels, w, b, layout, SERIAL)


@jit(parallel=True)
def _pass_totals_parallel(X, labels, w, b, layout):
    return _pass_totals(X, labels, w, b, layout, PARALLEL)


@jit(inline="always")
def _pass_totals(X, labels, w, b, layout, mode):
    totals = np.empty(X.shape[1] + 2)
    _epoch_totals(X, labels, w, b, layout, _pass_buffers(X, layout), totals, mode)
    return totals


@jit(inline="always")
def _pass_buffers(X, layout):
    """Per-chunk partial sums, and the working arrays of a chunk (the serial path's; see _working_arrays),
    holding X's copy where it is resident (see Layout)."""
    d = X.shape[1]
    partials = np.empty(((X.shape[0] + layout.rows_per_chunk - 1) // layout.rows_per_chunk, d + 2))
    working = _working_arrays(d, layout.rows_per_chunk)
    if layout.resident:
        _copy_columns(X, 0, X.shape[0], working[0])
    return partials, working


@jit(inline="always")  # inlined: only then is ``mode`` a constant, and a prange lands in a parallel entry point
def _epoch_totals(X, labels, w, b, layout, buffers, totals, mode):
    """totals = [summed loss, gradient of b, gradient of w...] at (w, b), from per-chunk partials (or
    the sums of X's one chunk, resident).

    ``mode`` must be a constant where this is inlined: numba then compiles only its branch, so the
    serial epochs, which allocate nothing, compile without reference counting. (Were it not pruned,
    _descend_uncounted and _descend_resident would fail to compile, on the parallel branch's np.empty:
    loudly, never slowly.)"""
    partials, working = buffers
    if mode == RESIDENT:  # one chunk: its sums are the totals
        _resident_chunk_sums(X, labels, w, b, layout, working, totals)
        return
    if mode == PARALLEL:
        _chunk_sums_parallel(X, labels, w, b, layout, partials)
    else:
        _chunk_sums_serial(X, labels, w, b, layout, partials, working)
    _add_in_order(partials, totals)


def added_in_order(partials):
    """The sum of the rows of partials, added in row order: the same bits however (and wherever) the
    rows were computed. For the curvature pass's tasks and the dask backend's blocks."""
    totals = np.empty(partials.shape[1])
    _add_in_order(partials, totals)
    return totals


@jit(allocates=False)
def _add_in_order(partials, totals):
    """totals = the sum of the rows of partials, in row order: the same bits however they were computed."""
    totals[:] = 0.0
    for c in range(partials.shape[0]):
        for k in range(totals.shape[0]):  # element by element: a row view would cost reference counting
            totals[k] += partials[c, k]


@jit(inline="always")  # a prange: parallel inside the parallel=True entry points that inline it
def _chunk_sums_parallel(X, labels, w, b, layout, partials):
    n, d = X.shape
    rows_per_chunk, chunks = layout.rows_per_chunk, partials.shape[0]
    # A fixed number of tasks, each over a contiguous run of chunks with working arrays of its own:
    # one allocation per task instead of per chunk, and the sums do not depend on which thread ran what.
    tasks = min(PARALLEL_TASKS, chunks)
    for task in numba.prange(tasks):
        working = _working_arrays(d, rows_per_chunk)
        for c in range(task * chunks // tasks, (task + 1) * chunks // tasks):
            start = c * rows_per_chunk
            _chunk_sums(X, labels, w, b, start, min(start + rows_per_chunk, n), layout, working, partials, c)


@jit(allocates=False)
def _chunk_sums_serial(X, labels, w, b, layout, partials, working):
    n, rows_per_chunk = X.shape[0], layout.rows_per_chunk
    for c in range(partials.shape[0]):
        start = c * rows_per_chunk
        _chunk_sums(X, labels, w, b, start, min(start + rows_per_chunk, n), layout, working, partials, c)


@jit(inline="always")
def _working_arrays(d, rows):
    """A chunk's column-major copy of X (and a spare row for e^-|z|), its scores (later its residuals)
    and its loss terms; and the lane sums and padded last block of _lane_chunk_sums."""
    columns = _aligned_empty((d + 1) * rows).reshape((d + 1, rows))
    lanes = _aligned_empty((d + 3 + d + 1) * LANES)
    return columns, _aligned_empty(rows), _aligned_empty(rows), lanes


# numba aligns arrays to 32 bytes, and a 512-bit vector that straddles two cache lines costs two
# accesses: the working arrays start on a line (their rows too, as rows * 8 bytes is a multiple of 64).
CACHE_LINE_FLOATS = 8


@jit(inline="always")
def _aligned_empty(size):
    """np.empty(size), starting on a 64-byte cache line."""
    spare = np.empty(size + CACHE_LINE_FLOATS)
    skip = -(spare.ctypes.data // 8) % CACHE_LINE_FLOATS
    return spare[skip : skip + size]


@jit(allocates=False)
def _chunk_sums(X, labels, w, b, start, stop, layout, working, partials, c):
    """partials[c] = [summed loss, gradient of b, gradient of w...] over rows start:stop.

    It creates no arrays, so it compiles without reference counting, which would cost each call atomic
    counts on its arrays.
    """
    prefer_512_bit_vectors()
    if layout.in_lanes:
        _lane_chunk_sums(X, labels, w, b, start, stop, working[3], partials, c)
        return
    columns, z, _, _ = working
    m, by_rows = stop - start, layout.by_rows
    if by_rows:  # wide row-major X: each score is a dot product along one contiguous row
        _scores_by_rows(X, start, m, w, b, z)
    else:  # a few features (outside the lanes), or columns already contiguous: column by column from a cached copy
        _columns_and_scores(X, start, m, w, b, columns, z)  # this chunk of X, column-major, float64
    _terms_and_totals(X, labels, start, stop, by_rows, working, partials[c])


@jit(inline="always")
def _resident_chunk_sums(X, labels, w, b, layout, working, totals):
    """totals as in _epoch_totals, for X of one chunk, already in the column buffer (Layout.resident,
    copied once per call by _pass_buffers): _chunk_sums' work without the copy, inlined into the epoch
    loop."""
    prefer_512_bit_vectors()
    columns, z, _, _ = working
    _scores_of_columns(columns, X.shape[1], X.shape[0], w, b, z)
    # by_rows is False here, read from the layout rather than written as a literal: see _chunk_totals
    _terms_and_totals(X, labels, 0, X.shape[0], layout.by_rows, working, totals)


@jit(inline="always")
def _terms_and_totals(X, labels, start, stop, by_rows, working, sums):
    """sums = [summed loss, gradient of b, gradient of w...] over rows start:stop, from their scores in
    the working arrays: each row's e^-|z|, loss terms and residual, then the sums."""
    columns, z, loss_terms, _ = working
    m, d = stop - start, X.shape[1]
    padded = _padded(m)  # <= len(z): chunk_rows is a multiple of PAD_ROWS
    chunk_labels = labels[start:stop]  # a view: see _copy_columns
    for i in range(m):
        loss_terms[i] = chunk_labels[i]  # the labels as float64, until their loss terms replace them
    for i in range(m, padded):
        z[i] = loss_terms[i] = 0.0  # rows past the chunk: computed, never summed
    # Two loops, not one: each is short enough that the core overlaps many rows' long chains of
    # dependent multiply-adds (one loop was latency-bound, ~1.5x slower).
    for i in range(padded):
        columns[d, i] = exp_nonpositive(-abs(z[i]))  # e^-|z| in (0, 1]: never overflows
    for i in range(padded):  # z's buffer takes the residuals; e's the 1 + e whose logs the sums take
        loss_terms[i], z[i], columns[d, i], _ = _row_terms(z[i], loss_terms[i], columns[d, i])
    for i in range(m, padded):
        columns[d, i] = 1.0  # a factor of one: the products run over the padded rows, vectorized
    _chunk_totals(X[start:stop], columns, z, loss_terms, m, by_rows, sums)


# Row-major X of a few features is summed straight from X: each row's score, loss terms, residual and
# gradient terms in one loop over a block of LANES rows, added to per-lane sums. No intermediate arrays,
# and the core reads the next rows of X while it computes: through the column copy and separate loops,
# a parallel pass at 1M x 3 took 1.18x as long, 1.61x at 4 features (Intel Xeon; one thread: the same).
LANES = 16  # LLVM vectorizes no loop of fewer than 16 iterations; 16 rows are two 512-bit vectors, four 256-bit
LANE_FEATURES = 4  # written out for 1 to 4 features: a loop over the features inside stops the lanes vectorizing
# Smaller X, with its column copy, stays in the L1, where the separate loops are the faster: 1.3x at 384
# rows, about even at 1,024, the lanes faster from 1,536 (3 features, Intel Xeon); a 12-row epoch 1.5x
# (the lanes' padding and sums).
LANE_MIN_ROWS = 1024
# With AVX-512 only: with AVX2's 16 vector registers, not 32, the lanes' sums spill, and on an AVX2-only
# AMD Zen 1 a parallel pass in lanes took 1.08-1.20x as long as through the column copy at 1M rows (1 to
# 4 features; float32 1.16x; 100k x 3 1.32x), and with LANES = 8 or 4 about 1.8x as long as with 16.
# They compile, and are tested, everywhere.
IN_LANES = compiles_for_avx512()


@jit(inline="always")
def _lane_chunk_sums(X, labels, w, b, start, stop, lanes, partials, c):
    """partials[c] as in _chunk_sums, for C-contiguous X of at most LANE_FEATURES features; ``lanes``
    holds the lane sums and room for the last block, padded."""
    d = X.shape[1]
    sums, last = lanes[: (d + 3) * LANES], lanes[(d + 3) * LANES :]
    sums[:] = 0.0  # [loss terms, products of factors, residuals, gradient of w...], LANES of each
    sums[LANES : 2 * LANES] = 1.0
    rows, chunk_labels = flat_rows(X, start, stop), labels[start:stop]  # views, indexed from 0
    m = stop - start
    full = m - m % LANES
    logs = 0.0
    for segment in range(0, full, PRODUCT_ROWS):  # each lane's product: at most 2**(PRODUCT_ROWS / LANES)
        for i in range(segment, min(segment + PRODUCT_ROWS, full), LANES):
            _block_sums(rows[i * d : (i + LANES) * d], chunk_labels[i : i + LANES], w, b, LANES, sums)
        logs += _log_of_products(sums)
    if full < m:  # the last rows, copied into a block of zeros: padding rows add nothing
        last[:] = 0.0
        last_rows, last_labels = rows[full * d :], chunk_labels[full:]  # views indexed from 0: no gathers
        for k in range(last_rows.shape[0]):
            last[k] = last_rows[k]
        for i in range(last_labels.shape[0]):
            last[LANES * d + i] = last_labels[i]
        _block_sums(last[: LANES * d], last[LANES * d :], w, b, m - full, sums)
        logs += _log_of_products(sums)
    partials[c, 0] = _lane_total(sums, 0) + logs
    for k in range(d + 1):
        partials[c, 1 + k] = _lane_total(sums, 2 + k)


@jit(inline="always")
def _block_sums(rows, labels, w, b, valid, sums):
    """Adds the terms of LANES rows (row-major, flat) to the lane sums; rows from ``valid`` on are padding.
    The scores add the same terms in the same order as _scores_of_columns'."""
    d = w.shape[0]
    if d == 1:
        w_0 = w[0]
        for lane in range(LANES):
            x_0 = rows[lane]
            residual = _lane_terms(b + x_0 * w_0, labels[lane], lane, valid, sums)
            sums[3 * LANES + lane] += residual * x_0
    elif d == 2:
        w_0, w_1 = w[0], w[1]
        for lane in range(LANES):
            x_0, x_1 = rows[2 * lane], rows[2 * lane + 1]
            residual = _lane_terms((b + x_0 * w_0) + x_1 * w_1, labels[lane], lane, valid, sums)
            sums[3 * LANES + lane] += residual * x_0
            sums[4 * LANES + lane] += residual * x_1
    elif d == 3:
        w_0, w_1, w_2 = w[0], w[1], w[2]
        for lane in range(LANES):
            x_0, x_1, x_2 = rows[3 * lane], rows[3 * lane + 1], rows[3 * lane + 2]
            residual = _lane_terms(((b + x_0 * w_0) + x_1 * w_1) + x_2 * w_2, labels[lane], lane, valid, sums)
            sums[3 * LANES + lane] += residual * x_0
            sums[4 * LANES + lane] += residual * x_1
            sums[5 * LANES + lane] += residual * x_2
    else:
        w_0, w_1, w_2, w_3 = w[0], w[1], w[2], w[3]
        for lane in range(LANES):
            x_0, x_1, x_2, x_3 = rows[4 * lane], rows[4 * lane + 1], rows[4 * lane + 2], rows[4 * lane + 3]
            z = (((b + x_0 * w_0) + x_1 * w_1) + x_2 * w_2) + x_3 * w_3
            residual = _lane_terms(z, labels[lane], lane, valid, sums)
            sums[3 * LANES + lane] += residual * x_0
            sums[4 * LANES + lane] += residual * x_1
            sums[5 * LANES + lane] += residual * x_2
            sums[6 * LANES + lane] += residual * x_3


@jit(inline="always")
def _lane_terms(z, y, lane, valid, sums):
    """Adds a row's loss term, factor and residual to its lane's sums; returns the residual (0 for padding)."""
    loss, residual, factor, _ = _row_terms(z, y, exp_nonpositive(-abs(z)))  # e^-|z| in (0, 1]
    keep = lane < valid
    sums[lane] += loss if keep else 0.0
    sums[LANES + lane] *= factor if keep else 1.0
    residual = residual if keep else 0.0
    sums[2 * LANES + lane] += residual
    return residual


@jit(inline="always")
def _log_of_products(sums):
    """log of the lanes' products of factors (each at most 2**32, so their product stays finite); resets them."""
    product = 1.0
    for lane in range(LANES, 2 * LANES):
        product *= sums[lane]
        sums[lane] = 1.0
    return math.log(product)


@jit(inline="always")
def _lane_total(sums, k):
    """The sum of quantity k's lanes, added in lane order."""
    total = 0.0
    for lane in range(k * LANES, (k + 1) * LANES):
        total += sums[lane]
    return total


@jit(inline="always")
def _row_terms(z, y, e):
    """From a row's score z, its label y and e = e^-|z|: its loss log(1 + e^z) - y z less the term
    log(factor), which the chunk's sums take together (_summed_logs, or the lanes' products); its
    residual p - y (y in {0, 1}); the factor; and 1 / (1 + e). No logarithm per row: that was a third of
    an epoch's arithmetic."""
    one_plus_e = 1.0 + e
    inverse = 1.0 / one_plus_e
    # 1 + e = fl(1 + e) + rounding exactly (|e| <= 1), so log(1 + e) = log(fl(1 + e)) + rounding / (1 + e)
    # to within 1e-32.
    rounding = e - (one_plus_e - 1.0)
    # For small e, log1p(e) by its series instead, to a rounding relative to e, and a factor of one.
    series = e * (1.0 - e * (1.0 / 2.0 - e * (1.0 / 3.0 - e * (1.0 / 4.0 - e * (1.0 / 5.0 - e * (1.0 / 6.0))))))
    small = e < _SERIES_BELOW
    # With y in {0, 1}: s = 1 - 2y and t = s z, which is |z| for a row labelled wrong and -|z| for one right.
    # log(1 + e^z) - y z = max(t, 0) + log(1 + e), and p - y = p for y = 0 and -(1 - p) for y = 1, that is
    # s / (1 + e) for a row wrong, s e / (1 + e) for one right: never the difference p - 1, which rounds to
    # 0 for a row confidently right (y = 1, z > 37), where it is -e / (1 + e).
    sign = 1.0 - 2.0 * y
    t = sign * z
    loss = max(t, 0.0) + (series if small else rounding * inverse)
    residual = sign * (inverse if t >= 0.0 else e * inverse)
    return loss, residual, 1.0 if small else one_plus_e, inverse


# Each factor of a product adds a rounding of about 1e-16 to its log, whatever the factor: for a row
# whose log(1 + e) is far below that (a confidently right row) it would swamp the row's loss. Below
# this e, the row's log1p(e) comes from its series (error under e^7 / 7 < 1e-16 e) and its factor is 1.
_SERIES_BELOW = 2.0**-10


# Rows per product in _summed_logs (and per segment of the lanes): each factor is at most 2, so a product
# of 512 is at most 2**512 whatever order the vectorized loop multiplies in, far from overflow (2**1024).
PRODUCT_ROWS = 512


@jit(inline="always")  # inlined into reduction kernels: their "reassoc" lets the products vectorize
def _summed_logs(factors, m):
    """sum(log(factors[:m])) for factors in [1, 2], as the logs of products of PRODUCT_ROWS factors: one
    libm log per 512 rows. Each factor adds a rounding of about 1e-16 to the sum (factors under
    1 + 2**-10 are 1: see _row_terms). The epoch
    pass gives m padded to PAD_ROWS (padding factors 1): a scalar remainder loop cost the 12-row
    tutorial's epoch a fifth more time."""
    total = 0.0
    for start in range(0, m, PRODUCT_ROWS):
        # Indexed from 0 in a view, as in _copy_columns: factors[start + i] made LLVM gather each
        # vector's elements one by one (numba's check for negative indices), 0.5 ns a row on Zen 4.
        block = factors[start : min(start + PRODUCT_ROWS, m)]
        product = 1.0
        for i in range(block.shape[0]):
            product *= block[i]
        total += math.log(product)
    return total


@jit(inline="always")
def _columns_and_scores(X, start, m, w, b, columns, z):
    """columns[j, i] = X[start + i, j] converted to float64, and the scores z[i] = b + sum_j X[start + i, j] w[j],
    for i < m.

    Copied and scored in separate loops: in one loop, float32 rows took 2.2x the time (AMD Zen 1), and
    float64 ones the same (1M x 3 and x 4, the lanes off, AMD Zen 4); X kept in the copy needs only the
    scores (Layout.resident)."""
    _copy_columns(X, start, m, columns)
    _scores_of_columns(columns, X.shape[1], m, w, b, z)


@jit(inline="always")
def _copy_columns(X, start, m, columns):
    """columns[j, i] = X[start + i, j] converted to float64, for i < m."""
    d = X.shape[1]
    # Every index below starts at 0 in a view of the chunk: indices into X itself (start + i) could be
    # negative as far as LLVM knows, and numba's per-element wraparound check stops the loops vectorizing.
    rows = flat_rows(X, start, start + m)  # empty unless X is C-contiguous
    if d <= 4 and rows.shape[0] == m * d:
        # Rows of a few features, read through a flat view, whose stride (d) is a constant of each branch.
        # Indexed by row and column instead, with the stride read at run time, the copy measured the same
        # at 1 to 3 features but 1.8x slower at 4 (AMD Zen 1, 1M rows).
        if d == 1:
            for i in range(m):
                columns[0, i] = rows[i]
        elif d == 2:
            for i in range(m):
                columns[0, i], columns[1, i] = rows[2 * i], rows[2 * i + 1]
        elif d == 3:
            for i in range(m):
                columns[0, i], columns[1, i], columns[2, i] = rows[3 * i], rows[3 * i + 1], rows[3 * i + 2]
        else:
            for i in range(m):
                columns[0, i], columns[1, i] = rows[4 * i], rows[4 * i + 1]
                columns[2, i], columns[3, i] = rows[4 * i + 2], rows[4 * i + 3]
    else:  # column-major X, each column contiguous; or other X (wide, or strided rows), gathered
        for j in range(d):
            column = X[start : start + m, j]
            for i in range(m):
                columns[j, i] = column[i]


@jit(inline="always")
def _scores_of_columns(columns, d, m, w, b, z):
    """z[i] = b + sum_j columns[j, i] w[j] for i < m, the terms added in order of j: for a few features in
    one loop (LLVM vectorizes no loop over the features inside), else one loop per feature."""
    if d == 1:
        w_0 = w[0]
        for i in range(m):
            z[i] = b + columns[0, i] * w_0
    elif d == 2:
        w_0, w_1 = w[0], w[1]
        for i in range(m):
            z[i] = (b + columns[0, i] * w_0) + columns[1, i] * w_1
    elif d == 3:
        w_0, w_1, w_2 = w[0], w[1], w[2]
        for i in range(m):
            z[i] = ((b + columns[0, i] * w_0) + columns[1, i] * w_1) + columns[2, i] * w_2
    elif d == 4:
        w_0, w_1, w_2, w_3 = w[0], w[1], w[2], w[3]
        for i in range(m):
            z[i] = (((b + columns[0, i] * w_0) + columns[1, i] * w_1) + columns[2, i] * w_2) + columns[3, i] * w_3
    else:
        for i in range(m):
            z[i] = b
        for j in range(d):
            w_j = w[j]
            for i in range(m):
                z[i] += columns[j, i] * w_j


@jit(reduction=True, allocates=False)
def _chunk_totals(rows, columns, z, loss_terms, m, by_rows, sums):
    """sums = [sum of loss terms, sum of residuals, gradient of w] over a chunk, whose rows of X
    (``rows``) are read only ``by_rows``: every sum of a chunk in one call (calls cost reference
    counting; reassociation here lets each sum vectorize). No caller passes it a literal, so the chunked
    and the resident epochs run one compiled copy: the same sums, added in the same order."""
    prefer_512_bit_vectors()
    d = rows.shape[1]
    total = 0.0
    for i in range(m):
        total += loss_terms[i]
    sums[0] = total + _summed_logs(columns[d], _padded(m))
    total = 0.0
    for i in range(m):
        total += z[i]
    sums[1] = total
    if by_rows:  # accumulate along wide contiguous rows of X, four rows per sweep of the gradient
        gradient = sums[2:]
        gradient[:] = 0.0
        for i in range(0, m - m % 4, 4):
            z_0, z_1, z_2, z_3 = z[i], z[i + 1], z[i + 2], z[i + 3]
            for j in range(d):
                gradient[j] += ((z_0 * rows[i, j] + z_1 * rows[i + 1, j]) + z_2 * rows[i + 2, j]) + z_3 * rows[i + 3, j]
        for i in range(m - m % 4, m):
            for j in range(d):
                gradient[j] += z[i] * rows[i, j]
    else:
        for j in range(d):
            total = 0.0
            for i in range(m):
                total += z[i] * columns[j, i]
            sums[2 + j] = total


@jit(reduction=True, allocates=False)
def _scores_by_rows(X, start, m, w, b, z):
    """z[i] = b + X[start + i] . w for i < m: one call per chunk (a call per row cost more than its
    dot product), each dot product vectorized along its contiguous row."""
    prefer_512_bit_vectors()
    rows = X[start : start + m]
    for i in range(m):
        total = 0.0
        for j in range(w.shape[0]):
            total += rows[i, j] * w[j]
        z[i] = b + total


# --- Newton's pass: the loss, the gradient and the Hessian together ------------------------------------

# Partial sums of a Hessian are (d+1)^2 numbers, too many to keep per chunk: they are kept per task, a
# fixed run of consecutive chunks, and the tasks are added in order. The number of tasks depends only on
# X's shape, never on the threads, so the result is the same bits on any machine and in a dask task.
MAX_CURVATURE_TASKS = 128
CURVATURE_MIN_ROWS = 256
CURVATURE_PARTIALS_BYTES = 64 * 2**20  # all tasks' partial sums together stay below this


def curvature_sums(data, weights, bias) -> Curvature:
    """One fused pass: the summed loss, gradient and Hessian at (weights, bias), bias last."""
    X, labels = data
    layout = layout_of(X)
    with _entered(layout):
        totals = _curvature_totals(X, labels, weights, float(bias), layout)
    return unpack_curvature(totals, X.shape[1])


def curvature_block_sums(X, labels, w, b):
    """The packed curvature sums of one block, on this thread (for the dask backend)."""
    return _curvature_totals(X, labels, w, float(b), layout_of(X, parallel=False))


def _curvature_totals(X, labels, w, b, layout):
    """The tasks' partial sums, added in task order. Serial and parallel runs are separate kernels, so a
    small problem never loads (or compiles) the parallel one.

    Each call takes every task a few chunks further, adding to the sums where the previous call left
    them (the same bits as one call): one call, unless X is wide and long enough for a pass to outlast
    contract.UNINTERRUPTED_PRODUCTS, which Ctrl-C waits for."""
    n, d = X.shape
    rows = curvature_rows(d)
    partials = np.zeros((curvature_tasks(X.shape), _packed_size(d)))
    chunks = -(-n // rows)
    chunks_per_task = -(-chunks // partials.shape[0])
    chunks_per_call = max(1, hessian_rows_per_call(d) // (rows * partials.shape[0]))
    kernel = _curvature_parallel if layout.parallel else _curvature_serial
    for first in range(0, chunks_per_task, chunks_per_call):
        kernel(X, labels, w, b, rows, partials, chunks_per_task, first, min(first + chunks_per_call, chunks_per_task))
    return added_in_order(partials)


def curvature_rows(n_features: int) -> int:
    """Rows per chunk of the curvature pass: its inner loops run over a chunk's rows once per pair of
    features, so they need longer chunks than the gradient's to amortize each loop (the two column
    buffers stay within a Zen/Skylake L2 up to about 128 features)."""
    return max(chunk_rows(n_features), CURVATURE_MIN_ROWS)


def curvature_tasks(shape) -> int:
    n, d = shape
    chunks = -(-n // curvature_rows(d))
    return max(1, min(chunks, MAX_CURVATURE_TASKS, CURVATURE_PARTIALS_BYTES // (8 * _packed_size(d))))


def _packed_size(d):
    return 1 + (d + 1) + (d + 1) * (d + 1)  # loss, gradient, Hessian (lower triangle filled)


def unpack_curvature(totals, d) -> Curvature:
    lower = totals[d + 2 :].reshape(d + 1, d + 1)  # the kernel fills the lower triangle
    hessian = np.where(_lower_triangle(d + 1), lower, lower.T)
    return Curvature(float(totals[0]), totals[1 : d + 2].copy(), hessian)


@functools.lru_cache(maxsize=8)
def _lower_triangle(size: int) -> np.ndarray:
    """Where a (size, size) matrix's lower triangle is, diagonal included: made once per size (np.tril, twice
    per pass, cost a Newton iteration on a dozen rows a sixth of its time)."""
    mask = np.tri(size, dtype=bool)
    mask.flags.writeable = False
    return mask


@jit()
def _curvature_serial(X, labels, w, b, rows_per_chunk, partials, per_task, first, stop):
    for t in range(partials.shape[0]):
        _curvature_task(X, labels, w, b, rows_per_chunk, partials, t, per_task, first, stop)


@jit(parallel=True)
def _curvature_parallel(X, labels, w, b, rows_per_chunk, partials, per_task, first, stop):
    for t in numba.prange(partials.shape[0]):
        _curvature_task(X, labels, w, b, rows_per_chunk, partials, t, per_task, first, stop)


@jit()
def _curvature_task(X, labels, w, b, rows_per_chunk, partials, t, per_task, first, stop):
    """Adds to partials[t] the packed sums over chunks first:stop of task t's run of per_task chunks,
    chunk by chunk in order."""
    prefer_512_bit_vectors()
    n, d = X.shape
    chunks = (n + rows_per_chunk - 1) // rows_per_chunk
    # the chunk of X, column-major, and a column of ones; each column times the row's curvature p (1 - p)
    columns = _aligned_empty((d + 1) * rows_per_chunk).reshape((d + 1, rows_per_chunk))
    weighted = _aligned_empty((d + 1) * rows_per_chunk).reshape((d + 1, rows_per_chunk))
    residuals, loss_terms = _aligned_empty(rows_per_chunk), _aligned_empty(rows_per_chunk)
    log_factors = _aligned_empty(rows_per_chunk)
    for c in range(t * per_task + first, min(t * per_task + stop, chunks)):
        start = c * rows_per_chunk
        m = min(rows_per_chunk, n - start)
        padded = _padded(m)
        _columns_and_scores(X, start, m, w, b, columns, residuals)  # the scores first, in the residuals' buffer
        chunk_labels = labels[start : start + m]  # a view: see _copy_columns
        for i in range(m):
            loss_terms[i] = chunk_labels[i]  # the labels, until their loss terms replace them
        for i in range(m, padded):
            residuals[i] = loss_terms[i] = 0.0  # rows past the chunk: computed, never summed
        for i in range(padded):
            columns[d, i] = 1.0
            e = exp_nonpositive(-abs(residuals[i]))  # e^-|z| in (0, 1]: never overflows
            loss_terms[i], residuals[i], log_factors[i], inverse = _row_terms(residuals[i], loss_terms[i], e)
            weighted[d, i] = e * inverse * inverse  # p (1 - p) = e / (1 + e)^2, for either sign of z
        for j in range(d):
            for i in range(m):
                weighted[j, i] = weighted[d, i] * columns[j, i]
        _curvature_chunk_sums(columns, weighted, residuals, loss_terms, log_factors, m, partials, t)


@jit(reduction=True, allocates=False)
def _curvature_chunk_sums(columns, weighted, residuals, loss_terms, log_factors, m, partials, t):
    """Adds a chunk's sums to partials[t]: [loss, gradient (d+1), Hessian (d+1)^2, lower triangle]."""
    prefer_512_bit_vectors()
    size = columns.shape[0]  # d + 1
    total = 0.0
    for i in range(m):
        total += loss_terms[i]
    partials[t, 0] += total + _summed_logs(log_factors, m)
    for j in range(size):
        total = 0.0
        for i in range(m):
            total += residuals[i] * columns[j, i]
        partials[t, 1 + j] += total
    for j in range(size):
        for k in range(j + 1):
            total = 0.0
            for i in range(m):
                total += weighted[j, i] * columns[k, i]
            partials[t, 1 + size + j * size + k] += total
