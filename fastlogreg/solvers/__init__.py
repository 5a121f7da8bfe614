"""The iterations, written once over any backend's passes (``fastlogreg.backends.contract``).

- ``gradient_descent``: the tutorial's full-batch gradient descent, a fixed learning rate.
- ``newton``: Newton's method with a line search: the optimum in a few passes, no learning rate.

Each takes a validated problem, a backend and the data it prepared, and returns a ``Fit``; ``newton`` may
instead raise ``OffsetFeatures``, for its caller to let go of that data and call ``newton_centred``.
Both minimize the objective documented in ``objective``: the backends' scaled sums plus the L2 penalty.
"""

from .gradient_descent import gradient_descent
from .monitor import Fit, Monitor
from .newton import ConvergenceWarning, OffsetFeatures, in_original_units, newton, newton_centred

# train(solver=...) resolved ("auto" is validation's) -> the function that runs it
SOLVER_FUNCTIONS = {"gd": gradient_descent, "newton": newton}

__all__ = [
    "SOLVER_FUNCTIONS",
    "ConvergenceWarning",
    "Fit",
    "Monitor",
    "OffsetFeatures",
    "gradient_descent",
    "in_original_units",
    "newton",
    "newton_centred",
]
