"""Stable numerics: logits far beyond +-700 give finite, exact results and no warning.

pytest is configured with filterwarnings=error, so any overflow RuntimeWarning fails these tests.
"""

import math
import statistics

import numpy as np
import pytest
from problems import REFERENCE

import fastlogreg
from fastlogreg.backends import get_backend
from fastlogreg.data import make_nba_like
from fastlogreg.standardization import Standardization


@pytest.mark.parametrize("z", [1000.0, -1000.0, 1e5, -1e300])
@pytest.mark.parametrize("label", [0, 1])
def test_loss_of_one_extreme_logit(backend, z, label):
    # one row, x = z, w = 1: the loss is log(1 + e^z) - y z, i.e. |z| when the label is wrong, ~0 when right
    result = fastlogreg.train([[z]], [label], backend=backend, epochs=0, init=([1.0], 0.0))
    wrong = (z > 0) != bool(label)
    assert result.loss == (abs(z) if wrong else 0.0)
    assert result.predict_proba([[z]])[0] == (1.0 if z > 0 else 0.0)


@pytest.mark.parametrize("z", [1e-8, 0.5, 20.0, 36.0, 40.0, 50.0, 700.0, -40.0])
def test_loss_of_a_right_label_to_the_last_bits(backend, z):
    # the loss log(1 + e^-|z|) of a row labelled right: below 1e-16 where 1 + e^-|z| rounds to 1
    result = fastlogreg.train([[z]], [int(z > 0)], backend=backend, epochs=0, init=([1.0], 0.0), reduction="sum")
    assert result.loss == pytest.approx(math.log1p(math.exp(-abs(z))), rel=4e-16, abs=0)


def test_summed_loss_of_many_rows_to_1e_13(backend):
    # Confidently right rows (|z| near 20: each loss ~2e-9) beside ordinary ones, one feature x = z,
    # w = 1: the summed loss against math.fsum of libm's log1p(e^-|z|), relative 1e-13 (rounding
    # errors of ~1e-16 per row, not per unit of loss, would be 1e-9 of the confident rows' total)
    rng = np.random.default_rng(3)
    z = np.concatenate([rng.normal(0.0, 3.0, 3000), rng.uniform(18.0, 22.0, 3000) * rng.choice([-1, 1], 3000)])
    labels = (z > 0).astype(int)
    exact = math.fsum(math.log1p(math.exp(-abs(v))) for v in z)
    result = fastlogreg.train(z[:, None], labels, backend=backend, epochs=0, init=([1.0], 0.0), reduction="sum")
    assert result.loss == pytest.approx(exact, rel=1e-13, abs=0)
    confident = np.abs(z) > 15
    exact = math.fsum(math.log1p(math.exp(-abs(v))) for v in z[confident])
    result = fastlogreg.train(
        z[confident, None], labels[confident], backend=backend, epochs=0, init=([1.0], 0.0), reduction="sum"
    )
    assert result.loss == pytest.approx(exact, rel=1e-13, abs=0)


@pytest.mark.parametrize("z", [20.0, 30.0, 40.0, 700.0, -40.0])
def test_curvature_of_a_confident_row_has_no_cancellation(backend, z):
    # Newton's p (1 - p) for one row (x = 1) at score z, against the closed form 1 / (4 cosh^2(z / 2)):
    # 1 - p taken as such loses digits once p nears 1, and every digit once p rounds to 1 (z > 37)
    chosen = get_backend(backend)
    data = chosen.prepare(np.array([[1.0]]), np.array([1], dtype=np.uint8))
    sums = chosen.curvature_sums(data, np.array([z]), 0.0)
    np.testing.assert_allclose(sums.hessian, np.full((2, 2), 0.25 / math.cosh(z / 2) ** 2), rtol=1e-14)


# (z, label): rows confidently right, then every other branch of p - y (right or wrong, either sign, z = 0)
SCORES_AND_LABELS = [(20.0, 1), (36.0, 1), (40.0, 1), (300.0, 1), (-40.0, 0), (-700.0, 0)]
SCORES_AND_LABELS += [(-20.0, 1), (5.0, 0), (40.0, 0), (0.0, 1), (0.0, 0)]


@pytest.mark.parametrize(("z", "label"), SCORES_AND_LABELS)
def test_residual_of_a_confident_row_has_no_cancellation(backend, z, label):
    # p - y for one row (x = 1) at score z, against libm's 1 / (1 + e^-z) for label 0 and -1 / (1 + e^z)
    # for label 1: p - 1 taken as such loses digits once p nears 1, and every digit once p rounds to 1
    chosen = get_backend(backend)
    data = chosen.prepare(np.array([[1.0]]), np.array([label], dtype=np.uint8))
    exact = 1.0 / (1.0 + math.exp(-z)) if label == 0 else -1.0 / (1.0 + math.exp(z))
    gradient = chosen.gradient_sums(data, np.array([z]), 0.0)
    np.testing.assert_allclose([gradient.weights[0], gradient.bias], [exact, exact], rtol=1e-15, atol=0)
    curvature = chosen.curvature_sums(data, np.array([z]), 0.0)
    np.testing.assert_allclose(curvature.gradient, [exact, exact], rtol=1e-15, atol=0)


def test_gradient_step_at_extreme_logit(backend):
    # z = 1000 with label 0: p - y = 1 exactly, so w moves by learning_rate * x
    result = fastlogreg.train(
        [[1000.0]], [0], backend=backend, learning_rate=1e-3, epochs=1, reduction="sum", init=([1.0], 0.0)
    )
    assert result.weights[0] == pytest.approx(0.0, abs=1e-15)
    assert result.bias == pytest.approx(-1e-3, rel=1e-15, abs=0)
    assert result.loss_history[0] == 1000.0


def test_training_through_huge_logits_stays_finite_and_agrees(other_backend):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 1e4
    y = (rng.random(50) < 0.5).astype(float)
    settings = dict(learning_rate=1e-6, epochs=40, reduction="mean", init=([1.0, -1.0, 0.5], 3.0))
    result = fastlogreg.train(X, y, backend=other_backend, **settings)
    reference = fastlogreg.train(X, y, backend="python", **settings)
    for trained in (result, reference):  # the reference stays finite too; it is compared with the others only
        assert np.isfinite(trained.loss_history).all() and np.isfinite(trained.weights).all()
    assert np.abs(X @ settings["init"][0]).max() > 700  # the start really is in overflow territory
    np.testing.assert_allclose(result.loss_history, reference.loss_history, rtol=1e-9)
    np.testing.assert_allclose(result.weights, reference.weights, rtol=1e-9)


# --- standardize=True at the edges of float64 -----------------------------------------------------


@pytest.mark.parametrize("magnitude", [1e-170, 1e-300, 1e160, 1e300])
def test_standardization_statistics_at_the_edges_of_float64(magnitude):
    # statistics.pstdev sums exact fractions: no overflow or underflow in its squares
    column = (np.random.default_rng(0).normal(size=200) + 3.0) * magnitude
    spread = Standardization.of(column[:, None])
    assert spread.mean[0] == pytest.approx(statistics.fmean(column), rel=1e-12, abs=0)
    assert spread.scale[0] == pytest.approx(statistics.pstdev(column), rel=1e-12, abs=0)


@pytest.mark.parametrize("exponent", [-560, 530])  # features of order 1e-169 and 1e160
def test_standardized_fit_is_blind_to_a_power_of_two_scale(exponent):
    # Scaling X by a power of two is exact, so the standardized problem is the same bits and the
    # fit in original units scales exactly: a tiny spread is no constant, huge values are no error.
    X, y = make_nba_like(500)
    settings = dict(backend="numpy", standardize=True, epochs=200, learning_rate=0.5)
    expected = fastlogreg.train(X, y, **settings)
    scaled = fastlogreg.train(X * 2.0**exponent, y, **settings)
    np.testing.assert_allclose(scaled.weights * 2.0**exponent, expected.weights, rtol=1e-12)
    assert scaled.bias == pytest.approx(expected.bias, rel=1e-12, abs=0)
    np.testing.assert_array_equal(scaled.loss_history, expected.loss_history)


def test_newton_reaches_an_optimum_whose_weights_squared_overflow(backend, nba):
    # X of order 1e-154 needs weights of order 1e154, whose squares overflow: with l2=0 the penalty term
    # must not be computed (0 * inf = NaN made every line-search trial fail). Judged by the reference on
    # X itself: the optimum scales exactly.
    X, y = nba
    expected = fastlogreg.train(X, y, backend=REFERENCE)
    result = fastlogreg.train(X * 5e-155, y, backend=backend)
    assert result.converged
    np.testing.assert_allclose(result.weights * 5e-155, expected.weights, rtol=1e-9)
    assert result.bias == pytest.approx(expected.bias, rel=1e-9)
    assert result.loss == pytest.approx(expected.loss, rel=1e-12)


def test_gradient_descent_takes_weights_whose_squares_overflow(backend):
    # Worked by hand: at w = b = 0 on x = -1, 1 (labels 0, 1) the mean gradient is -1/2 for w and 0 for
    # b, so one step of 2**520 lands on w = 2**519, which separates the rows with e^-|z| = 0: loss 0
    # exactly. With l2=0 the penalty term must not be computed (0 * inf = NaN read as divergence).
    result = fastlogreg.train([[-1.0], [1.0]], [0, 1], backend=backend, learning_rate=2.0**520, epochs=1)
    assert result.weights.tolist() == [2.0**519] and result.bias == 0.0 and result.loss == 0.0
    assert result.loss_history.tolist() == [pytest.approx(math.log(2), rel=1e-15)]


def test_weights_past_float64_in_original_units_are_a_clear_error(backend):
    # A feature of order 1e-310 (subnormal) standardizes fine, but its weight in X's own units, ~0.4e310,
    # is past float64: an error, not weights of inf and an overflow RuntimeWarning
    X, y = make_nba_like(500)
    with pytest.raises(FloatingPointError, match="original units overflow float64"):
        fastlogreg.train(X * np.array([1.0, 1.0, 1e-310]), y, backend=backend, standardize=True)


def test_a_spread_that_underflows_in_original_units_is_the_same_clear_error():
    # values 0 and 5e-324 (the smallest subnormal): their spread times their unit rounds to 0, and the
    # weight divided by it must raise the error above, not a divide-by-zero RuntimeWarning first
    X, y = make_nba_like(200, random_state=5)
    tiny = np.where(X[:, 0] > np.median(X[:, 0]), 5e-324, 0.0)
    with pytest.raises(FloatingPointError, match="original units overflow float64"):
        fastlogreg.train(np.column_stack([X, tiny]), y, standardize=True)


@pytest.mark.parametrize("options", [dict(), dict(learning_rate=0.1, epochs=3)], ids=["newton", "gd"])
def test_a_start_past_float64_in_standard_units_is_reported_once(backend, options):
    # init weights of 1e300 on features of order 1e10 are 1e310 in standard units: the solver's own
    # overflow error, as without standardize=True, and no RuntimeWarning before it
    X, y = make_nba_like(100)
    with pytest.raises(FloatingPointError, match="overflow"):
        fastlogreg.train(X * 1e10, y, backend=backend, standardize=True, init=(np.full(3, 1e300), 0.0), **options)


def test_a_run_that_oscillates_to_its_end_is_reported_as_diverged(backend):
    # learning_rate 0.002 on the summed loss of 40 rows: the loss leaps from 48.8 to 72.9, then jumps
    # about (down to 13.4) and ends at 15.0, below where it started, which was all the check compared. Such
    # runs amplify rounding: the audit's backends ended 14.4, 16.7 and 16.1 apart on one of them, and only
    # one raised. Every backend must say the learning rate is too large; half that rate converges.
    X, y = make_nba_like(40, n_features=2, random_state=0)
    settings = dict(backend=backend, solver="gd", epochs=20, reduction="sum", init=([0.1, -0.2], 0.3))
    with pytest.raises(FloatingPointError, match="training diverged.*above its lowest.*learning_rate=0.002"):
        fastlogreg.train(X, y, learning_rate=0.002, **settings)
    result = fastlogreg.train(X, y, learning_rate=0.001, **settings)
    assert np.all(np.diff(np.append(result.loss_history, result.loss)) <= 0)


def test_a_float32_feature_far_from_0_gives_no_overflow_warning(backend):
    # A feature 1e20 from 0 with a spread of 1e14: the check that it is far from 0 for its spread squared
    # its mean in float32, which overflows past 1.8e19 (a RuntimeWarning; under -W error, no fit).
    rng = np.random.default_rng(0)
    X = np.column_stack([1e20 * (1 + 1e-6 * rng.standard_normal(50)), rng.standard_normal(50)])
    y = (X[:, 1] + rng.standard_normal(50) > 0).astype(float)
    assert fastlogreg.train(X, y, backend=backend, dtype="float32").converged
