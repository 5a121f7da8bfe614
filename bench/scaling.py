"""Many cores: the numba backend's thread scaling next to the memory floor's, and its speed against the
NumPy backend and JAX and PyTorch on the CPU, on the machine at hand (issue 9's many-core goal).

    python bench/scaling.py                                    # 1, 2, 4, ... threads, up to all
    python bench/scaling.py --threads 1,8,16 --sizes 1M,wide --json scaling.json

In every round, numba's training and the floor (bench/floor.py, one read of X per pass) run in turn at each
thread count; a speed-up is the median over rounds of (1 thread's time / T threads'). Issue 9's goal:
numba's speed-up from 1 to N threads is at least 0.8 of the floor's. Then the NumPy backend and the peers
(each peer in a process of its own, on the CPU, with its own default threads) do the same training,
checked against the NumPy backend's weights to 1e-9; numba's weights must be the same bits at every
thread count.
"""

import argparse
import dataclasses
import json
import statistics
import sys

import numba
import numpy as np
from cases import SIZES as CASE_SIZES
from cases import Size, dataset
from floor import read_per_pass
from peers import time_in_own_process
from timing import on_threads, time_in_turn

import fastlogreg

_CASES = {size.name: size for size in CASE_SIZES}
SIZES = {
    "1M": dataclasses.replace(_CASES["1M"], epochs=20),
    "wide": _CASES["wide"],
    "10M": Size("10M", 10_000_000, 3, 10),
}
OTHERS_ROUNDS = 3  # at most, for NumPy and the peers: NumPy takes seconds a round


def thread_counts(most):
    counts = [1]
    while counts[-1] * 2 < most:
        counts.append(counts[-1] * 2)
    return counts + [most] if most > 1 else counts


def train_with(backend, size):
    X, y = dataset(size)
    return lambda: fastlogreg.train(X, y, backend=backend, learning_rate=size.learning_rate, epochs=size.epochs).weights


def scaling(size, threads, rounds):
    """({threads: {"numba": s, "floor": s, "numba speed-up": x, "floor speed-up": x}}, numba's weights)
    for thread counts ``threads``, which start at 1."""
    X, _ = dataset(size)
    train = train_with("numba", size)

    contenders = {}
    for count in threads:
        contenders[("numba", count)] = on_threads(count, train)
        contenders[("floor", count)] = on_threads(count, lambda: read_per_pass(X, size.epochs))
    seconds, results = time_in_turn(contenders, rounds)
    for count in threads:  # the chunks depend only on the features: the same sums on any number of threads
        np.testing.assert_array_equal(results[("numba", count)], results[("numba", 1)])
    table = {}
    for count in threads:
        table[count] = {name: statistics.median(seconds[(name, count)]) for name in ("numba", "floor")}
        for name in ("numba", "floor"):
            table[count][f"{name} speed-up"] = statistics.median(
                one / many for one, many in zip(seconds[(name, 1)], seconds[(name, count)], strict=True)
            )
    return table, results[("numba", 1)]


def others(size, rounds):
    """{name: median seconds per round} for the NumPy backend and each peer that runs, and NumPy's weights."""
    seconds, results = time_in_turn({"numpy": train_with("numpy", size)}, rounds)
    times = {"numpy": statistics.median(seconds["numpy"])}
    for peer in ("jax", "torch"):
        try:
            peer_seconds, weights = time_in_own_process(peer, size, rounds)
        except RuntimeError as error:  # not installed, no CPU build, or it failed: say which, and go on
            print(f"  {peer} did not run: {str(error).strip().splitlines()[-1]}", file=sys.stderr)
            continue
        np.testing.assert_allclose(weights, results["numpy"], rtol=1e-9)
        times[peer] = statistics.median(peer_seconds)
    return times, results["numpy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", help="comma-separated thread counts (default: 1, 2, 4, ... all); 1 is added")
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args()
    counts = [int(t) for t in args.threads.split(",")] if args.threads else thread_counts(numba.get_num_threads())
    threads = sorted({1, *counts})
    report = {"threads available": numba.get_num_threads(), "sizes": {}}
    for name in args.sizes.split(","):
        size = SIZES[name]
        table, weights = scaling(size, threads, args.rounds)
        times, numpy_weights = others(size, min(args.rounds, OTHERS_ROUNDS))
        np.testing.assert_allclose(weights, numpy_weights, rtol=1e-9)
        report["sizes"][size.label] = {"epochs": size.epochs, "threads": table, "others": times}
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
        print(
            f"  numba on {threads[-1]} threads is "
            + ", ".join(f"{t / best:.2f}x {n}" for n, t in times.items())
            + f" (median of {min(args.rounds, OTHERS_ROUNDS)} rounds, each on its default threads)"
        )
    report["threading layer"] = numba.threading_layer()
    print(f"\nnumba threading layer: {report['threading layer']}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(report, file, indent=1)


if __name__ == "__main__":
    main()
