"""What train() returns: the fitted parameters, the loss curve, and the settings that produced them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .backends.numpy_vectorized import log1pexp_and_sigmoid
from .validation import check_features


@dataclass(frozen=True)
class TrainResult:
    weights: np.ndarray  # shape (d,)
    bias: float
    loss: float  # at the returned weights, after the last update, with the training reduction
    loss_history: np.ndarray = field(repr=False)  # shape (epochs,): loss at the start of each epoch
    backend: str = ""
    reduction: str = ""
    learning_rate: float = 0.0
    epochs: int = 0
    dtype: str = "float64"

    def decision_function(self, X) -> np.ndarray:
        """The raw score z = X.w + b for each row of X."""
        X = check_features(X, n_features=self.weights.shape[0])
        return X @ self.weights + self.bias

    def predict_proba(self, X) -> np.ndarray:
        """The probability of label 1 for each row of X, shape (n,)."""
        return log1pexp_and_sigmoid(self.decision_function(X))[1]

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """Label 1 where the probability exceeds ``threshold``, else 0; shape (n,), dtype int."""
        return (self.predict_proba(X) > threshold).astype(np.int64)
