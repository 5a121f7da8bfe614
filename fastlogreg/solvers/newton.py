"""Newton's method: the optimum in a handful of passes, with no learning rate to tune.

Each iteration is one fused pass over the rows that gives the loss, the gradient g and the Hessian H on
theta = [w, b] (bias last), both with the reduction's scale and the L2 penalty on the weights. Then:

1. the Newton step s solves H s = -g, by Cholesky on H scaled to a unit diagonal (so features of any
   units are alike), with a little damping added only when H is singular or nearly so (a constant or
   duplicated feature, or the flat loss of separable classes): the step stays finite and the weights
   of collinear features are shared out, as a minimum-norm solution would;
2. a backtracking line search halves the step until the loss falls enough (Armijo); the pass at each
   trial point already gives the next iteration's gradient and Hessian, so an accepted first trial costs
   one pass per iteration: on a dask cluster, one round trip;
3. it stops when the step just taken was tiny: its Newton decrement s^T H s / 2 (the predicted fall of
   the loss) is below ``tol`` times the loss. Newton converges quadratically, so the point it stops at
   is accurate to about the square of that.

It does not converge when the optimum is at infinity: classes that a hyperplane separates perfectly
(all labels equal among them) with l2=0. The loss then falls towards 0 with ever larger weights, and
after ``epochs`` iterations the run ends with ``converged=False`` and a ConvergenceWarning that says so.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..backends.contract import Backend
from .monitor import Fit, Monitor

DEFAULT_MAX_ITERATIONS = 100
DEFAULT_TOL = 1e-10
# Each pass costs O(n d^2) and the solve O(d^3); beyond this many features gradient descent or a
# quasi-Newton method is the better tool, and the Hessian alone would take tens of megabytes per thread.
MAX_FEATURES = 1024

ARMIJO = 1e-4  # the fraction of the predicted fall a trial step must achieve
MAX_HALVINGS = 50
# A step whose predicted fall is below rounding of the loss is accepted when the loss rises by no more
# than rounding: at the optimum, no trial can do better than that.
ROUNDING = 1e-13
# Cholesky pivots of the unit-diagonal Hessian below this count as singular: damping is then added,
# from DAMPING_START and a hundred times more until the pivots clear it.
MIN_PIVOT = 1e-12
DAMPING_START = 1e-10
# A mean loss per row below this with l2=0 means the classes are separated (no finite optimum).
SEPARATED_MEAN_LOSS = 1e-12


class ConvergenceWarning(UserWarning):
    """A solver stopped before it converged; the returned model is finite but not the optimum."""


def newton(backend: Backend, data, weights, bias, problem, monitor: Monitor) -> Fit:
    n_features = weights.shape[0]
    penalty = np.append(np.full(n_features, problem.l2), 0.0)  # L2 on the weights, not the bias
    tol = DEFAULT_TOL if problem.tol is None else problem.tol

    def evaluate(theta):
        """The objective, its gradient and its Hessian at theta: one pass over the rows."""
        sums = backend.curvature_sums(data, theta[:-1], float(theta[-1]))
        loss = sums.loss * problem.scale + 0.5 * float(penalty @ (theta * theta))
        return loss, sums.gradient * problem.scale + penalty * theta, sums.hessian * problem.scale + np.diag(penalty)

    theta = np.append(weights, bias)
    loss, gradient, hessian = evaluate(theta)
    history: list[float] = []
    while len(history) < problem.epochs:
        if monitor.stops(len(history), loss):
            return _fit(theta, loss, history, converged=False)
        step = newton_step(gradient, hessian)
        slope = float(gradient @ step)  # the loss's derivative along the step: negative
        history.append(loss)
        trial = _line_search(evaluate, theta, loss, step, slope)
        if trial is None:
            warnings.warn(
                f"newton: the line search found no lower loss after iteration {len(history)} (loss {loss:.10g}); "
                "the loss cannot be lowered further at float64 precision",
                ConvergenceWarning,
                stacklevel=4,
            )
            return _fit(theta, loss, history, converged=False)
        taken = trial[0]
        decrement = float(taken @ hessian @ taken)  # in the metric of the Hessian the step was taken with
        theta, loss, gradient, hessian = trial[1:]
        monitor.advance(1)
        if 0.5 * decrement <= tol * abs(loss):
            return _fit(theta, loss, history, converged=True)
    if problem.epochs:
        _explain(problem, loss, len(history))
    return _fit(theta, loss, history, converged=False)


def _fit(theta, loss, history, *, converged) -> Fit:
    return Fit(theta[:-1].copy(), float(theta[-1]), float(loss), np.array(history, dtype=np.float64), converged)


def newton_step(gradient: np.ndarray, hessian: np.ndarray) -> np.ndarray:
    """The step s with H s = -g, damped where H is (nearly) singular: see the module docstring."""
    diagonal = np.diag(hessian)
    unit = np.where(diagonal > 0, 1.0 / np.sqrt(np.where(diagonal > 0, diagonal, 1.0)), 1.0)
    scaled = hessian * unit[:, np.newaxis] * unit[np.newaxis, :]  # unit diagonal (or 0 for a zero column)
    identity = np.eye(scaled.shape[0])
    damping = 0.0
    while True:
        try:
            lower = np.linalg.cholesky(scaled + damping * identity)
            if np.min(np.diag(lower)) ** 2 >= MIN_PIVOT:
                break
        except np.linalg.LinAlgError:
            pass
        damping = DAMPING_START if damping == 0.0 else damping * 100.0
    # numpy has no triangular solve: solve() factors again, which costs nothing next to a pass at these d
    scaled_step = np.linalg.solve(lower.T, np.linalg.solve(lower, -gradient * unit))
    return scaled_step * unit


def _line_search(evaluate, theta, loss, step, slope):
    """(the step taken, theta, loss, gradient, Hessian) at the first acceptable trial, or None."""
    fraction = 1.0
    for _ in range(MAX_HALVINGS):
        taken = fraction * step
        candidate = theta + taken
        trial_loss, gradient, hessian = evaluate(candidate)
        enough = trial_loss <= loss + ARMIJO * fraction * slope
        at_rounding = trial_loss - loss <= ROUNDING * abs(loss) and -fraction * slope <= ROUNDING * abs(loss)
        if enough or at_rounding:
            return taken, candidate, trial_loss, gradient, hessian
        fraction *= 0.5
    return None


def _explain(problem, loss: float, iterations: int) -> None:
    if problem.l2 == 0 and loss / problem.scale < SEPARATED_MEAN_LOSS * problem.n_rows:
        reason = (
            f"the loss fell to {loss:.3g}: the classes are perfectly separable, so with l2=0 the optimum is at "
            "infinite weights; the returned weights separate the classes but their size is arbitrary. "
            "Set l2 > 0 for a finite optimum"
        )
    else:
        reason = f"raise epochs (the most iterations), now {problem.epochs}"
    warnings.warn(f"newton did not converge in {iterations} iterations: {reason}", ConvergenceWarning, stacklevel=4)
