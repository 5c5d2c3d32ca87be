"""The queues (领单): tabs with their counts, filters, search, sorting and pages.

Each tab is a condition on ``cases`` (``TABS``), always combined with the user's scope; a clerk
sees their sub-district's, a department liaison their department's, the district office and
observers everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy import case as when

from bot.services import services
from cases.numbering import case_number, parse_case_number
from cases.scope import Actor, clause
from cases.status import OPEN_STATUSES, CaseStatus, Tier
from console import bp
from models import Case, CaseEvent, OutboxMessage, Representative
from texts import workbench as labels

PAGE_SIZE = 50
DUE_SOON = timedelta(days=2)
SEARCH_MAX = 50


def _open():
    return Case.status.in_(OPEN_STATUSES)


# tab → condition, given now. The order is the order of the tabs.
TABS: dict[str, Callable[[datetime], object]] = {
    "waiting": lambda now: and_(Case.status == CaseStatus.SUBMITTED, Case.representative_id.is_not(None),
                                Case.escalated_at.is_(None)),
    "unrouted": lambda now: and_(Case.status.in_([CaseStatus.SUBMITTED, CaseStatus.ACCEPTED]),
                                 or_(Case.escalated_at.is_not(None), Case.representative_id.is_(None))),
    "subdistrict": lambda now: and_(Case.status == CaseStatus.ASSIGNED, Case.tier == Tier.SUBDISTRICT),
    "department": lambda now: and_(Case.status == CaseStatus.ASSIGNED, Case.tier == Tier.DEPARTMENT),
    "due": lambda now: and_(_open(), Case.due_at.is_not(None), Case.due_at <= now + DUE_SOON),
    "reopened": lambda now: and_(_open(), exists().where(CaseEvent.case_id == Case.id,
                                                         CaseEvent.action == "reopen")),
    "failed": lambda now: exists().where(OutboxMessage.case_id == Case.id, OutboxMessage.status == "failed"),
    "all": lambda now: Case.id.is_not(None),
}
SORTS = {"new": (Case.id.desc(),), "old": (Case.id,), "due": (Case.due_at.is_(None), Case.due_at, Case.id)}


@dataclass(frozen=True)
class Filters:
    tab: str
    status: str
    tier: str
    q: str
    sort: str
    page: int

    @classmethod
    def from_request(cls) -> Filters:
        args = request.args
        tab = args.get("tab", "waiting")
        status, tier, sort = args.get("status", ""), args.get("tier", ""), args.get("sort", "new")
        if tab not in TABS or status not in ("", *CaseStatus) or tier not in ("", *Tier) or sort not in SORTS:
            abort(400)
        page = args.get("page", "1")
        return cls(tab, status, tier, args.get("q", "").strip()[:SEARCH_MAX], sort,
                   int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1)


def listed(filters: Filters, actor: Actor, now: datetime):
    """The cases the list shows (and the ledger exports): the user's scope, the tab, the filters."""
    return and_(clause(actor), TABS[filters.tab](now), *conditions(filters, now))


def conditions(filters: Filters, now: datetime) -> list:
    """The filters (not the tab, not the scope) as conditions on ``cases``."""
    where = []
    if filters.status:
        where.append(Case.status == filters.status)
    if filters.tier:
        where.append(Case.tier == filters.tier)
    if filters.q:
        number = parse_case_number(filters.q)
        if number is not None:
            where.append(Case.id == number[1])
        else:
            pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(Case.summary.like(pattern, escape="\\"))
    return where


@bp.route("/")
@login_required
def queues():
    filters = Filters.from_request()
    now = services().clock.now()
    with services().engine.connect() as conn:
        # Every tab's count in one pass over the user's filtered cases.
        tallies = conn.execute(select(*(func.coalesce(func.sum(when((condition(now), 1), else_=0)), 0)
                                        for condition in TABS.values()))
                               .where(clause(current_user.actor), *conditions(filters, now))).one()
        counts = dict(zip(TABS, tallies, strict=True))
        where = listed(filters, current_user.actor, now)
        rows = conn.execute(
            select(Case.id, Case.created_at, Case.summary, Case.status, Case.tier, Case.due_at,
                   Representative.name.label("rep"))
            .outerjoin(Representative, Representative.id == Case.representative_id)
            .where(where).order_by(*SORTS[filters.sort])
            .limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)).all()
    total = counts[filters.tab]
    pages = max(1, -(-total // PAGE_SIZE))
    cases = [{"number": case_number(r.id, r.created_at), "created_at": r.created_at, "summary": r.summary,
              "status": labels.STATUS_LABELS[r.status], "tier": labels.TIER_LABELS[r.tier] if r.tier else "",
              "rep": r.rep or "", "due_at": r.due_at, "overdue": bool(r.due_at and r.due_at < now
                                                                      and r.status in OPEN_STATUSES)}
             for r in rows]
    return render_template("console/queues.html", filters=filters, counts=counts, cases=cases, total=total, pages=pages,
                           statuses=labels.STATUS_LABELS, tiers=labels.TIER_LABELS)
