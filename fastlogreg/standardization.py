"""train(standardize=True): fit on features of mean 0 and standard deviation 1, report in original units.

Plain gradient descent converges slowly when features differ in scale (the loss surface is a long,
narrow valley); standardizing makes one learning rate suit every feature. Since
z = sum_j w_j x_j + b = sum_j (w_j s_j) (x_j - m_j) / s_j + (b + sum_j w_j m_j), the weights map exactly
between the two problems. The L2 penalty, when used, applies to the standardized weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# A feature whose standard deviation is within this factor of its mean's rounding error is constant.
CONSTANT_RELATIVE_SPREAD = 64 * np.finfo(np.float64).eps


@dataclass(frozen=True)
class Standardization:
    """Per feature j: x -> (x / unit_j - centre_j) / spread_j, i.e. (x - mean_j) / scale_j.

    The statistics are taken of X / unit, unit a power of two near each feature's largest |x|: squaring
    X itself would overflow past |x| ~ 1e154 and flush spreads below ~1e-162 to zero. Dividing by a
    power of two is exact, so for ordinary data these are the very bits X.mean and X.std would give.
    """

    unit: np.ndarray  # per feature, a power of two: 2^(e-1) <= max |x| < 2^e (1 where constant)
    centre: np.ndarray  # mean of X / unit
    spread: np.ndarray  # standard deviation of X / unit; 1 where a feature is constant

    @classmethod
    def of(cls, X) -> Standardization:
        low, high = X.min(axis=0), X.max(axis=0)
        if not isinstance(X, np.ndarray):  # a dask array: both in one pass over its blocks
            import dask

            low, high = dask.compute(low, high)
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        peak = np.maximum(-low, high)  # the largest |x|
        unit = np.ldexp(1.0, np.frexp(peak)[1] - 1)  # X / unit lies in [-2, 2]: no overflow when squared
        scaled = X / unit
        centre = np.asarray(scaled.mean(axis=0, dtype=np.float64))
        spread = np.array(scaled.std(axis=0, dtype=np.float64))
        # A constant feature's computed spread is rounding noise, not zero (0.1 repeated has a standard
        # deviation of 1e-17, and the mean's rounding grows with the rows): dividing by it would blow the
        # noise up into a copy of the intercept. Such a feature is only centred, on its value where it is
        # exactly constant, so that it becomes exactly 0.
        exact = low == high
        constant = exact | (spread <= CONSTANT_RELATIVE_SPREAD * np.abs(centre))
        centre[constant] *= unit[constant]
        centre[exact] = low[exact]
        unit[constant], spread[constant] = 1.0, 1.0
        return cls(unit, centre, spread)

    @classmethod
    def centring(cls, X, features) -> Standardization:
        """x -> x - mean for ``features`` alone, nothing scaled: the weights keep their values (and so does an
        L2 penalty on them); only the bias takes up the means. Newton's remedy for features it cannot tell
        from the intercept (solvers.newton._offset_features)."""
        centre = np.zeros(X.shape[1])
        # No overflow: Newton centres only after its Hessian, which sums x^2, came out finite
        centre[features] = np.asarray(X[:, features].mean(axis=0, dtype=np.float64))  # a dask array's computed
        # Rounded to X's dtype, the mean is within a factor 2 of each x: x - mean is then exact (Sterbenz)
        centre = centre.astype(X.dtype).astype(np.float64)
        ones = np.ones(X.shape[1])
        return cls(ones, centre, ones)

    @property
    def mean(self) -> np.ndarray:
        return self.centre * self.unit

    @property
    def scale(self) -> np.ndarray:
        return self.spread * self.unit

    def transform(self, X) -> np.ndarray:
        """A standardized copy of X, in X's dtype."""
        return ((X / self.unit - self.centre) / self.spread).astype(X.dtype, copy=False)

    def centred(self, X):
        """X less its means, nothing scaled: one copy, in X's dtype (for a centring, exact: see there)."""
        return X - self.mean.astype(X.dtype)

    def to_standardized(self, weights, bias):
        with np.errstate(over="ignore", invalid="ignore"):  # a start past float64: the solver reports it, once
            return weights * self.scale, bias + float(weights @ self.mean)

    def to_original(self, weights, bias):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # reported below, once
            original = weights / self.scale
            bias = bias - float(original @ self.mean)
        if not (np.isfinite(original).all() and math.isfinite(bias)):
            raise FloatingPointError(
                "standardize=True: the weights in X's original units overflow float64 (a feature whose spread "
                "is near 1e-308 or below needs a weight near 1e308 or above); scale that feature up"
            )
        return original, bias
