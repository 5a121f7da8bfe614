"""Timing helpers shared by the benchmarks and bench/scaling.py."""

import math
import time

# Short rounds are timed more often: on a shared virtual machine the median of 7 half-millisecond rounds
# (12 x 3) moved by a third from run to run. Rounds that fill less than this together are added, up to
# MAX_ROUNDS (so a half-millisecond case gets 301 rounds, about 0.15 s).
TARGET_TIMED_SECONDS = 0.5
MAX_ROUNDS = 301


def rounds_for(run, minimum):
    """How many rounds to time ``run`` for: at least ``minimum``, more where that many would fill less than
    TARGET_TIMED_SECONDS. Calls ``run`` twice: a warm-up (compilation), then the round it measures."""
    run()
    start = time.perf_counter()
    run()
    seconds = max(time.perf_counter() - start, 1e-9)
    return max(minimum, min(MAX_ROUNDS, math.ceil(TARGET_TIMED_SECONDS / seconds)))


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

    import numba  # here, not at the top: the peers' processes import this module and must not load numba

    def run_on_threads():
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            return run()
        finally:
            numba.set_num_threads(before)

    return run_on_threads
