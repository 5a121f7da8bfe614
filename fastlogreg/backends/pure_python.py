"""The readable reference: plain Python loops over rows and features, no NumPy in the arithmetic.

For one row with features x, label y in {0, 1} and raw score z = w.x + b:

    p    = sigmoid(z) = 1 / (1 + e^-z)                 the predicted probability of label 1
    loss = -y ln p - (1 - y) ln(1 - p) = log(1 + e^z) - y z
    dloss/dz = p - y,  so  dloss/dw_j = (p - y) x_j  and  dloss/db = p - y

Everything is computed from z, never from p, so no logarithm of 0 and no overflow for any finite z.
"""

import math

import numpy as np


def fit(X, y, weights, bias, learning_rate, epochs, mean, l2, tol, previous_loss):
    rows = X.tolist()  # Python floats (float32 entries widen exactly)
    labels = y.tolist()
    w = weights.tolist()
    b = float(bias)
    scale = 1.0 / len(rows) if mean else 1.0  # "mean" divides the summed loss and gradient by n

    loss_history = []
    previous = previous_loss
    for epoch in range(epochs + 1):  # the last pass only measures the loss at the final weights
        data_loss, grad_w, grad_b = loss_and_gradient(rows, labels, w, b)
        loss = data_loss * scale + 0.5 * l2 * sum(w_j * w_j for w_j in w)  # L2 penalty on w, not b
        if epoch == epochs or abs(previous - loss) < tol * abs(previous):  # done, or converged
            return np.array(w), b, loss, np.array(loss_history, dtype=np.float64)
        loss_history.append(loss)
        for j in range(len(w)):
            w[j] -= learning_rate * (grad_w[j] * scale + l2 * w[j])  # step against the slope
        b -= learning_rate * (grad_b * scale)
        previous = loss


def loss_and_gradient(rows, labels, w, b):
    """The summed loss over all rows, and its gradient with respect to w and b."""
    loss = 0.0
    grad_w = [0.0] * len(w)
    grad_b = 0.0
    for x, y in zip(rows, labels, strict=True):
        z = b
        for x_j, w_j in zip(x, w, strict=True):
            z += x_j * w_j  # z = w.x + b
        softplus, p = log1pexp_and_sigmoid(z)
        loss += softplus - y * z  # -y ln p - (1-y) ln(1-p), written on z
        residual = p - y  # dloss/dz
        for j, x_j in enumerate(x):
            grad_w[j] += residual * x_j
        grad_b += residual
    return loss, grad_w, grad_b


def log1pexp_and_sigmoid(z):
    """log(1 + e^z) and 1/(1 + e^-z), both from a single e^-|z| that cannot overflow."""
    e = math.exp(-abs(z))  # in (0, 1]
    softplus = max(z, 0.0) + math.log1p(e)  # log(1+e^z) = max(z,0) + log(1 + e^-|z|)
    sigmoid = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)  # the branch that never divides inf/inf
    return softplus, sigmoid
