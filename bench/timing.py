"""Timing helpers shared by the benchmarks and bench/scaling.py."""

import time

import numba


def time_in_turn(contenders, rounds):
    """({name: [seconds of each round]}, {name: its last result}): every round runs each contender once,
    in turn, after a warm-up round. On a shared machine the speed of memory drifts within minutes, so
    contenders timed in turn compare where contenders timed minutes apart do not."""
    seconds, results = {name: [] for name in contenders}, {}
    for _ in range(rounds + 1):
        for name, run in contenders.items():
            start = time.perf_counter()
            results[name] = run()
            seconds[name].append(time.perf_counter() - start)
    return {name: times[1:] for name, times in seconds.items()}, results


def on_threads(threads, run):
    """``run`` as a function that runs on ``threads`` of numba's threads, and restores the number after."""

    def run_on_threads():
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            return run()
        finally:
            numba.set_num_threads(before)

    return run_on_threads
