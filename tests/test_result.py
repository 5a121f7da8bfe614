import dataclasses
import importlib.util
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from tutorial_figures import TUTORIAL

import fastlogreg
from fastlogreg import backends


def test_result_shapes_and_settings(nba, backend):
    result = fastlogreg.train(*nba, backend=backend, learning_rate=0.005, epochs=7)
    assert result.weights.shape == (3,) and result.weights.dtype == np.float64
    assert isinstance(result.bias, float) and isinstance(result.loss, float)
    assert result.loss_history.shape == (7,)
    assert (result.backend, result.reduction, result.learning_rate, result.epochs) == (backend, "mean", 0.005, 7)


def test_loss_history_is_the_loss_before_each_update(nba, backend):
    X, y = nba
    full = fastlogreg.train(X, y, backend=backend, solver="gd", epochs=5, init="normal", random_state=1)
    for k in range(6):
        partial = fastlogreg.train(X, y, backend=backend, solver="gd", epochs=k, init="normal", random_state=1)
        np.testing.assert_array_equal(partial.loss_history, full.loss_history[:k])
        expected_loss = full.loss_history[k] if k < 5 else full.loss
        assert partial.loss == expected_loss


def test_zero_epochs_returns_the_start(nba, backend):
    result = fastlogreg.train(*nba, backend=backend, epochs=0, init=([1.0, 2.0, 3.0], 4.0))
    assert result.weights.tolist() == [1.0, 2.0, 3.0] and result.bias == 4.0
    assert result.loss_history.shape == (0,)


def test_zeros_init_starts_at_log_2(nba, backend):
    result = fastlogreg.train(*nba, backend=backend, solver="gd", epochs=1, reduction="mean")
    assert result.loss_history[0] == pytest.approx(np.log(2), rel=1e-15, abs=0)


def test_defaults_train_the_tutorial_data_well(nba, backend):
    X, y = nba
    result = fastlogreg.train(X, y, backend=backend)
    assert result.loss < result.loss_history[0] and np.all(np.diff(result.loss_history) <= 0)


def test_predict_and_predict_proba(nba):
    X, y = nba
    result = fastlogreg.train(X, y, backend="numpy", **TUTORIAL)
    proba = result.predict_proba(X)
    z = X @ result.weights + result.bias
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert result.predict(X).tolist() == (proba > 0.5).astype(int).tolist()
    assert result.predict(X, threshold=0.9).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert result.predict(X).dtype == np.int64


def test_available_backends():
    # numba is a hard dependency; dask is an extra; cuda needs numba-cuda and a GPU (or its simulator)
    expected = ("python", "numpy", "numba") + (("dask",) if importlib.util.find_spec("dask") else ())
    if importlib.util.find_spec("numba_cuda"):
        from numba import cuda

        expected += ("cuda",) if cuda.is_available() else ()
    assert fastlogreg.available_backends() == expected


def test_a_backend_that_fails_to_import_is_listed_as_unavailable(monkeypatch, tmp_path):
    # numba-cuda installed next to a numpy it does not support fails inside its own import: listing the
    # backends (the CLI's bench, the benchmark suite's collection) must not fail with it
    (tmp_path / "broken_gpu_package.py").write_text("raise AttributeError('module numpy has\\nno attribute nat')\n")
    monkeypatch.syspath_prepend(tmp_path)
    monkeypatch.setitem(backends._REGISTRY, "cuda", ("fastlogreg.backends.numba_cuda", "numpy"))  # numpy: installed
    monkeypatch.setitem(backends._NEED_DEVICE, "cuda", "broken_gpu_package")
    monkeypatch.delitem(backends._loaded, "cuda", raising=False)  # loaded already where a GPU is
    backends._missing.cache_clear()
    try:
        assert "cuda" not in fastlogreg.available_backends()
        assert "numba" in fastlogreg.available_backends()
        with pytest.raises(ImportError) as raised:
            backends.get_backend("cuda")
        assert str(raised.value) == (
            "backend 'cuda' cannot import broken_gpu_package (AttributeError: module numpy has no attribute nat): "
            "install a numpy that supports the installed numpy and numba"
        )
    finally:
        backends._missing.cache_clear()  # the real registry's answers again, for the tests that follow


def test_random_state_object_is_used(nba):
    a = fastlogreg.train(*nba, epochs=0, init="normal", random_state=np.random.RandomState(7))
    b = fastlogreg.train(*nba, epochs=0, init="normal", random_state=7)
    np.testing.assert_array_equal(a.weights, b.weights)


def test_import_does_not_import_numba():
    code = (
        "import sys, fastlogreg; fastlogreg.train([[1.0]], [1], backend='numpy', solver='gd', epochs=1); "
        "print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- scores past float64's range -----------------------------------------------------------------

HUGE_ROWS = [[1, 1, 0], [1, 1, -1.5], [1, 1, -1], [-1, -1, 0], [0.5, 0.25, 0], [3, -3, 1]]


def _huge_model(nba):
    # a model file may hold any finite weights; these make X @ w overflow on the way for most rows
    trained = fastlogreg.train(*nba, backend="numpy", solver="gd", epochs=1)
    return dataclasses.replace(trained, weights=np.array([1e308, 1e308, 1e308]), bias=-1e308)


def _exact_score(row, weights, bias):
    """X.w + b in exact rational arithmetic, then rounded to float64 (+-inf past its range)."""
    exact = sum(Fraction(x) * Fraction(w) for x, w in zip(row, weights, strict=True)) + Fraction(bias)
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def test_scores_past_float64_are_signed_infinities_never_nan(nba):
    model = _huge_model(nba)
    expected = [_exact_score(row, model.weights, model.bias) for row in HUGE_ROWS]
    np.testing.assert_allclose(model.decision_function(HUGE_ROWS), expected, rtol=1e-15)
    # P(y = 1) = 1 / (1 + e^-z): 1 and 0 at the infinities and wherever |z| > 1e300, 1/2 at z = 0
    assert model.predict_proba(HUGE_ROWS).tolist() == [1.0, 0.0, 0.5, 0.0, 0.0, 0.5]


def test_log_loss_of_certain_predictions_is_exact(nba):
    model = _huge_model(nba)
    # every row but the two at z = 0 is predicted with certainty, and correctly: loss log 2 for those two
    labels = [1, 0, 1, 0, 0, 1]
    assert model.log_loss(HUGE_ROWS, labels) == pytest.approx(2 * math.log(2) / 6, rel=1e-15, abs=0)
    assert model.log_loss(HUGE_ROWS[3:4], [1]) == math.inf  # z = -inf, certain and wrong: infinite, not NaN
