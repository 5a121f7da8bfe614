"""Turn a ``pytest --benchmark-only --benchmark-json=FILE`` run into the README's tables.

    python bench/report.py FILE

Epochs per second come from each case's median round; every ratio compares cases of the same run.
"""

import json
import re
import sys

CASE = re.compile(r"test_(backend|numba_float32|memory_floor|peer|dask_cluster)(?:\[(?:[^-\]]+)(?:-(\w+))?\])?")


def column_name(test_name):
    kind, which = CASE.match(test_name).groups()
    return {
        "backend": which,
        "numba_float32": "numba float32",
        "memory_floor": "read X once",
        "peer": which,
        "dask_cluster": "dask, 2 workers",
    }[kind]


def main(path):
    with open(path) as file:
        run = json.load(file)
    table = {}
    for bench in run["benchmarks"]:
        table.setdefault(bench["group"], {})[column_name(bench["name"])] = bench["extra_info"]["epochs_per_s"]
    columns = ["python", "numpy", "numba", "numba float32", "dask, 2 workers", "jax", "torch", "read X once"]
    print("| rows x features | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for group, rates in sorted(table.items(), key=lambda item: int(item[0].split()[0].replace(",", ""))):
        cells = [f"{rates[c]:,.0f}" if c in rates else "" for c in columns]
        print(f"| {group} | " + " | ".join(cells) + " |")
    print()
    print(
        "| rows x features | numba / numpy | numba / best of JAX, PyTorch "
        "| read-X-once / numba (epoch time vs floor) | numba float32 / float64 |"
    )
    print("|---|---|---|---|---|")
    for group, rates in table.items():
        numba = rates["numba"]
        peers = [rates[p] for p in ("jax", "torch") if p in rates]
        cells = [
            f"{numba / rates['numpy']:.1f}x",
            f"{numba / max(peers):.2f}x" if peers else "",
            f"{rates['read X once'] / numba:.2f}x" if "read X once" in rates else "",
            f"{rates['numba float32'] / numba:.2f}x" if "numba float32" in rates else "",
        ]
        print(f"| {group} | " + " | ".join(cells) + " |")
    machine = run.get("machine_info", {})
    print(
        f"\n{machine.get('cpu', {}).get('brand_raw', '')}, {machine.get('cpu', {}).get('count', '')} cores, "
        f"Python {machine.get('python_version', '')}, commit {run.get('commit_info', {}).get('id', '')[:10]}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
