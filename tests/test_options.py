"""train()'s options beyond the tutorial: L2, early stopping, blocks for progress and callbacks, standardize."""

import inspect
import subprocess
import sys
import time

import numpy as np
import pytest
from problems import REFERENCE, assert_agree, random_problem, stable_learning_rate, train_both

import fastlogreg
from fastlogreg.data import make_nba_like


def settings_for(X, reduction="mean", **extra):
    return dict(learning_rate=stable_learning_rate(X, reduction), reduction=reduction, **extra)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_l2_agrees_with_the_reference(other_backend, reduction):
    X, y = random_problem(40, 4, seed=2)
    options = settings_for(X, reduction, epochs=80, l2=0.3, init="normal", random_state=1)
    assert_agree(*train_both(X, y, other_backend, **options))


def test_l2_adds_half_l2_times_squared_weights_to_the_loss(backend):
    X, y = random_problem(30, 3, seed=4)
    w0, b0 = np.array([0.5, -1.0, 2.0]), 0.7
    plain = fastlogreg.train(X, y, backend=backend, epochs=0, init=(w0, b0))
    penalized = fastlogreg.train(X, y, backend=backend, epochs=0, init=(w0, b0), l2=0.2)
    assert penalized.loss - plain.loss == pytest.approx(0.1 * (w0 @ w0), rel=1e-12, abs=0)  # not on the bias


def test_l2_shrinks_the_weights(backend):
    X, y = random_problem(200, 3, seed=5)
    options = settings_for(X, epochs=300)
    free = fastlogreg.train(X, y, backend=backend, **options)
    shrunk = fastlogreg.train(X, y, backend=backend, l2=1.0, **options)
    assert np.linalg.norm(shrunk.weights) < 0.7 * np.linalg.norm(free.weights)


@pytest.mark.parametrize("tol", [1e-3, 1e-6])
def test_tol_stops_early_and_says_so(backend, tol):
    X, y = random_problem(100, 3, seed=6)
    options = settings_for(X, epochs=100_000, tol=tol)
    result = fastlogreg.train(X, y, backend=backend, **options)
    assert result.converged and result.epochs_run < 100_000
    assert result.loss_history.shape == (result.epochs_run,)
    changes = np.abs(np.diff(np.append(result.loss_history, result.loss)))
    previous = np.abs(result.loss_history)
    assert changes[-1] < tol * previous[-1]  # the stopping test held at the end...
    assert np.all(changes[:-1] >= tol * previous[:-1])  # ...and at no epoch before


@pytest.mark.parametrize("tol", [1e-3, 1e-6])
def test_tol_stops_at_the_reference_epoch(other_backend, tol):
    X, y = random_problem(100, 3, seed=6)
    options = settings_for(X, epochs=100_000, tol=tol)
    result, reference = train_both(X, y, other_backend, **options)
    assert result.epochs_run == reference.epochs_run
    assert_agree(result, reference)


def test_gradient_descent_takes_its_documented_defaults(backend):
    # train()'s docstring: with solver="gd", a learning rate of 0.01 and 1000 epochs (and no early stop)
    X, y = random_problem(50, 2, seed=2)
    default = fastlogreg.train(X, y, backend=backend, solver="gd")
    documented = fastlogreg.train(X, y, backend=backend, learning_rate=0.01, epochs=1000)
    assert default.epochs_run == 1000
    np.testing.assert_array_equal(default.loss_history, documented.loss_history)
    np.testing.assert_array_equal(default.weights, documented.weights)


def test_settling_only_at_the_epoch_limit_is_not_converged(backend):
    # The reference settles by tol after k updates; with epochs=k the run stops at its limit instead, and
    # says so: the same k updates, but converged is False (the tol test is not made on the limit's pass).
    X, y = random_problem(100, 3, seed=6)
    options = settings_for(X, tol=1e-3)
    settled = fastlogreg.train(X, y, backend=REFERENCE, epochs=100_000, **options)
    assert settled.converged
    capped = fastlogreg.train(X, y, backend=backend, epochs=settled.epochs_run, **options)
    assert not capped.converged and capped.epochs_run == settled.epochs_run
    if backend != REFERENCE:  # the reference's own runs are no independent judge of each other
        assert_agree(capped, settled)


def test_a_loss_of_exactly_zero_counts_as_converged(backend):
    # one large step separates the two rows by |z| > 745, where e^-|z| and so the loss are exactly 0
    result = fastlogreg.train([[-1.0], [1.0]], [0, 1], backend=backend, learning_rate=1e4, epochs=50, tol=1e-6)
    assert result.loss == 0.0 and result.converged and result.epochs_run == 1


def test_without_tol_every_epoch_runs(backend, nba):
    result = fastlogreg.train(*nba, backend=backend, solver="gd", epochs=50)
    assert (result.epochs_run, result.converged) == (50, False)


@pytest.mark.parametrize("watch", ["callback", "progress", "tol"])
def test_running_in_blocks_changes_no_bit(backend, watch, capsys, monkeypatch):
    X, y = random_problem(500, 3, seed=8)
    options = settings_for(X, epochs=237)
    whole = fastlogreg.train(X, y, backend=backend, **options)  # a compiled loop: one block of 237 epochs
    extra = {
        "callback": dict(callback=lambda epoch, loss: False, callback_every=10),
        "progress": dict(progress=True),
        "tol": dict(tol=0.0),
    }[watch]
    # blocks of one epoch: at this size a run would otherwise end within its first block, whatever watches it
    monkeypatch.setattr("fastlogreg.solvers.monitor.BLOCK_SECONDS", 1e-9)
    blocks = fastlogreg.train(X, y, backend=backend, **options, **extra)
    np.testing.assert_array_equal(blocks.loss_history, whole.loss_history)
    np.testing.assert_array_equal(blocks.weights, whole.weights)
    assert (blocks.bias, blocks.loss, blocks.epochs_run) == (whole.bias, whole.loss, whole.epochs_run)
    if watch == "progress":
        assert f"fastlogreg[{backend}]" in capsys.readouterr().err  # tqdm drew its bar on stderr


def test_callback_cadence_values_and_stop(backend):
    X, y = random_problem(60, 2, seed=9)
    options = settings_for(X, epochs=95)
    reference = fastlogreg.train(X, y, backend=backend, **options)
    calls = []
    fastlogreg.train(
        X, y, backend=backend, callback=lambda e, loss: calls.append((e, loss)), callback_every=20, **options
    )
    assert [e for e, _ in calls] == [20, 40, 60, 80]  # every 20 epochs, not after the last
    for epoch, loss in calls:
        assert loss == reference.loss_history[epoch]  # the loss at the weights after `epoch` updates

    stopped = fastlogreg.train(X, y, backend=backend, callback=lambda e, loss: e >= 40, callback_every=20, **options)
    assert (stopped.epochs_run, stopped.converged) == (40, False)
    np.testing.assert_array_equal(stopped.loss_history, reference.loss_history[:40])


def test_a_callback_due_at_the_epoch_tol_stops_is_not_called(backend):
    # The reference stops by tol before update k; a callback due after k updates must see nothing (it is
    # "not after the last"), and the run converged there, as on the reference, whatever it would answer.
    X, y = random_problem(100, 3, seed=6)
    options = settings_for(X, epochs=100_000, tol=1e-3)
    reference = fastlogreg.train(X, y, backend=REFERENCE, **options)
    assert reference.converged
    calls = []
    result = fastlogreg.train(
        X, y, backend=backend, callback=lambda e, loss: calls.append(e) or True, callback_every=reference.epochs_run,
        **options,
    )  # fmt: skip
    assert calls == []
    assert (result.epochs_run, result.converged) == (reference.epochs_run, True)


def test_standardize_trains_in_standard_units_and_reports_original_ones(backend):
    X, y = random_problem(80, 3, seed=10)
    X = X * [100.0, 0.01, 1.0] + [500.0, 0.0, -3.0]
    mean, std = X.mean(axis=0), X.std(axis=0)
    options = dict(learning_rate=0.5, epochs=200)
    by_hand = fastlogreg.train((X - mean) / std, y, backend=backend, **options)
    result = fastlogreg.train(X, y, backend=backend, standardize=True, **options)
    np.testing.assert_allclose(result.weights, by_hand.weights / std, rtol=1e-9)
    assert result.bias == pytest.approx(by_hand.bias - (by_hand.weights / std) @ mean, rel=1e-9, abs=0)
    np.testing.assert_allclose(result.predict_proba(X), by_hand.predict_proba((X - mean) / std), rtol=1e-9)


def test_standardize_recovers_a_published_textbook_logit(backend):
    """Spector & Mazzeo (1980), the logit in Greene's Econometric Analysis: the coefficients below
    are the published maximum-likelihood estimates (also statsmodels' documented Logit example)."""
    sm = pytest.importorskip("statsmodels.api")
    data = sm.datasets.spector.load_pandas()
    X, y = data.exog[["GPA", "TUCE", "PSI"]].to_numpy(), data.endog.to_numpy()
    result = fastlogreg.train(X, y, backend=backend, standardize=True, learning_rate=2.0, epochs=200_000, tol=1e-15)
    np.testing.assert_allclose(result.weights, [2.82611297, 0.09515766, 2.37868772], rtol=1e-4)
    assert result.bias == pytest.approx(-13.02134686, rel=1e-4, abs=0)


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        (dict(l2=-1.0), ValueError, "l2 must be finite and >= 0"),
        (dict(l2="big"), TypeError, "l2 must be a real number"),
        (dict(solver="gd", tol=-0.1), ValueError, "tol must be finite and >= 0"),
        (dict(tol=float("nan")), ValueError, "tol must be finite"),
        (dict(standardize="yes"), TypeError, "standardize must be True or False"),
        (dict(progress=1), TypeError, "progress must be True or False"),
        (dict(callback=42), TypeError, "callback must be callable"),
        (dict(callback=print, callback_every=0), ValueError, "callback_every must be >= 1"),
    ],
)
def test_option_rejections(backend, nba, overrides, error, message):
    with pytest.raises(error, match=message):
        fastlogreg.train(*nba, backend=backend, epochs=2, **overrides)


@pytest.mark.parametrize("solver", [dict(solver="newton"), dict(solver="gd", epochs=200, learning_rate=0.5)])
@pytest.mark.parametrize("rows, value", [(12, 0.1), (1000, 3.7)])
def test_standardize_leaves_a_constant_feature_alone(backend, rows, value, solver):
    # The constant's computed spread is rounding noise, not 0 (1e-17 for 0.1 on the tutorial's 12 rows;
    # on 1,000 rows the mean's rounding puts 3.7's above the noise threshold): scaled up, it became a
    # copy of the intercept, with weights near 1e16. Judged by the reference trained without it.
    X, y = make_nba_like(rows, random_state=rows)
    with_constant = np.column_stack([X, np.full(rows, value)])
    result = fastlogreg.train(with_constant, y, backend=backend, standardize=True, **solver)
    without = fastlogreg.train(X, y, backend=REFERENCE, standardize=True, **solver)
    assert result.converged == without.converged
    assert abs(result.weights[3]) < 1e-9
    np.testing.assert_allclose(result.weights[:3], without.weights, rtol=1e-9)
    assert result.bias == pytest.approx(without.bias, rel=1e-9)
    np.testing.assert_allclose(result.predict_proba(with_constant), without.predict_proba(X), rtol=1e-9)


def test_standardize_scales_values_at_the_float64_limit(backend):
    # their squares overflow, yet the standardized problem is that of X / 2**1023 (an exact scaling)
    X = np.array([[1.7e308], [-1.7e308], [1.0e308]])
    result = fastlogreg.train(X, [0, 1, 1], backend=backend, solver="gd", standardize=True)
    small = fastlogreg.train(X / 2.0**1023, [0, 1, 1], backend=backend, solver="gd", standardize=True)
    np.testing.assert_allclose(result.weights * 2.0**1023, small.weights, rtol=1e-12)
    np.testing.assert_array_equal(result.loss_history, small.loss_history)


def test_a_truthy_callback_result_stops(backend, nba):
    result = fastlogreg.train(
        *nba,
        backend=backend,
        solver="gd",
        epochs=300,
        callback_every=50,
        callback=lambda epoch, loss: np.float64(loss) < 1e9,
    )  # numpy's True, not True
    assert result.epochs_run == 50


def test_compiled_runs_return_to_python_in_short_blocks_and_prepare_once(monkeypatch):
    from fastlogreg.backends import get_backend
    from fastlogreg.solvers.monitor import BLOCK_SECONDS

    backend = get_backend("numba")
    calls = {"descend": [], "prepare": 0}
    descend, prepare = backend.descend, backend.prepare

    def timed_descend(*args):
        started = time.perf_counter()
        state = descend(*args)
        calls["descend"].append(time.perf_counter() - started)
        return state

    def counting_prepare(*args):
        calls["prepare"] += 1
        return prepare(*args)

    monkeypatch.setattr(backend, "descend", timed_descend)
    monkeypatch.setattr(backend, "prepare", counting_prepare)
    X, y = random_problem(100, 3, seed=1)
    fastlogreg.train(X, y, backend="numba", solver="gd", epochs=100)  # compiled, and short: one block
    assert len(calls["descend"]) == 1 and calls["prepare"] == 1
    calls.update(descend=[], prepare=0)
    X, y = random_problem(5000, 3, seed=1)
    started = time.perf_counter()
    fastlogreg.train(X, y, backend="numba", solver="gd", epochs=40_000)
    assert time.perf_counter() - started > 3 * BLOCK_SECONDS, "the run must be long enough to need blocks"
    assert calls["prepare"] == 1 and len(calls["descend"]) >= 3
    assert max(calls["descend"][1:]) < 5 * BLOCK_SECONDS  # after the first (sized by a guess), by the clock


# What each run trains on, how (long enough that only Ctrl-C ends it), and the rows of its warm-up run.
# The warm-up compiles the very kernel that is then timed (for numba, the parallel one): a Ctrl-C that
# lands while numba compiles can be swallowed by llvmlite's ctypes callback ("Exception ignored ...
# KeyboardInterrupt"), and training then runs on; seen once in CI, when the warm-up on 200 rows of 3
# features compiled only the serial kernel.
CTRL_C_RUNS = {
    "gd": ("X, y = fastlogreg.make_nba_like(20_000)", "solver='gd', epochs=10**7", 20_000),
    # a Newton pass over 40,000 x 1,024 sums 4e10 products: seconds in one call, which Ctrl-C would wait for
    "newton": (
        "rng = np.random.default_rng(0)\nX, y = rng.normal(size=(40_000, 1024)), (rng.random(40_000) < 0.5) * 1.0",
        "solver='newton'",
        200,  # 200 x 1,024 entries: already the parallel kernel
    ),
}


CTRL_C_CASES = [("python", "gd"), ("numpy", "gd"), ("numba", "gd"), ("numpy", "newton"), ("numba", "newton")]


@pytest.mark.parametrize("backend_name, solver", CTRL_C_CASES)
def test_ctrl_c_stops_training_within_a_second(backend_name, solver):
    data, options, warm_rows = CTRL_C_RUNS[solver]
    code = (
        "import os, signal, threading, time, warnings, numpy as np, fastlogreg\n"
        # Python's Ctrl-C handler even where this test runs in the background, whose SIGINT is ignored
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        f"{data}\n"
        "with warnings.catch_warnings():  # compiled first; one epoch converges nowhere\n"
        "    warnings.simplefilter('ignore')\n"
        f"    warm = slice({warm_rows})\n"
        f"    fastlogreg.train(X[warm], y[warm], backend={backend_name!r}, solver={solver!r}, epochs=1)\n"
        "threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        "start = time.perf_counter()\n"
        "try:\n"
        f"    fastlogreg.train(X, y, backend={backend_name!r}, {options})\n"
        "except KeyboardInterrupt:\n"
        "    print(time.perf_counter() - start - 1.0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 1.0  # seconds from Ctrl-C to KeyboardInterrupt


def test_trains_docstring_and_the_readme_state_the_codes_defaults():
    from pathlib import Path

    from fastlogreg.backends import BACKEND_NAMES
    from fastlogreg.solvers.newton import DEFAULT_TOL, MAX_FEATURES

    doc = " ".join(fastlogreg.train.__doc__.split())  # lines joined
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text().split())
    assert f"at most ``tol`` times the loss (default {DEFAULT_TOL:g}" in doc
    assert f"at most `tol` (default {DEFAULT_TOL:g})" in readme
    assert f"(at most {MAX_FEATURES})" in doc
    assert "backend : {" + ", ".join(f'"{name}"' for name in BACKEND_NAMES) + "}" in doc
    for name in inspect.signature(fastlogreg.train).parameters:
        assert f" {name} : " in doc, f"train()'s docstring does not describe {name}"
    assert "FloatingPointError" in doc and "When Newton's loss, gradient or Hessian overflows" in doc
