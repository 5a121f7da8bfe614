"""Benchmark plumbing. Under ``pytest --benchmark-only`` each case is timed by pytest-benchmark; under a
plain ``pytest`` run each case runs once, untimed and at its smoke size (``Size.smoke``), as a check that
the code being benchmarked gives the right answer."""

import statistics

import pytest
from timing import rounds_for


def pytest_configure(config):
    config.addinivalue_line("markers", "peers: the same training in JAX or PyTorch, for comparison")


@pytest.fixture
def measure(request, benchmark):
    """measure(group, run, epochs): time ``run`` (warm-up round first, so no compilation is timed) for
    ``rounds``, or more where rounds are short (timing.rounds_for)."""
    timing = request.config.getoption("benchmark_only")
    benchmark.disabled = not timing  # disabled, pytest-benchmark calls the function once, untimed

    def measure(group, run, epochs, rounds=7):
        benchmark.group = group
        if timing:
            rounds = rounds_for(run, rounds)  # it warms up too
        result = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0 if timing else 1)
        if timing:
            benchmark.extra_info["epochs"] = epochs
            benchmark.extra_info["epochs_per_s"] = epochs / benchmark.stats.stats.median
        return result

    return measure


@pytest.fixture
def size(request):
    """A case's Size (parametrized with indirect=["size"]): in full when timing, its smoke size otherwise."""
    return request.param if request.config.getoption("benchmark_only") else request.param.smoke()


@pytest.fixture
def measure_in_own_process(request, benchmark):
    """measure_in_own_process(group, run, epochs): ``run(rounds, more_if_short)`` times at least
    ``rounds`` rounds in another process (more where they are short, when timing: timing.rounds_for)
    and returns (seconds per round, result). The rate reported is from those rounds; pytest-benchmark's
    own figure for the case is the whole child process (start-up and compilation included)."""
    timing = request.config.getoption("benchmark_only")
    benchmark.disabled = not timing

    def measure(group, run, epochs, rounds=7):
        benchmark.group = group
        seconds, result = benchmark.pedantic(run, args=(rounds if timing else 1, timing), rounds=1, iterations=1)
        if timing:
            benchmark.extra_info["epochs"] = epochs
            benchmark.extra_info["epochs_per_s"] = epochs / statistics.median(seconds)
            benchmark.extra_info["own_process"] = True
        return result

    return measure
