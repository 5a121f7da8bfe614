"""The benchmark table: which sizes, how many epochs per timed round, which backends run where."""

import functools
from dataclasses import dataclass, replace

import fastlogreg


@dataclass(frozen=True)
class Size:
    name: str
    rows: int
    features: int
    epochs: int  # per timed round: enough to dwarf timer noise and train()'s per-call input checks
    # Stable for make_nba_like's features (of order 10): gradient descent needs a step below 2 / L, and
    # L grows with the number of features, so wide data needs a smaller one.
    learning_rate: float = 0.01

    @property
    def label(self):
        return f"{self.rows:,} x {self.features}"

    def smoke(self):
        """This case shrunk for a plain, untimed pytest run, which checks answers and measures nothing."""
        return replace(self, rows=min(self.rows, SMOKE_ROWS), epochs=min(self.epochs, SMOKE_EPOCHS))


SIZES = [
    Size("tutorial", 12, 3, 3000),
    Size("1k", 1_000, 3, 1000),
    Size("100k", 100_000, 3, 50),
    Size("1M", 1_000_000, 3, 50),
    Size("wide", 100_000, 64, 30, learning_rate=0.001),
]
# A smoke run keeps every case's features and backends. 30,000 rows of 3 features are still past numba's
# PARALLEL_MIN_ENTRIES, so the large cases smoke-run its multi-threaded path, as they are timed.
SMOKE_ROWS = 30_000
SMOKE_EPOCHS = 20
# The pure-Python reference is timed only where a round finishes in well under a second.
PYTHON_MAX_ROW_EPOCHS = 100_000


def backends_for(size):
    return [
        name
        for name in fastlogreg.available_backends()
        if name != "python" or size.rows * size.epochs <= PYTHON_MAX_ROW_EPOCHS
    ]


@functools.cache
def dataset(size):
    return fastlogreg.data.make_nba_like(size.rows, n_features=size.features, random_state=0)
