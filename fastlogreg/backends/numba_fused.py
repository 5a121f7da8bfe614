"""Numba: the whole training loop compiled, each epoch one fused pass over the rows.

One pass computes z, the loss and the gradient together, so X is read once per epoch and never
copied; loss and gradient accumulate in float64 whatever the dtype of X.
"""

import math

import numba
import numpy as np

# Every numba option of the package lives here. No fastmath: it licenses reassociation and
# assumptions about inf/NaN that the stable formulas and the 1e-9 cross-backend agreement rely on.
JIT_OPTIONS = dict(nogil=True, cache=True, fastmath=False)


def fit(X, y, weights, bias, learning_rate, epochs, mean):
    scale = 1.0 / X.shape[0] if mean else 1.0
    w = weights.copy()
    loss_history = np.empty(epochs)
    bias, loss = _train(X, y, w, float(bias), learning_rate, epochs, scale, loss_history)
    return w, bias, loss, loss_history


@numba.njit(**JIT_OPTIONS)
def _train(X, y, w, b, learning_rate, epochs, scale, loss_history):
    """Gradient descent in place on w; returns the final bias and the loss there."""
    grad_w = np.empty_like(w)
    for epoch in range(epochs):
        loss, grad_b = _loss_and_gradient(X, y, w, b, grad_w)
        loss_history[epoch] = loss * scale
        for j in range(w.shape[0]):
            w[j] -= learning_rate * (grad_w[j] * scale)
        b -= learning_rate * (grad_b * scale)
    loss, _ = _loss_and_gradient(X, y, w, b, grad_w)
    return b, loss * scale


@numba.njit(**JIT_OPTIONS)
def _loss_and_gradient(X, y, w, b, grad_w):
    """Summed loss over the rows, gradient into grad_w; returns (loss, gradient of b)."""
    n, d = X.shape
    grad_w[:] = 0.0
    loss = 0.0
    grad_b = 0.0
    for i in range(n):
        z = b
        for j in range(d):
            z += X[i, j] * w[j]
        e = math.exp(-abs(z))
        loss += max(z, 0.0) + math.log1p(e) - y[i] * z
        p = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
        residual = p - y[i]
        for j in range(d):
            grad_w[j] += residual * X[i, j]
        grad_b += residual
    return loss, grad_b
