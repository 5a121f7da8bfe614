"""Epochs per second of every backend (and of JAX, PyTorch and the memory floor) at each size.

pytest --benchmark-only                         time everything, one table per size
pytest --benchmark-only --benchmark-json=b.json && python bench/report.py b.json
"""

import functools
import statistics
import time

import numba
import numpy as np
import pytest
from cases import SIZES, Size, backends_for, dataset
from timing import MAX_ROUNDS, on_threads, rounds_for, time_in_turn

import fastlogreg


def reference_weights(size, judged=None, dtype="float64"):
    """The weights a case's answer must match: the pure-Python reference's, and NumPy's for the reference
    itself, so that no backend is checked against its own answer. With dtype="float32" the reference
    trains on X rounded to float32 too, so that float32 runs are held to the same 1e-9."""
    return _trained_weights(size, "numpy" if judged == "python" else "python", dtype)


@functools.cache  # once per size and dtype (at the timed sizes the reference takes minutes, untimed)
def _trained_weights(size, backend, dtype="float64"):
    X, y = dataset(size)
    settings = dict(learning_rate=size.learning_rate, epochs=size.epochs, dtype=dtype)
    return fastlogreg.train(X, y, backend=backend, **settings).weights


CASES = [(size, backend) for size in SIZES for backend in backends_for(size) if backend != "dask"]


@pytest.mark.parametrize("size, backend", CASES, ids=[f"{s.name}-{b}" for s, b in CASES], indirect=["size"])
def test_backend(measure, size, backend):
    X, y = dataset(size)

    def run():
        return fastlogreg.train(X, y, backend=backend, learning_rate=size.learning_rate, epochs=size.epochs).weights

    weights = measure(size.label, run, size.epochs)
    np.testing.assert_allclose(weights, reference_weights(size, backend), rtol=1e-9)


FLOAT32_SIZES = [size for size in SIZES if size.rows >= 100_000]


@pytest.mark.parametrize("size", FLOAT32_SIZES, ids=[s.name for s in FLOAT32_SIZES], indirect=True)
def test_numba_float32(measure, size):
    X, y = dataset(size)
    X32 = X.astype(np.float32)

    def run():
        return fastlogreg.train(
            X32, y, backend="numba", learning_rate=size.learning_rate, epochs=size.epochs, dtype="float32"
        ).weights

    weights = measure(size.label, run, size.epochs)
    np.testing.assert_allclose(weights, reference_weights(size, dtype="float32"), rtol=1e-9)


@pytest.mark.parametrize("size", FLOAT32_SIZES, ids=[s.name for s in FLOAT32_SIZES], indirect=True)
def test_memory_floor(measure, size):
    from floor import read_once

    X, _ = dataset(size)

    def run():
        for _ in range(size.epochs):
            total = read_once(X)
        return total

    total = measure(size.label, run, size.epochs)
    assert total == pytest.approx(X.sum(), rel=1e-9, abs=0)


PEER_SIZES = [size for size in SIZES if size.features == 3 or size.name == "wide"]
PEER_CASES = [(size, peer) for size in PEER_SIZES for peer in ("jax", "torch")]


@pytest.mark.peers
@pytest.mark.parametrize("size, peer", PEER_CASES, ids=[f"{s.name}-{p}" for s, p in PEER_CASES], indirect=["size"])
def test_peer(measure_in_own_process, size, peer):
    pytest.importorskip(peer, reason=f"{peer} not installed: pip install '.[bench]' to compare against it")
    from peers import time_in_own_process

    def run(rounds, more_if_short):
        return time_in_own_process(peer, size, rounds, more_if_short=more_if_short)

    weights = measure_in_own_process(size.label, run, size.epochs)
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)


# Issue 9's ratios to the floor, of float32 to float64 and of thread scaling. On a shared machine the
# speed of memory drifts by 2x within minutes, so cases timed minutes apart do not compare: each ratio
# here is the median over rounds that each run every contender in turn.
RATIO_SIZES = [size for size in SIZES if size.name in ("1M", "wide")]


@pytest.mark.parametrize("size", RATIO_SIZES, ids=[s.name for s in RATIO_SIZES], indirect=True)
def test_interleaved_ratios(request, benchmark, size):
    from floor import read_per_pass

    X, y = dataset(size)
    X32 = X.astype(np.float32)

    def train(X, dtype):
        return fastlogreg.train(
            X, y, backend="numba", learning_rate=size.learning_rate, epochs=size.epochs, dtype=dtype
        ).weights

    contenders = {
        "numba": lambda: train(X, "float64"),
        "numba float32": lambda: train(X32, "float32"),
        "floor": lambda: read_per_pass(X, size.epochs),
        "numba, 1 thread": on_threads(1, lambda: train(X, "float64")),
        "floor, 1 thread": on_threads(1, lambda: read_per_pass(X, size.epochs)),
    }
    timing = request.config.getoption("benchmark_only")
    benchmark.disabled = not timing
    benchmark.group = size.label
    seconds, results = benchmark.pedantic(time_in_turn, args=(contenders, 7 if timing else 1), rounds=1, iterations=1)
    np.testing.assert_allclose(results["numba"], reference_weights(size), rtol=1e-9)
    np.testing.assert_allclose(results["numba float32"], reference_weights(size, dtype="float32"), rtol=1e-9)
    if timing:
        rounds = [dict(zip(seconds, times, strict=True)) for times in zip(*seconds.values(), strict=True)]
        benchmark.extra_info["ratios"] = {
            "floor": statistics.median(r["numba"] / r["floor"] for r in rounds),
            "float32": statistics.median(r["numba"] / r["numba float32"] for r in rounds),
            "threads": statistics.median(
                (r["numba, 1 thread"] / r["numba"]) / (r["floor, 1 thread"] / r["floor"]) for r in rounds
            ),
        }
        benchmark.extra_info["seconds"] = {name: statistics.median(times) for name, times in seconds.items()}
        benchmark.extra_info["threads"] = numba.get_num_threads()
        benchmark.extra_info["rounds"] = len(rounds)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="dask not installed: pip install '.[dask]'")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # a free port: None still serves the scheduler's HTTP on 8787, and another
        worker_dashboard_address=None,  # cluster there made distributed warn, which the tests make an error
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


DASK_SIZES = [size for size in SIZES if size.name in ("1k", "1M")]  # 1k: all overhead; 1M: the work


@pytest.mark.parametrize("size", DASK_SIZES, ids=[s.name for s in DASK_SIZES], indirect=True)
def test_dask_cluster(measure, dask_client, size):
    X, y = dataset(size)

    def run():
        return fastlogreg.train(X, y, backend="dask", learning_rate=size.learning_rate, epochs=size.epochs).weights

    weights = measure(size.label, run, size.epochs, rounds=3)
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)


def test_short_rounds_are_timed_more_often():
    # untimed: a round of nothing gets the most rounds; one of 0.1 s keeps the minimum (5 would fill 0.5 s)
    calls = []
    assert rounds_for(lambda: calls.append(1), 7) == MAX_ROUNDS
    assert len(calls) == 2  # a warm-up call, then the one it measures
    assert rounds_for(lambda: time.sleep(0.1), 7) == 7


def test_scaling_script_smoke():
    # bench/scaling.py at a small size, untimed: its table covers each thread count, and its answer (the
    # same bits on 1 and 2 threads, checked inside) is the NumPy backend's
    from scaling import scaling

    size = Size("smoke", 30_000, 3, 5)
    table, weights = scaling(size, [1, 2], 1)
    assert sorted(table) == [1, 2] and all(row["numba"] > 0 and row["floor"] > 0 for row in table.values())
    np.testing.assert_allclose(weights, _trained_weights(size, "numpy"), rtol=1e-9)
