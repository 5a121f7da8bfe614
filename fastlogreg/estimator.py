"""A scikit-learn-style estimator around train(), for pipelines and cross-validation.

It follows scikit-learn's conventions (constructor stores parameters untouched, ``fit`` returns self,
fitted attributes end in ``_``, ``get_params``/``set_params``) without importing scikit-learn, so it
drops into ``Pipeline``, ``GridSearchCV`` or ``cross_val_score`` when scikit-learn is there and costs
nothing when it is not.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .backends.numpy_vectorized import log1pexp_and_sigmoid
from .result import labels, scores
from .training import train
from .validation import ArrayInput, as_host_array, check_feature_names, check_features, feature_names_of, label_vector

# One source for the defaults: train()'s own signature.
_DEFAULTS = {name: parameter.default for name, parameter in inspect.signature(train).parameters.items()}


def _class_labels(y) -> np.ndarray:
    """y as a vector of class labels; a missing one (NaN, None, pandas' NA) is a ValueError."""
    y = label_vector(as_host_array(y, "y"))
    if y.dtype.kind == "c":  # as train() refuses them: 1+0j is no class label
        raise ValueError("Complex data not supported: y's class labels must be real numbers, strings or bools")
    if y.dtype.kind == "f":
        missing = bool(np.isnan(y).any())
    else:  # object labels (a pandas categorical or string column): missing ones come as NaN, None or NA
        missing = y.dtype.kind == "O" and any(_is_missing(label) for label in y)
    if missing:
        raise ValueError("y contains NaN (missing labels); a classifier needs a class for every row")
    return y


def _is_missing(label) -> bool:
    return (
        label is None
        or type(label).__name__ == "NAType"
        or (isinstance(label, (float, np.floating)) and label != label)
    )


def _is_default(value, default) -> bool:
    """Whether a parameter still has its default; never compares arrays elementwise (repr must not raise)."""
    return value is default or (np.isscalar(value) and np.isscalar(default) and bool(value == default))


class NotFittedError(ValueError, AttributeError):
    """Predicting before fit (both a ValueError and an AttributeError, as scikit-learn's)."""


def _not_fitted_error():
    """scikit-learn's own NotFittedError when it is loaded (its checks look for that class), else ours."""
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    return sklearn_exceptions.NotFittedError if sklearn_exceptions else NotFittedError


class LogisticRegressionGD:
    """Binary logistic regression; parameters as in ``fastlogreg.train`` (by default Newton's method to the
    optimum; with a ``learning_rate``, the tutorial's full-batch gradient descent).

    Labels may be any two values (``classes_`` holds them sorted; the second is the positive class).
    """

    def __init__(
        self,
        *,
        solver: str = _DEFAULTS["solver"],
        learning_rate: float | None = _DEFAULTS["learning_rate"],
        epochs: int | None = _DEFAULTS["epochs"],
        reduction: str = _DEFAULTS["reduction"],
        l2: float = _DEFAULTS["l2"],
        tol: float | None = _DEFAULTS["tol"],
        standardize: bool = _DEFAULTS["standardize"],
        init: str | tuple[Any, Any] = _DEFAULTS["init"],
        random_state: int | np.random.RandomState | None = _DEFAULTS["random_state"],
        dtype: str = _DEFAULTS["dtype"],
        backend: str = _DEFAULTS["backend"],
        progress: bool = _DEFAULTS["progress"],
        callback: Callable[[int, float], object] | None = _DEFAULTS["callback"],
        callback_every: int = _DEFAULTS["callback_every"],
    ):
        self.solver = solver
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.reduction = reduction
        self.l2 = l2
        self.tol = tol
        self.standardize = standardize
        self.init = init
        self.random_state = random_state
        self.dtype = dtype
        self.backend = backend
        self.progress = progress
        self.callback = callback
        self.callback_every = callback_every

    # --- scikit-learn's parameter protocol -----------------------------------------------------

    @classmethod
    def _parameter_names(cls):
        return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._parameter_names()}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._parameter_names():
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}: valid ones are {self._parameter_names()}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = type(self)().get_params()
        changed = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if not _is_default(v, defaults[k]))
        return f"{type(self).__name__}({changed})"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(multi_class=False),
        )

    # --- fitting and predicting -----------------------------------------------------------------

    def fit(self, X: ArrayInput, y: ArrayInput) -> LogisticRegressionGD:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        names = feature_names_of(X)
        y = _class_labels(y)
        if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
            raise ValueError("Unknown label type: y is continuous; a classifier needs class labels")
        try:
            classes = np.unique(y)
        except TypeError as error:  # labels numpy cannot order, such as strings mixed with numbers
            message = f"y's labels must be of one comparable kind (all numbers, or all strings): {error}"
            raise TypeError(message) from None
        if classes.size > 2:
            raise ValueError(f"Only binary classification is supported: y has {classes.size} classes")
        if classes.size < 2:
            found = f"only 1 class: {classes.tolist()}" if classes.size else "no labels"
            raise ValueError(f"binary classification needs samples of 2 classes, y has {found}")
        # X goes to train() as it is, checked there once with the backend's settings: a GPU or dask X
        # stays where it is, and no float64 copy precedes a float32 one. train() checks y's length too.
        self.result_ = train(X, y == classes[1], **self.get_params())
        self.classes_ = classes
        self.coef_ = self.result_.weights[np.newaxis, :]
        self.intercept_ = np.array([self.result_.bias])
        self.n_features_in_ = self.result_.weights.shape[0]
        self.n_iter_ = self.result_.epochs_run
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def decision_function(self, X: ArrayInput) -> np.ndarray:
        """The raw score z for each row; positive means the second class."""
        result = self._fitted()
        return scores(self._check_width(X), result.weights, result.bias)  # X checked once, by _check_width

    def predict_proba(self, X: ArrayInput) -> np.ndarray:
        """Shape (n, 2): the probabilities of ``classes_[0]`` and ``classes_[1]``."""
        z = self.decision_function(X)
        # sigmoid(-z), not 1 - sigmoid(z): that is exactly 0 once sigmoid(z) rounds to 1 (z > 37)
        return np.column_stack([log1pexp_and_sigmoid(-z)[1], log1pexp_and_sigmoid(z)[1]])

    def predict(self, X: ArrayInput) -> np.ndarray:
        positive = labels(self.decision_function(X))  # first: it raises NotFittedError before fit
        return self.classes_[positive]

    def score(self, X: ArrayInput, y: ArrayInput) -> float:
        """Mean accuracy of ``predict(X)`` against y."""
        predicted, y = self.predict(X), as_host_array(y, "y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != predicted.shape:  # == would broadcast a single label against every row
            raise ValueError(f"X and y have different lengths: X has {predicted.shape[0]} rows, y has shape {y.shape}")
        y = _class_labels(y)
        if not np.isin(y, self.classes_).any():  # labels of another kind ("1" for 1): the score would be 0
            raise ValueError(f"none of y's labels is among the classes fitted, {self.classes_.tolist()}")
        return float(np.mean(predicted == y))

    def __sklearn_is_fitted__(self):
        return hasattr(self, "result_")

    def _fitted(self):
        if not hasattr(self, "result_"):
            raise _not_fitted_error()(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self.result_

    def _check_width(self, X):
        self._fitted()
        check_feature_names(X, getattr(self, "feature_names_in_", None))
        X = check_features(X)
        if X.shape[1] != self._fitted().weights.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X
