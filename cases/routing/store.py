"""The routing engine against the database: a suggestion for each case once its text is complete,
the decisions people made as labelled examples, and retraining with a held-back check.

A case's text is complete when the resident's grouping window has closed (or they said 「新问题」,
or someone already acted on it). Suggestions are made by the scheduler, before the representative's
notice, which shows them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from sqlalchemy import Connection, func, insert, or_, select, update
from sqlalchemy import Engine as DbEngine

from cases.routing.engine import HEADS, Engine, Learned, learn, macro_f1
from cases.routing.rules import SEPARATOR, Rules
from cases.routing.text import terms_of
from cases.status import SPOKEN_KINDS, CaseStatus
from models import Case, CaseMessage, CaseSuggestion, Department, RoutingModel

log = logging.getLogger(__name__)

BATCH = 50
TERMS_SEPARATOR = " "      # between a text's features (words and bigrams never hold a space)
SUGGEST_WITHIN = timedelta(days=3)   # older cases without one (filed before an upgrade) are left alone
HELD_BACK = 0.2            # the most recent share of decisions a candidate model is judged on
MIN_HELD_BACK = 10


LoadRules = Callable[[], Rules]   # the district's routing files (scheduler.routing.rules_loader)


class Engines:
    """The engine for the active model, built once per model version (rules load in ~0.1 s)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._built: tuple[str, Engine] | None = None

    def current(self, conn: Connection, load_rules: LoadRules) -> Engine:
        row = conn.execute(select(RoutingModel.version, RoutingModel.heads)
                           .where(RoutingModel.active.is_(True)).order_by(RoutingModel.id.desc()).limit(1)).first()
        version = row.version if row else "rules"
        with self._lock:
            if self._built is None or self._built[0] != version:
                learned = {name: Learned.from_json(data) for name, data in (row.heads if row else {}).items()}
                self._built = (version, Engine(load_rules(), learned, version, _department_names(conn)))
            return self._built[1]


ENGINES = Engines()


def _department_names(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(Department.code, Department.name)).all())


def case_texts(conn: Connection, case_ids: list[int]) -> dict[int, str]:
    """What the resident said on each case: their texts, recognised voice and link titles, in
    order ("" when only photos or places were sent), read 1,000 cases at a time."""
    texts: dict[int, list[str]] = {case_id: [] for case_id in case_ids}
    for start in range(0, len(case_ids), 1000):
        chunk = case_ids[start:start + 1000]
        for case_id, content in conn.execute(
                select(CaseMessage.case_id, CaseMessage.content)
                .where(CaseMessage.case_id.in_(chunk), CaseMessage.kind.in_(SPOKEN_KINDS), CaseMessage.content != "")
                .order_by(CaseMessage.id)):
            if content.strip():
                texts[case_id].append(content)
    return {case_id: "\n".join(parts) for case_id, parts in texts.items()}


def suggest_case(conn: Connection, engine: Engine, case_id: int, now: datetime) -> CaseSuggestion | None:
    """Store (once) the engine's suggestion for the case; None when it already has one. A row is
    never changed afterwards: related cases hold its words in each web process for good
    (``cases.routing.related``), so whatever rewrites ``terms`` of existing rows (a migration, as
    0015 did) must be followed by restarting the web processes."""
    if conn.scalar(select(CaseSuggestion.id).where(CaseSuggestion.case_id == case_id)) is not None:
        return None
    text = case_texts(conn, [case_id])[case_id]
    suggestion = engine.suggest(text)
    department_id = None
    if suggestion.department.label:
        department_id = conn.scalar(select(Department.id).where(Department.code == suggestion.department.label))
    values = suggestion_row(engine, suggestion, text, case_id, department_id, now)
    conn.execute(insert(CaseSuggestion.__table__), [values])
    return CaseSuggestion(**values)


def text_complete(join_window: timedelta, now: datetime):
    """The cases whose text will not grow: the grouping window closed, or the case moved on."""
    return or_(Case.last_message_at <= now - join_window, Case.grouping_closed.is_(True),
               Case.status != CaseStatus.SUBMITTED)


def suggestion_row(engine: Engine, suggestion, text: str, case_id: int, department_id: int | None,
                   now: datetime) -> dict:
    """A ``case_suggestions`` row: the engine's answers, their evidence, and the text's words (kept
    for ``related``, which compares an open case with hundreds of others)."""
    detail = suggestion.as_dict()
    detail["department"]["name"] = engine.department_name(suggestion.department.label) \
        if suggestion.department.label else ""
    return {"case_id": case_id, "model_version": suggestion.model_version, "category": suggestion.category.label,
            "tier": suggestion.tier.label, "department_id": department_id, "colour": suggestion.colour.label,
            "confidence": suggestion.category.confidence, "detail": detail, "created_at": now,
            "terms": TERMS_SEPARATOR.join(sorted(terms_of(text)))}


def suggest_pending(engine: DbEngine, load_rules: LoadRules, window: timedelta, now: datetime) -> int:
    """Suggest for every case whose text is complete and that has none yet (the scheduler's job)."""
    with engine.begin() as conn:
        due = conn.scalars(
            select(Case.id).where(Case.created_at >= now - SUGGEST_WITHIN, text_complete(window, now),
                                  Case.merged_into_id.is_(None),
                                  ~select(CaseSuggestion.id).where(CaseSuggestion.case_id == Case.id).exists())
            .order_by(Case.id).limit(BATCH)).all()
        if not due:
            return 0
        routing = ENGINES.current(conn, load_rules)
        for case_id in due:
            suggest_case(conn, routing, case_id, now)
    return len(due)


# -- learning from decisions ---------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    case_id: int
    text: str
    labels: dict[str, str]     # head → what the person chose (category as its top-level class)


DECIDED = or_(Case.tier.is_not(None), Case.category.is_not(None), Case.colour.is_not(None),
              Case.department_id.is_not(None))


def decisions(conn: Connection) -> list[Decision]:
    """Every case on which a person set a tier, department, category or colour, oldest first.
    A suggestion never writes these columns: each value here is a person's choice."""
    rows = conn.execute(
        select(Case.id, Case.tier, Case.category, Case.colour, Department.code)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(DECIDED).order_by(Case.id)).all()
    texts = case_texts(conn, [row.id for row in rows])
    found = []
    for row in rows:
        labels = {"tier": row.tier and str(row.tier), "department": row.code, "colour": row.colour,
                  "category": row.category.split(SEPARATOR, 1)[0] if row.category else None}
        text = texts.get(row.id, "")
        if text:
            found.append(Decision(row.id, text, {k: v for k, v in labels.items() if v}))
    return found


def by_head(found: Iterable[Decision]) -> dict[str, list[tuple[str, str]]]:
    examples: dict[str, list[tuple[str, str]]] = {name: [] for name in HEADS}
    for decision in found:
        for name, label in decision.labels.items():
            examples[name].append((decision.text, label))
    return examples


@dataclass(frozen=True)
class Retraining:
    version: str
    decisions: int
    held_back: int
    figures: dict[str, dict[str, float]]    # head → {"candidate", "current", "rules"} macro-F1
    promoted: bool
    reason: str


def head_scores(engine: Engine, held: list[Decision]) -> dict[str, float]:
    """Macro-F1 of each question on held-back decisions (those that answer it)."""
    truth: dict[str, list[str]] = {name: [] for name in HEADS}
    guessed: dict[str, list[str | None]] = {name: [] for name in HEADS}
    for decision in held:
        suggestion = engine.suggest(decision.text)
        for name, label in decision.labels.items():
            answer = getattr(suggestion, name).label
            if name == "category" and answer:
                answer = answer.split(SEPARATOR, 1)[0]
            truth[name].append(label)
            guessed[name].append(answer)
    return {name: round(macro_f1(truth[name], guessed[name]), 4) for name in HEADS if truth[name]}


def retrain(engine: DbEngine, load_rules: LoadRules, now: datetime, *, after_decisions: int,
            dry_run: bool = False, force: bool = False) -> Retraining | None:
    """Train a candidate on all but the most recent decisions, judge it on those against the
    current model and the rules alone, and promote it (trained again on every decision) only if it
    is not worse on any question. None when too few new decisions have arrived (unless ``force``)."""
    with engine.connect() as conn:
        last = conn.execute(select(RoutingModel.decisions).order_by(RoutingModel.id.desc()).limit(1)).scalar()
        if not force and conn.scalar(select(func.count()).select_from(Case).where(DECIDED)) - (last or 0) \
                < after_decisions:
            return None
        found = decisions(conn)
        current = ENGINES.current(conn, load_rules)
    rules = current.rules
    held_count = max(MIN_HELD_BACK, int(len(found) * HELD_BACK)) if len(found) >= 2 * MIN_HELD_BACK else 0
    training, held = found[:len(found) - held_count], found[len(found) - held_count:]
    candidate = Engine(rules, learn(rules, by_head(training)), "candidate", current.department_names)
    figures: dict[str, dict[str, float]] = {}
    if held:
        scores = {"candidate": head_scores(candidate, held), "current": head_scores(current, held),
                  "rules": head_scores(Engine(rules, {}, "rules", current.department_names), held)}
        figures = {name: {who: scores[who][name] for who in scores} for name in scores["candidate"]}
        worse = [name for name, f in figures.items() if f["candidate"] + 1e-9 < max(f["current"], f["rules"])]
    else:
        worse = ["(too few decisions to hold any back)"]
    promoted = not worse
    reason = "not worse than the current model or the rules on any question" if promoted else \
        "worse on: " + ", ".join(worse)
    with engine.begin() as conn:
        number = (conn.scalar(select(RoutingModel.id).order_by(RoutingModel.id.desc()).limit(1)) or 0) + 1
        version = f"m{number}-{now:%Y%m%d}"
        if dry_run:
            return Retraining(version, len(found), len(held), figures, promoted, reason)
        heads = learn(rules, by_head(found)) if promoted else {}
        if promoted:
            conn.execute(update(RoutingModel).where(RoutingModel.active.is_(True)).values(active=False))
        conn.execute(insert(RoutingModel.__table__), [{
            "version": version, "created_at": now, "decisions": len(found), "held_back": len(held),
            "figures": figures, "promoted": promoted, "active": promoted,
            "heads": {name: learned.to_json() for name, learned in heads.items()}}])
    log.info("routing model %s: %s decisions, %s held back, %s", version, len(found), len(held), reason)
    return Retraining(version, len(found), len(held), figures, promoted, reason)
