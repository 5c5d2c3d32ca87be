"""``minyi demo load``: fill an empty database with 示例区 (demo/data.py).

Residents, representatives, contact points, departments, staff accounts and 60 cases spread
over every status and tier, each with a timeline that the lifecycle table allows (every step
goes through cases.transitions.apply, as real work will).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.staff import create_staff_user
from cases.status import OPEN_STATUSES, ActorKind, CaseStatus, MessageKind, Tier
from cases.transitions import apply
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

# How many cases end in each status (60 in all): most are done, some are still moving.
STATUS_PLAN = {
    CaseStatus.SUBMITTED: 7, CaseStatus.ACCEPTED: 6, CaseStatus.ASSIGNED: 12, CaseStatus.REPLIED: 8,
    CaseStatus.CLOSED: 19, CaseStatus.MERGED: 2, CaseStatus.INVALID: 3, CaseStatus.WITHDRAWN: 3,
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
    for code, name, phone, points in data.SUB_DISTRICTS:
        sub = SubDistrict(district=district, code=code, name=name, committee_name=f"{name}人大工委",
                          committee_phone=phone)
        sub_districts[code] = sub
        for cp_code, cp_name, address, lat, lng in points:
            contact_points[cp_code] = ContactPoint(sub_district=sub, code=cp_code, name=cp_name,
                                                   address=address, latitude=lat, longitude=lng, phone=phone)
    session.add_all([*sub_districts.values(), *contact_points.values()])
    session.flush()

    reps = []
    for index, (code, name, level, constituency, sub_code, cp_code) in enumerate(data.REPRESENTATIVES):
        # Most representatives have bound their WeChat (every fifth has not yet), so the
        # sandbox has representatives' phones to play and cases waiting for a binding.
        openid = f"demo-rep-{code}" if index % 5 != 4 else None
        rep = Representative(code=code, name=name, level=level, constituency=constituency, openid=openid,
                             sub_district_id=sub_districts[sub_code].id,
                             primary_contact_point_id=contact_points[cp_code].id)
        rep.contact_points.append(contact_points[cp_code])
        reps.append(rep)
    departments = {code: Department(district_id=district.id, code=code, name=name, phone=phone)
                   for code, name, phone in data.DEPARTMENTS}
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
    session.flush()

    residents = []
    for index in range(data.RESIDENTS):
        rep = rng.choice(reps)
        bound_at = now - timedelta(days=rng.randint(61, 120))
        resident = Resident(
            openid=f"demo-resident-{index + 1:02d}", subscribed=True, subscribed_at=bound_at,
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
    filed: list[Case] = []
    for index, final in enumerate(plan):
        resident, rep = residents[index % len(residents)]
        report = _pick_report(rng, final)
        case = _file_case(session, rng, now, resident, rep, report, final, departments, staff,
                          sub_districts, contact_points, filed)
        filed.append(case)
    loaded.cases = len(filed)
    session.commit()
    return loaded


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
    clerk = staff[sub.code]
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

    def step(action: str, actor_kind: ActorKind, actor_id: int | None, note: str = "", hours: float = 0):
        nonlocal at
        at = min(at + timedelta(hours=hours or rng.uniform(2, 60)), now - timedelta(minutes=5))
        done = apply(case.status, action, tier=case.tier or (tier if action == "accept" else None), note=note)
        session.add(CaseEvent(case_id=case.id, at=at, actor_kind=actor_kind, actor_id=actor_id, action=action,
                              from_status=done.from_status, to_status=done.to_status, note=note))
        case.status, case.updated_at = done.to_status, at
        if action == "accept":
            case.tier, case.accepted_at = tier, at
        return at

    session.add(CaseEvent(case_id=case.id, at=at, actor_kind=ActorKind.RESIDENT, actor_id=resident.id,
                          action="submit", from_status=None, to_status=CaseStatus.SUBMITTED, note=""))
    if final is CaseStatus.SUBMITTED:
        return case
    if final is CaseStatus.INVALID:
        step("invalidate", ActorKind.STAFF, clerk.id, note="反映内容不属于本区职责范围，已告知群众向有关部门咨询。")
        return case
    open_cases = [other for other in filed if other.status in OPEN_STATUSES]
    if final is CaseStatus.MERGED and open_cases:
        earlier = open_cases[-1]
        case.merged_into_id = earlier.id
        step("merge", ActorKind.STAFF, clerk.id, note=f"与{earlier.number}反映同一事项，并案办理。")
        return case
    step("accept", ActorKind.REPRESENTATIVE, rep.id, note=f"已接单，按“{_TIER_NOTES[tier]}”办理。")
    if final in (CaseStatus.ACCEPTED, CaseStatus.MERGED):
        return case
    if final is CaseStatus.WITHDRAWN:
        step("withdraw", ActorKind.RESIDENT, resident.id, note="群众表示问题已自行解决，申请撤回。")
        return case
    if tier is not Tier.REPRESENTATIVE:
        unit = departments[department_code].name if department_code else _ASSIGNEES[tier].format(sub=sub.name)
        assigned_at = step("assign", ActorKind.STAFF, clerk.id, note=f"交办{unit}，请于{DUE_DAYS}日内答复。")
        case.assigned_at, case.due_at = assigned_at, assigned_at + timedelta(days=DUE_DAYS)
        if department_code:
            case.department_id = departments[department_code].id
        if final is CaseStatus.ASSIGNED:
            return case
    responder = (ActorKind.REPRESENTATIVE, rep.id) if tier is Tier.REPRESENTATIVE else (ActorKind.STAFF, clerk.id)
    case.replied_at = step("reply", *responder, note=answer)
    if final is CaseStatus.CLOSED:
        case.closed_at = step("close", ActorKind.RESIDENT, resident.id,
                              note=f"群众评价：{rng.choice(SATISFACTION)}")
    return case


_TIER_NOTES = {
    Tier.REPRESENTATIVE: "代表直接答复",
    Tier.SUBDISTRICT: "街道社区办理",
    Tier.DEPARTMENT: "一府两院部门办理",
    Tier.HIGHER_CONGRESS: "提交上级人大",
}
_ASSIGNEES = {
    Tier.SUBDISTRICT: "{sub}及所在社区",
    Tier.HIGHER_CONGRESS: "区人大常委会人代工委",
}
