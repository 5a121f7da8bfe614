"""What every backend provides: passes over the rows. The solvers (``fastlogreg.solvers``) do the rest.

A backend is a module with these functions (checked by mypy against the Protocols below):

- ``prepare(X, y) -> data``: once per ``train()``, before any pass: one-time work such as placing the
  rows on a cluster. X is a validated 2-D finite float32/float64 array (a dask array for the dask
  backend), y a uint8 vector of 0/1 labels of the same length.
- ``gradient_sums(data, weights, bias) -> Gradient``: one pass over the rows that sums the loss and its
  gradient at (weights, bias).
- ``curvature_sums(data, weights, bias) -> Curvature``: one pass that sums the loss, the gradient and
  the Hessian together, for Newton's method.

All sums are over the rows of the unpenalized binary cross-entropy, written on the raw score
z = x.w + b in stable form: per row ``log(1 + e^z) - y z``, gradient ``(p - y) [x, 1]``, Hessian
``p (1 - p) [x, 1][x, 1]^T`` with p = sigmoid(z). Scaling by the reduction and the L2 penalty are the
solver's, so every backend computes exactly the same quantities.

A pass may take long (Newton's on wide X sums d^2 products per row) and Python sees Ctrl-C only
between calls into compiled code or BLAS: a backend splits such a pass into calls of at most
``UNINTERRUPTED_PRODUCTS`` multiply-adds (Hessian entries times rows), each adding to the sums where
the last one stopped.

A backend may also compile the whole gradient-descent loop (``CompiledDescent``): the numba backend
does, because leaving compiled code every epoch costs more than an epoch on a dozen rows. The shared
Python loop in ``fastlogreg.solvers.gradient_descent`` is the definition it is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

# About a tenth of a second of a Newton pass on two cores (numba and BLAS alike): Ctrl-C lands within that.
UNINTERRUPTED_PRODUCTS = 10**9


def hessian_rows_per_call(n_features: int) -> int:
    """Rows of a Newton pass per uninterruptible call: each row adds about (d + 1)^2 products."""
    return max(1, UNINTERRUPTED_PRODUCTS // (n_features + 1) ** 2)


class Gradient(NamedTuple):
    """Sums over the rows of one gradient pass."""

    loss: float
    weights: np.ndarray  # (d,): sum of (p - y) x
    bias: float  # sum of (p - y)


class Curvature(NamedTuple):
    """Sums over the rows of one Newton pass, on the parameters theta = [w_1 .. w_d, b] (bias last)."""

    loss: float
    gradient: np.ndarray  # (d + 1,)
    hessian: np.ndarray  # (d + 1, d + 1), symmetric


@dataclass(frozen=True)
class Descent:
    """The settings of a gradient-descent run, as a compiled loop needs them."""

    learning_rate: float
    scale: float  # what the summed loss and gradient are multiplied by: 1/n for "mean", 1 for "sum"
    l2: float  # penalty l2/2 ||w||^2 on the weights, added after scaling
    tol: float  # stop before an update when |L_prev - L| < tol |L_prev| or L == 0; NaN: never


class Backend(Protocol):
    def prepare(self, X: Any, y: np.ndarray) -> Any: ...

    def gradient_sums(self, data: Any, weights: np.ndarray, bias: float) -> Gradient: ...

    def curvature_sums(self, data: Any, weights: np.ndarray, bias: float) -> Curvature: ...


class DescentState(NamedTuple):
    """Where a block of compiled gradient descent stopped."""

    weights: np.ndarray
    bias: float
    loss: float  # at (weights, bias)
    loss_history: np.ndarray  # the loss before each update of the block
    gradient: Any  # the sums at (weights, bias), so that the next block need not recompute them


class CompiledDescent(Backend, Protocol):
    def descend(
        self,
        data: Any,
        weights: np.ndarray,
        bias: float,
        descent: Descent,
        epochs: int,
        previous_loss: float,
        gradient: Any,
    ) -> DescentState:
        """Up to ``epochs`` updates from (weights, bias); ``gradient`` is a previous block's
        ``DescentState.gradient`` at this very point, or None."""
        ...
