"""A contact point's public page: who runs it and when it receives people, its active
representatives (with their photos, served here for public points only), its latest resolved
cases — closed, and not rated 未解决 or 不满意 by their resident: category, month, what the
resident wrote or said (their text and voice messages, never a location) and the answer, each
scrubbed of every personal datum by ``cases.anonymise.scrub`` — and its figures over the last 12
months.

The cases and figures are read at most once every CACHE_SECONDS per point (kept in Redis): the
page is open to anyone. Whether the point is public is checked on every request.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import abort, render_template, send_file, url_for
from redis.exceptions import RedisError
from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from bot.services import services
from cases.anonymise import scrub
from cases.numbering import BEIJING_OFFSET
from cases.ratings import latest, rating_figures
from cases.status import CATEGORY_SEPARATOR, CaseStatus, MessageKind
from models import Case, CaseEvent, CaseMessage, CaseRating, ContactPoint, Representative, Resident
from models import representative_contact_points as served
from public import bp
from qr.export import run_by_name, served_photo
from texts import LEVEL_LABELS, beijing_time, clip
from texts import notices as notice_words
from texts import public as words

log = logging.getLogger(__name__)

CACHE_SECONDS = 300
FIGURES_DAYS = 365
SUMMARY_CHARS = 160
ANSWER_CHARS = 300
ANSWERED = (CaseStatus.REPLIED, CaseStatus.CLOSED)
NOT_COUNTED = (CaseStatus.MERGED, CaseStatus.INVALID, CaseStatus.WITHDRAWN)
# The messages whose words the page shows (never a location's label or a link).
SHOWN_KINDS = (MessageKind.TEXT, MessageKind.VOICE)
LEVEL_ORDER = {"province": 0, "city": 1, "district": 2, "township": 3}
# A department's answer a clerk entered for it reads "<department>的答复（代为录入）：<answer>" in
# the ledger; the public reads the answer.
_ENTERED_FOR = re.compile("^" + re.escape(notice_words.LEDGER_NOTES["for_department"].split("{note}")[0])
                          .replace(re.escape("{department}"), ".+?"), re.S)


@dataclass(frozen=True)
class ShownCase:
    category: str
    month: str
    summary: str
    answer: str
    tier: str


def _public_point(db: Session, code: str) -> ContactPoint:
    point = db.scalar(select(ContactPoint).where(ContactPoint.code == code))
    if point is None or not point.public_page:
        abort(404)
    return point


def _representatives(conn: Connection, point_id: int) -> list:
    """The active representatives who receive people here, provincial ones first."""
    at_point = select(served.c.representative_id).where(served.c.contact_point_id == point_id)
    rows = conn.execute(select(Representative.code, Representative.name, Representative.level,
                               Representative.photo_path)
                        .where(Representative.active.is_(True),
                               or_(Representative.primary_contact_point_id == point_id,
                                   Representative.id.in_(at_point)))).all()
    return sorted(rows, key=lambda rep: (LEVEL_ORDER.get(rep.level, 9), rep.code))


def _category(path: str | None) -> str:
    leaf = (path or "").rstrip(CATEGORY_SEPARATOR).rsplit(CATEGORY_SEPARATOR, 1)[-1].strip()
    return leaf or words.CATEGORY_NONE




def _published():
    """A condition on ``Case``: the case is resolved — closed, and its resident's final verdict
    (the latest rating request, if any) is neither 未解决 nor 不满意."""
    ratings = CaseRating.__table__
    rejected = exists().where(ratings.c.case_id == Case.id, latest(),
                              or_(ratings.c.solved == "unsolved", ratings.c.satisfaction == "dissatisfied"))
    return and_(Case.status == CaseStatus.CLOSED, ~rejected)


def _said(conn: Connection, case_ids: list[int]) -> dict[int, str]:
    """What each resident wrote or said (text and voice messages, one a line): never a location's
    label or coordinates, nor ``cases.summary``, which may hold one."""
    said: dict[int, list[str]] = {case_id: [] for case_id in case_ids}
    for case_id, content in conn.execute(
            select(CaseMessage.case_id, CaseMessage.content)
            .where(CaseMessage.case_id.in_(case_ids), CaseMessage.kind.in_(SHOWN_KINDS))
            .order_by(CaseMessage.id)):
        if content and content.strip():
            said[case_id].append(content.strip())
    return {case_id: "\n".join(lines) for case_id, lines in said.items()}


def _shown_text(raw: str, personal: list[str], limit: int, withheld: str, absent: str) -> str:
    """``raw`` scrubbed and clipped; ``withheld`` when scrubbing left nothing, ``absent`` when
    there was nothing to scrub."""
    if not raw.strip():
        return absent
    return clip(scrub(raw, personal), limit) or withheld


def recent_cases(conn: Connection, point_id: int, shown: int) -> list[ShownCase]:
    """The point's latest resolved cases, anonymised."""
    rows = conn.execute(
        select(Case.id, Case.category, Case.created_at, Case.tier, Resident.name, Resident.phone)
        .join(Resident, Resident.id == Case.resident_id)
        .where(Case.contact_point_id == point_id, _published())
        .order_by(Case.id.desc()).limit(shown)).all()
    answers: dict[int, str] = {}
    said: dict[int, str] = {}
    if rows:
        case_ids = [row.id for row in rows]
        said = _said(conn, case_ids)
        for case_id, note in conn.execute(
                select(CaseEvent.case_id, CaseEvent.note)
                .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action.in_(("reply", "answer_proposal")))
                .order_by(CaseEvent.id)):
            answers[case_id] = _ENTERED_FOR.sub("", note or "")
    shown_cases = []
    for row in rows:
        personal = [value for value in (row.name, row.phone) if value]
        local = row.created_at + BEIJING_OFFSET
        shown_cases.append(ShownCase(
            category=_category(row.category), month=words.MONTH.format(year=local.year, month=local.month),
            summary=_shown_text(said.get(row.id, ""), personal, SUMMARY_CHARS, words.SUMMARY_WITHHELD,
                                words.SUMMARY_NO_TEXT),
            answer=_shown_text(answers.get(row.id, ""), personal, ANSWER_CHARS, words.ANSWER_WITHHELD, ""),
            tier=words.TIER_LABELS.get(row.tier, "") if row.tier else ""))
    return shown_cases


def figures(conn: Connection, point_id: int, since: datetime) -> dict:
    """What came to the point since ``since`` and what became of it; ratings when there are any."""
    counted = and_(Case.contact_point_id == point_id, Case.status.not_in(NOT_COUNTED), Case.created_at >= since)
    received, answered = conn.execute(select(
        func.count(), func.coalesce(func.sum(when((Case.status.in_(ANSWERED), 1), else_=0)), 0)).where(counted)).one()
    ratings = rating_figures(conn, and_(Case.contact_point_id == point_id, CaseRating.asked_at >= since))
    return {"received": int(received), "answered": int(answered),
            "answer_rate": int(answered) / received if received else None,
            "rated": ratings.rated, "satisfaction_rate": ratings.satisfaction_rate}


def _cached(point_id: int, shown: int, now: datetime) -> dict:
    """The page's cases and figures, read at most once per CACHE_SECONDS (without Redis: each time)."""
    key = f"minyi:public:point:v2:{point_id}"   # v2: resolved cases, words without locations
    redis = services().redis
    try:
        kept = redis.get(key)
    except RedisError:
        kept = None
    if kept:
        return json.loads(kept)
    since = now - timedelta(days=FIGURES_DAYS)
    with services().engine.connect() as conn:
        data = {"cases": [asdict(shown_case) for shown_case in recent_cases(conn, point_id, shown)],
                "figures": figures(conn, point_id, since), "since": words.MONTH.format(
                    year=(since + BEIJING_OFFSET).year, month=(since + BEIJING_OFFSET).month),
                "at": beijing_time(now)}
    try:
        redis.set(key, json.dumps(data, ensure_ascii=False), ex=CACHE_SECONDS)
    except RedisError as error:
        log.warning("public page not kept (Redis: %s)", error)
    return data


@bp.route("/points/<code>")
def point(code: str):
    svc = services()
    with Session(svc.engine) as db:
        found = _public_point(db, code)
        reps = _representatives(db.connection(), found.id)
        run_by = run_by_name(found, None)
        district, sub_district = found.sub_district.district.name, found.sub_district.name
        point_facts = {name: getattr(found, name) for name in ("name", "address", "reception_hours", "phone")}
        point_id, kind = found.id, words.KIND_LABELS.get(found.kind, "")
    data = _cached(point_id, svc.settings.public_cases_shown, svc.clock.now())
    people = [{"name": rep.name, "level": LEVEL_LABELS.get(rep.level, ""),
               "photo": url_for("public.photo", code=code, rep=rep.code) if served_photo(services().settings, rep.photo_path) else None}
              for rep in reps]
    return render_template("public/point.html", words=words, point=point_facts, kind=kind, run_by=run_by,
                           district=district, sub_district=sub_district, reps=people, **data)


@bp.route("/points/<code>/representatives/<rep>/photo")
def photo(code: str, rep: str):
    """A representative's photo, for the public page of a point they receive people at."""
    with Session(services().engine) as db:
        found = _public_point(db, code)
        stored = next((row.photo_path for row in _representatives(db.connection(), found.id) if row.code == rep), None)
    path = served_photo(services().settings, stored)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=3600)
