"""What train() returns: the fitted parameters, the loss curve, the settings that produced them."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .backends.numpy_vectorized import log1pexp_and_sigmoid
from .validation import check_features, check_labels

FILE_FORMAT = "fastlogreg-model"
FILE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class TrainResult:
    weights: np.ndarray  # shape (d,), in the units of the X it was trained on
    bias: float
    loss: float  # at the returned weights, with the training reduction (and L2 penalty)
    loss_history: np.ndarray = field(repr=False)  # shape (epochs_run,): loss before each update
    epochs_run: int = 0
    converged: bool = False  # stopped early because the loss changed by less than tol
    backend: str = ""
    reduction: str = ""
    learning_rate: float = 0.0
    epochs: int = 0  # as requested
    l2: float = 0.0
    tol: float | None = None
    standardize: bool = False
    dtype: str = "float64"

    # --- using the model -------------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """The raw score z = X.w + b for each row of X."""
        X = check_features(X, n_features=self.weights.shape[0])
        return X @ self.weights + self.bias

    def predict_proba(self, X) -> np.ndarray:
        """The probability of label 1 for each row of X, shape (n,)."""
        return log1pexp_and_sigmoid(self.decision_function(X))[1]

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """Label 1 where the probability exceeds ``threshold``, else 0; shape (n,), dtype int."""
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}")
        return (self.predict_proba(X) > threshold).astype(np.int64)

    def score(self, X, y) -> float:
        """Accuracy: the fraction of rows whose predicted label equals y."""
        X = check_features(X, n_features=self.weights.shape[0])
        return float(np.mean(self.predict(X) == check_labels(y, n_rows=X.shape[0])))

    def log_loss(self, X, y) -> float:
        """Mean binary cross-entropy of the predicted probabilities (natural log; no L2 term)."""
        X = check_features(X, n_features=self.weights.shape[0])
        y = check_labels(y, n_rows=X.shape[0])
        z = X @ self.weights + self.bias
        return float(np.mean(log1pexp_and_sigmoid(z)[0] - y * z))

    # --- showing it ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        weights = np.array2string(self.weights, precision=6, threshold=8, separator=", ")
        return (
            f"TrainResult(weights={weights}, bias={self.bias:.6g}, loss={self.loss:.6g}, "
            f"epochs_run={self.epochs_run}/{self.epochs}, converged={self.converged}, backend={self.backend!r})"
        )

    def summary(self) -> str:
        """A few lines for a log: what was trained, how it went, what came out."""
        stop = "converged (tol reached)" if self.converged else (
            "stopped early" if self.epochs_run < self.epochs else "ran all epochs")
        start = f"{self.loss_history[0]:.10g} -> " if self.epochs_run else ""
        return "\n".join([
            f"logistic regression, {self.weights.shape[0]} features, backend {self.backend}, dtype {self.dtype}",
            f"{self.reduction} loss, learning rate {self.learning_rate:g}, l2 {self.l2:g}, tol {self.tol}, "
            f"standardize {self.standardize}",
            f"epochs {self.epochs_run} of {self.epochs}: {stop}; loss {start}{self.loss:.10g}",
            f"weights {np.array2string(self.weights, precision=8, separator=', ')}, bias {self.bias:.8g}",
        ])

    # --- persistence -----------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the model to a JSON file (plain text; floats round-trip exactly)."""
        from . import __version__

        record = asdict(self)
        record.update(weights=self.weights.tolist(), loss_history=self.loss_history.tolist())
        document = {"format": FILE_FORMAT, "format_version": FILE_FORMAT_VERSION,
                    "fastlogreg_version": __version__, "model": record}
        Path(path).write_text(json.dumps(document, indent=1) + "\n")


def load(path) -> TrainResult:
    """Read a model written by ``TrainResult.save``; a damaged or foreign file raises ValueError."""
    try:
        document = json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a fastlogreg model file (not JSON: {error})") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ValueError(f"{path}: not a fastlogreg model file (no 'format': '{FILE_FORMAT}')")
    if document.get("format_version") != FILE_FORMAT_VERSION:
        raise ValueError(f"{path}: model file format {document.get('format_version')!r} is not supported")
    record = document.get("model")
    expected = {f.name for f in fields(TrainResult)}
    if not isinstance(record, dict) or set(record) != expected:
        raise ValueError(f"{path}: damaged model file (the model's fields are not {sorted(expected)})")
    try:
        weights = np.array(record["weights"], dtype=np.float64)
        history = np.array(record["loss_history"], dtype=np.float64)
        numbers = [float(record[name]) for name in ("bias", "loss", "learning_rate", "l2")]
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: damaged model file ({error})") from None
    if weights.ndim != 1 or weights.size == 0 or history.ndim != 1 or history.size != record["epochs_run"]:
        raise ValueError(f"{path}: damaged model file (weights or loss history have the wrong shape)")
    if not (np.isfinite(weights).all() and all(map(math.isfinite, numbers))):
        raise ValueError(f"{path}: damaged model file (non-finite numbers)")
    return TrainResult(**{**record, "weights": weights, "loss_history": history})
