"""The gradient each backend steps along is the derivative of the loss it reports."""

import numpy as np
import pytest
from problems import random_problem

import fastlogreg


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_gradient_matches_central_finite_difference(backend, reduction):
    X, y = random_problem(30, 4, seed=5)
    w0, b0 = np.array([0.3, -0.2, 0.1, 0.4]), -0.1
    # one step with learning rate 1 moves the parameters by exactly minus the gradient
    step = fastlogreg.train(X, y, backend=backend, learning_rate=1.0, epochs=1, reduction=reduction, init=(w0, b0))
    gradient = np.append(w0 - step.weights, b0 - step.bias)

    def loss_at(params):
        return fastlogreg.train(
            X, y, backend=backend, epochs=0, reduction=reduction, init=(params[:-1], params[-1])
        ).loss

    params, h = np.append(w0, b0), 1e-5
    finite_difference = np.array(
        [(loss_at(params + h * unit) - loss_at(params - h * unit)) / (2 * h) for unit in np.eye(params.size)]
    )
    np.testing.assert_allclose(gradient, finite_difference, rtol=1e-6, atol=1e-9)
    assert step.loss_history[0] == loss_at(params)
