"""Each backend's passes give the derivatives of the loss they report (central finite differences)."""

import numpy as np
import pytest
from problems import random_problem

from fastlogreg.backends import get_backend

W0, B0 = np.array([0.3, -0.2, 0.1, 0.4]), -0.1
H = 1e-5


@pytest.fixture
def passes(backend):
    X, y = random_problem(30, 4, seed=5)
    chosen = get_backend(backend)
    return chosen, chosen.prepare(X, y.astype(np.uint8))


def central_difference(function, params):
    """d function / d params, one coordinate at a time."""
    return np.array(
        [(function(params + H * unit) - function(params - H * unit)) / (2 * H) for unit in np.eye(params.size)]
    )


def test_gradient_pass_matches_finite_difference(passes):
    chosen, data = passes
    sums = chosen.gradient_sums(data, W0, B0)

    def loss_at(params):
        return chosen.gradient_sums(data, params[:-1], params[-1]).loss

    expected = central_difference(loss_at, np.append(W0, B0))
    np.testing.assert_allclose(np.append(sums.weights, sums.bias), expected, rtol=1e-7, atol=1e-9)


def test_curvature_pass_matches_finite_differences(passes):
    chosen, data = passes
    sums = chosen.curvature_sums(data, W0, B0)
    params = np.append(W0, B0)

    def loss_at(params):
        return chosen.curvature_sums(data, params[:-1], params[-1]).loss

    np.testing.assert_allclose(sums.gradient, central_difference(loss_at, params), rtol=1e-7, atol=1e-9)
    for k in range(params.size):  # row k of the Hessian: the derivative of the gradient's entry k

        def gradient_k(params, k=k):
            return chosen.curvature_sums(data, params[:-1], params[-1]).gradient[k]

        np.testing.assert_allclose(sums.hessian[k], central_difference(gradient_k, params), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(sums.hessian, sums.hessian.T)
    assert sums.loss == pytest.approx(chosen.gradient_sums(data, W0, B0).loss, rel=1e-12)
