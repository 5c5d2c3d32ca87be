"""The queues (领单): tabs with their counts, filters, search, sorting and pages.

Each tab is a condition on ``cases`` (``TABS``), always combined with the user's scope; a clerk
sees their sub-district's, a department liaison their department's, the district office and
observers everything. Every tab but 「全部」 holds open cases only, so their counts are one pass
over the open cases (a few percent of a district's million); 「推送失败」 starts from the few
failed notifications; 「全部」 is counted up to COUNT_CAP and shown as "more than" beyond it, so
that no page reads every case the district ever had. A search counts on its own tab only, up to
SEARCH_COUNT_CAP in the list's order (a word as common as 小区 is in a third of all messages), and
runs once for both the count and the page; the other tabs keep their counts under the filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy import case as when

from bot.services import services
from cases.deadlines import RUNNING
from cases.numbering import BEIJING_OFFSET, case_number
from cases.routing import rules as routing_rules
from cases.scope import Actor, clause
from cases.search import MAX_QUERY, matching
from cases.status import CATEGORY_SEPARATOR, COLOURS, OPEN_STATUSES, CaseStatus, Tier
from console import bp
from models import Case, CaseEvent, ContactPoint, OutboxMessage, Representative
from models.staff import StaffRole
from scheduler.routing import FILE_KEYS
from texts import routing as routing_words
from texts import workbench as labels

PAGE_SIZE = 50
COUNT_CAP = 10_000
SEARCH_COUNT_CAP = 1_000
DUE_SOON = timedelta(days=2)


def _open():
    return Case.status.in_(OPEN_STATUSES)


# tab → condition, given now. The order is the order of the tabs; all but the last two are open cases.
TABS: dict[str, Callable[[datetime], object]] = {
    "waiting": lambda now: and_(Case.status == CaseStatus.SUBMITTED, Case.representative_id.is_not(None),
                                Case.escalated_at.is_(None)),
    "unrouted": lambda now: and_(Case.status.in_([CaseStatus.SUBMITTED, CaseStatus.ACCEPTED]),
                                 or_(Case.escalated_at.is_not(None), Case.representative_id.is_(None))),
    "subdistrict": lambda now: and_(Case.status == CaseStatus.ASSIGNED, Case.tier == Tier.SUBDISTRICT),
    "department": lambda now: and_(Case.status == CaseStatus.ASSIGNED, Case.tier == Tier.DEPARTMENT),
    # a replied case waits for its resident, not for a unit: only running clocks are due (cases.deadlines;
    # ix_cases_running_due holds them by deadline)
    "due": lambda now: and_(Case.status.in_(RUNNING), Case.due_at.is_not(None), Case.due_at <= now + DUE_SOON),
    "reopened": lambda now: and_(_open(), Case.id.in_(select(CaseEvent.case_id).where(CaseEvent.action == "reopen"))),
    "failed": lambda now: Case.id.in_(select(OutboxMessage.case_id).where(OutboxMessage.status == "failed")),
    "all": lambda now: Case.id.is_not(None),
}
OPEN_TABS = tuple(TABS)[:-2]
SORTS = {"new": (Case.id.desc(),), "old": (Case.id,), "due": (Case.due_at.asc().nulls_last(), Case.id)}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        abort(400)


@dataclass(frozen=True)
class Filters:
    """What the queue page's address asks for. Every link of the page (tabs, pages, the ledger)
    carries the same filters: ``args`` writes them back."""

    tab: str = "waiting"
    status: str = ""
    tier: str = ""
    category: str = ""         # a top-level class of the category tree
    colour: str = ""
    rep: str = ""              # a representative's code
    point: str = ""            # a contact point's code
    since: date | None = None  # reported on or after this Beijing date
    until: date | None = None  # reported on or before this Beijing date
    q: str = ""
    sort: str = "new"
    page: int = 1

    @classmethod
    def from_request(cls) -> Filters:
        args = request.args
        filters = cls(
            tab=args.get("tab", "waiting"), status=args.get("status", ""), tier=args.get("tier", ""),
            category=args.get("category", "")[:64], colour=args.get("colour", ""), rep=args.get("rep", "")[:32],
            point=args.get("point", "")[:32], since=_day(args.get("since", "")), until=_day(args.get("until", "")),
            q=args.get("q", "").strip()[:MAX_QUERY], sort=args.get("sort", "new"))
        if (filters.tab not in TABS or filters.status not in ("", *CaseStatus) or filters.tier not in ("", *Tier)
                or filters.colour not in ("", *COLOURS) or filters.sort not in SORTS):
            abort(400)
        page = args.get("page", "1")
        return replace(filters, page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1)

    def args(self, **changes) -> dict:
        """The query arguments of a link to this list with ``changes``; empty ones are left out."""
        values = {**asdict(self), "page": None, **changes}
        return {key: (value.isoformat() if isinstance(value, date) else value)
                for key, value in values.items() if value not in ("", None) and not (key == "page" and value == 1)}


def listed(filters: Filters, actor: Actor, now: datetime):
    """The cases the list shows (and the ledger exports): the user's scope, the tab, the filters."""
    return and_(clause(actor), TABS[filters.tab](now), *conditions(filters))


def conditions(filters: Filters) -> list:
    """The filters (not the tab, not the scope) as conditions on ``cases``."""
    where = []
    for column, value in ((Case.status, filters.status), (Case.tier, filters.tier), (Case.colour, filters.colour)):
        if value:
            where.append(column == value)
    if filters.category:
        where.append(or_(Case.category == filters.category,
                         Case.category.startswith(filters.category + CATEGORY_SEPARATOR, autoescape=True)))
    if filters.rep:
        where.append(Case.representative_id == select(Representative.id).where(Representative.code == filters.rep)
                     .scalar_subquery())
    if filters.point:
        where.append(Case.contact_point_id == select(ContactPoint.id).where(ContactPoint.code == filters.point)
                     .scalar_subquery())
    if filters.since:
        where.append(Case.created_at >= datetime.combine(filters.since, datetime.min.time()) - BEIJING_OFFSET)
    if filters.until:
        where.append(Case.created_at < datetime.combine(filters.until + timedelta(days=1), datetime.min.time())
                     - BEIJING_OFFSET)
    if filters.q:
        where.append(matching(filters.q))
    return where


def capped_count(conn: Connection, where, cap: int) -> int:
    """How many cases meet ``where``, counted newest first up to ``cap`` + 1 (then "more than")."""
    return conn.scalar(select(func.count()).select_from(
        select(Case.id).where(where).order_by(Case.id.desc()).limit(cap + 1).subquery()))


def tab_counts(conn: Connection, actor: Actor, filters: Filters, now: datetime) -> dict[str, int]:
    """Each tab's number of cases under the filters (a search aside: it counts on its own tab);
    「全部」 at most COUNT_CAP + 1."""
    base = and_(clause(actor), *conditions(replace(filters, q="")))
    open_counts = conn.execute(select(*(func.coalesce(func.sum(when((TABS[tab](now), 1), else_=0)), 0)
                                        for tab in OPEN_TABS)).where(base, _open())).one()
    counts = dict(zip(OPEN_TABS, open_counts, strict=True))
    counts["failed"] = conn.scalar(select(func.count()).where(base, TABS["failed"](now)))
    counts["all"] = capped_count(conn, base, COUNT_CAP)
    return counts


@cache
def _top_level_classes(files: tuple[str, ...]) -> tuple[str, ...]:
    return routing_rules.load(*files).top_level


def choices(conn: Connection, actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """The filters' options: the classes, and the representatives and contact points of one's sub-district."""
    reps = select(Representative.code, Representative.name).order_by(Representative.code)
    points = select(ContactPoint.code, ContactPoint.name).order_by(ContactPoint.code)
    if actor.role is StaffRole.SUBDISTRICT:
        reps = reps.where(Representative.sub_district_id == actor.sub_district_id)
        points = points.where(ContactPoint.sub_district_id == actor.sub_district_id)
    settings = services().settings
    files = tuple(getattr(settings, key.replace(".", "_")) for key in FILE_KEYS)
    return {"categories": [(name, name) for name in _top_level_classes(files)],
            "reps": [tuple(row) for row in conn.execute(reps)],
            "points": [tuple(row) for row in conn.execute(points)]}


@bp.route("/")
@login_required
def queues():
    filters = Filters.from_request()
    actor = current_user.actor
    now = services().clock.now()
    with services().engine.connect() as conn:
        counts = tab_counts(conn, actor, filters, now)
        where = listed(filters, actor, now)
        order = SORTS[filters.sort]
        offset = (filters.page - 1) * PAGE_SIZE
        if filters.q:
            # The search runs once: the ids of its first SEARCH_COUNT_CAP + 1 hits in the list's
            # order give both the count and this page.
            cap = SEARCH_COUNT_CAP
            found = conn.scalars(select(Case.id).where(where).order_by(*order).limit(cap + 1)).all()
            total, where, offset = len(found), Case.id.in_(found[offset:offset + PAGE_SIZE + 1]), 0
        else:
            cap, total = COUNT_CAP, counts[filters.tab]
        rows = conn.execute(
            select(Case.id, Case.created_at, Case.summary, Case.status, Case.tier, Case.due_at,
                   Case.supervised_at, Representative.name.label("rep"))
            .outerjoin(Representative, Representative.id == Case.representative_id)
            .where(where).order_by(*order).limit(PAGE_SIZE + 1).offset(offset)).all()
        options = choices(conn, actor)
    cases = [{"number": case_number(r.id, r.created_at), "created_at": r.created_at, "summary": r.summary,
              "status": labels.STATUS_LABELS[r.status], "tier": labels.TIER_LABELS[r.tier] if r.tier else "",
              "rep": r.rep or "", "due_at": r.due_at, "overdue": bool(r.due_at and r.due_at < now
                                                                      and r.status in RUNNING),
              "supervised": bool(r.supervised_at and r.due_at and r.supervised_at >= r.due_at
                                 and r.status in RUNNING)}
             for r in rows[:PAGE_SIZE]]
    return render_template("console/queues.html", filters=filters, counts=counts, cases=cases, total=total,
                           capped=total > cap, cap=cap, tab_cap=COUNT_CAP, pages=max(1, -(-min(total, cap) // PAGE_SIZE)),
                           more=len(rows) > PAGE_SIZE, statuses=labels.STATUS_LABELS, tiers=labels.TIER_LABELS,
                           colour_options=[(c, routing_words.COLOUR_LABELS[c]) for c in COLOURS], **options)
