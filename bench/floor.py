"""The memory floor: a compiled parallel pass that only reads X. One training epoch must read X at least once.

X is read as the flat buffer it is in memory (C or Fortran order alike), cut into one contiguous slice
per thread; each thread sums its slice with reassociation allowed, so the loop vectorizes and unrolls
into several accumulators and runs at memory (or cache) bandwidth, not at the latency of one add chain.
"""

import numba
import numpy as np

from fastlogreg.backends.numba_intrinsics import prefer_512_bit_vectors

_FLAGS = dict(nogil=True, cache=True, fastmath={"reassoc", "contract"})


def read_once(X):
    """Sum of every entry of X (float32 or float64, C or Fortran contiguous), each read once."""
    if not (X.flags.c_contiguous or X.flags.f_contiguous):
        raise ValueError("the floor reads X in place: pass a C- or Fortran-contiguous array")
    return _sum_in_slices(X.ravel(order="K"), numba.get_num_threads())  # a view: X in memory order


def read_per_pass(X, epochs):
    """As many reads of X as training for ``epochs`` makes passes: one per epoch, one for the final loss."""
    for _ in range(epochs + 1):
        read_once(X)


@numba.njit(parallel=True, **_FLAGS)
def _sum_in_slices(flat, parts):
    size = flat.shape[0]
    partials = np.zeros(parts)
    for part in numba.prange(parts):
        # Each slice is a view summed by a function of its own: inside prange's generated code numba loses
        # the knowledge that `flat` is contiguous, and the loop then loads one element at a time (2-3x slower).
        partials[part] = _sum(flat[part * size // parts : (part + 1) * size // parts])
    return partials.sum()


@numba.njit(**_FLAGS)
def _sum(values):
    prefer_512_bit_vectors()  # as wide as the kernels' vectors, on Intel's AVX-512 CPUs too
    total = 0.0
    for i in range(values.shape[0]):
        total += values[i]
    return total
