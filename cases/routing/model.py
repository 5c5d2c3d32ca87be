"""What the district's own decisions teach: a naive Bayes model per question (category, tier,
department, colour), kept as plain numbers (JSON, never pickle) so that the database can hold it
and nothing in it can run.

Each message counts a feature once (presence, not frequency: a resident who repeats 「物业」 ten
times is not ten times as much about property). Weights are centred per feature, so a word that
every label uses equally adds nothing and the evidence shown to a clerk is what sets labels apart.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SMOOTHING = 0.5
MAX_FEATURES = 40_000   # the most frequent features kept: bounds the stored model's size
MIN_COUNT = 2           # a feature seen in one message only says nothing general
# The features' sum is divided by (their number)**LENGTH_POWER: a long message is not that many
# times more certain than a short one (naive Bayes counts correlated words as independent).
LENGTH_POWER = 0.9


@dataclass
class NaiveBayes:
    labels: tuple[str, ...]
    log_prior: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]   # feature → centred log P(feature | label), per label

    @classmethod
    def train(cls, examples: Iterable[tuple[Sequence[str], str]]) -> NaiveBayes:
        docs = Counter()
        counts: dict[str, Counter] = defaultdict(Counter)
        seen = Counter()
        for features, label in examples:
            docs[label] += 1
            distinct = set(features)
            counts[label].update(distinct)
            seen.update(distinct)
        labels = tuple(sorted(docs))
        total = sum(docs.values())
        kept = [f for f, n in seen.most_common(MAX_FEATURES) if n >= MIN_COUNT or total < 50]
        weights = {}
        for feature in kept:
            logs = [math.log((counts[label][feature] + SMOOTHING) / (docs[label] + 2 * SMOOTHING)) for label in labels]
            mean = sum(logs) / len(logs)
            weights[feature] = tuple(round(value - mean, 4) for value in logs)
        log_prior = tuple(round(math.log(docs[label] / total), 4) for label in labels)
        return cls(labels, log_prior, weights)

    def scores(self, features: Iterable[str]) -> dict[str, float]:
        """Log-odds per label (up to a constant): the log prior plus the distinct known
        features' weights, their sum damped by the number of them (LENGTH_POWER)."""
        totals = [0.0] * len(self.labels)
        known = 0
        for feature in set(features):
            row = self.weights.get(feature)
            if row is not None:
                known += 1
                for i, value in enumerate(row):
                    totals[i] += value
        scale = max(known, 1) ** LENGTH_POWER
        return {label: prior + total / scale
                for label, prior, total in zip(self.labels, self.log_prior, totals, strict=True)}

    def evidence(self, features: Iterable[str], label: str, limit: int = 5) -> list[str]:
        """The features that spoke most for ``label``, without their kind prefix."""
        i = self.labels.index(label)
        ranked = sorted(((row[i], f) for f in set(features) if (row := self.weights.get(f)) and row[i] > 0),
                        reverse=True)
        return [feature[1:] for _, feature in ranked[:limit]]

    def to_json(self) -> dict:
        return {"labels": list(self.labels), "log_prior": list(self.log_prior),
                "weights": {f: list(row) for f, row in self.weights.items()}}

    @classmethod
    def from_json(cls, data: dict) -> NaiveBayes:
        labels = tuple(str(label) for label in data["labels"])
        rows = {str(f): tuple(float(v) for v in row) for f, row in data["weights"].items()}
        if any(len(row) != len(labels) for row in rows.values()) or len(data["log_prior"]) != len(labels):
            raise ValueError("model weights do not match its labels")
        return cls(labels, tuple(float(v) for v in data["log_prior"]), rows)
