"""CUDA (numba.cuda): the same passes on an NVIDIA GPU, and gradient descent as one persistent kernel.

How it runs, and why:
- ``prepare`` puts X (column-major, so that the threads of a warp read consecutive rows of a column)
  and the labels on the GPU once per ``train()``; X already on the GPU is used where it is.
- Each thread sums its rows (a grid-stride loop) in float64 registers; each block adds its threads'
  sums by a fixed tree in shared memory, and the block sums are then added in a fixed order too. No
  atomics anywhere in a sum: a run gives the same bits every time on the same GPU.
- ``descend`` runs a whole block of epochs in one kernel launch: every block sums its rows, a grid-wide
  sync, block 0's threads add the block sums (each thread a fixed set of blocks, then a fixed tree,
  rather than one thread walking all the blocks per quantity) and step, another grid sync, and the
  next epoch begins.
  Small problems run as one block (syncthreads instead of the costlier grid sync). The loss history
  stays on the GPU until the block of epochs ends.

Under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the same kernels run as Python threads, with
small blocks; a cooperative grid there is always one block.
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from typing import Any, NamedTuple

import numpy as np
from numba import config, cuda, float64

from ..solvers.newton import MAX_FEATURES
from .contract import Curvature, Descent, DescentState, Gradient

SIMULATED = bool(getattr(config, "ENABLE_CUDASIM", 0))  # set from NUMBA_ENABLE_CUDASIM at import
# Threads per block, a power of two (the tree reduction halves it). The simulator runs each thread as a
# Python thread, so it gets a small block that still exercises every level of the tree.
THREADS = 4 if SIMULATED else 256
# Plain launches (the sums for Newton) use at most this many blocks; each thread then loops over rows.
MAX_BLOCKS = 2 if SIMULATED else 1024
# Descent on at most this many rows runs as one block: the grid syncs would cost more than they save.
# (In the simulator 16, so that the tests' 40-row problems run through the grid kernel.)
ONE_BLOCK_ROWS = 16 if SIMULATED else 16 * THREADS
# A one-block descent gets a thread per row, rounded up to a power of two, and at least a warp: on a few
# rows, every level of a 256-thread tree is a syncthreads spent on nothing. (In the simulator, 2: a
# descent of 2 rows runs on a block smaller than THREADS, as a GPU's of under 256 rows does.)
WARP = 2 if SIMULATED else 32
# Shared memory the block reduction may use (float64 slots: THREADS per summed quantity).
REDUCTION_BYTES = 16 * 1024
# Newton's per-thread sums: at most this many Hessian entries per launch (held in thread-local memory).
# A tile holds at least one whole row, so the widest Newton problem's last row (its features + the bias)
# must fit: derived from the limit, so that raising it cannot write past the thread's local array.
CURVATURE_TILE = MAX_FEATURES + 1


def unavailable() -> str | None:
    """Why no kernel can run here, or None when a GPU (or the simulator) is usable."""
    if cuda.is_available():
        return None
    return (
        "backend 'cuda' found no usable NVIDIA GPU or CUDA driver (numba.cuda.is_available() is False); "
        "to test without a GPU, set NUMBA_ENABLE_CUDASIM=1 before Python starts (numba's CUDA simulator)"
    )


def as_device_array(values):
    """numba's view of a GPU array (CuPy, PyTorch, ...): no copy."""
    if SIMULATED or cuda.is_cuda_array(values) and hasattr(values, "copy_to_host"):
        return values
    return cuda.as_cuda_array(values)


def check_device_features(X, dtype: str):
    """X on the GPU as a finite array of the compute dtype: checked, and converted if need be, there."""
    first = _first_non_finite(X)
    if first is not None:
        raise ValueError(f"X contains NaN or infinity (first at row {first[0]}, column {first[1]})")
    if X.dtype == np.dtype(dtype):
        return X
    converted = cuda.device_array(X.shape, dtype=dtype, order="F")
    _launch(_convert, _blocks_for(X.shape[0]), THREADS)(X, converted)
    if X.dtype.kind != "f" or X.dtype.itemsize <= np.dtype(dtype).itemsize:
        return converted  # widened (or from integers): every value fits, as validation.finite_features assumes
    if _first_non_finite(converted) is not None:
        raise ValueError(f"X has values beyond the {dtype} range (|x| > {np.finfo(dtype).max:.3g})")
    normal = float(np.finfo(dtype).smallest_normal)
    if _first_flagged_row(_below_rows, X, normal) is not None:  # as validation.finite_features checks host X
        raise ValueError(
            f"X has nonzero values below the {dtype} range (|x| < {normal:.3g}), which {dtype} would round to a "
            "few digits or to 0; use dtype='float64' or rescale X"
        )
    return converted


def _first_non_finite(X) -> tuple[int, int] | None:
    row = _first_flagged_row(_non_finite_rows, X)
    if row is None:
        return None
    values = X[row : row + 1].copy_to_host()[0]
    return row, int(np.flatnonzero(~np.isfinite(values))[0])


def _first_flagged_row(kernel, X, *args) -> int | None:
    """The first row that ``kernel(X, *args, flags)`` flags, or None."""
    flags = cuda.device_array(X.shape[0], dtype=np.uint8)
    _launch(kernel, _blocks_for(X.shape[0]), THREADS)(X, *args, flags)
    rows = np.flatnonzero(flags.copy_to_host())  # a byte per row: an eighth of a column of X at most
    return int(rows[0]) if rows.size else None


@cuda.jit
def _non_finite_rows(X, flags):
    for i in range(cuda.grid(1), X.shape[0], cuda.gridsize(1)):
        bad = 0
        for j in range(X.shape[1]):
            if not abs(X[i, j]) < math.inf:  # NaN compares false too
                bad = 1
        flags[i] = bad


@cuda.jit
def _below_rows(X, limit, flags):
    for i in range(cuda.grid(1), X.shape[0], cuda.gridsize(1)):
        below = 0
        for j in range(X.shape[1]):
            if X[i, j] != 0 and abs(X[i, j]) < limit:
                below = 1
        flags[i] = below


@cuda.jit
def _convert(X, out):
    for i in range(cuda.grid(1), X.shape[0], cuda.gridsize(1)):
        for j in range(X.shape[1]):
            out[i, j] = X[i, j]


_FILTERS_LOCK = threading.Lock()


def _launch(kernel, blocks: int, threads: int):
    """``kernel[blocks, threads]``, without numba-cuda's warning for a grid of under 128 blocks: ours are
    small on purpose (small data; the one-block descent), not the beginner's mistake that it warns of.
    The lock keeps concurrent train() calls from restoring each other's saved warning filters; another
    thread that changes the filters during these few microseconds can still lose its change (Python's
    warning filters are global before 3.14's context-aware ones)."""
    with _FILTERS_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*Grid size \d+ will likely result in GPU under-utilization")
        return kernel[blocks, threads]


def _blocks_for(rows: int) -> int:
    return max(1, min(MAX_BLOCKS, -(-rows // THREADS)))


class DeviceData(NamedTuple):
    X: Any  # (n, d) on the GPU, float32 or float64
    labels: Any  # (n,) uint8 on the GPU


def prepare(X, y) -> DeviceData:
    """X and the labels on the GPU, once per train(): X column-major, for coalesced reads."""
    if isinstance(X, np.ndarray):  # else already on the GPU (validation.check_device_features)
        X = cuda.to_device(np.asfortranarray(X))
    return DeviceData(X, cuda.to_device(np.ascontiguousarray(y)))


def gradient_sums(data: DeviceData, weights, bias) -> Gradient:
    """One launch: the summed loss and gradient at (weights, bias)."""
    d = data.X.shape[1]
    blocks = _blocks_for(data.X.shape[0])
    partials = cuda.device_array((blocks, d + 2))
    _launch(_kernels(d, THREADS).gradient, blocks, THREADS)(
        data.X, data.labels, cuda.to_device(weights), float(bias), partials
    )
    totals = _add_blocks(partials)
    return Gradient(float(totals[0]), totals[2:], float(totals[1]))


def curvature_sums(data: DeviceData, weights, bias) -> Curvature:
    """The summed loss, gradient and Hessian at (weights, bias), bias last: one launch per tile of
    Hessian rows (one in all, up to 43 features)."""
    d = data.X.shape[1]
    blocks = _blocks_for(data.X.shape[0])
    w = cuda.to_device(weights)
    size = d + 1  # theta = [w, b]
    packed = []
    first = 0
    for last in _curvature_tiles(size):
        width = 1 + size + _triangle(last) - _triangle(first)
        partials = cuda.device_array((blocks, width))
        _launch(_kernels(d, THREADS).curvature, blocks, THREADS)(
            data.X, data.labels, w, float(bias), first, last, partials
        )
        totals = _add_blocks(partials)
        loss, gradient = totals[0], totals[1 : 1 + size]
        packed.append(totals[1 + size :])
        first = last
    hessian = np.zeros((size, size))
    hessian[np.tril_indices(size)] = np.concatenate(packed)  # row by row, as the kernel packs them
    hessian = hessian + np.tril(hessian, -1).T
    return Curvature(float(loss), gradient.copy(), hessian)


def _triangle(rows: int) -> int:
    """Entries of the lower triangle in the first ``rows`` rows."""
    return rows * (rows + 1) // 2


def _curvature_tiles(size: int) -> list[int]:
    """Where each tile of Hessian rows ends: as many whole rows as CURVATURE_TILE entries allow."""
    ends, first = [], 0
    while first < size:
        last = first + 1
        while last < size and _triangle(last + 1) - _triangle(first) <= CURVATURE_TILE:
            last += 1
        ends.append(last)
        first = last
    return ends


def _add_blocks(partials) -> np.ndarray:
    """The block sums added in block order (on the host: a few hundred numbers per quantity)."""
    totals = np.zeros(partials.shape[1])
    for row in partials.copy_to_host():
        totals += row
    return totals


def descend(data: DeviceData, weights, bias, descent: Descent, epochs, previous_loss, gradient) -> DescentState:
    """Up to ``epochs`` steps of gradient descent in one kernel launch (see contract.CompiledDescent)."""
    n, d = data.X.shape
    w = cuda.to_device(np.ascontiguousarray(weights, dtype=np.float64))
    totals = cuda.device_array(d + 2)
    if gradient is not None:
        totals.copy_to_device(gradient)
    # state: bias, loss at the end, the previous epoch's loss, epochs run, done (1.0) or not
    state = cuda.to_device(np.array([bias, math.nan, previous_loss, 0.0, 0.0]))
    settings = cuda.to_device(np.array([descent.learning_rate, descent.scale, descent.l2, descent.tol]))
    history = cuda.device_array(max(epochs, 1))
    if n <= ONE_BLOCK_ROWS:
        threads = min(THREADS, max(WARP, 1 << (n - 1).bit_length()))
        kernel, blocks = _kernels(d, threads).descend_one_block, 1
    else:
        threads, kernel = THREADS, _kernels(d, THREADS).descend_grid
        typical = cuda.device_array((1, d + 2))  # only its type matters here
        args = (data.X, data.labels, w, state, settings, epochs, gradient is not None, totals, typical, history)
        blocks = min(-(-n // THREADS), _cooperative_blocks(kernel, args))
    partials = cuda.device_array((blocks, d + 2))
    have_totals = gradient is not None
    _launch(kernel, blocks, threads)(
        data.X, data.labels, w, state, settings, epochs, have_totals, totals, partials, history
    )
    bias, loss, _, epochs_run, _ = state.copy_to_host()
    epochs_run = int(epochs_run)
    return DescentState(w.copy_to_host(), float(bias), float(loss), history.copy_to_host()[:epochs_run], totals)


def _cooperative_blocks(kernel, args) -> int:
    """How many blocks of THREADS can be resident at once, which a grid sync needs (1 in the simulator)."""
    if SIMULATED:
        return 1
    compiled = kernel.compile(tuple(kernel.typeof_pyval(arg) for arg in args))
    return max(1, compiled.max_cooperative_grid_blocks(THREADS))


class Kernels(NamedTuple):
    gradient: Any
    curvature: Any
    descend_one_block: Any
    descend_grid: Any


def _register_plan(d: int) -> tuple[int, int]:
    """(rows a thread reads ahead, blocks of THREADS the compiler must fit on a multiprocessor, 0 for no
    bound) for X with d features.

    Measured on an H200 at 3 and 32 features only (the cut at 4 is a guess between them): unbounded, the
    descent kernel took 233 registers at 3 features, so one block of 256 threads fit on a
    multiprocessor; a bound of one or two blocks (about 120 registers) ran 10M x 3 1.5x faster (2,544 ->
    3,740 and 3,837 epochs/s). Within one later sweep, four rows in flight with two blocks (128
    registers, 76 bytes spilled) ran 9% (1M x 3) and 18% (10M x 3) faster than one row with one block;
    the sweeps' baselines differed by 9-15% from machine to machine. At 32 features the per-thread sums
    need the registers: a bound of two blocks ran 2.1x slower, two rows in flight 5%; so one row, no
    bound. The bound applies to every kernel of these d (the gradient and curvature ones do not spill)."""
    return (4, 2) if d <= 4 else (1, 0)


@functools.cache
def _kernels(d: int, threads: int) -> Kernels:
    """The kernels for X with d features, in blocks of ``threads``: both are constants in them, so that
    per-thread sums fit in registers and the block's tree unrolls."""
    width = d + 2  # gradient sums: [loss, gradient of b, gradient of w...]
    size = d + 1  # Newton's theta = [w, b]
    curvature_width = 1 + size + min(CURVATURE_TILE, _triangle(size))
    group = max(1, min(width, REDUCTION_BYTES // (8 * threads)))  # quantities reduced together
    rows_in_flight, min_blocks = _register_plan(d)

    @cuda.jit(device=True, inline=True)
    def score(X, w, b, i):
        z = b
        for j in range(d):
            z += float(X[i, j]) * w[j]  # float(): float64 products of float32 X, in the simulator too
        return z

    @cuda.jit(device=True, inline=True)
    def terms(z, label):
        """A row's loss term log(1 + e^z) - y z, residual p - y and curvature p (1 - p), stably."""
        y = float(label)
        e = math.exp(-abs(z))  # in (0, 1]: never overflows
        inverse = 1.0 / (1.0 + e)
        # as numba_fused._row_terms: t = |z| for a row labelled wrong, -|z| for one right; max(t, 0) = 0 for a
        # row right, whose small log1p keeps its digits; p - y never as the difference p - 1 (0 from z > 37)
        sign = 1.0 - 2.0 * y
        t = sign * z
        residual = sign * (inverse if t >= 0.0 else e * inverse)
        return max(t, 0.0) + math.log1p(e), residual, e * inverse * inverse

    @cuda.jit(device=True, inline=True)
    def add_row(X, labels, z, i, sums):
        loss, residual, _ = terms(z, labels[i])
        sums[0] += loss
        sums[1] += residual
        for j in range(d):
            sums[2 + j] += residual * float(X[i, j])

    @cuda.jit(device=True, inline=True)
    def gradient_rows(X, labels, w, b, first, stride, sums):
        """sums = [loss, gradient of b, gradient of w] over rows first, first + stride, ... in that order.
        ``rows_in_flight`` rows at a time: their scores first, so that the group's loads can be issued
        together and a thread of a persistent grid (a hundred rows or more) need not wait on memory for
        each row in turn."""
        for k in range(width):
            sums[k] = 0.0
        z = cuda.local.array(rows_in_flight, float64)
        n, i = X.shape[0], first
        while i + (rows_in_flight - 1) * stride < n:
            for u in range(rows_in_flight):
                z[u] = score(X, w, b, i + u * stride)
            for u in range(rows_in_flight):
                add_row(X, labels, z[u], i + u * stride, sums)
            i += rows_in_flight * stride
        while i < n:
            add_row(X, labels, score(X, w, b, i), i, sums)
            i += stride

    @cuda.jit(device=True, inline=True)
    def block_sum(sums, count, out):
        """out[:count] = the block's threads' sums[:count], added by a fixed tree."""
        shared = cuda.shared.array((group, threads), float64)
        t = cuda.threadIdx.x
        for start in range(0, count, group):
            taken = min(group, count - start)
            for k in range(taken):
                shared[k, t] = sums[start + k]
            cuda.syncthreads()
            half = threads // 2
            while half > 0:
                if t < half:
                    for k in range(taken):
                        shared[k, t] += shared[k, t + half]
                cuda.syncthreads()
                half //= 2
            for k in range(t, taken, threads):
                out[start + k] = shared[k, 0]
            cuda.syncthreads()

    kernel = cuda.jit(**({"launch_bounds": (threads, min_blocks)} if min_blocks and not SIMULATED else {}))

    @kernel
    def gradient(X, labels, w, b, partials):
        sums = cuda.local.array(width, float64)
        gradient_rows(X, labels, w, b, cuda.grid(1), cuda.gridsize(1), sums)
        block_sum(sums, width, partials[cuda.blockIdx.x])

    @kernel
    def curvature(X, labels, w, b, first, last, partials):
        """partials[block] = [loss, gradient on theta, Hessian rows first..last-1 of the lower triangle]."""
        sums = cuda.local.array(curvature_width, float64)
        count = partials.shape[1]
        for k in range(count):
            sums[k] = 0.0
        for i in range(cuda.grid(1), X.shape[0], cuda.gridsize(1)):
            loss, residual, weight = terms(score(X, w, b, i), labels[i])
            sums[0] += loss
            for j in range(d):
                sums[1 + j] += residual * float(X[i, j])
            sums[size] += residual
            q = 1 + size
            for j in range(first, last):
                weighted = weight * (float(X[i, j]) if j < d else 1.0)
                for k in range(j + 1):
                    sums[q] += weighted * (float(X[i, k]) if k < d else 1.0)
                    q += 1
        block_sum(sums, count, partials[cuda.blockIdx.x])

    def make_descend(one_block, grid_sync):
        @kernel
        def descend(X, labels, w, state, settings, epochs, have_totals, totals, partials, history):
            """Gradient descent in place on w, state and totals (see contract.CompiledDescent)."""
            sums = cuda.local.array(width, float64)
            t, block, blocks = cuda.threadIdx.x, cuda.blockIdx.x, cuda.gridDim.x
            learning_rate, scale, l2, tol = settings[0], settings[1], settings[2], settings[3]
            for epoch in range(epochs + 1):  # the extra pass measures the loss at the final weights
                if epoch > 0 or not have_totals:
                    gradient_rows(X, labels, w, state[0], block * threads + t, blocks * threads, sums)
                    if one_block:
                        block_sum(sums, width, totals)  # ends with syncthreads: the totals are visible
                    else:
                        block_sum(sums, width, partials[block])
                        grid_sync()  # every block's sums written
                        if block == 0:  # its threads add the block sums, each a fixed set, by a fixed tree
                            for k in range(width):
                                sums[k] = 0.0
                            for c in range(t, blocks, threads):
                                for k in range(width):
                                    sums[k] += partials[c, k]
                            block_sum(sums, width, totals)
                if block == 0:
                    if t == 0:
                        squared_norm = 0.0
                        for j in range(d):
                            squared_norm += w[j] * w[j]
                        # L2 penalty on w, not b; none at l2=0 (see numba_fused._descend)
                        loss = totals[0] * scale + (0.5 * l2 * squared_norm if l2 > 0.0 else 0.0)
                        previous = state[2]
                        # the stopping rule of solvers.gradient_descent._settled (tol NaN: never)
                        settled = abs(previous - loss) < tol * abs(previous) or (loss == 0.0 and tol >= 0.0)
                        if epoch == epochs or settled:
                            state[1], state[3], state[4] = loss, epoch, 1.0
                        else:
                            history[epoch] = loss
                            state[0] -= learning_rate * (totals[1] * scale)
                            state[2] = loss
                    cuda.syncthreads()  # thread 0 read w before anyone steps it
                    if state[4] == 0.0:
                        for j in range(t, d, threads):
                            w[j] -= learning_rate * (totals[2 + j] * scale + l2 * w[j])
                grid_sync()
                if state[4] != 0.0:
                    return

        return descend

    @cuda.jit(device=True, inline=True)
    def block_sync():
        cuda.syncthreads()

    @cuda.jit(device=True, inline=True)
    def grid_sync():
        cuda.cg.this_grid().sync()

    return Kernels(gradient, curvature, make_descend(True, block_sync), make_descend(False, grid_sync))
