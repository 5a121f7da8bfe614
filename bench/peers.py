"""The same full-batch training in JAX and in PyTorch, for comparison (on the CPU; PyTorch on the GPU too,
for bench/test_gpu.py): mean BCE on the raw score, the loss recorded every epoch, the gradient X^T (p - y) / n,
plain gradient-descent steps."""

import numpy as np


def jax_trainer(X, y, learning_rate, epochs):
    """A compiled ``train()`` equivalent: jax.jit around a lax.fori_loop over the epochs."""
    import jax

    jax.config.update("jax_enable_x64", True)  # float64, like the other backends
    import jax.numpy as jnp

    X, y = jnp.asarray(X), jnp.asarray(y, dtype=jnp.float64)
    n = X.shape[0]

    @jax.jit
    def train(w, b):
        def epoch(k, state):
            w, b, history = state
            z = X @ w + b
            history = history.at[k].set(jnp.mean(jax.nn.softplus(z) - y * z))
            residual = (jax.nn.sigmoid(z) - y) / n
            return w - learning_rate * (residual @ X), b - learning_rate * residual.sum(), history

        return jax.lax.fori_loop(0, epochs, epoch, (w, b, jnp.zeros(epochs)))

    w0, b0 = jnp.zeros(X.shape[1]), jnp.float64(0.0)
    train(w0, b0)[2].block_until_ready()  # compile outside the timed rounds

    def run():
        w, b, history = train(w0, b0)
        history.block_until_ready()
        return np.asarray(w), float(b), np.asarray(history)

    return run


def torch_trainer(X, y, learning_rate, epochs, device="cpu"):
    """Eager PyTorch on ``device`` ("cpu" or "cuda"), float64, gradients written out (no autograd overhead).
    The bias stays a tensor on the device: reading it back every epoch would wait for the GPU each time."""
    import torch

    X, y = (
        torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64)).to(device),
        torch.from_numpy(np.asarray(y, dtype=np.float64)).to(device),
    )
    n = X.shape[0]

    def run():
        w = torch.zeros(X.shape[1], dtype=torch.float64, device=device)
        b = torch.zeros((), dtype=torch.float64, device=device)
        history = torch.empty(epochs, dtype=torch.float64, device=device)
        with torch.no_grad():
            for k in range(epochs):
                z = X @ w + b
                history[k] = torch.mean(torch.nn.functional.softplus(z) - y * z)
                residual = (torch.sigmoid(z) - y) / n
                w = w - learning_rate * (residual @ X)
                b = b - learning_rate * residual.sum()
        return w.cpu().numpy(), float(b), history.cpu().numpy()  # copies back: the device has finished

    return run


PEERS = {"jax": jax_trainer, "torch": torch_trainer}


def time_in_own_process(peer, size, rounds, *, more_if_short=False):
    """Run ``peer`` on the case ``size`` in a fresh Python process and return its round times and weights:
    ``rounds`` rounds, or more where they are short with ``more_if_short`` (as timing.rounds_for gives
    the backends in the suite), after a warm-up round.

    Each peer gets a process of its own: JAX's and PyTorch's thread pools stay alive (and may spin)
    after a call, which has slowed numba several-fold when they shared its process. It runs on the CPU,
    like the backends it is compared with: a JAX built for CUDA would otherwise pick the GPU (PyTorch
    stays on the CPU unless asked); bench/test_gpu.py compares GPUs.
    """
    import dataclasses
    import json
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    done = subprocess.run(
        [sys.executable, os.path.join(here, "peers.py"), peer, json.dumps(dataclasses.asdict(size)), str(rounds)]
        + (["more-if-short"] if more_if_short else []),
        capture_output=True,
        text=True,
        check=False,
        cwd=here,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{peer} on {size.label} failed:\n{done.stderr}")
    result = json.loads(done.stdout.splitlines()[-1])
    return result["seconds"], np.array(result["weights"])


def _main(peer, size_fields, rounds, *flags):
    import json
    import time

    from cases import Size, dataset
    from timing import rounds_for

    size = Size(**json.loads(size_fields))  # as the parent has it: full size, or its smoke size
    X, y = dataset(size)
    run = PEERS[peer](X, y, size.learning_rate, size.epochs)
    if "more-if-short" in flags:
        rounds = rounds_for(run, int(rounds))  # warm-up round included
    else:
        run()  # warm-up round (PyTorch's first call, caches)
    seconds = []
    for _ in range(int(rounds)):
        start = time.perf_counter()
        weights, _, _ = run()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "weights": np.asarray(weights).tolist()}))


if __name__ == "__main__":
    import sys

    _main(*sys.argv[1:])
