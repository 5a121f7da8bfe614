"""Every other backend gives the pure-Python reference's answer to 1e-9, on many shapes and data."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from problems import REFERENCE, assert_agree, random_problem, stable_learning_rate, summed_scale, train_both

import fastlogreg

SHAPES = [(1, 1), (2, 1), (1, 4), (3, 20), (37, 1), (45, 9), (50, 4), (200, 7)]


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{n}x{d}" for n, d in SHAPES])
def test_backends_agree(other_backend, shape, seed, reduction):
    X, y = random_problem(*shape, seed)
    settings = dict(
        learning_rate=stable_learning_rate(X, reduction),
        epochs=60,
        reduction=reduction,
        init="normal",
        random_state=seed,
    )
    assert_agree(*train_both(X, y, other_backend, **settings))


@pytest.mark.parametrize("label", [0, 1])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_backends_agree_with_one_class_only(other_backend, label, reduction):
    X, y = random_problem(40, 3, seed=7, one_class=label)
    settings = dict(learning_rate=4 * stable_learning_rate(X, reduction), epochs=300, reduction=reduction)
    result, reference = train_both(X, y, other_backend, **settings)
    assert_agree(result, reference)
    for trained in (result, reference):
        # separable data: the loss keeps falling towards zero, and predictions head for the one label
        assert np.all(np.diff(trained.loss_history) < 0)
        assert np.all(np.abs(trained.predict_proba(X) - label) < 0.5)


@pytest.mark.parametrize("scale", [1e3, 1e6])
def test_backends_agree_on_large_magnitude_features(other_backend, scale):
    X, y = random_problem(60, 3, seed=3, scale=scale)
    settings = dict(learning_rate=stable_learning_rate(X, "mean"), epochs=100, reduction="mean")
    assert_agree(*train_both(X, y, other_backend, **settings))


def test_float32_agrees_across_backends(other_backend):
    X, y = random_problem(80, 5, seed=11)
    settings = dict(learning_rate=stable_learning_rate(X, "sum"), epochs=50, reduction="sum", dtype="float32")
    assert_agree(*train_both(X, y, other_backend, **settings))


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 25),
    d=st.integers(1, 5),
    reduction=st.sampled_from(["sum", "mean"]),
    epochs=st.integers(0, 15),
)
def test_property_all_backends_match_reference(data, n, d, reduction, epochs):
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-1e3, 1e3)), label="X")
    y = data.draw(hnp.arrays(np.int8, n, elements=st.integers(0, 1)), label="y")
    settings = dict(learning_rate=stable_learning_rate(X, reduction), epochs=epochs, reduction=reduction)
    reference = fastlogreg.train(X, y, backend=REFERENCE, **settings)
    for backend in fastlogreg.available_backends():  # dask too: its blocks must not change the answer
        if backend == REFERENCE:
            continue
        # Constant columns and balanced labels can cancel a gradient to rounding noise: judged by its terms.
        terms = summed_scale(X, settings["learning_rate"], epochs, reduction)
        assert_agree(fastlogreg.train(X, y, backend=backend, **settings), reference, summed_scale=terms)
