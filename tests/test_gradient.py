"""Each backend's passes give the derivatives of the loss they report (finite differences).

The five-point central difference errs by about 1e-12 (gradient) and 5e-11 (Hessian) relative here, so
the tolerances below catch a derivative that is off by 1e-9."""

import numpy as np
import pytest
from problems import random_problem

from fastlogreg.backends import get_backend

W0, B0 = np.array([0.3, -0.2, 0.1, 0.4]), -0.1
H = 1e-3  # the five-point rule's truncation (~H^4) and rounding (~1e-16 / H) both stay near 1e-12


@pytest.fixture
def passes(backend):
    X, y = random_problem(30, 4, seed=5)
    chosen = get_backend(backend)
    return chosen, chosen.prepare(X, y.astype(np.uint8))


def central_difference(function, params):
    """d function / d params, one coordinate at a time, by the five-point rule (error O(H^4))."""
    return np.array(
        [
            (function(params - 2 * H * unit) - 8 * function(params - H * unit) + 8 * function(params + H * unit)
             - function(params + 2 * H * unit)) / (12 * H)
            for unit in np.eye(params.size)
        ]
    )  # fmt: skip


def test_gradient_pass_matches_finite_difference(passes):
    chosen, data = passes
    sums = chosen.gradient_sums(data, W0, B0)

    def loss_at(params):
        return chosen.gradient_sums(data, params[:-1], params[-1]).loss

    expected = central_difference(loss_at, np.append(W0, B0))
    np.testing.assert_allclose(np.append(sums.weights, sums.bias), expected, rtol=1e-10, atol=0)


def test_curvature_pass_matches_finite_differences(passes):
    chosen, data = passes
    sums = chosen.curvature_sums(data, W0, B0)
    params = np.append(W0, B0)

    def loss_at(params):
        return chosen.curvature_sums(data, params[:-1], params[-1]).loss

    np.testing.assert_allclose(sums.gradient, central_difference(loss_at, params), rtol=1e-10, atol=0)
    for k in range(params.size):  # row k of the Hessian: the derivative of the gradient's entry k

        def gradient_k(params, k=k):
            return chosen.curvature_sums(data, params[:-1], params[-1]).gradient[k]

        np.testing.assert_allclose(sums.hessian[k], central_difference(gradient_k, params), rtol=1e-9, atol=0)
    np.testing.assert_array_equal(sums.hessian, sums.hessian.T)
    assert sums.loss == pytest.approx(chosen.gradient_sums(data, W0, B0).loss, rel=1e-12, abs=0)
