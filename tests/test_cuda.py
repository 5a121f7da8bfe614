"""backend="cuda" against the pure-Python reference: under numba's CUDA simulator everywhere, and on a GPU
where there is one (the tests marked ``gpu``: the simulator runs a cooperative grid as one block only).

The simulator must be switched on before numba is imported, so its runs happen in one subprocess
(tests/cuda_cases.py); the reference's runs of the same cases, in this process, are the expected values.
On a GPU, problems too large for the reference are compared with the numba backend, which
tests/test_agreement.py holds to the reference.
"""

import importlib.util
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cuda_cases import CASES, STOP_AT, run_cases
from problems import run_python
from tutorial_figures import LOSS_AFTER, LOSS_BEFORE, as_printed

import fastlogreg

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba_cuda") is None, reason="backend='cuda' needs numba-cuda: pip install numba-cuda"
)
HERE = Path(__file__).parent


def _environment():
    """This checkout's fastlogreg, under numba's CUDA simulator."""
    return dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=os.pathsep.join([str(HERE.parent), str(HERE)]))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """Every case trained by backend="cuda" under the simulator (one subprocess, ~15 s)."""
    path = tmp_path_factory.mktemp("cuda") / "results.pkl"
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(HERE / "cuda_cases.py"), str(path)],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    with open(path, "rb") as file:
        return pickle.load(file)


@pytest.fixture(scope="module")
def reference():
    return run_cases("python")


def assert_agree(got, expected, rtol=1e-9, atol=1e-12):
    weights, bias, loss, history, epochs_run, converged, calls = got
    np.testing.assert_allclose(weights, expected[0], rtol=rtol, atol=atol)
    np.testing.assert_allclose(bias, expected[1], rtol=rtol, atol=atol)
    np.testing.assert_allclose(loss, expected[2], rtol=rtol, atol=atol)
    np.testing.assert_allclose(history, expected[3], rtol=rtol, atol=atol)
    assert (epochs_run, converged) == (expected[4], expected[5])
    assert [done for done, _ in calls] == [done for done, _ in expected[6]]
    np.testing.assert_allclose([loss for _, loss in calls], [loss for _, loss in expected[6]], rtol=rtol)


@pytest.mark.parametrize("case", CASES)
def test_simulated_cuda_agrees_with_the_reference(simulated, reference, case):
    # the confident rows' summed loss is ~1e-7: compared relative to it, with no absolute slack
    assert_agree(simulated["cases"][case], reference[case], atol=0 if case == "confident_rows" else 1e-12)
    if case == "separable_tiny_l2":  # its loss, 2e-27, relative to it too (its bias is 0: atol stays)
        np.testing.assert_allclose(simulated["cases"][case][2], reference[case][2], rtol=1e-9, atol=0)


def test_simulated_tutorial_figures(simulated):
    history, loss = simulated["cases"]["tutorial"][3], simulated["cases"]["tutorial"][2]
    assert as_printed(history[0]) == repr(LOSS_BEFORE)
    assert as_printed(loss) == repr(LOSS_AFTER)


def test_simulated_callback_stops_and_options_took_effect(simulated):
    cases = simulated["cases"]
    assert cases["callback_stops"][4] == STOP_AT and [done for done, _ in cases["callback_stops"][6]] == [7, 14, 21]
    assert cases["gd_l2_tol"][5] and cases["gd_l2_tol"][4] < CASES["gd_l2_tol"][2]["epochs"]  # tol stopped it
    assert cases["newton"][5]


def test_simulated_runs_are_bitwise_repeatable(simulated):
    for case, again in simulated["again"].items():
        first = simulated["cases"][case]
        for a, b in zip(first[:4], again[:4], strict=True):
            np.testing.assert_array_equal(a, b)


def test_simulated_device_input_equals_host_input(simulated):
    device_input = dict(simulated["device_input"])
    *fit, n_features_in = device_input.pop("estimator_newton")  # the estimator hands X to train() as it is
    assert n_features_in == CASES["newton"][1]
    for a, b in zip(fit, simulated["cases"]["newton"][:3], strict=True):
        np.testing.assert_array_equal(a, b)
    for case, got in device_input.items():
        host = simulated["cases"][case]
        for a, b in zip(got, host[:4], strict=True):
            np.testing.assert_array_equal(a, b)


def test_simulated_device_input_below_float32_is_rejected(simulated):
    assert "below the float32 range" in (simulated["device_errors"]["below float32"] or "no error")


def test_simulated_centring_never_holds_two_copies_of_X_on_the_gpu(simulated):
    assert simulated["live_copies"] == [0, 0]  # X copied, then its centred copy once the first is gone


def test_simulated_device_input_with_an_offset_feature_warns(simulated):
    assert "cannot reach the optimum" in (simulated["device_errors"]["offset feature"] or "no warning")


@pytest.mark.parametrize("where", ["host", "device", "device, column-major"])
def test_simulated_quasi_complete_separation_warns(simulated, where):
    assert "quasi-complete separation" in (simulated["device_errors"][f"quasi-separated, {where}"] or "no warning")


def test_the_simulated_runs_lock_the_simulators_shared_array_allocation():
    # cuda_cases.serialize_simulated_shared_arrays: with the simulator's allocation slowed to 10 ms, so that
    # both threads of a block reach it before either stores the array, the simulator as shipped sums an
    # uninitialized slot (the loss off by a fifth, measured); under the lock the sums equal the reference's.
    code = """
        import sys, time
        import numpy as np
        from numba.cuda.simulator import kernelapi
        import cuda_cases
        import fastlogreg
        from fastlogreg.backends import numba_cuda, pure_python

        class SlowAllocation:
            def __getattr__(self, name):
                return getattr(np, name)

            def empty(self, *args, **kwargs):
                time.sleep(0.01)
                return np.empty(*args, **kwargs)

        kernelapi.np = cuda_cases.np = SlowAllocation()
        cuda_cases.serialize_simulated_shared_arrays()
        X, y = fastlogreg.make_nba_like(40, n_features=3, random_state=0)
        labels = (y > 0.5).astype(np.uint8)
        w = np.array([0.1, -0.2, 0.3])
        simulated = numba_cuda.gradient_sums(numba_cuda.prepare(X, labels), w, 0.1)
        expected = pure_python.gradient_sums(pure_python.prepare(X, labels), w, 0.1)
        np.testing.assert_allclose(simulated.loss, expected.loss, rtol=1e-12)
        np.testing.assert_allclose(simulated.weights, expected.weights, rtol=1e-12)
        print("ok")
    """
    done = run_python(code, env=_environment())
    assert done.stdout.strip() == "ok", done.stderr[-3000:]


def test_gpu_array_with_another_backend_is_a_clear_error():
    class OnTheGpu:  # what CuPy and PyTorch arrays look like to fastlogreg
        __cuda_array_interface__ = {"shape": (2, 1), "typestr": "<f8", "data": (0, False), "version": 3}

    with pytest.raises(TypeError, match="X is an array on the GPU: use backend='cuda'"):
        fastlogreg.train(OnTheGpu(), [0, 1], backend="numpy")


@pytest.mark.parametrize("limit", [None, 2000], ids=["MAX_FEATURES", "a raised MAX_FEATURES"])
def test_every_hessian_tile_fits_the_kernels_local_array(limit):
    # in a process of its own: the tile is fixed when numba_cuda is imported, from the Newton limit then
    code = (
        "import importlib\n"
        "newton = importlib.import_module('fastlogreg.solvers.newton')  # the module, not solvers.newton()\n"
        f"newton.MAX_FEATURES = {limit} or newton.MAX_FEATURES\n"
        "from fastlogreg.backends.numba_cuda import CURVATURE_TILE, _curvature_tiles, _triangle\n"
        "for size in [*range(1, 100), *range(100, newton.MAX_FEATURES + 2, 97), newton.MAX_FEATURES + 1]:\n"
        "    ends = _curvature_tiles(size)\n"
        "    widest = max(_triangle(last) - _triangle(first) for first, last in zip([0, *ends[:-1]], ends))\n"
        "    local = min(CURVATURE_TILE, _triangle(size))  # the kernel's local array, beyond 1 + size\n"
        "    assert ends[-1] == size and widest <= local, (size, widest, local)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_environment())
    assert done.returncode == 0, done.stderr[-2000:]


# --- on a real GPU ------------------------------------------------------------------------------------


def _gpu_present() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "0" and "cuda" in fastlogreg.available_backends()


on_gpu = pytest.mark.skipif(not _gpu_present(), reason="no CUDA GPU here (numba.cuda.is_available() is False)")


@pytest.mark.gpu
@on_gpu
@pytest.mark.parametrize("case", CASES)
def test_gpu_agrees_with_the_reference(reference, case):
    assert_agree(run_cases("cuda", [case])[case], reference[case])


@pytest.mark.gpu
@on_gpu
@pytest.mark.parametrize("solver", ["gd", "newton"])
# 3 features: 4 rows in flight per thread and launch bounds; 5: one row, no bound (numba_cuda._register_plan)
@pytest.mark.parametrize("features", [3, 5], ids=["features3", "features5"])
def test_gpu_many_blocks_agree_with_numba_and_repeat_bitwise(solver, features):
    # enough rows for many blocks: the grid-synced descent kernel and multi-block reductions
    X, y = fastlogreg.make_nba_like(300_000, n_features=features, random_state=1)
    settings = dict(solver=solver, l2=0.01, standardize=True) | (
        dict(learning_rate=0.5, epochs=200) if solver == "gd" else {}
    )
    expected = fastlogreg.train(X, y, backend="numba", **settings)  # 300k rows: too many for the reference
    first, again = (fastlogreg.train(X, y, backend="cuda", **settings) for _ in range(2))
    np.testing.assert_allclose(first.weights, expected.weights, rtol=1e-9)
    np.testing.assert_allclose(first.loss_history, expected.loss_history, rtol=1e-9)
    assert first.bias == pytest.approx(expected.bias, rel=1e-9, abs=0) and first.epochs_run == expected.epochs_run
    np.testing.assert_array_equal(first.weights, again.weights)
    np.testing.assert_array_equal(first.loss_history, again.loss_history)


@pytest.mark.gpu
@on_gpu
def test_gpu_device_input_is_used_in_place_and_agrees(monkeypatch):
    from numba import cuda

    from fastlogreg.backends import numba_cuda

    X, y = fastlogreg.make_nba_like(100_000, n_features=3, random_state=2)
    settings = dict(learning_rate=0.01, epochs=50, dtype="float32")
    prepared, prepare = [], numba_cuda.prepare
    monkeypatch.setattr(numba_cuda, "prepare", lambda X, y: prepared.append(prepare(X, y)) or prepared[-1])
    X_gpu = cuda.to_device(X.astype(np.float32))
    on_device = fastlogreg.train(X_gpu, y, backend="cuda", **settings)
    assert prepared[0].X is X_gpu  # the kernels read the caller's GPU array itself: no copy of X
    from_host = fastlogreg.train(X, y, backend="cuda", **settings)
    np.testing.assert_array_equal(on_device.weights, from_host.weights)
