"""The dask backend: the pure-Python reference's answers, locally and on a real two-process cluster.

Its blocks run the numba kernels, so numba is no independent judge of it: the reference is.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest
from problems import REFERENCE, assert_agree, random_problem, run_python, stable_learning_rate
from tutorial_figures import LOSS_BEFORE, TUTORIAL

import fastlogreg
from fastlogreg.data import make_nba_like

da = pytest.importorskip("dask.array", reason="the dask backend needs dask: pip install 'fastlogreg[dask]'")
distributed = pytest.importorskip(
    "distributed", reason="cluster tests need distributed: pip install 'fastlogreg[dask]'"
)


def both(X, y, **options):
    return fastlogreg.train(X, y, backend="dask", **options), fastlogreg.train(
        np.asarray(X), np.asarray(y), backend=REFERENCE, **options
    )


# --- dask's local threads (no client) ---------------------------------------------------------------


def test_tutorial_start_and_first_epochs_match_the_reference(nba):
    result, reference = both(*nba, **{**TUTORIAL, "epochs": 200})
    assert result.loss_history[0] == pytest.approx(LOSS_BEFORE, rel=1e-12, abs=0)
    assert_agree(result, reference)


@pytest.mark.parametrize("chunks", [(997, 3), (250, 1), (4000, 3)], ids=["uneven rows", "split columns", "one block"])
def test_any_chunking_of_a_dask_array(chunks):
    X, y = make_nba_like(4000, random_state=3)
    X_dask, y_dask = da.from_array(X, chunks=chunks), da.from_array(y, chunks=1500)
    assert_agree(*both(X_dask, y_dask, learning_rate=0.01, epochs=30))


@pytest.mark.parametrize(
    "options",
    [
        dict(l2=0.5, reduction="sum"),
        dict(tol=1e-4, epochs=5000),
        dict(standardize=True, learning_rate=0.5),
        dict(dtype="float32"),
        dict(callback=lambda epoch, loss: epoch >= 20, callback_every=10),
    ],
    ids=["l2", "tol", "standardize", "float32", "callback"],
)
def test_every_option_matches_the_reference(options):
    X, y = random_problem(300, 4, seed=1)
    settings = dict(learning_rate=stable_learning_rate(X, options.get("reduction", "mean")), epochs=60)
    settings.update(options)
    result, reference = both(X, y, **settings)
    assert (result.epochs_run, result.converged) == (reference.epochs_run, reference.converged)
    assert_agree(result, reference)


def test_newton_centres_a_feature_far_from_0_as_the_reference_does():
    X, y = random_problem(1000, 2, seed=4)
    X = X + np.array([1e6, 0.0])  # the dask array's mean is summed by blocks: the centre may differ in its last bits
    result, reference = both(da.from_array(X, chunks=(300, 2)), y, solver="newton")
    assert result.converged and reference.converged
    assert_agree(result, reference)


def test_standardize_centres_a_constant_feature_to_0_as_the_reference_does():
    X, y = random_problem(1000, 2, seed=5)
    X = np.column_stack([X, np.full(1000, 3.7)])  # its statistics summed by blocks: still exactly constant
    result, reference = both(da.from_array(X, chunks=(300, 3)), y, standardize=True)
    assert result.weights[2] == reference.weights[2] == 0.0
    assert_agree(result, reference)


def test_newton_warns_of_quasi_complete_separation_as_the_reference_does():
    X = np.array([[0.0], [0.0], [1.0], [1.0]] * 50)  # the x = 1 rows all labelled 1, the x = 0 rows both labels
    y = np.array([0, 1, 1, 1] * 50)
    with pytest.warns(fastlogreg.ConvergenceWarning, match="quasi-complete separation"):
        result, reference = both(da.from_array(X, chunks=(60, 1)), da.from_array(y, chunks=60), solver="newton")
    assert not result.converged and not reference.converged
    assert_agree(result, reference)


@pytest.mark.parametrize(
    "X, y, error, message",
    [
        (
            da.from_array(np.array([[1.0, np.nan], [2.0, 3.0]]), chunks=1),
            [0, 1],
            ValueError,
            "X contains NaN or infinity",
        ),
        (
            da.ones((4, 2), chunks=2),
            da.from_array(np.array([0, 1, 2, 1]), chunks=2),
            ValueError,
            "only 0 and 1 labels, found 2",
        ),
        (da.ones((4, 2), chunks=2), da.zeros(3, chunks=2), ValueError, "X has 4 rows, y has 3"),
        (da.ones((4,), chunks=2), [0, 1, 0, 1], ValueError, "X must be 2-D"),
        (da.ones((4, 2), chunks=2) * 1j, [0, 1, 0, 1], ValueError, "Complex data not supported"),
    ],
)
def test_bad_dask_input_gets_the_same_errors(X, y, error, message):
    with pytest.raises(error, match=message):
        fastlogreg.train(X, y, backend="dask", solver="gd", epochs=2)


def test_float16_blocks_whose_sum_overflows_are_checked_without_a_warning():
    # the finiteness check runs in dask's threads, where np.errstate set around it would not reach
    X = da.from_array(np.full((100, 2), 3000.0, dtype=np.float16), chunks=50)  # sums past float16's 65504
    y = np.arange(100) % 2
    reference = fastlogreg.train(np.full((100, 2), 3000.0), y, backend="python", solver="gd", learning_rate=1e-9)
    result = fastlogreg.train(X, y, backend="dask", solver="gd", learning_rate=1e-9)
    assert_agree(result, reference)


def test_a_child_forked_after_its_parent_trained_on_dask_trains_there_too():
    # dask's local threads live in module globals that a fork()ed child inherits without the threads:
    # its first computation waited forever (so the wait has a deadline)
    code = """
        import multiprocessing
        import numpy as np
        import fastlogreg
        from fastlogreg.data import make_nba_like

        def fit(seed):
            X, y = make_nba_like(10_000, random_state=seed)
            return fastlogreg.train(X, y, backend="dask").weights

        if __name__ == "__main__":
            expected = [fit(seed) for seed in (1, 2)]  # in the main thread, as the hang needed
            with multiprocessing.get_context("fork").Pool(2) as pool:
                children = pool.map_async(fit, [1, 2]).get(timeout=60)
            for mine, theirs in zip(expected, children):
                np.testing.assert_array_equal(mine, theirs)
            print("ok")
    """
    done = run_python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_diverging_run_raises_without_runtime_warnings():
    # pytest turns warnings into errors here, so a RuntimeWarning from the update would fail this test
    X, y = make_nba_like(2000)
    with pytest.raises(FloatingPointError, match="learning_rate=5"):
        fastlogreg.train(X, y, backend="dask", learning_rate=5.0, epochs=30)


def test_dask_input_to_other_backends_is_gathered():
    X, y = make_nba_like(1000)
    gathered = fastlogreg.train(
        da.from_array(X, chunks=300), da.from_array(y, chunks=300), backend="numpy", solver="gd", epochs=5
    )
    np.testing.assert_array_equal(
        gathered.weights, fastlogreg.train(X, y, backend="numpy", solver="gd", epochs=5).weights
    )


# --- a real cluster: two worker processes on 127.0.0.1 ------------------------------------------------


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # a free port: None still serves the scheduler's HTTP on 8787, and another
        worker_dashboard_address=None,  # cluster there made distributed warn, which the tests make an error
    )
    client = distributed.Client(cluster, timeout="60s")
    client.wait_for_workers(2, timeout=60)
    yield client
    client.close(timeout=30)
    cluster.close(timeout=30)


def test_cluster_matches_the_reference_and_uses_both_workers(client):
    X, y = make_nba_like(200_000, random_state=4)
    with distributed.get_task_stream(client) as tasks:
        result = fastlogreg.train(X, y, backend="dask", solver="gd", epochs=10)
    assert_agree(result, fastlogreg.train(X, y, backend=REFERENCE, solver="gd", epochs=10))
    kernel_workers = {task["worker"] for task in tasks.data if "block_sums" in str(task["key"])}
    assert kernel_workers == set(client.scheduler_info()["workers"]), kernel_workers


def test_a_killed_worker_does_not_change_the_answer(client):
    X, y = make_nba_like(100_000, random_state=5)
    epochs = 50
    pids = client.run(os.getpid)
    victim = pids[sorted(pids)[0]]
    killed_at = []

    def kill():  # from another thread, while train() is inside one backend call
        os.kill(victim, signal.SIGKILL)
        killed_at.append(time.perf_counter())

    timer = threading.Timer(0.05, kill)

    def start_the_timer(epoch, loss):  # after 10 epochs: the kill lands in the middle of training
        if epoch == 10:
            timer.start()
        return False

    result = fastlogreg.train(
        X, y, backend="dask", solver="gd", epochs=epochs, callback=start_the_timer, callback_every=10
    )
    finished = time.perf_counter()
    timer.join()
    assert killed_at and killed_at[0] < finished, "the kill must land during training"
    assert victim not in client.run(os.getpid).values()  # that process is gone (its nanny may restart one)
    assert result.epochs_run == epochs
    # blocks of epochs change no bit (test_options), so an undisturbed run must give the same bits, once
    # the nanny has restarted the worker (NumPy input is cut into blocks by the number of workers)
    client.wait_for_workers(2, timeout=60)
    np.testing.assert_array_equal(
        result.weights, fastlogreg.train(X, y, backend="dask", solver="gd", epochs=epochs).weights
    )
    assert_agree(result, fastlogreg.train(X, y, backend=REFERENCE, solver="gd", epochs=epochs))


def test_bad_input_on_the_cluster_gets_the_same_errors(client):
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastlogreg.train(da.from_array(np.array([[1.0, np.nan], [2.0, 3.0]]), chunks=1), [0, 1], backend="dask")
    with pytest.raises(ValueError, match="only 0 and 1 labels, found 2"):
        fastlogreg.train(da.ones((4, 2), chunks=2), da.from_array(np.array([0, 1, 2, 1]), chunks=2), backend="dask")


def test_cluster_data_is_sent_once_per_train_call_even_in_blocks(client):
    X, y = make_nba_like(50_000, random_state=6)
    with distributed.get_task_stream(client) as tasks:
        blocked = fastlogreg.train(
            X, y, backend="dask", solver="gd", epochs=20, callback=lambda e, loss: False, callback_every=5
        )
    whole = fastlogreg.train(X, y, backend="dask", solver="gd", epochs=20)
    np.testing.assert_array_equal(blocked.weights, whole.weights)
    block_loads = [t for t in tasks.data if str(t["key"]).startswith("('array-")]
    blocks_per_array = len({str(t["key"]) for t in block_loads})
    assert blocks_per_array == len(block_loads), "each block of X was loaded once, not once per callback block"


def test_newton_on_the_cluster_makes_one_round_trip_per_trial(client, monkeypatch):
    import dask

    X, y = make_nba_like(100_000, n_features=4, random_state=7)
    round_trips = []
    compute = dask.compute

    def counting_compute(*args, **kwargs):
        round_trips.append(1)
        return compute(*args, **kwargs)

    monkeypatch.setattr(dask, "compute", counting_compute)
    result = fastlogreg.train(X, y, backend="dask", solver="newton")
    monkeypatch.undo()
    assert result.converged
    # one pass at the start, then one per line-search trial; here every first (full) step is accepted
    assert len(round_trips) == result.epochs_run + 1
    reference = fastlogreg.train(X, y, backend=REFERENCE, solver="newton")
    np.testing.assert_allclose(result.weights, reference.weights, rtol=1e-9)
    assert result.loss == pytest.approx(reference.loss, rel=1e-12, abs=0)
