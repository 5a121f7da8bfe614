"""Vectorized NumPy: each pass is a matrix-vector product forward and one backward, no loop over rows."""

import numpy as np

from .contract import Curvature, Gradient, hessian_rows_per_call


def prepare(X, y):
    return X, y


def gradient_sums(data, weights, bias) -> Gradient:
    """Summed stable BCE on z = Xw + b and its gradient; float32 X is widened, sums stay float64."""
    X, y = data
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the solver, once, for all
        z = X @ weights + bias  # weights are float64, so the product and z are float64 for either X dtype
        losses, residual, _ = _row_terms(z, y)  # residual = dloss/dz
        return Gradient(float(np.sum(losses)), residual @ X, float(residual.sum()))


def curvature_sums(data, weights, bias) -> Curvature:
    """Summed loss, gradient and Hessian on theta = [w, b]; the Hessian X^T diag(h) X through BLAS.

    The bias is a feature that is always 1, but X is not widened with it (a copy of X): its row and
    column of the Hessian are the column sums of the weighted rows, its corner the sum of h. The rows
    go in blocks (one, unless X is wide and long): a BLAS call cannot be interrupted (contract.py), and
    the weighted copy is of a block, not of all of X.
    """
    X, y = data
    d = X.shape[1]
    loss, gradient, hessian = 0.0, np.zeros(d + 1), np.zeros((d + 1, d + 1))
    block = hessian_rows_per_call(d)
    for start in range(0, X.shape[0], block):
        rows, labels = X[start : start + block], y[start : start + block]
        with np.errstate(over="ignore", invalid="ignore"):
            z = rows @ weights + bias
            losses, residual, e = _row_terms(z, labels)
            curvature = e / (1.0 + e) ** 2  # p (1 - p), without the cancellation of 1 - p near p = 1
            weighted = rows * curvature[:, np.newaxis]  # diag(h) X for this block
            hessian[:d, :d] += rows.T @ weighted
            hessian[d, :d] += weighted.sum(axis=0)  # h . x_j: the bias against feature j
            hessian[d, d] += curvature.sum()
            loss += float(np.sum(losses))
            gradient += np.append(residual @ rows, residual.sum())
    hessian = np.tril(hessian) + np.tril(hessian, -1).T  # exactly symmetric, whatever BLAS rounded
    return Curvature(loss, gradient, hessian)


def log1pexp_and_sigmoid(z):
    """log(1 + e^z) and 1/(1 + e^-z) elementwise, both from one e^-|z| that cannot overflow."""
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.maximum(z, 0.0) + np.log1p(e), np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _row_terms(z, y):
    """The rows' losses log(1 + e^z) - y z, their residuals p - y (p = 1/(1 + e^-z)), and the e^-|z| both
    come from.

    With s = 1 - 2y and t = s z (|z| for a row labelled wrong, -|z| for one right), the loss is
    max(t, 0) + log1p(e^-|z|): its first term is exactly 0 for a row labelled right, so that row's small
    log1p keeps its digits. The residual is p for y = 0 and -(1 - p) for y = 1, that is s / (1 + e) for a
    row wrong and s e / (1 + e) for one right: never the difference p - 1, which rounds to 0 for a row
    confidently right (z > 37), where it is -e / (1 + e)."""
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    inverse = 1.0 / (1.0 + e)
    sign = 1.0 - 2.0 * y
    t = sign * z
    return np.maximum(t, 0.0) + np.log1p(e), sign * np.where(t >= 0, inverse, e * inverse), e
