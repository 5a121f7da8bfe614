"""Turn a ``pytest bench --benchmark-only --benchmark-json=FILE`` run into the README's tables.

    python bench/report.py FILE

Epochs per second come from each case's median round (JAX and PyTorch run in processes of their own);
every ratio compares cases of the same run, and is set next to issue 9's goal for it.
"""

import json
import re
import sys

CASE = re.compile(r"test_(backend|numba_float32|memory_floor|peer|dask_cluster)(?:\[(?:([^-\]]+))(?:-(\w+))?\])?")
COLUMNS = ["python", "numpy", "numba", "numba float32", "dask, 2 workers", "jax", "torch", "read X once"]


def column_name(test_name):
    """The table column of a CPU case; None for cases the table does not show (the GPU group's)."""
    case = CASE.match(test_name)
    if case is None:
        return None
    kind, _, second = case.groups()
    return {
        "backend": second,
        "numba_float32": "numba float32",
        "memory_floor": "read X once",
        "peer": second,
        "dask_cluster": "dask, 2 workers",
    }[kind]


def rows(group):
    return int(group.split()[0].replace(",", ""))


GOALS = {  # issue 9's "What must be true", per shape
    "1,000,000 x 3": {"floor": 2.0, "numpy": 10, "peer": 4, "float32": 1.5, "threads": 0.8},
    "100,000 x 64": {"floor": 1.3, "peer": 3},
    "12 x 3": {"numpy": 100, "jax": 3},
}


INTERLEAVED = {  # test_interleaved_ratios' ratios: each the median over rounds that ran every contender in turn
    "floor": ("epoch time / one read of X", True),
    "float32": ("numba float32 speed / float64", False),
    "threads": ("numba's speed-up, 1 thread to all / the floor's", False),
}


def ratio_lines(table, interleaved):
    """(shape, ratio, measured, goal, met) for each ratio issue 9 asks for."""
    return [
        line
        for group, goal in GOALS.items()
        for line in _group_ratios(group, goal, table.get(group, {}), interleaved.get(group, {}))
    ]


def _group_ratios(group, goal, rates, interleaved):
    lines = []

    def add(key, what, measured, at_most=False):
        met = measured <= goal[key] if at_most else measured >= goal[key]
        lines.append((group, what, measured, f"{'<=' if at_most else '>='} {goal[key]}", met))

    def add_rates(key, what, numerator, denominator):
        if key in goal and rates.get(numerator) and rates.get(denominator):
            add(key, what, rates[numerator] / rates[denominator])

    add_rates("numpy", "numba / numpy", "numba", "numpy")
    peers = [peer for peer in ("jax", "torch") if rates.get(peer)]
    if peers:
        best = max(peers, key=rates.get)
        add_rates("peer", f"numba / best peer ({best})", "numba", best)
    add_rates("jax", "numba / jax", "numba", "jax")
    for key, (what, at_most) in INTERLEAVED.items():
        if key in goal and key in interleaved:
            add(key, what, interleaved[key], at_most)
    return lines


def main(path):
    with open(path) as file:
        run = json.load(file)
    table, interleaved, optimum = {}, {}, []
    for bench in run["benchmarks"]:
        if bench["name"].startswith("test_time_to_optimum"):
            optimum.append(bench)
        elif bench["name"].startswith("test_interleaved_ratios"):
            interleaved[bench["group"]] = bench["extra_info"]["ratios"]
        elif column_name(bench["name"]) is not None:
            table.setdefault(bench["group"], {})[column_name(bench["name"])] = bench["extra_info"]["epochs_per_s"]
    print("Epochs per second (median round):\n")
    print("| rows x features | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for group, rates in sorted(table.items(), key=lambda item: rows(item[0])):
        cells = [f"{rates[c]:,.0f}" if c in rates else "" for c in COLUMNS]
        print(f"| {group} | " + " | ".join(cells) + " |")
    print("\nThe goals of issue 9:\n")
    print("| rows x features | ratio | measured | goal | met |")
    print("|---|---|---|---|---|")
    for group, what, measured, goal, met in ratio_lines(table, interleaved):
        print(f"| {group} | {what} | {measured:.2f} | {goal} | {'yes' if met else 'no'} |")
    if optimum:
        print_time_to_optimum(optimum)
    machine = run.get("machine_info", {})
    cpu = machine.get("cpu", {})
    flags = set(cpu.get("flags", []))
    width = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    print(
        f"\n{cpu.get('brand_raw', '')} ({width}), {cpu.get('count', '')} cores, "
        f"Python {machine.get('python_version', '')}, commit {run.get('commit_info', {}).get('id', '')[:10]}"
    )


def print_time_to_optimum(benchmarks):
    """Seconds to the optimum (median round), iterations, the objective's gap to the best one found, and
    the speed-up over scikit-learn's fastest solver on the same data."""
    groups = {}
    for bench in benchmarks:
        contender = re.search(r"-(\S+?)\]$", bench["name"]).group(1)
        groups.setdefault(bench["group"], {})[contender] = bench
    print("\nTime to the optimum:\n")
    print("| data | contender | seconds | iterations | objective gap | speed-up over scikit-learn's fastest |")
    print("|---|---|---|---|---|---|")
    for group, contenders in groups.items():
        seconds = {name: bench["stats"]["median"] for name, bench in contenders.items()}
        sklearn = min((s for name, s in seconds.items() if name.startswith("sklearn")), default=None)
        for name, bench in sorted(contenders.items(), key=lambda item: seconds[item[0]]):
            info = bench["extra_info"]
            speedup = f"{sklearn / seconds[name]:.1f}x" if sklearn and not name.startswith("sklearn") else ""
            print(
                f"| {group.removeprefix('time to optimum, ')} | {name} | {seconds[name]:.3g} | {info['iterations']} "
                f"| {info['objective_gap']:.1e} | {speedup} |"
            )


if __name__ == "__main__":
    main(sys.argv[1])
