"""Every numba setting of the package, in one place.

fastmath is never switched on wholesale: "reassoc" would let LLVM rewrite (x + C) - C to x and break
the range reduction in numba_math.exp_nonpositive. Only two narrow licences are given:
- "contract" everywhere: multiply-adds may fuse into FMAs (one rounding instead of two);
- "reassoc" in the reduction helpers alone, so their sums vectorize. The order LLVM picks is fixed
  in the compiled code, so results stay bitwise repeatable from call to call.

Threading layer: numba's default picks GNU OpenMP ("omp") on Linux when no TBB is installed, and
libgomp kills every fork()ed child that later runs parallel code (multiprocessing's default start
method on Linux). Unless the user has chosen a layer (``NUMBA_THREADING_LAYER``,
``NUMBA_THREADING_LAYER_PRIORITY``, ``numba.config.THREADING_LAYER``) or parallel numba code has
already run, the package asks numba for "forksafe": TBB if installed (fork- and thread-safe), else
the built-in "workqueue". workqueue is not safe for two threads at once; numba_fused's
``_PARALLEL_LOCK`` lets one train() at a time into the parallel kernel.

numba's on-disk cache is keyed on each kernel's own source file, not on this one: after changing an
option here, delete the ``__pycache__/*.nbi``/``*.nbc`` files of the backends (a fresh install has none).
"""

import os
import warnings

import numba

FASTMATH = {"contract"}
REDUCTION_FASTMATH = {"contract", "reassoc"}
JIT_OPTIONS = dict(
    nogil=True,  # callers' threads run concurrently
    error_model="numpy",  # no ZeroDivisionError checks inside vectorized loops
    fastmath=FASTMATH,
)


def _choose_threading_layer() -> None:
    """Ask for a fork-safe layer, unless the user chose one or numba has already started its threads."""
    chosen = {"NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY"} & set(os.environ)
    if chosen or str(numba.config.THREADING_LAYER).lower() != "default":
        return
    try:
        numba.threading_layer()  # raises until some parallel code has run
    except ValueError:
        numba.config.THREADING_LAYER = "forksafe"


_choose_threading_layer()


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
