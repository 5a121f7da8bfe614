"""fastlogreg: binary logistic regression by full-batch gradient descent, one API over several backends.

    >>> import fastlogreg
    >>> X, y = fastlogreg.load_nba_rookie_draft()
    >>> result = fastlogreg.train(X, y, backend="numba", learning_rate=0.001, epochs=3000,
    ...                           reduction="sum", init="normal", random_state=220104)
    >>> round(result.loss, 6)
    6.220960
"""

from .backends import available_backends
from .data import load_nba_rookie_draft, read_csv
from .result import TrainResult
from .training import train

__version__ = "0.1.0"
__all__ = ["train", "TrainResult", "available_backends", "load_nba_rookie_draft", "read_csv", "__version__"]
