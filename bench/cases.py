"""The benchmark table: which sizes, how many epochs per timed round, which backends run where."""

import functools
from dataclasses import dataclass

import fastlogreg


@dataclass(frozen=True)
class Size:
    name: str
    rows: int
    features: int
    epochs: int  # per timed round: enough to dwarf timer noise and train()'s per-call input checks

    @property
    def label(self):
        return f"{self.rows:,} x {self.features}"


SIZES = [
    Size("tutorial", 12, 3, 3000),
    Size("1k", 1_000, 3, 1000),
    Size("100k", 100_000, 3, 50),
    Size("1M", 1_000_000, 3, 50),
    Size("wide", 100_000, 64, 30),
]
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
