"""The memory floor: a compiled parallel pass that only reads X. One training epoch must read X at least once.

X is read as the flat buffer it is in memory (C or Fortran order alike), cut into one contiguous slice
per thread; each thread sums its slice with reassociation allowed, so the loop vectorizes and unrolls
into several accumulators and runs at memory (or cache) bandwidth, not at the latency of one add chain.
"""

import numba
import numpy as np


def read_once(X):
    """Sum of every entry of X (float32 or float64, C or Fortran contiguous), each read once."""
    if not (X.flags.c_contiguous or X.flags.f_contiguous):
        raise ValueError("the floor reads X in place: pass a C- or Fortran-contiguous array")
    return _sum_in_slices(X.ravel(order="K"), numba.get_num_threads())  # a view: X in memory order


@numba.njit(parallel=True, nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _sum_in_slices(flat, parts):
    size = flat.shape[0]
    partials = np.zeros(parts)
    for part in numba.prange(parts):
        start, stop = part * size // parts, (part + 1) * size // parts
        total = 0.0
        for i in range(start, stop):
            total += flat[i]
        partials[part] = total
    return partials.sum()
