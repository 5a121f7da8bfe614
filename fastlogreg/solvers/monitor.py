"""What every solver shares: its result, and what watches a run (progress bar, callback, Ctrl-C)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

# A compiled loop runs in blocks of about this many seconds: Python sees Ctrl-C only between blocks,
# and the progress bar moves only between them. Blocks change no result: each block starts exactly
# where the previous one stopped, with that block's last pass.
BLOCK_SECONDS = 0.1
# The first block's length is guessed from X's size (rows x features) with these costs; later blocks
# use the measured time per epoch. Generous: a block that is too short costs one call into the kernel.
GUESSED_SECONDS_PER_ENTRY = 10e-9
GUESSED_SECONDS_PER_CALL = 1e-6


class Fit(NamedTuple):
    """Where a solver stopped."""

    weights: np.ndarray
    bias: float
    loss: float  # at (weights, bias)
    loss_history: np.ndarray  # the loss before each update (each iteration, for Newton)
    converged: bool


class Monitor:
    """The progress bar, the callback and the block lengths of one ``train()`` call."""

    def __init__(
        self,
        *,
        total: int,
        entries: int,
        label: str,
        progress: bool,
        callback: Callable[[int, float], Any] | None,
        callback_every: int,
    ):
        self.total = total
        self.callback = callback
        self.callback_every = callback_every
        guessed_epoch_seconds = GUESSED_SECONDS_PER_ENTRY * entries + GUESSED_SECONDS_PER_CALL
        self.epochs_per_block = max(1, int(BLOCK_SECONDS / guessed_epoch_seconds))
        self._progress = (total, label) if progress else None
        self._bar: Any = None

    def __enter__(self) -> Monitor:
        if self._progress is not None:
            from tqdm.auto import tqdm  # imported only when a bar is asked for

            total, label = self._progress
            self._bar = tqdm(total=total, unit="epoch", desc=label, leave=False)
        return self

    def __exit__(self, *exception: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def advance(self, steps: int) -> None:
        """``steps`` more updates were taken."""
        if self._bar is not None and steps:
            self._bar.update(steps)

    def stops(self, done: int, loss: float) -> bool:
        """Whether the callback, due every ``callback_every`` updates, asks to stop (any truthy answer)."""
        if self.callback is None or done == 0 or done % self.callback_every:
            return False
        return bool(self.callback(done, float(loss)))

    def block_length(self, done: int) -> int:
        """How many epochs the next compiled block may run: about BLOCK_SECONDS, and never past the
        end or past the callback's next turn."""
        remaining = self.total - done
        if self.callback is not None:
            remaining = min(remaining, self.callback_every - done % self.callback_every)
        return min(remaining, self.epochs_per_block)

    def timed(self, epochs: int, seconds: float) -> None:
        """A block of ``epochs`` took ``seconds``: size the next one to BLOCK_SECONDS."""
        if epochs and seconds > 0:
            self.epochs_per_block = max(1, int(BLOCK_SECONDS * epochs / seconds))
