"""The backend registry: each backend is a module with the same ``fit`` function, imported on first use.

Every backend's ``fit(X, y, weights, bias, learning_rate, epochs, mean, l2, tol, previous_loss)`` takes
a validated problem (see ``fastlogreg.validation``): X a finite 2-D float32/float64 array, y a float64
vector of 0/1, weights a float64 vector it may overwrite, bias a float, ``mean`` true for the mean
reduction. Each epoch k it computes the loss L_k at the current parameters (the reduced binary
cross-entropy plus l2/2 ||w||^2) and its gradient in one pass, then steps. It stops after ``epochs``
steps, or before step k when |L_(k-1) - L_k| < tol |L_(k-1)| (L_(-1) is ``previous_loss``; NaN: none).
It returns ``(weights, bias, loss, loss_history)``: the final parameters, the loss at them, and the loss
before each step taken. Loss and gradient are computed on the raw score z in stable form.

A backend may also define ``prepare(X, y) -> (X, y)``, run once per ``train()`` before the first
``fit`` (which may be called for several blocks of epochs): the place for one-time work such as
converting the labels or placing the data on a cluster.
"""

from __future__ import annotations

import importlib
import importlib.util

# name -> (module, the package it needs beyond numpy)
_REGISTRY = {
    "python": ("fastlogreg.backends.pure_python", None),
    "numpy": ("fastlogreg.backends.numpy_vectorized", None),
    "numba": ("fastlogreg.backends.numba_fused", "numba"),
    "dask": ("fastlogreg.backends.dask_blocks", "dask"),
}
BACKEND_NAMES = tuple(_REGISTRY)  # what train(backend=...) knows, installed or not
_loaded = {}


def available_backends() -> tuple[str, ...]:
    """The names ``train(backend=...)`` accepts on this machine, reference first."""
    return tuple(name for name, (_, needs) in _REGISTRY.items() if needs is None or importlib.util.find_spec(needs))


def get_backend(name: str):
    """The module of backend ``name`` (its ``fit``, maybe ``prepare``), imported the first time."""
    if not isinstance(name, str) or name not in _loaded:
        if not isinstance(name, str) or name not in _REGISTRY:
            known = ", ".join(repr(known) for known in _REGISTRY)
            raise ValueError(f"unknown backend {name!r}: choose one of {known}")
        module, needs = _REGISTRY[name]
        if needs is not None and importlib.util.find_spec(needs) is None:
            raise ImportError(f"backend {name!r} needs the package {needs!r}: pip install {needs}")
        _loaded[name] = importlib.import_module(module)
    return _loaded[name]
