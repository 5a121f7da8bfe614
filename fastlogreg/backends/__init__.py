"""The backend registry: each backend is a module that makes passes over the rows, imported on first use.

What a backend provides is written as code in ``contract.py`` (``Backend``, and ``CompiledDescent`` for a
backend that also compiles the gradient-descent loop); the solvers in ``fastlogreg.solvers`` do the
iterating. An unknown backend, or one whose package is missing, gets an error that says what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, cast

from .contract import Backend, CompiledDescent

# name -> (module, the package it needs beyond numpy)
_REGISTRY = {
    "python": ("fastlogreg.backends.pure_python", None),
    "numpy": ("fastlogreg.backends.numpy_vectorized", None),
    "numba": ("fastlogreg.backends.numba_fused", "numba"),
    "dask": ("fastlogreg.backends.dask_blocks", "dask"),
}
_loaded: dict[str, Backend] = {}


def available_backends() -> tuple[str, ...]:
    """The names ``train(backend=...)`` accepts on this machine, reference first."""
    return tuple(name for name, (_, needs) in _REGISTRY.items() if needs is None or importlib.util.find_spec(needs))


def get_backend(name: str) -> Backend:
    """The module of backend ``name``, imported the first time."""
    if not isinstance(name, str) or name not in _loaded:
        if not isinstance(name, str) or name not in _REGISTRY:
            known = ", ".join(repr(known) for known in _REGISTRY)
            raise ValueError(f"unknown backend {name!r}: choose one of {known}")
        module, needs = _REGISTRY[name]
        if needs is not None and importlib.util.find_spec(needs) is None:
            raise ImportError(f"backend {name!r} needs the package {needs!r}: pip install {needs}")
        _loaded[name] = cast(Backend, importlib.import_module(module))
    return _loaded[name]


if TYPE_CHECKING:  # mypy checks each module against the contract
    from . import dask_blocks, numba_fused, numpy_vectorized, pure_python

    _python: Backend = pure_python
    _numpy: Backend = numpy_vectorized
    _numba: CompiledDescent = numba_fused
    _dask: Backend = dask_blocks
