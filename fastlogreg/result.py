"""What train() returns: the fitted parameters, the loss curve, the settings that produced them."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .backends.numpy_vectorized import log1pexp_and_sigmoid
from .validation import ArrayInput, check_feature_names, check_features, check_labels, real

FILE_FORMAT = "fastlogreg-model"
FILE_FORMAT_VERSION = 3  # 2: the solver, and no learning rate for newton; 3: the feature names
READABLE_VERSIONS = {2, 3}  # a version 2 file has no feature names


@dataclass(frozen=True, eq=False)  # no ==: comparing arrays field by field has no single truth value
class TrainResult:
    """A trained model: its parameters, how training went, and the settings that produced it."""

    weights: np.ndarray  # shape (d,), in the units of the X it was trained on
    bias: float
    loss: float  # at the returned weights, with the training reduction (and L2 penalty); on centred X where
    # Newton centred features far from 0 (solvers.newton.newton_centred)
    loss_history: np.ndarray = field(repr=False)  # shape (epochs_run,): loss before each update
    epochs_run: int
    converged: bool  # stopped on tol (newton: reached the optimum), not on epochs, a callback or a warning
    backend: str
    solver: str  # "gd" or "newton"
    reduction: str
    learning_rate: float | None  # None for newton
    epochs: int  # as requested (newton: the most iterations)
    l2: float
    tol: float | None
    standardize: bool
    dtype: str
    version: str  # of fastlogreg, when it trained this model
    # the columns' names where X had them (a pandas frame's, a CSV's header): X given with names must have
    # these, in this order; None: X is read by position
    feature_names: tuple[str, ...] | None = None

    # --- using the model -------------------------------------------------------------------------

    def decision_function(self, X: ArrayInput) -> np.ndarray:
        """The raw score z = X.w + b for each row of X (+-inf where it is beyond float64's range)."""
        return scores(self._features(X), self.weights, self.bias)

    def predict_proba(self, X: ArrayInput) -> np.ndarray:
        """The probability of label 1 for each row of X, shape (n,)."""
        return log1pexp_and_sigmoid(self.decision_function(X))[1]

    def predict(self, X: ArrayInput, threshold: float = 0.5) -> np.ndarray:
        """Label 1 where the probability exceeds ``threshold``, else 0; shape (n,), dtype int."""
        threshold = real(threshold, "threshold")  # TypeError for what is not a real number (np.float32 is one)
        if not 0 <= threshold <= 1:  # NaN too
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        return labels(self.decision_function(X), threshold)

    def score(self, X: ArrayInput, y: ArrayInput) -> float:
        """Accuracy: the fraction of rows whose predicted label equals y."""
        X = self._features(X)
        return float(np.mean(self.predict(X) == check_labels(y, n_rows=X.shape[0])))

    def log_loss(self, X: ArrayInput, y: ArrayInput) -> float:
        """Mean binary cross-entropy of the predicted probabilities (natural log; no L2 term)."""
        X = self._features(X)
        y = check_labels(y, n_rows=X.shape[0])
        # -log p = log(1 + e^-z) for label 1, -log(1 - p) = log(1 + e^z) for label 0: no inf - inf
        z = scores(X, self.weights, self.bias)
        return float(np.mean(log1pexp_and_sigmoid(np.where(y == 1, -z, z))[0]))

    def _features(self, X: ArrayInput) -> np.ndarray:
        check_feature_names(X, self.feature_names)
        return check_features(X, n_features=self.weights.shape[0])

    # --- showing it ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        weights = np.array2string(self.weights, precision=6, threshold=8, separator=", ")
        return (
            f"TrainResult(weights={weights}, bias={self.bias:.6g}, loss={self.loss:.6g}, "
            f"epochs_run={self.epochs_run}/{self.epochs}, converged={self.converged}, solver={self.solver!r}, "
            f"backend={self.backend!r})"
        )

    def summary(self) -> str:
        """A few lines for a log: what was trained, how it went, what came out."""
        stop = (
            "converged (tol reached)"
            if self.converged
            else ("stopped early" if self.epochs_run < self.epochs else "ran all epochs")
        )
        start = f"{self.loss_history[0]:.10g} -> " if self.epochs_run else ""
        method = "Newton" if self.solver == "newton" else f"gradient descent, learning rate {self.learning_rate:g}"
        return "\n".join(
            [
                f"logistic regression, {self.weights.shape[0]} features, backend {self.backend}, dtype {self.dtype}",
                f"{self.reduction} loss, {method}, l2 {self.l2:g}, tol {self.tol}, standardize {self.standardize}",
                f"{'iterations' if self.solver == 'newton' else 'epochs'} {self.epochs_run} of {self.epochs}: "
                f"{stop}; loss {start}{self.loss:.10g}",
                f"weights {np.array2string(self.weights, precision=8, separator=', ')}, bias {self.bias:.8g}",
            ]
        )

    # --- persistence -----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to a JSON file (plain text; floats round-trip exactly)."""
        record = asdict(self)
        record.update(weights=self.weights.tolist(), loss_history=self.loss_history.tolist())
        version = FILE_FORMAT_VERSION
        if self.feature_names is None:  # what format 2 holds: fastlogreg before names reads the file too
            version = 2
            del record["feature_names"]
        document = {"format": FILE_FORMAT, "format_version": version, "model": record}
        Path(path).write_text(json.dumps(document, indent=1) + "\n")


def labels(z, threshold: float = 0.5) -> np.ndarray:
    """Label 1 where the probability sigmoid(z) exceeds ``threshold``, else 0: the rule of every predict.

    Decided on z against logit(threshold), not on the rounded probability: sigmoid(1e-20) rounds to
    exactly 0.5, yet z > 0 (scikit-learn's rule for 0.5).
    """
    if threshold in (0, 1):
        logit = math.inf if threshold else -math.inf
    else:
        logit = math.log(threshold) - math.log1p(-threshold)
    return (z > logit).astype(np.int64)


def scores(X, weights, bias) -> np.ndarray:
    """z = X @ weights + bias, correctly signed where it overflows (+-inf) and never NaN for finite input.

    A product or partial sum past float64's range makes the plain z infinite, or NaN where two
    overflows of opposite sign meet. Those rows are summed again in units where nothing overflows:
    each row and the parameters divided by powers of two (exact), the result scaled back.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        z = X @ weights + bias
    bad = ~np.isfinite(z)
    if bad.any():
        rows = X[bad]
        row_exponent = np.frexp(np.maximum(np.abs(rows).max(axis=1), 1.0))[1]  # 2^e > max(|x|, 1)
        parameter_exponent = np.frexp(max(np.abs(weights).max(), abs(bias)))[1]
        scaled_rows = np.ldexp(rows, -row_exponent[:, None])
        scaled = scaled_rows @ np.ldexp(weights, -parameter_exponent) + np.ldexp(
            np.ldexp(bias, -parameter_exponent), -row_exponent
        )  # |terms| <= 1: no overflow
        with np.errstate(over="ignore"):  # past float64's range: +-inf, the correctly rounded score
            z[bad] = np.ldexp(scaled, row_exponent + parameter_exponent)
    return z


def load(path: str | os.PathLike[str]) -> TrainResult:
    """Read a model written by ``TrainResult.save``; a damaged or foreign file raises ValueError."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # -sig: an editor's BOM is no error
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a fastlogreg model file (not JSON: UnicodeDecodeError)") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, or an integer past Python's 4,300 digits
        raise ValueError(f"{path}: not a fastlogreg model file (not JSON: {type(error).__name__})") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ValueError(f"{path}: not a fastlogreg model file (no 'format': '{FILE_FORMAT}')")
    version = document.get("format_version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ValueError(f"{path}: model file format {version!r} is not supported")
    record = document.get("model")
    expected = {f.name for f in fields(TrainResult)} - ({"feature_names"} if version == 2 else set())
    if not isinstance(record, dict) or set(record) != expected:
        raise ValueError(f"{path}: damaged model file (the model's fields are not {sorted(expected)})")
    try:
        return _model_from(record)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"{path}: damaged model file ({error})") from None


def _model_from(record) -> TrainResult:
    """A TrainResult from a saved record, every field checked for type and range."""
    from .backends import BACKEND_NAMES
    from .solvers import SOLVER_FUNCTIONS
    from .validation import DTYPES, REDUCTIONS, check_epochs, count, flag, non_negative_real, positive_real

    def vector(name):
        if not isinstance(record[name], list):
            raise ValueError(f"{name} must be a list of numbers")
        array = np.array([real(value, name) for value in record[name]], dtype=np.float64)
        if not np.isfinite(array).all():
            raise ValueError(f"{name} has non-finite numbers")
        return array

    def finite(name):
        value = real(record[name], name)
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
        return value

    def choice(name, allowed):
        if record[name] not in allowed:
            raise ValueError(f"{name} must be one of {sorted(allowed)}, got {record[name]!r}")
        return record[name]

    weights, history = vector("weights"), vector("loss_history")
    epochs_run = count(record["epochs_run"], "epochs_run", minimum=0)
    if weights.size == 0 or history.size != epochs_run:
        raise ValueError("weights are empty or loss_history does not have epochs_run entries")
    if not isinstance(record["version"], str):
        raise ValueError(f"version must be text, got {record['version']!r}")
    # the same checks train() applies to its own arguments (bool, text and floats for counts fail them),
    # except that newton's tol may be 0: files written before train() refused it can hold one
    solver = choice("solver", set(SOLVER_FUNCTIONS))  # as resolved: never "auto"
    learning_rate = None if record["learning_rate"] is None else positive_real(record["learning_rate"], "learning_rate")
    epochs = check_epochs(record["epochs"])
    tol = None if record["tol"] is None else non_negative_real(record["tol"], "tol")
    # ... and the combinations train() always produces (summary() and the CLI's report rely on them)
    if (solver == "gd") != (learning_rate is not None):
        raise ValueError(f"solver {solver!r} with learning_rate {learning_rate}: gd has one, newton none")
    if solver == "newton" and tol is None:
        raise ValueError("solver 'newton' without a tol: newton always has one")
    if epochs_run > epochs:
        raise ValueError(f"epochs_run {epochs_run} is more than epochs {epochs}")
    if finite("loss") < 0 or (history < 0).any():  # a log-loss (plus a penalty) is never negative
        raise ValueError("loss and loss_history must not be negative")
    names = record.get("feature_names")  # none in a version 2 file
    if names is not None and not (
        isinstance(names, list) and len(names) == weights.size and all(isinstance(name, str) for name in names)
    ):
        raise ValueError(f"feature_names must be null or {weights.size} names (text), got {names!r}")
    return TrainResult(
        weights=weights,
        bias=finite("bias"),
        loss=finite("loss"),
        loss_history=history,
        epochs_run=epochs_run,
        converged=flag(record["converged"], "converged"),
        backend=choice("backend", set(BACKEND_NAMES)),
        reduction=choice("reduction", set(REDUCTIONS)),
        solver=solver,
        learning_rate=learning_rate,
        epochs=epochs,
        l2=non_negative_real(record["l2"], "l2"),
        tol=tol,
        standardize=flag(record["standardize"], "standardize"),
        dtype=choice("dtype", set(DTYPES)),
        version=record["version"],
        feature_names=None if names is None else tuple(names),
    )
