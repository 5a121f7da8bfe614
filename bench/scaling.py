"""Many cores: the numba backend's thread scaling next to the memory floor's, and its speed against the
NumPy backend and JAX and PyTorch on the CPU, on the machine at hand (issue 9's many-core goal).

    python bench/scaling.py                                    # 1, 2, 4, ... threads, up to all
    python bench/scaling.py --threads 1,8,16 --sizes 1M,wide --json scaling.json

In every round, numba's training and the floor (bench/floor.py, one read of X per pass) run in turn at each
thread count; a speed-up is the median over rounds of (1 thread's time / T threads'). Issue 9's goal:
numba's speed-up from 1 to N threads is at least 0.8 of the floor's. At all threads, the NumPy backend
and the peers (each peer in a process of its own, on the CPU) do the same training, checked against the
NumPy backend's weights to 1e-9.
"""

import argparse
import json
import os
import statistics
import sys

import numba
import numpy as np
from cases import Size, dataset
from floor import read_once
from timing import on_threads, time_in_turn

import fastlogreg

SIZES = {
    size.name: size
    for size in [
        Size("1M", 1_000_000, 3, 20),
        Size("wide", 100_000, 64, 30, learning_rate=0.001),
        Size("10M", 10_000_000, 3, 10),
    ]
}


def thread_counts(most):
    counts = [1]
    while counts[-1] * 2 < most:
        counts.append(counts[-1] * 2)
    return counts + [most] if most > 1 else counts


def scaling(size, threads, rounds):
    """{threads: {"numba": s, "floor": s, "numba speed-up": x, "floor speed-up": x}} and numba's weights."""
    X, y = dataset(size)

    def train():
        return fastlogreg.train(X, y, backend="numba", learning_rate=size.learning_rate, epochs=size.epochs).weights

    def read():  # as many reads as training makes passes: one per epoch, one for the final loss
        for _ in range(size.epochs + 1):
            read_once(X)

    contenders = {}
    for count in threads:
        contenders[("numba", count)] = on_threads(count, train)
        contenders[("floor", count)] = on_threads(count, read)
    seconds, results = time_in_turn(contenders, rounds)
    table = {}
    for count in threads:
        table[count] = {name: statistics.median(seconds[(name, count)]) for name in ("numba", "floor")}
        for name in ("numba", "floor"):
            table[count][f"{name} speed-up"] = statistics.median(
                one / many for one, many in zip(seconds[(name, threads[0])], seconds[(name, count)], strict=True)
            )
    return table, results[("numba", threads[-1])]


def contenders_at_all_threads(size, rounds):
    """{name: median seconds per round} for the NumPy backend and each installed peer, and NumPy's weights."""
    from peers import time_in_own_process

    X, y = dataset(size)
    seconds, results = time_in_turn(
        {"numpy": lambda: fastlogreg.train(X, y, backend="numpy", learning_rate=size.learning_rate,
                                           epochs=size.epochs).weights},
        min(rounds, 3),  # NumPy takes seconds a round
    )  # fmt: skip
    times = {"numpy": statistics.median(seconds["numpy"])}
    for peer in ("jax", "torch"):
        try:
            peer_seconds, weights = time_in_own_process(peer, size, min(rounds, 3))
        except RuntimeError as error:  # not installed, or no CPU build: say so and go on
            print(f"  {peer}: skipped ({str(error).strip().splitlines()[-1]})", file=sys.stderr)
            continue
        np.testing.assert_allclose(weights, results["numpy"], rtol=1e-9)
        times[peer] = statistics.median(peer_seconds)
    return times, results["numpy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", help="comma-separated thread counts (default: 1, 2, 4, ... all)")
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # the peers' children: a CPU comparison, GPU or not
    threads = [int(t) for t in args.threads.split(",")] if args.threads else thread_counts(numba.get_num_threads())
    report = {"threads available": numba.get_num_threads(), "threading layer": None, "sizes": {}}
    for name in args.sizes.split(","):
        size = SIZES[name]
        table, weights = scaling(size, threads, args.rounds)
        report["threading layer"] = numba.threading_layer()
        others, numpy_weights = contenders_at_all_threads(size, args.rounds)
        np.testing.assert_allclose(weights, numpy_weights, rtol=1e-9)
        report["sizes"][size.label] = {"epochs": size.epochs, "threads": table, "at all threads": others}
        print(f"\n{size.label}, {size.epochs} epochs a round, median of {args.rounds} rounds")
        print(f"{'threads':>7} {'numba ep/s':>11} {'floor/s':>9} {'numba x':>8} {'floor x':>8} "
              f"{'x / x':>6} {'epoch/floor':>11}")  # fmt: skip
        for count, row in table.items():
            print(
                f"{count:>7} {size.epochs / row['numba']:>11.1f} {(size.epochs + 1) / row['floor']:>9.1f} "
                f"{row['numba speed-up']:>8.2f} {row['floor speed-up']:>8.2f} "
                f"{row['numba speed-up'] / row['floor speed-up']:>6.2f} {row['numba'] / row['floor']:>11.2f}"
            )
        best = table[threads[-1]]["numba"]
        print("  at all threads, numba is " + ", ".join(f"{t / best:.2f}x {n}" for n, t in others.items()))
    print(f"\nnumba threading layer: {report['threading layer']}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(report, file, indent=1)


if __name__ == "__main__":
    main()
