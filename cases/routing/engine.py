"""The suggestion for one message: category, tier, department, colour, each with a confidence and
the evidence a clerk can read, or "unsure".

Every question is a ``Head``: the district's phrases score each answer (the cold start), and, once
the district has decided enough cases, a naive Bayes model of those decisions adds its log-odds,
weighted by how much it helped on the decisions it was not trained on (``learn``). With no history
the phrases alone decide; a small or odd history cannot do worse than them on held-out decisions.
"""

from __future__ import annotations

import math
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cases.routing.model import NaiveBayes
from cases.routing.rules import SEPARATOR, Hit, Lexicon, Rules
from cases.routing.text import Segmented, features, segment
from cases.status import Tier
from texts import routing as words

HEADS = ("category", "tier", "department", "colour")
BLENDS = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0)
FOLDS = 5
MIN_EXAMPLES = 20      # fewer decisions than this teach nothing yet: the phrases decide
CV_SAMPLE = 3000       # the blend is chosen on at most this many decisions (the model learns from all)
CATEGORY_TO_DEPARTMENT = 2.0   # how much a department's own categories count for it
DEPARTMENT_TO_TIER = 2.5       # a department named or clearly implied points to tier 3 (× its confidence)


@dataclass(frozen=True, slots=True)
class Guess:
    """One answer: ``label`` None means unsure. ``evidence`` is readable, best first."""

    label: str | None
    confidence: float
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"label": self.label, "confidence": round(self.confidence, 3), "evidence": list(self.evidence)}


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: Guess
    tier: Guess
    department: Guess
    colour: Guess
    model_version: str

    def as_dict(self) -> dict:
        return {name: getattr(self, name).as_dict() for name in HEADS} | {"model_version": self.model_version}


@dataclass
class Learned:
    """What decisions taught one head: the model and how much to trust it beside the phrases."""

    model: NaiveBayes
    blend: float

    def to_json(self) -> dict:
        return {"blend": self.blend, "model": self.model.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> Learned:
        return cls(NaiveBayes.from_json(data["model"]), float(data["blend"]))


@dataclass
class Head:
    """One question. ``labels`` are every answer it may give; the lexicon speaks for some of them."""

    labels: tuple[str, ...]
    lexicon: Lexicon | None = None
    learned: Learned | None = None

    def scores(self, seg: Segmented, feats: Sequence[str], hits: list[Hit] | None = None,
               bonus: dict[str, float] | None = None) -> tuple[dict[str, float], list[Hit]]:
        if hits is None:
            hits = self.lexicon.hits(seg) if self.lexicon else []
        totals = dict.fromkeys(self.labels, 0.0)
        for hit in hits:
            if hit.label in totals:
                totals[hit.label] += hit.weight
        for label, extra in (bonus or {}).items():
            if label in totals:
                totals[label] += extra
        if self.learned and self.learned.blend:
            learned = self.learned.model.scores(feats)
            floor = min(learned.values(), default=0.0) - 1.0   # labels never decided: below all others
            for label in totals:
                totals[label] += self.learned.blend * learned.get(label, floor)
        return totals, hits

    def guess(self, seg: Segmented, feats: Sequence[str], hits: list[Hit] | None = None,
              bonus: dict[str, float] | None = None, describe: Callable[[str], str] = str,
              because: str = "") -> Guess:
        """``because``: why ``bonus`` speaks for its labels, as the evidence says it."""
        totals, hits = self.scores(seg, feats, hits, bonus)
        return decide(totals, self._evidence(hits, feats, bonus, describe, because))

    def _evidence(self, hits, feats, bonus, describe, because) -> Callable[[str], tuple[str, ...]]:
        def for_label(label: str) -> tuple[str, ...]:
            spoken = sorted((h for h in hits if _speaks_for(h.label, label)), key=lambda h: -h.weight)
            said = [words.PHRASE_EVIDENCE.format(phrase=h.phrase, label=describe(h.label)) for h in spoken[:4]]
            if bonus and bonus.get(label):
                said.append(because.format(label=describe(label)))
            if self.learned and self.learned.blend and label in self.learned.model.labels:
                learned_words = self.learned.model.evidence(feats, label, limit=4)
                if learned_words:
                    said.append(words.LEARNED_WORDS.format(words="、".join(learned_words)))
            return tuple(said)
        return for_label


def _speaks_for(hit_label: str, label: str) -> bool:
    return hit_label == label or hit_label.startswith(label + SEPARATOR)


def decide(totals: dict[str, float], evidence: Callable[[str], tuple[str, ...]]) -> Guess:
    """The best label, or unsure when nothing spoke for any label or two are tied at the top."""
    if not totals:
        return Guess(None, 0.0)
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    best, top = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else -math.inf
    said = evidence(best)
    if not said or top - runner_up < 1e-9:
        return Guess(None, 0.0)
    biggest = max(totals.values())
    mass = sum(math.exp(value - biggest) for value in totals.values())
    return Guess(best, 1.0 / mass, said)


@dataclass
class Engine:
    """Suggests for a message from the district's rules and, where there is one, its learned model."""

    rules: Rules
    learned: dict[str, Learned] = field(default_factory=dict)
    version: str = "rules"
    department_names: dict[str, str] = field(default_factory=dict)   # code → what people read

    def __post_init__(self) -> None:
        self._paths = Lexicon.build(self.rules.category_phrases)
        self.heads = {
            "category": Head(self.rules.top_level, None, self.learned.get("category")),
            "tier": Head(tuple(tier.value for tier in Tier), Lexicon.build(self.rules.tier_phrases), self.learned.get("tier")),
            "department": Head(tuple(self.rules.departments), self.rules.department_lexicon(),
                               self.learned.get("department")),
            "colour": Head(("蓝", "黄", "红"), Lexicon.build(self.rules.colour_phrases), self.learned.get("colour")),
        }

    def suggest(self, text: str) -> Suggestion:
        seg = segment(text)
        feats = features(seg)
        path_hits = self._path_hits(seg)
        category = self.heads["category"].guess(seg, feats, _top(path_hits))
        category = self._deepen(category, path_hits)
        department = self.heads["department"].guess(seg, feats, bonus=self._departments_for(category),
                                                     describe=self.department_name, because=words.FROM_CATEGORY)
        tier_bonus = {"department": DEPARTMENT_TO_TIER * department.confidence} if department.label else {}
        tier = self.heads["tier"].guess(
            seg, feats, bonus=tier_bonus, describe=_tier_name,
            because=words.FROM_DEPARTMENT.format(department=self.department_name(department.label or ""),
                                                 label="{label}"))
        colour = self.heads["colour"].guess(seg, feats, describe=lambda c: words.COLOUR_LABELS.get(c, c))
        if colour.label is None and tier.label in self.rules.colour_by_tier:
            colour = Guess(self.rules.colour_by_tier[tier.label], 0.5,
                           (words.DEFAULT_COLOUR.format(tier=_tier_name(tier.label)),))
        return Suggestion(category, tier, department, colour, self.version)

    def classify(self, text: str) -> Guess:
        """The category head alone, at the level of its labels (``routing evaluate``)."""
        seg = segment(text)
        head = self.heads["category"]
        hits = [Hit(h.phrase, _label_of(h.label, head.labels), h.weight)
                 for h in self._path_hits(seg)]
        return head.guess(seg, features(seg), hits)

    def _path_hits(self, seg: Segmented) -> list[Hit]:
        """The category phrases in the text; when none is found whole, their character pairs."""
        return self._paths.hits(seg) or self._paths.near(seg)

    def cold_totals(self, name: str, seg: Segmented, feats: Sequence[str], labels: tuple[str, ...]) -> dict[str, float]:
        """What the rules alone give each of ``labels`` for question ``name`` (this engine
        learned nothing): the part of a head's score that a learned model is added to."""
        if name == "category":
            hits = [Hit(h.phrase, _label_of(h.label, labels), h.weight)
                    for h in self._path_hits(seg)]
            totals, _ = Head(labels).scores(seg, feats, hits)
        else:
            bonus = {}
            if name in ("department", "tier"):
                path_hits = self._path_hits(seg)
                category = self._deepen(self.heads["category"].guess(seg, feats, _top(path_hits)), path_hits)
                bonus = self._departments_for(category)
                if name == "tier":
                    department = self.heads["department"].guess(seg, feats, bonus=bonus)
                    bonus = {"department": DEPARTMENT_TO_TIER * department.confidence} if department.label else {}
            head = self.heads[name]
            totals, _ = Head(labels, head.lexicon).scores(seg, feats, bonus=bonus)
        return totals

    def _deepen(self, category: Guess, path_hits: list[Hit]) -> Guess:
        """The deepest category under the chosen class that a phrase names, if one does."""
        if category.label is None:
            return category
        below: dict[str, float] = defaultdict(float)
        for hit in path_hits:
            if hit.label.startswith(category.label + SEPARATOR):
                below[hit.label] += hit.weight
        if not below:
            return category
        path = max(below, key=lambda p: (below[p], p.count(SEPARATOR)))
        return Guess(path, category.confidence, category.evidence)

    def department_name(self, code: str) -> str:
        dept = self.rules.departments.get(code)
        return self.department_names.get(code) or (dept.names[0] if dept and dept.names else code)

    def _departments_for(self, category: Guess) -> dict[str, float]:
        if category.label is None:
            return {}
        bonus = {}
        for dept in self.rules.departments.values():
            # the most specific category a department handles wins over a broader one
            depths = [handled.count(SEPARATOR) for handled in dept.categories
                      if _speaks_for(category.label, handled) or _speaks_for(handled, category.label)]
            if depths:
                bonus[dept.code] = CATEGORY_TO_DEPARTMENT * category.confidence + 0.1 * max(depths)
        return bonus


def _top(hits: list[Hit]) -> list[Hit]:
    """Hits on category paths as hits on their top-level classes."""
    return [Hit(h.phrase, h.label.split(SEPARATOR, 1)[0], h.weight) for h in hits]


def _label_of(path: str, labels: tuple[str, ...]) -> str:
    """The label a category path counts for: itself, or the label that is its ancestor."""
    for label in labels:
        if _speaks_for(path, label):
            return label
    return path


def _tier_name(tier: str) -> str:
    return words.TIER_LABELS.get(tier, tier)


def learn(rules: Rules, decisions: dict[str, list[tuple[str, str]]], seed: int = 0) -> dict[str, Learned]:
    """Learned heads from (text, label) decisions per head; a head with too few decisions, or
    fewer than two different answers, learns nothing (the phrases go on deciding alone)."""
    base = Engine(rules)
    # Each text is read once for every head, kept as its distinct features, interned: a
    # district's vocabulary is shared by its decisions (100,000 of them fit in a few hundred MB).
    read: dict[str, tuple[str, ...]] = {}
    learned = {}
    for name, examples in decisions.items():
        if len(examples) < MIN_EXAMPLES or len({label for _, label in examples}) < 2:
            continue
        rows = []
        for text, label in examples:
            if text not in read:
                read[text] = tuple({sys.intern(f) for f in features(segment(text))})
            rows.append((text, read[text], label))
        labels = tuple(dict.fromkeys([*base.heads[name].labels, *(label for *_, label in rows)]))
        learned[name] = _fit(base, name, labels, rows, seed)
    return learned


def _fit(base: Engine, name: str, labels: tuple[str, ...], rows: list[tuple[str, tuple[str, ...], str]],
         seed: int) -> Learned:
    """The model of all ``rows``, and its blend: the weight beside the phrases that did best on
    decisions held out of training (five folds over at most CV_SAMPLE of them)."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    order = order[:CV_SAMPLE]
    cold = {i: base.cold_totals(name, segment(rows[i][0]), rows[i][1], labels) for i in order}
    learned: dict[int, dict[str, float]] = {}
    for k in range(FOLDS):
        held = order[k::FOLDS]
        held_set = set(held)
        model = NaiveBayes.train((rows[i][1], rows[i][2]) for i in order if i not in held_set)
        for i in held:
            scores = model.scores(rows[i][1])
            floor = min(scores.values()) - 1.0
            learned[i] = {label: scores.get(label, floor) for label in labels}
    truth = [rows[i][2] for i in order]

    def figure(blend: float) -> float:
        guessed = []
        for i in order:
            totals = {label: cold[i][label] + blend * learned[i][label] for label in labels}
            ranked = sorted(totals.values(), reverse=True)
            guessed.append(max(totals, key=totals.get) if len(ranked) < 2 or ranked[0] > ranked[1] else None)
        return round(macro_f1(truth, guessed), 4)

    best = max(BLENDS, key=lambda blend: (figure(blend), -blend))
    return Learned(NaiveBayes.train((feats, label) for _, feats, label in rows), best)


def f1_by_label(truth: Sequence[str], predicted: Sequence[str | None]) -> dict[str, float]:
    """F1 of each label present in ``truth``; an unsure (None) prediction is wrong."""
    pairs = list(zip(truth, predicted, strict=True))
    scores = {}
    for label in sorted(set(truth)):
        tp = sum(1 for t, p in pairs if t == label and p == label)
        wrong = sum(1 for t, p in pairs if (t == label) != (p == label))   # false positives and negatives
        scores[label] = 2 * tp / (2 * tp + wrong) if tp else 0.0
    return scores


def macro_f1(truth: Sequence[str], predicted: Sequence[str | None]) -> float:
    """F1 averaged over the labels present in ``truth``."""
    scores = f1_by_label(truth, predicted)
    return sum(scores.values()) / len(scores) if scores else 0.0
