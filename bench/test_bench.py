"""Epochs per second of every backend (and of JAX, PyTorch and the memory floor) at each size.

pytest --benchmark-only                         time everything, one table per size
pytest --benchmark-only --benchmark-json=b.json && python bench/report.py b.json
"""

import functools

import numpy as np
import pytest
from cases import SIZES, backends_for, dataset

import fastlogreg


@functools.cache
def reference_weights(size):
    X, y = dataset(size)
    return fastlogreg.train(X, y, backend="numpy", learning_rate=size.learning_rate, epochs=size.epochs).weights


CASES = [(size, backend) for size in SIZES for backend in backends_for(size) if backend != "dask"]


@pytest.mark.parametrize("size, backend", CASES, ids=[f"{s.name}-{b}" for s, b in CASES], indirect=["size"])
def test_backend(measure, size, backend):
    X, y = dataset(size)

    def run():
        return fastlogreg.train(X, y, backend=backend, learning_rate=size.learning_rate, epochs=size.epochs).weights

    weights = measure(size.label, run, size.epochs)
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)


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
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-4)


@pytest.mark.parametrize("size", FLOAT32_SIZES, ids=[s.name for s in FLOAT32_SIZES], indirect=True)
def test_memory_floor(measure, size):
    from floor import read_once

    X, _ = dataset(size)

    def run():
        for _ in range(size.epochs):
            total = read_once(X)
        return total

    total = measure(size.label, run, size.epochs)
    assert total == pytest.approx(X.sum(), rel=1e-9)


PEER_SIZES = [size for size in SIZES if size.features == 3 or size.name == "wide"]
PEER_CASES = [(size, peer) for size in PEER_SIZES for peer in ("jax", "torch")]


@pytest.mark.peers
@pytest.mark.parametrize("size, peer", PEER_CASES, ids=[f"{s.name}-{p}" for s, p in PEER_CASES], indirect=["size"])
def test_peer(measure_in_own_process, size, peer):
    pytest.importorskip(peer, reason=f"{peer} not installed: pip install '.[bench]' to compare against it")
    from peers import time_in_own_process

    def run(rounds):
        return time_in_own_process(peer, size, rounds)

    weights = measure_in_own_process(size.label, run, size.epochs)
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)


# Thread scaling at 1M x 3: numba's speed-up from one thread to all should be most of the floor's.
SCALING_SIZES = [size for size in SIZES if size.name == "1M"]


@pytest.mark.parametrize("size", SCALING_SIZES, ids=[s.name for s in SCALING_SIZES])
@pytest.mark.parametrize("what", ["numba", "floor"])
def test_one_thread(measure, size, what):
    import numba
    from floor import read_once

    X, y = dataset(size)

    def run():
        if what == "floor":
            for _ in range(size.epochs):
                read_once(X)
            return None
        return fastlogreg.train(X, y, backend="numba", learning_rate=size.learning_rate, epochs=size.epochs).weights

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        weights = measure(size.label, run, size.epochs)
    finally:
        numba.set_num_threads(threads)
    if what == "numba":
        np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="dask not installed: pip install '.[dask]'")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
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
