"""Every numba setting of the package, in one place.

fastmath is never switched on wholesale: "reassoc" would let LLVM rewrite (x + C) - C to x and break
the range reduction in numba_math.exp_nonpositive. Only two narrow licences are given:
- "contract" everywhere: multiply-adds may fuse into FMAs (one rounding instead of two);
- "reassoc" in the reduction helpers alone, so their sums vectorize. The order LLVM picks is fixed
  in the compiled code, so results stay bitwise repeatable from call to call.

numba's on-disk cache is keyed on each kernel's own source file, not on this one: after changing an
option here, delete the ``__pycache__/*.nbi``/``*.nbc`` files of the backends (a fresh install has none).
"""

import warnings

import numba

FASTMATH = {"contract"}
REDUCTION_FASTMATH = {"contract", "reassoc"}
JIT_OPTIONS = dict(
    nogil=True,  # callers' threads run concurrently
    error_model="numpy",  # no ZeroDivisionError checks inside vectorized loops
    fastmath=FASTMATH,
)


def jit(*, parallel=False, reduction=False, allocates=True, inline="never"):
    """``numba.njit`` with the package's options; caching falls back to off when no directory is writable.

    ``allocates=False`` compiles without numba's reference counting (its private but long-standing
    ``_nrt`` option), for kernels that create no
    arrays: otherwise every array argument costs an incref and a decref per call, which is most of an
    epoch's fixed cost on a dozen rows.
    """
    options = dict(JIT_OPTIONS, parallel=parallel, inline=inline, _nrt=allocates)
    if reduction:
        options["fastmath"] = REDUCTION_FASTMATH

    def decorate(function):
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError as error:  # "cannot cache function ...: no locator available"
            warnings.warn(f"fastlogreg: numba cache unavailable, compiling without it ({error})", stacklevel=2)
            return numba.njit(cache=False, **options)(function)

    return decorate
