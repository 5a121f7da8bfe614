"""Every numba setting of the package, in one place.

fastmath is never switched on wholesale: "reassoc" would let LLVM rewrite (x + C) - C to x and break
the range reduction in numba_math.exp_nonpositive. Only two narrow licences are given:
- "contract" everywhere: multiply-adds may fuse into FMAs (one rounding instead of two);
- "reassoc" in the reduction helpers alone, so their sums vectorize. The order LLVM picks is fixed
  in the compiled code, so results stay bitwise repeatable from call to call.

Threading layer: numba's own choice is kept (TBB if installed, else OpenMP, else its "workqueue").
An earlier choice of ours, "forksafe" (workqueue without TBB), cost about 45 us per parallel region
where OpenMP takes 3 us, and its sleeping threads ran a parallel read of X slower than one thread did
(2 cores, KVM). In a fork()ed child, fork_safety decides (OpenMP may not work there).

On-disk cache: compiled kernels are kept where numba keeps them (the package's ``__pycache__``,
else the user's cache folder); when neither is writable (a read-only install with no writable home),
in a private folder of the temporary directory, so a new process loads them rather than compiling
for seconds. ``FASTLOGREG_NUMBA_CACHE=0`` turns the on-disk cache off for this package's kernels.
The cache is keyed on each kernel's own source file, not on this one: after changing an option
here, delete the ``__pycache__/*.nbi``/``*.nbc`` files of the backends (a fresh install has none).
"""

import os
import stat
import tempfile
import warnings
from typing import Any

import numba
from numba.core import codegen as numba_codegen

from . import fork_safety

FASTMATH = {"contract"}
REDUCTION_FASTMATH = {"contract", "reassoc"}
JIT_OPTIONS = dict(
    nogil=True,  # callers' threads run concurrently
    error_model="numpy",  # no ZeroDivisionError checks inside vectorized loops
    fastmath=FASTMATH,
)
CACHE_ENVIRONMENT_VARIABLE = "FASTLOGREG_NUMBA_CACHE"
_config: Any = numba.config  # its settings are set at import, invisible to type checkers
if fork_safety.forked:  # a fork()ed child whose parent had not imported numba
    fork_safety.choose_forksafe(_config)


def compiles_for_avx512() -> bool:
    """Whether the kernels are compiled for a CPU with AVX-512: NUMBA_CPU_FEATURES if set, else the
    host's features as numba reads them (none of AVX when NUMBA_ENABLE_AVX=0), as numba's codegen does."""
    features = _config.CPU_FEATURES
    if features is None:
        features = numba_codegen.get_host_cpu_features()
    return "+avx512f" in features.split(",")


def cache_enabled() -> bool:
    return os.environ.get(CACHE_ENVIRONMENT_VARIABLE, "1").strip().lower() not in {"0", "false", "no", "off"}


def fallback_cache_dir() -> str | None:
    """A folder of the temporary directory that only this user can write, or None.

    numba's cache files are pickles: loading one written by someone else would run their code, so a
    folder that another user owns or may write to is never used.
    """
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    path = os.path.join(tempfile.gettempdir(), f"fastlogreg-numba-cache-{user}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        status = os.lstat(path)
    except OSError:
        return None
    private = stat.S_ISDIR(status.st_mode) and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if hasattr(os, "getuid"):
        private = private and status.st_uid == os.getuid()
    return path if private and os.access(path, os.W_OK) else None


_warned = False


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(message, stacklevel=3)


def jit(*, parallel=False, reduction=False, allocates=True, inline="never"):
    """``numba.njit`` with the package's options, cached on disk wherever a writable place is found.

    ``allocates=False`` compiles without numba's reference counting (its private but long-standing
    ``_nrt`` option), for kernels that create no
    arrays: otherwise every array argument costs an incref and a decref per call, which is most of an
    epoch's fixed cost on a dozen rows.
    """
    options = dict(JIT_OPTIONS, parallel=parallel, inline=inline, _nrt=allocates)
    if reduction:
        options["fastmath"] = REDUCTION_FASTMATH

    def decorate(function):
        if not cache_enabled():
            return numba.njit(cache=False, **options)(function)
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError:  # "cannot cache function ...: no locator available": nothing numba picks is writable
            pass
        fallback = fallback_cache_dir()
        if fallback is not None:
            # numba reads CACHE_DIR only while it sets up a function's cache: set for this function alone
            saved, _config.CACHE_DIR = _config.CACHE_DIR, fallback
            try:
                return numba.njit(cache=True, **options)(function)
            except RuntimeError:
                pass
            finally:
                _config.CACHE_DIR = saved
        _warn_once(
            "fastlogreg: numba cache unavailable (no writable folder), so each new process compiles the "
            f"kernels again (seconds); set NUMBA_CACHE_DIR to a writable folder, or {CACHE_ENVIRONMENT_VARIABLE}=0 "
            "to turn the cache off"
        )
        return numba.njit(cache=False, **options)(function)

    return decorate
