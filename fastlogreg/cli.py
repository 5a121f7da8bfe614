"""The command line: ``fastlogreg train [CSV]`` trains and prints a report like the tutorial's."""

from __future__ import annotations

import argparse
import sys

from . import training
from .backends import _REGISTRY
from .data import NBA_ROOKIE_DRAFT, bundled_path, read_csv
from .validation import DTYPES, INITS, REDUCTIONS


class _OneLineErrorParser(argparse.ArgumentParser):
    """Bad flags end in one line on stderr and exit status 2, like every other error here."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def count(text):
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(prog="fastlogreg", description="Binary logistic regression by full-batch gradient descent.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineErrorParser)
    train = commands.add_parser(
        "train",
        help="train on a CSV (or the bundled 12 rookies) and print the fit",
        description="Train logistic regression by full-batch gradient descent and print the loss before "
        "and after, the weights and bias, and each row's predicted probability.",
    )
    train.add_argument(
        "csv", nargs="?", help="CSV with a header row, numeric features first, 0/1 label last "
        f"(default: the bundled {NBA_ROOKIE_DRAFT})"
    )
    train.add_argument("--backend", default="numba", choices=list(_REGISTRY), help="implementation (default: numba)")
    train.add_argument("--learning-rate", type=float, default=training.DEFAULT_LEARNING_RATE,
                       help=f"gradient-descent step (default: {training.DEFAULT_LEARNING_RATE})")
    train.add_argument("--epochs", type=int, default=training.DEFAULT_EPOCHS,
                       help=f"full-batch steps (default: {training.DEFAULT_EPOCHS})")
    train.add_argument("--reduction", default=training.DEFAULT_REDUCTION, choices=REDUCTIONS,
                       help=f"mean or summed loss (default: {training.DEFAULT_REDUCTION})")
    train.add_argument("--init", default="zeros", choices=INITS, help="starting weights (default: zeros)")
    train.add_argument("--random-state", type=int, default=None, help="seed for --init normal")
    train.add_argument("--dtype", default="float64", choices=list(DTYPES), help="dtype X is trained in")
    train.add_argument("--max-rows", type=count, default=50,
                       help="rows shown in the prediction table (default: 50)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        table = read_csv(args.csv if args.csv else bundled_path(NBA_ROOKIE_DRAFT))
        result = training.train(
            table.X,
            table.y,
            backend=args.backend,
            learning_rate=args.learning_rate,
            epochs=args.epochs,
            reduction=args.reduction,
            init=args.init,
            random_state=args.random_state,
            dtype=args.dtype,
        )
    except (OSError, ValueError, TypeError, ImportError, ArithmeticError, MemoryError) as error:
        print(f"fastlogreg: error: {error}", file=sys.stderr)
        return 2
    print(report(table, result, max_rows=args.max_rows))
    return 0


def report(table, result, *, max_rows: int) -> str:
    loss_before = result.loss_history[0] if result.epochs else result.loss
    lines = [
        f"backend {result.backend}, {result.reduction} loss, learning rate {result.learning_rate:g}, "
        f"{result.epochs} epochs, {table.X.shape[0]} rows x {table.X.shape[1]} features",
        f"loss before training: {float(loss_before)!r}",
        f"loss after training:  {result.loss!r}",
        "weights: " + ", ".join(f"{name}={w:.8f}" for name, w in zip(table.feature_names, result.weights)),
        f"bias: {result.bias:.8f}",
        "",
    ]
    headers = ["No.", *table.feature_names, table.label_name, "pred"]
    shown = min(table.X.shape[0], max(max_rows, 0))
    probabilities = result.predict_proba(table.X[:shown]) if shown else []
    cells = [
        [str(i + 1), *(f"{x:g}" for x in table.X[i]), f"{table.y[i]:g}", f"{probabilities[i]:.8f}"]
        for i in range(shown)
    ]
    widths = [max(len(h), *(len(row[k]) for row in cells)) if cells else len(h) for k, h in enumerate(headers)]
    for row in [headers, *cells]:
        lines.append("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
    if shown < table.X.shape[0]:
        lines.append(f"... {table.X.shape[0] - shown} more rows (--max-rows to show more)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
