"""What a district configures, without code: the category tree, the phrases residents use for each
category, and the phrases, colours and departments of the four tiers.

Three files, each replaceable through a config key (packaged defaults in ``data/``):
- ``routing.category_tree``: CSV ``level1,level2,level3`` (default: the classes of a provincial
  message platform's published tree);
- ``routing.category_phrases``: TOML, one table per category path with ``strong`` and ``phrases``;
- ``routing.rules``: TOML with ``[tiers.<tier>]``, ``[colours.<colour>]`` and
  ``[departments.<code>]`` (names, phrases, the categories the department handles).

The tree's own names count as phrases of their category, so a tree alone already suggests.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cases.routing.text import Segmented, fold
from cases.status import CATEGORY_SEPARATOR as SEPARATOR
from cases.status import COLOURS, Tier

DATA = Path(__file__).parent / "data"
STRONG, TYPICAL, TREE_NAME, NEAR = 3.0, 1.0, 1.0, 0.2
_NAME_PARTS = re.compile(r"[和与及、]")


class RulesError(ValueError):
    """A routing file is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase found in a text, the label it speaks for, and how strongly."""

    phrase: str
    label: str
    weight: float


@dataclass
class Lexicon:
    """Phrases → (label, weight); a phrase shared by several labels speaks for each with less.

    When no phrase is found whole, the character pairs of the phrases still speak, faintly
    (``near``): 「物叶费」 shares 「物」… no pair with 「物业费」, but 「停车收废」 shares 「停车」."""

    entries: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()
    pairs: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    @classmethod
    def build(cls, pairs: list[tuple[str, str, float]]) -> Lexicon:
        best: dict[str, dict[str, float]] = defaultdict(dict)
        for phrase, label, weight in pairs:
            if len(phrase) >= 2:
                best[phrase][label] = max(weight, best[phrase].get(label, 0.0))
        entries = {phrase: [(label, weight / len(labels)) for label, weight in labels.items()]
                   for phrase, labels in best.items()}
        by_pair: dict[str, set[str]] = defaultdict(set)
        for phrase, labels in best.items():
            for i in range(len(phrase) - 1):
                by_pair[phrase[i:i + 2]].update(labels)
        near = {pair: [(label, NEAR / len(labels)) for label in sorted(labels)] for pair, labels in by_pair.items()}
        return cls(entries, tuple(sorted({len(p) for p in entries}, reverse=True)), near)

    def near(self, seg: Segmented) -> list[Hit]:
        """Character pairs of the text that phrases contain: the faint evidence of a misspelt or
        unusual wording, used only when no phrase is found whole."""
        text = seg.text
        found = {text[i:i + 2] for i in range(len(text) - 1)} & self.pairs.keys()
        return [Hit(pair, label, weight) for pair in sorted(found) for label, weight in self.pairs[pair]]

    def hits(self, seg: Segmented) -> list[Hit]:
        """Phrases that start where a word starts, the longest at each place. A phrase said again
        counts a little more (at most twice as much); one said early (in what is usually the
        message's title or first sentence) counts more than one said in passing later."""
        counts: dict[str, int] = {}
        first: dict[str, int] = {}
        text = seg.text
        for start in sorted(seg.starts):
            for length in self.lengths:
                phrase = text[start:start + length]
                if len(phrase) == length and phrase in self.entries:
                    counts[phrase] = counts.get(phrase, 0) + 1
                    first.setdefault(phrase, start)
                    break
        return [Hit(phrase, label, weight * (1 + 0.5 * (min(n, 3) - 1)) * _early(first[phrase], len(text)))
                for phrase, n in sorted(counts.items()) for label, weight in self.entries[phrase]]


@dataclass
class Department:
    code: str
    names: tuple[str, ...]
    phrases: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass
class Rules:
    tree: tuple[str, ...]                   # every category path, level1 ones included
    category_phrases: list[tuple[str, str, float]]   # (phrase, path, weight)
    tier_phrases: list[tuple[str, str, float]]       # (phrase, tier value, weight)
    colour_phrases: list[tuple[str, str, float]]     # (phrase, colour, weight)
    colour_by_tier: dict[str, str]
    departments: dict[str, Department]

    @property
    def top_level(self) -> tuple[str, ...]:
        return tuple(path for path in self.tree if SEPARATOR not in path)

    def category_lexicon(self, depth: int = 1) -> Lexicon:
        """Phrases speaking for the categories ``depth`` levels deep (1: the top-level classes)."""
        return Lexicon.build([(phrase, _ancestor(path, depth), weight)
                              for phrase, path, weight in self.category_phrases])

    def department_lexicon(self) -> Lexicon:
        return Lexicon.build([(phrase, dept.code, STRONG if phrase in dept.names else TYPICAL)
                              for dept in self.departments.values() for phrase in (*dept.names, *dept.phrases)])


def _early(position: int, length: int) -> float:
    """Up to half as much again for a phrase at the very start, fading over the first 40
    characters, plus a trace of the position so that equal evidence is never an exact tie."""
    return 1.0 + 0.5 * max(0.0, 1.0 - position / 40) + 0.01 * (1.0 - position / max(length, 1))


def _ancestor(path: str, depth: int) -> str:
    return SEPARATOR.join(path.split(SEPARATOR)[:depth])


def load(category_tree: str = "", category_phrases: str = "", rules: str = "") -> Rules:
    """The district's files, or the packaged defaults for those not given."""
    tree_file = Path(category_tree) if category_tree else DATA / "categories.csv"
    phrases_file = Path(category_phrases) if category_phrases else DATA / "category_phrases.toml"
    rules_file = Path(rules) if rules else DATA / "routing.toml"
    tree = _read_tree(tree_file)
    known = set(tree)
    pairs = [(fold(part), path, TREE_NAME) for path in tree for part in _name_phrases(path)]
    for path, table in _read_toml(phrases_file).items():
        if path not in known:
            raise RulesError(f"{phrases_file}: category {path!r} is not in the category tree {tree_file}")
        pairs += _weighted(phrases_file, path, table, path)
    config = _read_toml(rules_file)
    tiers = config.get("tiers", {})
    for tier in tiers:
        if tier not in {t.value for t in Tier}:
            raise RulesError(f"{rules_file}: unknown tier {tier!r}; valid: {', '.join(t.value for t in Tier)}")
    colours = config.get("colours", {})
    for colour in colours:
        if colour not in COLOURS:
            raise RulesError(f"{rules_file}: unknown colour {colour!r}; valid: {', '.join(COLOURS)}")
    colour_by_tier = config.get("colour_by_tier", {})
    for tier, colour in colour_by_tier.items():
        if tier not in {t.value for t in Tier} or colour not in COLOURS:
            raise RulesError(f"{rules_file}: colour_by_tier {tier} = {colour!r} names an unknown tier or colour")
    departments = {}
    for code, table in config.get("departments", {}).items():
        for path in table.get("categories", []):
            if path not in known:
                raise RulesError(f"{rules_file}: department {code}: category {path!r} is not in the tree")
        departments[code] = Department(code, tuple(table.get("names", [])), tuple(table.get("phrases", [])),
                                       tuple(table.get("categories", [])))
    return Rules(
        tree=tree,
        category_phrases=pairs,
        tier_phrases=[p for tier, table in tiers.items() for p in _weighted(rules_file, tier, table, tier)],
        colour_phrases=[p for colour, table in colours.items() for p in _weighted(rules_file, colour, table, colour)],
        colour_by_tier=dict(colour_by_tier),
        departments=departments,
    )


def _read_tree(path: Path) -> tuple[str, ...]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the category tree ({exc.strerror})") from None
    if not rows or [cell.strip().lower() for cell in rows[0][:1]] != ["level1"]:
        raise RulesError(f"{path}: the category tree needs a header row level1,level2[,level3]")
    paths: dict[str, None] = {}
    for row in rows[1:]:
        levels = [cell.strip() for cell in row if cell.strip()]
        for depth in range(1, len(levels) + 1):
            paths[SEPARATOR.join(levels[:depth])] = None
    if not paths:
        raise RulesError(f"{path}: the category tree is empty")
    return tuple(paths)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise RulesError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML ({exc})") from None


def _weighted(source: Path, where: str, table: dict, label: str) -> list[tuple[str, str, float]]:
    if not isinstance(table, dict):
        raise RulesError(f"{source}: {where!r} must be a table with strong = [...] and phrases = [...]")
    pairs = []
    for key, weight in (("strong", STRONG), ("phrases", TYPICAL)):
        values = table.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise RulesError(f"{source}: {where!r}: {key} must be a list of strings")
        pairs += [(fold(value), label, weight) for value in values if value.strip()]
    return pairs


def _name_phrases(path: str) -> list[str]:
    """A category's own name, and its parts (「城市建设和市政管理」 → 城市建设, 市政管理)."""
    name = path.rsplit(SEPARATOR, 1)[-1]
    if name == "其他":
        return []
    # a part of two characters (「办理」 of 「房产证登记、办理」) is too general to speak alone
    return list(dict.fromkeys([name, *(part for part in _NAME_PARTS.split(name) if len(part) >= 3)]))
