"""The readable reference: plain Python loops over rows and features, no NumPy in the arithmetic.

For one row with features x, label y in {0, 1} and raw score z = w.x + b:

    p    = sigmoid(z) = 1 / (1 + e^-z)                 the predicted probability of label 1
    loss = -y ln p - (1 - y) ln(1 - p) = log(1 + e^z) - y z
    dloss/dz = p - y,  so  dloss/dw_j = (p - y) x_j  and  dloss/db = p - y
    d2loss/dz2 = p (1 - p),  so the Hessian on theta = [w, b] is p (1 - p) [x, 1][x, 1]^T
    p (1 - p) = e^-|z| / (1 + e^-|z|)^2                   for either sign of z, with no 1 - p to cancel

Everything is computed from z, never from p, so no logarithm of 0 and no overflow for any finite z.
The solvers (fastlogreg.solvers) turn these sums into steps.
"""

import math

import numpy as np

from .contract import Curvature, Gradient


def prepare(X, y):
    """Python floats and ints, once: the passes then touch no NumPy at all (float32 widens exactly)."""
    return X.tolist(), y.tolist()


def gradient_sums(data, weights, bias) -> Gradient:
    """The summed loss over all rows, and its gradient with respect to w and b."""
    rows, labels = data
    w, b = weights.tolist(), float(bias)
    loss = 0.0
    grad_w = [0.0] * len(w)
    grad_b = 0.0
    for x, y in zip(rows, labels, strict=True):
        z = b
        for x_j, w_j in zip(x, w, strict=True):
            z += x_j * w_j  # z = w.x + b
        row_loss, residual = loss_and_residual(z, y)  # residual = dloss/dz
        loss += row_loss
        for j, x_j in enumerate(x):
            grad_w[j] += residual * x_j
        grad_b += residual
    return Gradient(loss, np.array(grad_w), grad_b)


def curvature_sums(data, weights, bias) -> Curvature:
    """The summed loss, its gradient and its Hessian on theta = [w, b] (bias last)."""
    rows, labels = data
    w, b = weights.tolist(), float(bias)
    size = len(w) + 1
    loss = 0.0
    gradient = [0.0] * size
    hessian = [[0.0] * size for _ in range(size)]
    for x, y in zip(rows, labels, strict=True):
        x = [*x, 1.0]  # the bias is the weight of a feature that is always 1
        z = b
        for x_j, w_j in zip(x, w, strict=False):  # the features only: w has no entry for the 1
            z += x_j * w_j
        row_loss, residual = loss_and_residual(z, y)
        loss += row_loss
        e = math.exp(-abs(z))
        curvature = e / (1.0 + e) ** 2  # d2loss/dz2 = p (1 - p), without 1 - p's cancellation as p nears 1
        for j in range(size):
            gradient[j] += residual * x[j]
            for k in range(j + 1):  # the lower triangle; the Hessian is symmetric
                hessian[j][k] += curvature * x[j] * x[k]
    for j in range(size):
        for k in range(j):
            hessian[k][j] = hessian[j][k]
    return Curvature(loss, np.array(gradient), np.array(hessian))


def loss_and_residual(z, y):
    """A row's loss log(1 + e^z) - y z (= -y ln p - (1-y) ln(1-p)) and its residual p - y, both from a
    single e^-|z| that cannot overflow."""
    e = math.exp(-abs(z))  # in (0, 1]
    t = -z if y else z  # |z| for a row labelled wrong, -|z| for one labelled right
    # log(1 + e^z) - y z = max(t, 0) + log(1 + e^-|z|). For a row labelled right max(t, 0) is exactly 0:
    # added to max(z, 0) first instead, a small log1p would be lost to rounding (0 from |z| > 37).
    loss = max(t, 0.0) + math.log1p(e)
    # p - y is p for y = 0 and -(1 - p) for y = 1: 1/(1 + e) in size for a row labelled wrong, e/(1 + e)
    # for one right. Not p - 1, a difference: it rounds to 0 where it is -e/(1 + e) for a row confidently
    # right (y = 1, z > 37), and Newton would stop there, short of the optimum.
    size = (1.0 if t >= 0 else e) / (1.0 + e)
    return loss, -size if y else size
