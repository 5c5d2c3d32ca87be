"""``minyi demo load``: fill an empty database with 示例区 (demo/data.py).

Residents, representatives, contact points, departments, staff accounts and 60 cases spread
over every status and tier. Every step of every case goes through ``cases.actions.perform``, as
real work does (quietly: a history tells nobody anything).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accounts.staff import create_staff_user
from cases.actions import perform
from cases.scope import Actor
from cases.status import OPEN_STATUSES, ActorKind, CaseStatus, MessageKind, Tier
from demo import data
from models import (
    Case,
    CaseEvent,
    CaseMessage,
    ContactPoint,
    Department,
    District,
    Representative,
    Resident,
    ResidentScan,
    StaffUser,
    SubDistrict,
)
from models.staff import StaffRole

# How many cases end in each status (60 in all): most are done, some are still moving.
STATUS_PLAN = {
    CaseStatus.SUBMITTED: 7, CaseStatus.ACCEPTED: 6, CaseStatus.ASSIGNED: 12, CaseStatus.REPLIED: 8,
    CaseStatus.CLOSED: 18, CaseStatus.MERGED: 2, CaseStatus.INVALID: 3, CaseStatus.WITHDRAWN: 3,
    CaseStatus.REFERRED: 1,
}
DUE_DAYS = 15  # 一般事项 answer time used for the demo's deadlines
SATISFACTION = ("满意", "满意", "满意", "基本满意")


class DemoError(RuntimeError):
    pass


@dataclass
class Loaded:
    passwords: dict[str, str] = field(default_factory=dict)  # username → password
    cases: int = 0


def is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(District)) == 0


def load(session: Session, now: datetime, seed: int = 2026) -> Loaded:
    if not is_empty(session):
        raise DemoError("the database already has a district; the demo loads only into an empty one")
    rng = random.Random(seed)
    district = District(**data.DISTRICT)
    session.add(district)
    sub_districts: dict[str, SubDistrict] = {}
    contact_points: dict[str, ContactPoint] = {}
    for code, name, committee, phone, points in data.SUB_DISTRICTS:
        sub = SubDistrict(district=district, code=code, name=name, committee_name=committee, committee_phone=phone)
        sub_districts[code] = sub
        for cp_code, cp_name, address, lat, lng in points:
            contact_points[cp_code] = ContactPoint(sub_district=sub, code=cp_code, name=cp_name,
                                                   address=address, latitude=lat, longitude=lng, phone=phone,
                                                   kind=data.point_kind(cp_code),
                                                   reception_hours=data.reception_hours(cp_code))
    session.add_all([*sub_districts.values(), *contact_points.values()])
    session.flush()

    reps = []
    for index, (code, name, level, constituency, sub_code, cp_code) in enumerate(data.REPRESENTATIVES):
        # Most representatives have bound their WeChat (every fifth has not yet), so the
        # sandbox has representatives' phones to play and cases waiting for a binding.
        openid = f"demo-rep-{code}" if index % 5 != 4 else None
        work_unit, introduction = data.REPRESENTATIVE_DETAILS[code]
        rep = Representative(code=code, name=name, level=level, constituency=constituency, openid=openid,
                             work_unit=work_unit, introduction=introduction,
                             sub_district_id=sub_districts[sub_code].id,
                             primary_contact_point_id=contact_points[cp_code].id)
        rep.contact_points.append(contact_points[cp_code])
        reps.append(rep)
    departments = {code: Department(district_id=district.id, code=code, name=name, phone=phone, aliases=aliases,
                                    short_name=data.DEPARTMENT_SHORT_NAMES[code])
                   for code, name, phone, aliases in data.DEPARTMENTS}
    session.add_all([*reps, *departments.values()])
    session.flush()

    loaded = Loaded()
    staff: dict[str, StaffUser] = {}
    for username, display_name, role, unit in data.STAFF:
        loaded.passwords[username] = secrets.token_urlsafe(9)
        staff[username] = create_staff_user(
            session, username=username, display_name=display_name, role=role, unit_code=unit,
            password=loaded.passwords[username], now=now,
        )
        if username in data.BOUND_STAFF:
            staff[username].openid = f"demo-staff-{username}"
    session.flush()

    residents = []
    for index in range(data.RESIDENTS):
        rep = rng.choice(reps)
        bound_at = now - timedelta(days=rng.randint(61, 120))
        resident = Resident(
            openid=data.resident_openid(index), subscribed=True, subscribed_at=bound_at,
            representative_id=rep.id, contact_point_id=rep.primary_contact_point_id, bound_at=bound_at,
            first_message_at=bound_at, last_message_at=bound_at, created_at=bound_at,
        )
        residents.append((resident, rep))
    session.add_all(resident for resident, _ in residents)
    session.flush()
    session.add_all(
        ResidentScan(resident_id=resident.id, representative_id=rep.id,
                     contact_point_id=rep.primary_contact_point_id, scene=f"rep:{rep.code}",
                     event="subscribe", scanned_at=resident.bound_at)
        for resident, rep in residents
    )

    plan = [status for status, count in STATUS_PLAN.items() for _ in range(count)]
    rng.shuffle(plan)
    filed: list[tuple[Case, CaseStatus]] = []
    for index, final in enumerate(plan):
        resident, rep = residents[index % len(residents)]
        report = _pick_report(rng, final)
        _file_case(session, rng, now, resident, rep, report, final, departments, staff, sub_districts,
                   contact_points, filed)
    loaded.cases = len(filed)
    session.flush()
    _suggest(session, [case for case, _ in filed], now)
    session.commit()
    return loaded


def _suggest(session: Session, cases: list[Case], now: datetime) -> None:
    """The routing suggestion of every demo case, from the packaged rules (the scheduler makes
    them for new cases only)."""
    from cases.routing import store
    from cases.routing.engine import Engine
    from cases.routing.rules import load as load_rules

    conn = session.connection()
    engine = Engine(load_rules(), department_names={d.code: d.name for d in session.scalars(select(Department))})
    for case in cases:
        store.suggest_case(conn, engine, case.id, now)


def _pick_report(rng: random.Random, final: CaseStatus) -> tuple:
    # A tier-1 case is answered by the representative and never assigned.
    choices = [r for r in data.REPORTS if not (final is CaseStatus.ASSIGNED and r[2] == "representative")]
    return rng.choice(choices)


def _file_case(session, rng, now, resident, rep, report, final, departments, staff, sub_districts,
               contact_points, filed) -> Case:
    text, category, tier_code, department_code, answer = report
    tier = Tier(tier_code)
    at = now - timedelta(days=rng.randint(2, 60), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
    sub = next(s for s in sub_districts.values() if s.id == rep.sub_district_id)
    case = Case(resident_id=resident.id, representative_id=rep.id, contact_point_id=rep.primary_contact_point_id,
                sub_district_id=rep.sub_district_id, category=category, status=CaseStatus.SUBMITTED,
                summary=text[:200], created_at=at, updated_at=at, last_message_at=at)
    session.add(case)
    session.flush()
    session.add(CaseMessage(case_id=case.id, kind=MessageKind.TEXT, content=text, created_at=at))
    if rng.random() < 0.3:
        point = next(cp for cp in contact_points.values() if cp.id == rep.primary_contact_point_id)
        session.add(CaseMessage(case_id=case.id, kind=MessageKind.LOCATION, latitude=point.latitude + 0.002,
                                longitude=point.longitude - 0.001, location_scale=16,
                                location_label=f"{point.address}附近", created_at=at + timedelta(minutes=1)))
    session.add(CaseEvent(case_id=case.id, at=at, actor_kind=ActorKind.RESIDENT, actor_id=resident.id,
                          action="submit", from_status=None, to_status=CaseStatus.SUBMITTED, note=""))
    session.flush()
    conn = session.connection()
    as_resident = Actor(ActorKind.RESIDENT, resident.id)
    as_rep = Actor(ActorKind.REPRESENTATIVE, rep.id, rep.name)
    clerk = staff[sub.code]
    as_clerk = Actor(ActorKind.STAFF, clerk.id, clerk.display_name, role=StaffRole.SUBDISTRICT,
                     sub_district_id=clerk.sub_district_id)

    def step(action: str, actor: Actor, hours: float = 0, **options):
        nonlocal at
        at = min(at + timedelta(hours=hours or rng.uniform(2, 60)), now - timedelta(minutes=5))
        perform(conn, case.id, action, actor, at, notify=False, **options)
        return at

    status = CaseStatus.SUBMITTED
    try:
        if final is CaseStatus.SUBMITTED:
            return case
        if final is CaseStatus.INVALID:
            step("invalidate", as_clerk, note="反映内容不属于本区职责范围，已告知群众向有关部门咨询。")
            return case
        if final is CaseStatus.REFERRED:
            step("refer", as_clerk, code="12345", reference=f"GD{case.id:08d}", note="属于政务服务事项，已转热线办理。")
            return case
        open_cases = [other for other, other_status in filed
                      if other_status in OPEN_STATUSES and other.sub_district_id == case.sub_district_id]
        if final is CaseStatus.MERGED and open_cases:
            earlier = open_cases[-1]
            step("merge", as_clerk, merged_into_id=earlier.id, note=f"与{earlier.number}反映同一事项，并案办理。")
            return case
        step("accept", as_rep, tier=tier, note=f"已接单，按“{_TIER_NOTES[tier]}”办理。")
        if final in (CaseStatus.ACCEPTED, CaseStatus.MERGED):
            return case
        if final is CaseStatus.WITHDRAWN:
            step("withdraw", as_resident, note="群众表示问题已自行解决，申请撤回。")
            return case
        if tier is not Tier.REPRESENTATIVE:
            department = departments[department_code] if department_code else None
            assigned_at = step("assign", as_clerk, tier=tier, department_id=department.id if department else None,
                               note=f"请于{DUE_DAYS}日内答复。")
            conn.execute(update(Case).where(Case.id == case.id)
                         .values(due_at=assigned_at + timedelta(days=DUE_DAYS)))
            if final is CaseStatus.ASSIGNED:
                return case
        step("reply", as_rep if tier is Tier.REPRESENTATIVE else as_clerk, note=answer)
        if final is CaseStatus.CLOSED:
            step("close", as_resident, note=f"群众评价：{rng.choice(SATISFACTION)}")
        return case
    finally:
        status = conn.scalar(select(Case.status).where(Case.id == case.id))
        filed.append((case, status))


_TIER_NOTES = {
    Tier.REPRESENTATIVE: "代表直接答复",
    Tier.SUBDISTRICT: "街道社区办理",
    Tier.DEPARTMENT: "一府两院部门办理",
    Tier.HIGHER_CONGRESS: "提交上级人大",
}
