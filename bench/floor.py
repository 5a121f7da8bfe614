"""The memory floor: a compiled parallel pass that only reads X. One training epoch must read X at least once."""

import numba
import numpy as np

ROWS_PER_CHUNK = 2048


@numba.njit(parallel=True, nogil=True, cache=True, fastmath={"reassoc", "contract"})
def read_once(X):
    """Sum of every entry of X, each read once, in parallel chunks (reassociated so it vectorizes)."""
    n, d = X.shape
    partials = np.zeros((n + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK)
    for c in numba.prange(partials.shape[0]):
        total = 0.0
        for i in range(c * ROWS_PER_CHUNK, min((c + 1) * ROWS_PER_CHUNK, n)):
            for j in range(d):
                total += X[i, j]
        partials[c] = total
    return partials.sum()
