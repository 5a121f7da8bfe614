"""Full-batch gradient descent: the tutorial's algorithm, one pass over the rows per epoch.

    L(w, b) = scale * sum_rows [log(1 + e^z) - y z] + l2/2 ||w||^2,   scale = 1/n ("mean") or 1 ("sum")
    w <- w - learning_rate * (scale * sum (p - y) x + l2 w),   b <- b - learning_rate * scale * sum (p - y)

Epoch k measures L at the current point (``loss_history[k]``) and steps; one last pass measures the
loss at the returned point. Before step k the run stops early when |L_(k-1) - L_k| < tol |L_(k-1)|,
or when L_k is exactly 0.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..backends.contract import Backend, Descent
from .monitor import Fit, Monitor
from .objective import l2_penalty

DEFAULT_LEARNING_RATE = 0.01
DEFAULT_EPOCHS = 1000
# A loss that ends above its lowest means the last steps overshoot (the learning rate is too large for
# the loss there: the run oscillates, and backends that differ by rounding end far apart); an overshoot
# early on, where the loss curves more, that the later steps make up for, is no divergence. The
# allowance is for rounding only, where a run starts at the optimum.
RISE_TOLERANCE = 1e-12


def gradient_descent(backend: Backend, data, weights, bias, problem, monitor: Monitor) -> Fit:
    descent = Descent(
        learning_rate=problem.learning_rate,
        scale=problem.scale,
        l2=problem.l2,
        tol=math.nan if problem.tol is None else problem.tol,  # NaN compares false: never stops early
    )
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported once, below
        if hasattr(backend, "descend"):
            fit = _in_compiled_blocks(backend, data, weights, bias, descent, problem.epochs, monitor)
        else:
            fit = _epoch_by_epoch(backend, data, weights, bias, descent, problem.epochs, monitor)
    history = fit.loss_history
    overflowed = not (math.isfinite(fit.loss) and math.isfinite(fit.bias) and np.isfinite(fit.weights).all())
    lowest = float(history.min()) if history.size else fit.loss
    if overflowed or fit.loss > lowest * (1 + RISE_TOLERANCE):
        change = "overflowed" if overflowed else f"ended at {fit.loss:.6g}, above its lowest, {lowest:.6g}"
        raise FloatingPointError(
            f"training diverged: gradient descent's loss {change} with learning_rate={problem.learning_rate:g}; "
            "lower learning_rate, standardize=True, or use solver='newton', which needs no learning rate"
        )
    return fit


def _epoch_by_epoch(backend, data, w, b, descent: Descent, epochs: int, monitor: Monitor) -> Fit:
    """The loop itself, in Python over the backend's passes."""
    history: list[float] = []
    previous = math.nan
    for epoch in range(epochs + 1):  # the last pass only measures the loss at the final point
        sums = backend.gradient_sums(data, w, b)
        loss = sums.loss * descent.scale + l2_penalty(w, descent.l2)
        converged = _settled(previous, loss, descent.tol) and epoch < epochs
        if epoch == epochs or converged or not math.isfinite(loss) or monitor.stops(epoch, loss):
            return Fit(w, float(b), loss, np.array(history, dtype=np.float64), converged)
        history.append(loss)
        w = w - descent.learning_rate * (sums.weights * descent.scale + descent.l2 * w)  # against the slope
        b -= descent.learning_rate * (sums.bias * descent.scale)
        previous = loss
        monitor.advance(1)
    raise AssertionError("unreachable: the loop returns")


def _settled(previous: float, loss: float, tol: float) -> bool:
    """The stopping rule (NaN tol: never). A loss of exactly 0 cannot fall further, so it settles too."""
    return abs(previous - loss) < tol * abs(previous) or (loss == 0.0 and tol >= 0.0)


def _in_compiled_blocks(backend, data, w, b, descent: Descent, epochs: int, monitor: Monitor) -> Fit:
    """The same loop compiled in the backend (``descend``), run in blocks that return to Python about
    every ``monitor.BLOCK_SECONDS``: for Ctrl-C, the progress bar and the callback. Each block starts
    from the previous one's last pass, so the blocks give the bits of one uninterrupted run."""
    histories, previous, done, gradient = [], math.nan, 0, None
    while True:
        steps = monitor.block_length(done)
        started = time.perf_counter()
        state = backend.descend(data, w, b, descent, steps, previous, gradient)
        monitor.timed(len(state.loss_history), time.perf_counter() - started)
        w, b, loss, gradient = state.weights, state.bias, state.loss, state.gradient
        histories.append(state.loss_history)
        done += len(state.loss_history)
        monitor.advance(len(state.loss_history))
        if len(state.loss_history):
            previous = state.loss_history[-1]
        # A block that ran all its steps has not tested its last point: test it here, as the next block's
        # first epoch would, before the callback (the loop above stops there without calling it).
        converged = len(state.loss_history) < steps or (done < epochs and _settled(previous, loss, descent.tol))
        if converged or done == epochs or not math.isfinite(loss) or monitor.stops(done, loss):
            return Fit(w, float(b), float(loss), np.concatenate(histories), converged)
