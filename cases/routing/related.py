"""Related cases: the open cases of a case's sub-district that say much the same thing or were
reported within 200 m of it, best first: candidates for merging (并案), and the sign of a problem
many residents raise at once (热点).

``rank`` is pure (texts and places in, ranking out); ``related_cases`` reads the database for it.
Text similarity is the cosine of the two messages' words and character pairs, each weighted by how
rare it is among the candidates (a word every case uses, 「小区」, says little).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, true

from cases.geo import distance_m
from cases.numbering import case_number
from cases.routing.store import TERMS_SEPARATOR, case_texts
from cases.routing.text import terms_of
from cases.status import OPEN_STATUSES, MessageKind
from models import Case, CaseMessage, CaseSuggestion

RADIUS_M = 200.0
MIN_SIMILARITY = 0.12
CANDIDATES = 500                      # the most recent open cases of the sub-district looked at
LOOK_BACK = timedelta(days=180)
PLACE_WEIGHT = 0.3                    # being on the spot counts, less than saying the same thing
KEPT_BAGS = 20_000                    # the kept word lists each process holds, most recently used


@dataclass(frozen=True)
class Reported:
    """What ranking needs of a case: its text (or its words already cut: ``terms``, as the case's
    suggestion keeps them) and where it is (None when no location was sent)."""

    case_id: int
    text: str
    place: tuple[float, float] | None = None
    terms: Collection[str] | None = None     # distinct words: a frozenset, or a kept list's tuple

    @property
    def bag(self) -> Collection[str]:
        return self.terms if self.terms is not None else terms_of(self.text)


@dataclass(frozen=True)
class Related:
    case_id: int
    similarity: float            # 0–1
    distance_m: float | None     # None when either case has no location
    score: float
    shared: tuple[str, ...]      # the words that weigh most in the similarity, for the clerk
    number: str = ""
    summary: str = ""


def rank(target: Reported, candidates: Sequence[Reported], *, radius_m: float = RADIUS_M,
         min_similarity: float = MIN_SIMILARITY, limit: int = 10) -> list[Related]:
    """Candidates that share enough words with ``target`` or lie within ``radius_m`` of it,
    best first (similarity, plus up to PLACE_WEIGHT for being close)."""
    others = [c for c in candidates if c.case_id != target.case_id]
    bags = {c.case_id: c.bag for c in others}
    mine = frozenset(target.bag)
    seen: Counter = Counter()
    for bag in bags.values():
        seen.update(bag)
    n = len(others)
    squared = {f: (math.log((1 + n) / (1 + count)) + 1.0) ** 2 for f, count in seen.items()}   # smoothed idf²
    alone = (math.log(1 + n) + 1.0) ** 2             # a word no candidate has

    def weight(feature: str) -> float:
        return squared.get(feature, alone)

    my_norm = math.sqrt(sum(weight(f) for f in mine)) or 1.0
    found = []
    for other in others:
        bag = bags[other.case_id]
        common = mine.intersection(bag)
        if not common and not (target.place and other.place):
            continue
        norm = math.sqrt(sum(map(squared.__getitem__, bag))) or 1.0
        similarity = sum(map(squared.__getitem__, common)) / (my_norm * norm)
        distance = None
        if target.place and other.place:
            distance = distance_m(*target.place, *other.place)
        near = distance is not None and distance <= radius_m
        if similarity < min_similarity and not near:
            continue
        score = similarity + (PLACE_WEIGHT * (1 - distance / radius_m) if near else 0.0)
        shared = tuple(f[1:] for f in sorted((f for f in common if f[0] == "w"), key=weight, reverse=True)[:5])
        found.append(Related(other.case_id, round(similarity, 3), None if distance is None else round(distance, 1),
                             round(score, 3), shared))
    found.sort(key=lambda r: (-r.score, r.case_id))
    return found[:limit]


def related_cases(conn: Connection, case_id: int, now: datetime, *, within=None, limit: int = 10) -> list[Related]:
    """The open cases of the case's sub-district related to it (see ``rank``), with their numbers;
    ``within``: a condition on cases the candidates must meet too (a user's scope)."""
    case = conn.execute(select(Case.id, Case.sub_district_id).where(Case.id == case_id)).first()
    if case is None or case.sub_district_id is None:
        return []
    ids = conn.scalars(
        select(Case.id).where(Case.sub_district_id == case.sub_district_id, Case.id != case_id,
                              Case.status.in_(OPEN_STATUSES), Case.merged_into_id.is_(None),
                              Case.created_at >= now - LOOK_BACK, within if within is not None else true())
        .order_by(Case.id.desc()).limit(CANDIDATES)).all()
    reported = _reported(conn, case_id, ids)
    target = reported.pop(case_id, Reported(case_id, ""))
    ranked = rank(target, list(reported.values()), limit=limit)
    if not ranked:
        return []
    cases = {row.id: row for row in conn.execute(
        select(Case.id, Case.created_at, Case.summary).where(Case.id.in_([r.case_id for r in ranked])))}
    return [Related(r.case_id, r.similarity, r.distance_m, r.score, r.shared,
                    case_number(r.case_id, cases[r.case_id].created_at), cases[r.case_id].summary) for r in ranked]


def _reported(conn: Connection, case_id: int, candidate_ids: list[int]) -> dict[int, Reported]:
    """The case looked at, with its latest words, and each candidate with its words as its
    suggestion kept them (cut once, when its text was complete; its text for one without)."""
    case_ids = [case_id, *candidate_ids]
    terms = _kept_bags(conn, candidate_ids)
    texts = case_texts(conn, [case_id for case_id in case_ids if case_id not in terms])
    places: dict[int, tuple[float, float]] = {}
    for row in conn.execute(
            select(CaseMessage.case_id, CaseMessage.latitude, CaseMessage.longitude)
            .where(CaseMessage.case_id.in_(case_ids), CaseMessage.kind == MessageKind.LOCATION,
                   CaseMessage.latitude.is_not(None), CaseMessage.longitude.is_not(None))
            .order_by(CaseMessage.id)):
        places[row.case_id] = (row.latitude, row.longitude)    # the latest place the resident sent
    reported = {case_id: Reported(case_id, text, places.get(case_id)) for case_id, text in texts.items()}
    reported.update((case_id, Reported(case_id, "", places.get(case_id), bag)) for case_id, bag in terms.items())
    return reported


class _KeptBags:
    """The kept word lists of the cases last compared, per database (engine): a suggestion is
    written once and never changed (``cases.routing.store.suggest_case``), so a case's list, once
    read, holds for good. Tuples of shared words: a few hundred bytes a case, where a frozenset of
    words of its own would take kilobytes. The words are shared through a table of this cache's
    own, emptied when it grows past WORDS (``sys.intern`` would keep every word read for the
    life of the process on some Python versions)."""

    WORDS = 200_000

    def __init__(self) -> None:
        self._bags: OrderedDict[int, tuple[str, ...]] = OrderedDict()
        self._words: dict[str, str] = {}
        self._lock = threading.Lock()

    def bag(self, words: str) -> tuple[str, ...]:
        """A kept list (``TERMS_SEPARATOR``-joined) as a tuple of shared words."""
        if not words:
            return ()
        with self._lock:
            if len(self._words) > self.WORDS:
                self._words = {}
            shared = self._words.setdefault
            return tuple(shared(word, word) for word in words.split(TERMS_SEPARATOR))

    def get(self, case_ids: list[int]) -> tuple[dict[int, tuple[str, ...]], list[int]]:
        """The bags held, and the cases whose bags are not."""
        found, missing = {}, []
        with self._lock:
            for case_id in case_ids:
                bag = self._bags.get(case_id)
                if bag is None:
                    missing.append(case_id)
                else:
                    found[case_id] = bag
                    self._bags.move_to_end(case_id)
        return found, missing

    def put(self, bags: dict[int, tuple[str, ...]]) -> None:
        with self._lock:
            self._bags.update(bags)
            while len(self._bags) > KEPT_BAGS:
                self._bags.popitem(last=False)


_BAGS_BY_ENGINE: weakref.WeakKeyDictionary[Engine, _KeptBags] = weakref.WeakKeyDictionary()


def _kept_bags(conn: Connection, case_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The candidates' kept words; those without a suggestion (yet) are left out."""
    held = _BAGS_BY_ENGINE.setdefault(conn.engine, _KeptBags())
    found, missing = held.get(case_ids)
    if missing:
        rows = conn.execute(select(CaseSuggestion.case_id, CaseSuggestion.terms)
                            .where(CaseSuggestion.case_id.in_(missing), CaseSuggestion.terms.is_not(None)))
        read = {case_id: held.bag(words) for case_id, words in rows}
        held.put(read)
        found.update(read)
    return found
