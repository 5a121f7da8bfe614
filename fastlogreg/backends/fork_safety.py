"""fork() and numba's threads: what a fork()ed child of a process that ran parallel code may run.

GNU OpenMP (numba's threading layer when TBB is not installed) cannot run parallel code in a fork()ed
child of a process that started its threads: numba kills the child when numba started them, and the
child hangs when another library (PyTorch; scikit-learn or xgboost under conda) started them in the
same libgomp. fastlogreg imports this module, which does not import numba, so that its handler runs in
every child forked afterwards:
- if numba's threads were running in the parent on OpenMP, the child runs the numba backend on one
  thread (``parallel_allowed``; the same bits);
- otherwise the child's numba takes numba's "forksafe" layer (TBB, else its own "workqueue"), unless
  the user chose a layer: OpenMP may be broken in the child by another library.
A child forked before fastlogreg was imported is not covered. (Two other handlers: numba_fused gives
a child a fresh lock around parallel kernels, and the dask backend fresh thread pools for dask.)
"""

import os
import sys
from typing import Any

parallel_allowed = True  # False in a child whose parent ran numba on OpenMP
forked = False  # in a fork()ed child: numba_config asks for "forksafe" if the child imports numba later


def choose_forksafe(config: Any) -> None:
    """numba's "forksafe" threading layer for this child, unless the user chose a layer."""
    chosen = {"NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY"} & set(os.environ)
    if not chosen and str(config.THREADING_LAYER).lower() == "default":
        config.THREADING_LAYER = "forksafe"


def _after_fork_in_child() -> None:
    global parallel_allowed, forked
    forked = True
    numba = sys.modules.get("numba")
    if numba is None:
        return  # numba_config applies choose_forksafe when the child imports it
    try:
        layer = numba.threading_layer()
    except ValueError:  # numba has not started its threads: it may still choose a layer
        choose_forksafe(numba.config)
        return
    parallel_allowed = parallel_allowed and layer != "omp"


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)
