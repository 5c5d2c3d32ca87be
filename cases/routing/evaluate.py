"""``minyi routing evaluate``: learn from a history file, predict a test file, score the predictions.

Both files are UTF-8 CSV with a header row and the columns ``text,label``. The test file's labels
are read only after every prediction is made (``predict`` never sees them).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cases.routing.engine import Engine, f1_by_label, learn, macro_f1
from cases.routing.rules import Rules

COLUMNS = ("text", "label")


class EvaluationError(ValueError):
    """A file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Report:
    macro_f1: float
    accuracy: float
    unsure_rate: float
    n_test: int
    n_history: int
    per_label: dict[str, tuple[int, float]]     # label → (rows in the test file, F1)
    predictions: list[str | None]

    def as_json(self) -> dict:
        return {"macro_f1": round(self.macro_f1, 4), "accuracy": round(self.accuracy, 4),
                "unsure_rate": round(self.unsure_rate, 4), "n_test": self.n_test, "predictions": self.predictions}


def read_column(path: Path, column: str) -> list[str]:
    """One column of a ``text,label`` file, in file order."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or any(name not in reader.fieldnames for name in COLUMNS):
                found = ",".join(reader.fieldnames or []) or "nothing"
                raise EvaluationError(f"{path}: the header must name the columns text,label (found {found})")
            values = []
            for line, row in enumerate(reader, start=2):
                value = row.get(column)
                if value is None:
                    raise EvaluationError(f"{path}, line {line}: the row has no {column} column")
                values.append(value.strip())
            return values
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise EvaluationError(f"{path}: not a CSV file ({exc})") from None


def train_engine(rules: Rules, history: Path) -> tuple[Engine, int]:
    texts, labels = read_column(history, "text"), read_column(history, "label")
    examples = [(text, label) for text, label in zip(texts, labels, strict=True) if label]
    return Engine(rules, learn(rules, {"category": examples}), version="evaluate"), len(examples)


def predict(engine: Engine, test: Path) -> list[str | None]:
    return [engine.classify(text).label for text in read_column(test, "text")]


def evaluate(rules: Rules, history: Path, test: Path) -> Report:
    engine, n_history = train_engine(rules, history)
    predictions = predict(engine, test)
    truth = read_column(test, "label")   # only now: nothing above has seen them
    n = len(truth)
    f1s = f1_by_label(truth, predictions)
    counts = Counter(truth)
    return Report(
        macro_f1=macro_f1(truth, predictions),
        accuracy=sum(t == p for t, p in zip(truth, predictions, strict=True)) / n if n else 0.0,
        unsure_rate=sum(p is None for p in predictions) / n if n else 0.0,
        n_test=n,
        n_history=n_history,
        per_label={label: (counts[label], f1s[label]) for label in sorted(counts)},
        predictions=predictions,
    )
