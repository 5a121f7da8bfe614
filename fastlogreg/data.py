"""Reading data: the bundled 12-row tutorial table and CSV files laid out like it."""

from __future__ import annotations

import csv
import importlib.resources
import math
import numbers
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NBA_ROOKIE_DRAFT = "nba_rookie_draft.csv"
# The labelling model of make_nba_like: about what gradient descent finds on the 12 rows.
NBA_LIKE_WEIGHTS = (-0.2, 0.34, 0.42)
NBA_LIKE_BIAS = -0.64


@dataclass(frozen=True)
class Table:
    """A file's features, labels and column names."""

    # A CSV's are float64 arrays; a .npy file's are read-only memory maps of the file's own numeric dtype.
    X: np.ndarray  # (n, d)
    y: np.ndarray | None  # (n,), as written in the file (train() checks it is 0/1); None: no label
    feature_names: list[str]
    label_name: str | None
    lines: list[int] | None = None  # the file's line number of each row (a CSV's), for messages


class DataWarning(UserWarning):
    """A file was read one way where it may have meant another (a first row of numbers read as names)."""


def load_nba_rookie_draft() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's 12 rookies: X = (avg_score, rebound, asist), y = drafted (1) or not (0)."""
    table = read_csv(bundled_path(NBA_ROOKIE_DRAFT))
    assert table.y is not None  # read_csv's default, labelled=True, always reads a label column
    return table.X, table.y


def make_nba_like(
    n_rows: int,
    *,
    n_features: int = 3,
    random_state: int | np.random.Generator | None = 0,
    dtype: str = "float64",
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic rows that look like the tutorial's, any number of them: ``(X, y)``.

    Each row is one of the 12 rookies, drawn at random, with Gaussian noise (standard deviation 1)
    added to every feature. Column j repeats the tutorial's column j % 3, so ``n_features`` may be
    anything from 1 up. Labels are drawn from a fixed logistic model, P(y = 1) = sigmoid(z) with
    z = -0.2 avg_score + 0.34 rebound + 0.42 asist - 0.64 on the first three columns (only the
    columns that exist count), so the problem is learnable but not separable.

    Deterministic for a given ``random_state`` (an int seed or a ``numpy.random.Generator``).
    X is C-ordered of the given dtype ("float64" or "float32"); y is float64 0/1.
    """
    from .validation import check_dtype, count  # local: validation imports this package's backends

    n_rows, n_features = count(n_rows, "n_rows", minimum=1), count(n_features, "n_features", minimum=1)
    dtype = check_dtype(dtype)
    wrong_type = f"random_state must be None, an int or a numpy.random.Generator, got {random_state!r}"
    if isinstance(random_state, (bool, np.bool_)):  # as train() refuses one: a flag, not a seed
        raise TypeError(wrong_type)
    if isinstance(random_state, numbers.Integral) and not 0 <= int(random_state) < 2**128:
        raise ValueError(f"random_state must be a non-negative int (or a Generator), got {random_state}")
    try:  # and whatever else numpy's default_rng takes (a SeedSequence, a BitGenerator)
        rng = np.random.default_rng(random_state)
    except (TypeError, ValueError):  # a float or a string: numpy's message names neither random_state nor us
        raise TypeError(wrong_type) from None
    rookies, _ = load_nba_rookie_draft()
    base = rookies[:, np.arange(n_features) % rookies.shape[1]]
    X = base[rng.integers(0, len(base), size=n_rows)]
    X += rng.standard_normal(X.shape)
    k = min(n_features, len(NBA_LIKE_WEIGHTS))
    z = X[:, :k] @ np.array(NBA_LIKE_WEIGHTS[:k]) + NBA_LIKE_BIAS
    y = (rng.random(n_rows) * (1.0 + np.exp(-z)) < 1.0).astype(np.float64)  # u < sigmoid(z), no division
    return X.astype(dtype, copy=False), y


def bundled_path(name: str) -> Path:
    """Where a bundled data file is: inside the installed package, or data/ in a source checkout."""
    try:
        return Path(str(importlib.resources.files("fastlogreg.bundled") / name))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "data" / name


def read_npy(features_path, labels_path=None) -> Table:
    """Features (and labels) from ``.npy`` files, memory-mapped: X is read from disk as training
    needs it, never copied whole into memory. Columns are named x0, x1, ...; the label y. Any numeric
    dtype is read as it is (train() converts it); labels of shape (n, 1) are read as (n,)."""
    X = _load_npy(features_path)
    if X.ndim != 2:
        raise ValueError(f"{features_path}: features must be 2-D (rows x features), got shape {X.shape}")
    y = None if labels_path is None else _load_npy(labels_path)
    if y is not None and y.ndim == 2 and y.shape[1] == 1:  # a column, as train() takes it: one label per row
        y = y[:, 0]  # a view of the memory map, not a copy
    if y is not None and y.ndim != 1:
        raise ValueError(f"{labels_path}: labels must have shape (n,) or (n, 1), one per row, got shape {y.shape}")
    names = [f"x{j}" for j in range(X.shape[1])]
    return Table(X=X, y=y, feature_names=names, label_name=None if y is None else "y")


_NPY_MAGIC = b"\x93NUMPY"


def _load_npy(path):
    with open(path, "rb") as file:
        start = file.read(len(_NPY_MAGIC))
    if start != _NPY_MAGIC:  # np.load would try it as a pickle (and say so) or open a .npz archive
        raise ValueError(f"{path}: not a numeric .npy file ({_what_else(path, start)})")
    try:
        array = np.load(path, mmap_mode="r")  # allow_pickle stays False: numbers only, nothing executed
    except (ValueError, EOFError) as error:  # e.g. an object array, or a header cut short
        raise ValueError(f"{path}: not a numeric .npy file ({error})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{path}: not a numeric .npy file (its values are {array.dtype})")
    return array


def _what_else(path, start: bytes) -> str:
    if not start:
        return "the file is empty"
    if start.startswith(b"PK"):
        return "a .npz archive; save one array with numpy.save"
    if Path(path).suffix.lower() in {".csv", ".txt"}:
        return "no .npy header: a CSV? read it with read_csv; on the command line, fastlogreg train DATA.csv"
    return "no .npy header; write one with numpy.save"


def read_csv(path, *, labelled: bool = True) -> Table:
    """A CSV with a header row, numeric feature columns first and (if ``labelled``) the 0/1 label last.

    Every mistake is a ValueError naming the file and the line: a column without a name, a cell that is not
    a finite number, a label other than 0 or 1, a row of the wrong width, a field past the csv module's size
    limit, a quote left open or followed by anything but a comma or the line's end. A first row of numbers
    is read as the names (pandas writes 0, 1, 2 for unnamed columns), with a warning, since it may be a
    data row of a file without a header.
    """
    path = Path(path)
    if path.suffix.lower() == ".npy":
        raise ValueError(f"{path}: a .npy file, not a CSV; give .npy files as --x FEATURES.npy --y LABELS.npy")
    rows, start = [], 1  # each row with the line it starts on (a quoted field may span lines)
    with path.open(newline="", encoding="utf-8-sig") as file:  # -sig: a spreadsheet's BOM is not a name
        # strict: a quote still open at the end of the file, or anything but a comma or the line's end
        # after a closing quote ("1"2, and "1" followed by a space too), is an error; the lenient default
        # mends them silently, into 1 and 12
        reader = csv.reader(file, strict=True)
        try:
            for row in reader:
                if row:
                    rows.append((start, row))
                start = reader.line_num + 1
        except csv.Error as error:  # a quote left open, or text after a closing one
            raise ValueError(
                f"{path}, line {start}: not a readable CSV row ({error}): a quote left open, or text or a "
                "space after a closing quote?"
            ) from None
        except UnicodeDecodeError:
            raise ValueError(f"{path}, line {start}: not UTF-8 text; is it a CSV?") from None
    if not rows:
        raise ValueError(f"{path}: the file is empty; expected a header row and data rows")
    header, body = [name.strip() for name in rows[0][1]], rows[1:]
    if all(_is_number(name) for name in header):  # names like pandas' 0, 1, 2, or a data row: say which it was read as
        warnings.warn(
            f"{path}, line {rows[0][0]}: every field is a number ({', '.join(header)}); read as the columns' names, "
            "not as data. If it is data, add a header row naming the columns",
            DataWarning,
            stacklevel=2,
        )
    if "" in header:  # its cells would go into training unnamed, or fail as "='' is not a number"
        column = header.index("") + 1
        raise ValueError(
            f"{path}, line {rows[0][0]}: column {column} has no name (a trailing comma? an index written by "
            "pandas' to_csv, which index=False leaves out?)"
        )
    if len(header) < 1 + labelled:
        needed = "one feature column and a label column" if labelled else "one feature column"
        raise ValueError(f"{path}: need at least {needed}, found {len(header)} column")
    if not body:
        raise ValueError(f"{path}: the header has no data rows under it")
    values = np.empty((len(body), len(header)))
    for k, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise ValueError(f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}")
        for column, cell in enumerate(row):
            try:
                values[k, column] = _number(cell)
            except ValueError:
                raise ValueError(f"{path}, line {line}: {header[column]}={cell!r} is not a number") from None
            if not math.isfinite(values[k, column]):
                raise ValueError(f"{path}, line {line}: {header[column]}={cell!r} is not a finite number")
    lines = [line for line, _ in body]
    if not labelled:
        return Table(X=values, y=None, feature_names=header, label_name=None, lines=lines)
    check_csv_labels(path, values[:, -1], header[-1], lines)
    return Table(X=values[:, :-1], y=values[:, -1], feature_names=header[:-1], label_name=header[-1], lines=lines)


def _number(text: str) -> float:
    """A cell's number, as float() reads it; a ValueError for underscores between digits, which float()
    accepts (1_0 is no CSV's 10)."""
    if "_" in text:
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def _is_number(text: str) -> bool:
    try:
        _number(text)
    except ValueError:
        return False
    return True


def label_text(value) -> str:
    """A bad label as written: short where that is exact (2, not 2.0), in full where it is not
    (1.0000000000000002, which ``:g`` would print as the valid label 1)."""
    if isinstance(value, (numbers.Integral, np.bool_)):
        return str(int(value))
    short = f"{value:g}"
    return short if type(value)(short) == value else str(value)  # numpy's str: the shortest exact text


def check_csv_labels(path, labels: np.ndarray, name: str, lines: list[int]) -> None:
    """Labels read from a CSV are 0 or 1; otherwise a ValueError naming the first bad line."""
    bad = (labels != 0) & (labels != 1)
    if bad.any():
        first = int(np.argmax(bad))
        found = ", ".join(map(label_text, np.unique(labels[bad])[:5]))
        raise ValueError(
            f"{path}, line {lines[first]}: {name}={label_text(labels[first])}; the label column must contain "
            f"only 0 and 1 labels, found {found}"
        )
