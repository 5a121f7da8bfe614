"""The GPU group: backend="cuda" against JAX (jit + fori_loop) and PyTorch, both on the same GPU.

Skipped, with the reason, where there is no CUDA GPU. On one: ``pytest bench/test_gpu.py --benchmark-only``.
The issue's goals: >= 1.5x JAX at 1M x 3 and 10M x 3 (float64), >= 50% of the memory bandwidth at
10M x 3 (``extra_info["GB_per_s"]``: X and the labels read once per epoch), not slower than JAX at 12 x 3.
"""

import functools
import importlib.util
import os

import numpy as np
import pytest
from cases import Size, dataset

import fastlogreg

GPU_SIZES = [
    Size("tutorial", 12, 3, 20_000),
    Size("1M", 1_000_000, 3, 2_000),
    Size("10M", 10_000_000, 3, 300),
    Size("1M-wide", 1_000_000, 32, 300, learning_rate=0.001),
]


def _gpu_present() -> bool:
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") != "0" or importlib.util.find_spec("numba_cuda") is None:
        return False
    return "cuda" in fastlogreg.available_backends()


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _gpu_present(), reason="no CUDA GPU here (or numba-cuda not installed)"),
]


@functools.cache
def reference_weights(size):
    """The numba backend's weights (held to the pure-Python reference by tests/test_agreement.py, which at
    these sizes would take minutes a case)."""
    X, y = dataset(size)
    return fastlogreg.train(X, y, backend="numba", learning_rate=size.learning_rate, epochs=size.epochs).weights


def group(size):
    """The GPU cases' benchmark group, apart from the CPU cases' of the same size (bench/test_bench.py)."""
    return f"GPU, {size.label}"


def _record_bandwidth(benchmark, size, itemsize=8):
    if benchmark.stats is not None:
        bytes_per_epoch = size.rows * (size.features * itemsize + 1)
        benchmark.extra_info["GB_per_s"] = bytes_per_epoch * size.epochs / benchmark.stats.stats.median / 1e9


@pytest.mark.parametrize("size", GPU_SIZES, ids=[s.name for s in GPU_SIZES], indirect=True)
def test_cuda(measure, benchmark, size):
    from numba import cuda

    X, y = dataset(size)
    X_gpu = cuda.to_device(np.asfortranarray(X))  # on the GPU once, as a GPU user's data would be

    def run():
        return fastlogreg.train(X_gpu, y, backend="cuda", learning_rate=size.learning_rate, epochs=size.epochs).weights

    weights = measure(group(size), run, size.epochs)
    _record_bandwidth(benchmark, size)
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)


@pytest.mark.peers
@pytest.mark.parametrize("size", GPU_SIZES, ids=[s.name for s in GPU_SIZES], indirect=True)
def test_jax_gpu(measure, size):
    jax = pytest.importorskip("jax", reason="jax not installed: pip install 'jax[cuda12]'")
    if jax.default_backend() != "gpu":
        pytest.skip("this JAX runs on the CPU only: pip install 'jax[cuda12]'")
    from peers import jax_trainer

    X, y = dataset(size)
    weights, _, _ = measure(group(size), jax_trainer(X, y, size.learning_rate, size.epochs), size.epochs)
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)


@pytest.mark.peers
@pytest.mark.parametrize("size", GPU_SIZES, ids=[s.name for s in GPU_SIZES], indirect=True)
def test_torch_cuda(measure, size):
    torch = pytest.importorskip("torch", reason="torch not installed")
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch has no CUDA")
    from peers import torch_trainer

    X, y = dataset(size)
    weights, _, _ = measure(group(size), torch_trainer(X, y, size.learning_rate, size.epochs, "cuda"), size.epochs)
    np.testing.assert_allclose(weights, reference_weights(size), rtol=1e-9)
