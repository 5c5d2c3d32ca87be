"""Residents' verdicts on answered and closed cases (验单): asking, answering, what a verdict does,
expiring, and the figures.

**A round** is a case's steps since its last ``reopen`` (or since it was filed). Each round is
asked about once: the rated step is the round's latest ``reply``, ``answer_proposal`` or
``close`` not yet asked about when the scheduler looks (``due_for_asking``), so a reply closed a
minute later is asked about once, and a case answered again after a reopen is asked again.

**A verdict** (``rate``): 未解决 or 不满意 reopens the case (``reopen`` as the resident, back to
the unit that answered: ``cases.transitions``), with the verdict and comment as the reason the
unit reads; otherwise a case still 已答复 is closed (销号) as the resident, since the resident's
satisfaction is what closing waits for (docs/domain.md: close is taken by "the resident,
satisfied, or the console"). A verdict on a case that has moved on otherwise is recorded and
changes nothing (its comment is passed on). ``expire``: no answer within ``ratings.expire_days`` makes the rating
``expired`` (未评价) and closes a case still 已答复 as the system.

**Superseded**: a request still open when its case is reopened (by staff: a resident's own
verdict settles its request before the reopen) no longer asks about anything current. It takes
no digits (``pending_for``), cannot be rated on the page, never expires as 未评价, and becomes
``superseded`` (``supersede``: every pass of the ask job, and before a case's new round is asked
about). Superseded requests count nowhere (``rating_figures``, ``latest``).

**Daytime**: residents are asked, and told of an expiry's close, from 08:00 to 20:00 Beijing time
only (``may_ask``: the hours people are chased in, ``cases.supervision.CHASING_HOURS``, on every
day: a resident may be answered on a Saturday, and a question held for a week of holidays would
come too late to ask); the jobs catch up in the morning.

Every step goes through ``cases.actions.perform``, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Connection, and_, bindparam, exists, func, or_, select, update
from sqlalchemy import case as when
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

import texts as names
from cases import actions
from cases import notices as notice_rules
from cases.notices import RESIDENT_TEMPLATE, STAFF_TEMPLATE, CaseFacts, Notice
from cases.numbering import BEIJING_OFFSET, case_number
from cases.scope import SYSTEM, Actor
from cases.status import ActorKind, CaseStatus, Tier
from cases.supervision import CHASING_HOURS
from models import Case, CaseEvent, CaseRating, Resident
from models.rating import SATISFACTION_VALUES, SOLVED_VALUES
from texts import beijing_time, clip
from texts import notices as notice_words
from texts import ratings as words

RATED_STEPS = ("reply", "answer_proposal", "close")
ANSWERS = ("reply", "answer_proposal")
# A step the scheduler did not ask about within this long (it was down) is left: a question
# days after the answer confuses more than it helps.
ASK_WITHIN = timedelta(days=3)
BATCH = 50
TOKEN_SALT = "minyi-rating-page"

ratings = CaseRating.__table__


# -- the link's token ---------------------------------------------------------------------------
class BadToken(ValueError):
    """Not a token we signed (tampered, cut short, another salt or key)."""


class TokenExpired(ValueError):
    """A token we signed, older than it may be."""


def _serializer(key: str, at: datetime) -> URLSafeTimedSerializer:
    """itsdangerous's serializer on our clock: ``at`` is "now" for signing and for checking."""
    stamp = int(at.replace(tzinfo=UTC).timestamp())

    class OnOurClock(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(key, salt=TOKEN_SALT, signer=OnOurClock)


def sign_token(key: str, rating_id: int, now: datetime) -> str:
    """The rating page's capability: the rating's id (never an openid), signed and dated."""
    return _serializer(key, now).dumps({"r": rating_id})


def read_token(key: str, token: str, now: datetime, max_age: timedelta) -> int:
    """The rating id ``token`` carries; raises BadToken or TokenExpired."""
    try:
        payload = _serializer(key, now).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise TokenExpired(token[:8]) from None
    except BadSignature:
        raise BadToken(token[:8]) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        raise BadToken(token[:8])
    return payload["r"]


# -- asking -------------------------------------------------------------------------------------
def may_ask(now: datetime) -> bool:
    """Residents are asked to rate, and told of an expiry's close, in the daytime only."""
    return CHASING_HOURS[0] <= (now + BEIJING_OFFSET).hour < CHASING_HOURS[1]


def _reopened_since():
    """A condition on ``case_ratings``: the request's case was reopened after its rated step, so
    the request asks about a superseded answer."""
    return exists().where(CaseEvent.case_id == ratings.c.case_id, CaseEvent.action == "reopen",
                          CaseEvent.id > ratings.c.event_id)


def supersede(conn: Connection, now: datetime, case_id: int | None = None) -> int:
    """Settle the open requests whose case was reopened since (of one case, or all) as
    ``superseded``; returns how many."""
    where = [ratings.c.status == "asked", _reopened_since()]
    if case_id is not None:
        where.append(ratings.c.case_id == case_id)
    return conn.execute(update(ratings).where(*where).values(status="superseded", rated_at=now)).rowcount


def _last_reopen(case_id):
    """The id of the case's latest reopen (0 if none): where its current round starts."""
    return (select(func.coalesce(func.max(CaseEvent.id), 0))
            .where(CaseEvent.case_id == case_id, CaseEvent.action == "reopen").correlate(Case).scalar_subquery())


def due_for_asking(conn: Connection, now: datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """(case id, event id) of cases answered or closed lately whose current round nobody asked
    about yet, for residents who follow the account: the round's latest rated step."""
    since = now - ASK_WITHIN
    step = (select(func.max(CaseEvent.id)).where(CaseEvent.case_id == Case.id, CaseEvent.action.in_(RATED_STEPS))
            .scalar_subquery())
    asked = exists().where(and_(ratings.c.case_id == Case.id, ratings.c.event_id > _last_reopen(Case.id)))
    rows = conn.execute(
        select(Case.id, step)
        .join(Resident, Resident.id == Case.resident_id)
        .where(Case.updated_at >= since,
               or_(and_(Case.status == CaseStatus.REPLIED, Case.replied_at >= since),
                   and_(Case.status == CaseStatus.CLOSED, Case.closed_at >= since)),
               Resident.openid.is_not(None), Resident.subscribed.is_(True), ~asked)
        .order_by(Case.id).limit(limit)
    ).all()
    return [(case_id, event_id) for case_id, event_id in rows if event_id is not None]


@cache
def _insert_once(dialect_name: str):
    """Insert a rating request unless its step was asked about already (two schedulers racing)."""
    dialect_insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return (dialect_insert(ratings)
            .values(case_id=bindparam("p_case"), event_id=bindparam("p_event"), status="asked", comment="",
                    asked_at=bindparam("p_now"))
            .on_conflict_do_nothing(index_elements=[ratings.c.event_id])
            .returning(ratings.c.id))


def ask(conn: Connection, case_id: int, event_id: int, now: datetime, link=None) -> int | None:
    """Ask the resident about ``event_id`` (once: a second call does nothing) and queue the
    question; ``link(rating_id)`` is the rating page's address, or None for no link. Returns the
    rating's id, or None when nothing was asked."""
    facts = actions.case_facts(conn, case_id)
    action = conn.scalar(select(CaseEvent.action).where(CaseEvent.id == event_id))
    if not facts.resident_openid or action not in RATED_STEPS:
        return None
    supersede(conn, now, case_id)   # an earlier round's request still open: this one replaces it
    rating_id = conn.execute(_insert_once(conn.dialect.name),
                             {"p_case": case_id, "p_event": event_id, "p_now": now}).scalar()
    if rating_id is None:
        return None
    url = link(rating_id) if link else ""
    head = words.ASK_HEADS[action].format(number=facts.number)
    text = words.ASK.format(head=head, link_line=words.ASK_LINK_LINE.format(url=url) if url else "")
    line = words.ASK_PROGRESS[action] if url else words.ASK_PROGRESS_NO_LINK
    notice = Notice(facts.resident_openid, "rating", text, RESIDENT_TEMPLATE,
                    {"number": facts.number, "text": line, "time": beijing_time(now)}, url=url)
    actions.queue(conn, f"evt:{event_id}", [notice], case_id, now)
    return rating_id


# -- answering ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pending:
    """A rating the resident has not finished: one of ``solved`` and ``satisfaction`` may be
    answered already (the chat asks one question at a time), and ``comment`` said with it."""

    id: int
    case_id: int
    number: str
    solved: str | None
    satisfaction: str | None
    comment: str = ""

    @property
    def half_answered(self) -> bool:
        return bool(self.solved or self.satisfaction)


def pending_for(conn: Connection, openid: str, now: datetime, expire_days: int) -> list[Pending]:
    """The resident's ratings still open (not superseded by a reopen): one they half answered
    first, whose second question the chat asked last; then the latest asked first."""
    half = when((or_(ratings.c.solved.is_not(None), ratings.c.satisfaction.is_not(None)), 0), else_=1)
    rows = conn.execute(
        select(ratings.c.id, ratings.c.case_id, Case.created_at, ratings.c.solved, ratings.c.satisfaction,
               ratings.c.comment)
        .join(Case, Case.id == ratings.c.case_id).join(Resident, Resident.id == Case.resident_id)
        .where(Resident.openid == openid, ratings.c.status == "asked",
               ratings.c.asked_at > now - timedelta(days=expire_days), ~_reopened_since())
        .order_by(half, ratings.c.asked_at.desc(), ratings.c.id.desc())
    ).all()
    return [Pending(row.id, row.case_id, case_number(row.case_id, row.created_at), row.solved, row.satisfaction,
                    row.comment or "") for row in rows]


def note_answer(conn: Connection, rating_id: int, solved: str | None, satisfaction: str | None,
                comment: str = "") -> bool:
    """Keep half an answer (the chat's first question), and what the resident said with it, while
    the rating is open."""
    values = {key: value for key, value in (("solved", solved), ("satisfaction", satisfaction)) if value}
    if comment.strip():
        values["comment"] = comment.strip()[:words.COMMENT_CHARS]
    done = conn.execute(update(ratings).where(ratings.c.id == rating_id, ratings.c.status == "asked")
                        .values(**values))
    return done.rowcount == 1


@dataclass(frozen=True)
class Verdict:
    """What a rating did: ``outcome`` closed (the case was closed), reopened (back to ``unit``),
    kept (recorded; the case had moved on since: a comment is passed to ``unit``), or already
    (rated before: nothing changed, ``solved``/``satisfaction`` are the recorded ones); expired or
    superseded (nothing recorded)."""

    rating_id: int
    case_id: int
    number: str
    solved: str
    satisfaction: str
    outcome: str
    unit: str = ""


def rejects(solved: str, satisfaction: str) -> bool:
    """未解决 reopens like 不满意 (answered is not solved)."""
    return solved == "unsolved" or satisfaction == "dissatisfied"


def handled_by(facts: CaseFacts) -> str:
    """Who handles the case at its tier, as residents read it."""
    unit = notice_rules.unit_of(facts.tier, facts)
    if unit:
        return unit
    if facts.representative_name and facts.tier in (None, Tier.REPRESENTATIVE):
        return names.representative_title(facts.representative_name)
    return facts.committee or names.SOME_COMMITTEE


def rate(conn: Connection, rating_id: int, solved: str, satisfaction: str, comment: str,
         now: datetime) -> Verdict:
    """Record the resident's verdict and act on it (see the module's docstring). A rating rated
    or expired already is not counted twice: its recorded verdict comes back as ``already``
    (or ``expired``); one whose case was reopened since is settled as ``superseded``."""
    if solved not in SOLVED_VALUES or satisfaction not in SATISFACTION_VALUES:
        raise ValueError("a verdict is one of the listed values")
    comment = comment.strip()[:words.COMMENT_CHARS]
    row = conn.execute(
        update(ratings).where(ratings.c.id == rating_id, ratings.c.status == "asked", ~_reopened_since())
        .values(status="rated", solved=solved, satisfaction=satisfaction, comment=comment, rated_at=now)
        .returning(ratings.c.case_id, ratings.c.event_id)
    ).first()
    if row is None:
        _supersede_one(conn, rating_id, now)
        return recorded(conn, rating_id)
    case = conn.execute(select(Case.status, Case.resident_id, Case.created_at).where(Case.id == row.case_id)).one()
    number = case_number(row.case_id, case.created_at)
    resident = Actor(ActorKind.RESIDENT, case.resident_id, names.ACTOR_LABELS["resident"])
    note = words.verdict_note(solved, satisfaction, comment)
    if rejects(solved, satisfaction):
        if case.status in (CaseStatus.REPLIED, CaseStatus.CLOSED):
            actions.perform(conn, row.case_id, "reopen", resident, now, note=note)
            unit = handled_by(actions.case_facts(conn, row.case_id))
            return Verdict(rating_id, row.case_id, number, solved, satisfaction, "reopened", unit)
        unit = _pass_on(conn, rating_id, row.case_id, solved, satisfaction, comment, now) if comment else ""
        return Verdict(rating_id, row.case_id, number, solved, satisfaction, "kept", unit)
    if case.status == CaseStatus.REPLIED:
        actions.perform(conn, row.case_id, "close", resident, now, note=note)
        return Verdict(rating_id, row.case_id, number, solved, satisfaction, "closed")
    return Verdict(rating_id, row.case_id, number, solved, satisfaction, "kept")


def _supersede_one(conn: Connection, rating_id: int, now: datetime) -> bool:
    return conn.execute(update(ratings).where(ratings.c.id == rating_id, ratings.c.status == "asked",
                                              _reopened_since())
                        .values(status="superseded", rated_at=now)).rowcount == 1


def recorded(conn: Connection, rating_id: int) -> Verdict:
    """A rating as it stands, for a second answer: ``already`` with the recorded verdict, or
    ``expired``, ``superseded`` or ``asked`` (still open)."""
    row = conn.execute(select(ratings.c.case_id, ratings.c.status, ratings.c.solved, ratings.c.satisfaction,
                              Case.created_at).join(Case, Case.id == ratings.c.case_id)
                       .where(ratings.c.id == rating_id)).one()
    outcome = "already" if row.status == "rated" else row.status
    return Verdict(rating_id, row.case_id, case_number(row.case_id, row.created_at), row.solved or "",
                   row.satisfaction or "", outcome)


def add_comment(conn: Connection, rating_id: int, comment: str, now: datetime) -> str | None:
    """Keep the comment a resident gave after their verdict (the chat asks for it after 不满意 or
    未解决) and pass it to whoever handles the case now. Returns who was told, as residents read
    it, or None when the rating already has a comment."""
    comment = comment.strip()[:words.COMMENT_CHARS]
    if not comment:
        return None
    row = conn.execute(
        update(ratings).where(ratings.c.id == rating_id, ratings.c.status == "rated", ratings.c.comment == "")
        .values(comment=comment).returning(ratings.c.case_id, ratings.c.solved, ratings.c.satisfaction)
    ).first()
    if row is None:
        return None
    return _pass_on(conn, rating_id, row.case_id, row.solved, row.satisfaction, comment, now)


def _pass_on(conn: Connection, rating_id: int, case_id: int, solved: str, satisfaction: str, comment: str,
             now: datetime) -> str:
    """Tell whoever handles the case now why the resident rejected the answer; returns who that
    is, as residents read it."""
    facts = actions.case_facts(conn, case_id)
    time = beijing_time(now)
    text = words.comment_notice(solved, satisfaction, number=facts.number, comment=comment,
                                summary=clip(facts.summary, notice_rules.SUMMARY_CHARS))
    line = notice_words.progress(words.COMMENT_PROGRESS, summary=facts.summary)
    actions.queue(conn, f"rate:{rating_id}", [
        Notice(openid, "rating_comment", text, STAFF_TEMPLATE, {"number": facts.number, "text": line, "time": time})
        for openid in dict.fromkeys(notice_rules.handling_openids(facts))], case_id, now)
    return handled_by(facts)


# -- expiring -----------------------------------------------------------------------------------
def due_to_expire(conn: Connection, now: datetime, expire_days: int, limit: int = BATCH) -> list[int]:
    return list(conn.scalars(select(ratings.c.id).where(ratings.c.status == "asked",
                                                        ratings.c.asked_at <= now - timedelta(days=expire_days))
                             .order_by(ratings.c.id).limit(limit)))


def expire(conn: Connection, rating_id: int, now: datetime, expire_days: int) -> bool:
    """No answer in time: the rating is 未评价, and a case still 已答复 in the same round is closed
    by the system. False when the rating was answered or expired meanwhile, or its case was
    reopened since (it is then ``superseded``, not 未评价)."""
    row = conn.execute(update(ratings).where(ratings.c.id == rating_id, ratings.c.status == "asked",
                                             ~_reopened_since())
                       .values(status="expired", rated_at=now).returning(ratings.c.case_id, ratings.c.event_id)).first()
    if row is None:
        _supersede_one(conn, rating_id, now)
        return False
    status = conn.scalar(select(Case.status).where(Case.id == row.case_id))
    if status == CaseStatus.REPLIED:
        actions.perform(conn, row.case_id, "close", SYSTEM, now, note=words.EXPIRED_CLOSE_NOTE.format(days=expire_days))
    return True


# -- the figures --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RatingFigures:
    """Ratings of the cases a ``where`` selects. ``asked`` counts every request (but superseded
    ones, which count nowhere); ``pending`` those
    still open; ``expired`` those never answered (未评价), counted apart and never as satisfied.
    The rates count real ratings only (``rated``), and are None when there is none:

    - ``satisfaction_rate`` = (满意 + 基本满意) / rated;
    - ``solved_rate`` (办成率) = 解决 / rated: 部分解决 is not solved, so it lowers the rate (it is
      counted in ``partly``, for whoever wants to report it separately).
    """

    asked: int = 0
    rated: int = 0
    expired: int = 0
    satisfied: int = 0
    basic: int = 0
    dissatisfied: int = 0
    solved: int = 0
    partly: int = 0
    unsolved: int = 0
    pending: int = field(init=False)
    satisfaction_rate: float | None = field(init=False)
    solved_rate: float | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pending", self.asked - self.rated - self.expired)
        object.__setattr__(self, "satisfaction_rate",
                           (self.satisfied + self.basic) / self.rated if self.rated else None)
        object.__setattr__(self, "solved_rate", self.solved / self.rated if self.rated else None)


def latest():
    """A condition on ``case_ratings``: the row is its case's latest real request (its final
    verdict): superseded requests are none."""
    later = aliased(CaseRating)
    return and_(ratings.c.status != "superseded",
                ~exists().where(later.case_id == ratings.c.case_id, later.id > ratings.c.id,
                                later.status != "superseded"))


def rating_figures(conn: Connection, where, *, latest_only: bool = False) -> RatingFigures:
    """The figures for the cases ``where`` (a condition on ``Case``: the caller's scope and
    period) selects. Each answer is judged on its own, so a case answered twice counts twice;
    ``latest_only`` counts each case's latest request only (its final verdict)."""

    def count(condition):
        return func.coalesce(func.sum(when((condition, 1), else_=0)), 0)

    rated = ratings.c.status == "rated"
    query = (select(func.count(ratings.c.id), count(rated), count(ratings.c.status == "expired"),
                    *(count(and_(rated, ratings.c.satisfaction == value)) for value in SATISFACTION_VALUES),
                    *(count(and_(rated, ratings.c.solved == value)) for value in SOLVED_VALUES))
             .select_from(ratings.join(Case.__table__, Case.id == ratings.c.case_id))
             .where(where, ratings.c.status != "superseded"))
    if latest_only:
        query = query.where(latest())
    return RatingFigures(*(int(value) for value in conn.execute(query).one()))
