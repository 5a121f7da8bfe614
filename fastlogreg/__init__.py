"""fastlogreg: binary logistic regression by Newton's method or full-batch gradient descent, one API over
several backends.

>>> import fastlogreg
>>> X, y = fastlogreg.load_nba_rookie_draft()
>>> result = fastlogreg.train(X, y, backend="numba", learning_rate=0.001, epochs=3000,
...                           reduction="sum", init="normal", random_state=220104)
>>> round(result.loss, 6)
6.220960
"""

import importlib.metadata

from . import data
from .backends import available_backends
from .data import load_nba_rookie_draft, make_nba_like, read_csv
from .estimator import LogisticRegressionGD
from .result import TrainResult, load
from .solvers import ConvergenceWarning
from .training import train

try:
    __version__ = importlib.metadata.version("fastlogreg")
except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
__all__ = [
    "train",
    "ConvergenceWarning",
    "TrainResult",
    "load",
    "LogisticRegressionGD",
    "available_backends",
    "load_nba_rookie_draft",
    "make_nba_like",
    "read_csv",
    "data",
    "__version__",
]
