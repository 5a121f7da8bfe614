"""Vectorized NumPy: one matrix-vector product forward and one backward per epoch, no loop over rows."""

import numpy as np


def fit(X, y, weights, bias, learning_rate, epochs, mean, l2, tol, previous_loss):
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by train(), once, for all backends
        return _descend(X, y, weights, float(bias), learning_rate, epochs, mean, l2, tol, previous_loss)


def _descend(X, y, w, b, learning_rate, epochs, mean, l2, tol, previous):
    scale = 1.0 / X.shape[0] if mean else 1.0
    loss_history = np.empty(epochs)
    for epoch in range(epochs + 1):  # the last pass only measures the loss at the final weights
        data_loss, grad_w, grad_b = loss_and_gradient(X, y, w, b)
        loss = data_loss * scale + 0.5 * l2 * (w @ w)
        if epoch == epochs or abs(previous - loss) < tol * abs(previous):  # done, or converged
            return w, b, loss, loss_history[:epoch]
        loss_history[epoch] = loss
        w = w - learning_rate * (grad_w * scale + l2 * w)
        b -= learning_rate * (grad_b * scale)
        previous = loss


def loss_and_gradient(X, y, w, b):
    """Summed stable BCE on z = Xw + b and its gradient; float32 X is widened, sums stay float64."""
    z = X @ w + b  # w is float64, so the product and z are float64 for either X dtype
    softplus, p = log1pexp_and_sigmoid(z)
    loss = np.sum(softplus - y * z)  # -y ln p - (1-y) ln(1-p), written on z
    residual = p - y  # dloss/dz
    return loss, residual @ X, residual.sum()


def log1pexp_and_sigmoid(z):
    """log(1 + e^z) and 1/(1 + e^-z) elementwise, both from one e^-|z| that cannot overflow."""
    e = np.exp(-np.abs(z))  # in (0, 1]
    softplus = np.maximum(z, 0.0) + np.log1p(e)
    sigmoid = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return softplus, sigmoid
