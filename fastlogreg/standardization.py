"""train(standardize=True): fit on features of mean 0 and standard deviation 1, report in original units.

Plain gradient descent converges slowly when features differ in scale (the loss surface is a long,
narrow valley); standardizing makes one learning rate suit every feature. Since
z = sum_j w_j x_j + b = sum_j (w_j s_j) (x_j - m_j) / s_j + (b + sum_j w_j m_j), the weights map exactly
between the two problems. The L2 penalty, when used, applies to the standardized weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A feature whose standard deviation is within this factor of its mean's rounding error is constant.
CONSTANT_RELATIVE_SPREAD = 64 * np.finfo(np.float64).eps


@dataclass(frozen=True)
class Standardization:
    mean: np.ndarray  # per feature, float64
    scale: np.ndarray  # per feature standard deviation; 1 where a feature is constant

    @classmethod
    def of(cls, X) -> Standardization:
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, as an error
            mean = np.asarray(X.mean(axis=0, dtype=np.float64))  # asarray: a dask array's statistics computed here
            scale = np.array(X.std(axis=0, dtype=np.float64))
        if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
            raise ValueError("X's values are too large to standardize (their mean or spread overflows float64)")
        # A constant feature's computed spread is rounding noise, not zero (0.1 repeated has a standard
        # deviation of 1e-17): dividing by it would blow the noise up. Such a feature stays as centred.
        constant = scale <= CONSTANT_RELATIVE_SPREAD * np.abs(mean)
        scale[constant] = 1.0
        return cls(mean, scale)

    def transform(self, X) -> np.ndarray:
        """A standardized copy of X, in X's dtype."""
        return ((X - self.mean) / self.scale).astype(X.dtype, copy=False)

    def to_standardized(self, weights, bias):
        return weights * self.scale, bias + float(weights @ self.mean)

    def to_original(self, weights, bias):
        original = weights / self.scale
        return original, bias - float(original @ self.mean)
