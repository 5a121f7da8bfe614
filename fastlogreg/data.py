"""Reading data: the bundled 12-row tutorial table and CSV files laid out like it."""

from __future__ import annotations

import csv
import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NBA_ROOKIE_DRAFT = "nba_rookie_draft.csv"


@dataclass(frozen=True)
class Table:
    """A CSV's features, labels and column names."""

    X: np.ndarray  # (n, d) float64
    y: np.ndarray  # (n,) float64, as written in the file (train() checks it is 0/1)
    feature_names: list[str]
    label_name: str


def load_nba_rookie_draft() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's 12 rookies: X = (avg_score, rebound, asist), y = drafted (1) or not (0)."""
    table = read_csv(bundled_path(NBA_ROOKIE_DRAFT))
    return table.X, table.y


def bundled_path(name: str) -> Path:
    """Where a bundled data file is: inside the installed package, or data/ in a source checkout."""
    try:
        return Path(str(importlib.resources.files("fastlogreg.bundled") / name))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "data" / name


def read_csv(path) -> Table:
    """A CSV with a header row, numeric feature columns first and the 0/1 label column last."""
    path = Path(path)
    with path.open(newline="") as file:
        rows = [row for row in csv.reader(file) if row]
    if not rows:
        raise ValueError(f"{path}: the file is empty; expected a header row and data rows")
    header, body = [name.strip() for name in rows[0]], rows[1:]
    if len(header) < 2:
        raise ValueError(f"{path}: need at least one feature column and a label column, found {len(header)} column")
    if not body:
        raise ValueError(f"{path}: the header has no data rows under it")
    values = np.empty((len(body), len(header)))
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}")
        for column, cell in enumerate(row):
            try:
                values[line - 2, column] = float(cell)
            except ValueError:
                raise ValueError(f"{path}, line {line}: {header[column]}={cell!r} is not a number") from None
    return Table(X=values[:, :-1], y=values[:, -1], feature_names=header[:-1], label_name=header[-1])
