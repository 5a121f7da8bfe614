"""The objective every solver minimizes: scale * sum_rows [log(1 + e^z) - y z] + l2/2 ||w||^2.

The backends sum the rows; the penalty is added here, in one place for the Python loops and for
validation's check of the start (the compiled loops write the same expression in their own code).
"""

import numpy as np


def l2_penalty(weights: np.ndarray, l2: float) -> float:
    """l2/2 ||w||^2 on the weights, not the bias; inf where it overflows (callers that report overflow
    themselves silence NumPy's warning). None at all at l2=0, where weights past 1e154 (whose squares
    overflow) can be optimal: 0 * inf would be NaN."""
    if not l2:
        return 0.0
    return 0.5 * l2 * float(weights @ weights)
