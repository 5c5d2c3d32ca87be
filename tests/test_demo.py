"""The demo district: complete, consistent with the lifecycle, and loaded only once."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from bot.cli import main
from cases.status import CaseStatus, Tier
from cases.transitions import apply
from demo.load import DemoError, load
from models import Case, CaseEvent, ContactPoint, Department, Representative, StaffUser, SubDistrict
from tests.conftest import START


@pytest.fixture
def loaded(db):
    return load(db, START)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_the_district_is_complete(db, loaded):
    assert (count(db, SubDistrict), count(db, ContactPoint), count(db, Representative), count(db, Department)) == (
        3, 12, 20, 10)
    assert set(db.scalars(select(Representative.level))) == {"province", "city", "district", "township"}
    assert all(cp.latitude and cp.longitude for cp in db.scalars(select(ContactPoint)))
    departments = set(db.scalars(select(Department.name)))
    assert {"区城市管理执法局", "区住房和城乡建设局", "区教育局", "市公安局示例区分局"} <= departments
    assert all(db.scalars(select(Department.aliases)))  # 「城管」 finds 区城市管理执法局
    bound = db.scalars(select(Representative.openid).where(Representative.openid.is_not(None))).all()
    assert len(bound) == 16 and all(openid.startswith("demo-rep-") for openid in bound)
    clerks = db.scalars(select(StaffUser.sub_district_id).where(StaffUser.role == "subdistrict",
                                                                 StaffUser.openid.is_not(None))).all()
    assert set(clerks) == set(db.scalars(select(SubDistrict.id)))  # a bound clerk in every sub-district


def test_the_demo_is_institutionally_right(db, loaded):
    """乡镇人大代表 only in a 镇; 省/市 representatives name the congress that elected them; phones
    written as a district writes them."""
    for rep, sub in db.execute(select(Representative, SubDistrict).join(SubDistrict)):
        if rep.level == "township":
            assert sub.name.endswith("镇") and sub.committee_name.endswith("人大主席团")
        if rep.level in ("province", "city"):
            assert rep.constituency == "示例区人民代表大会"
        else:
            assert rep.constituency.endswith("选区")
    for sub in db.scalars(select(SubDistrict)):
        assert sub.committee_name == sub.name + ("人大主席团" if sub.name.endswith("镇") else "人大工委")
        assert re.fullmatch(r"027-\d{8}", sub.committee_phone)


def test_staff_accounts_for_every_role_with_their_printed_passwords(db, loaded):
    users = db.scalars(select(StaffUser)).all()
    assert {user.role for user in users} == {"subdistrict", "department", "district"}
    for user in users:
        assert check_password_hash(user.password_hash, loaded.passwords[user.username])
        assert (user.role == "subdistrict") == (user.sub_district_id is not None)
        assert (user.role == "department") == (user.department_id is not None)


def test_sixty_cases_over_every_status_and_tier(db, loaded):
    cases = db.scalars(select(Case)).all()
    assert len(cases) == loaded.cases == 60
    assert set(Counter(case.status for case in cases)) == set(CaseStatus)
    assert {case.tier for case in cases if case.tier} == set(Tier)
    assert all(case.category and case.summary for case in cases)
    for case in cases:
        if case.status == "assigned":
            assert case.due_at and case.tier != "representative"
        if case.tier == "department" and case.status in ("assigned", "replied", "closed"):
            assert case.department_id is not None


def test_every_demo_case_carries_a_suggestion_to_compare_with_what_people_chose(db, loaded):
    from models import CaseSuggestion

    suggestions = {s.case_id: s for s in db.scalars(select(CaseSuggestion))}
    cases = db.scalars(select(Case)).all()
    assert set(suggestions) == {case.id for case in cases}
    agreeing = sum(suggestions[c.id].category and suggestions[c.id].category.split("/")[0] == c.category.split("/")[0]
                   for c in cases)
    assert agreeing >= 0.7 * len(cases)   # the rules alone agree with the demo's clerks on most top classes


def test_every_timeline_is_one_the_lifecycle_allows(db, loaded):
    for case in db.scalars(select(Case)):
        events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        assert events[0].action == "submit" and events[0].to_status == "submitted"
        status = CaseStatus.SUBMITTED
        for earlier, event in zip(events, events[1:], strict=False):
            assert earlier.at <= event.at <= START
            step = apply(status, event.action, tier=case.tier, note=event.note, code=event.code)
            assert (event.from_status, event.to_status) == (step.from_status, step.to_status)
            status = step.to_status
        assert status == case.status


def test_it_loads_only_into_an_empty_database(db, loaded):
    with pytest.raises(DemoError):
        load(db, START)


def test_the_cli_prints_passwords_and_skips_a_loaded_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"MINYI_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    first = runner.invoke(main, ["demo", "load"], env=env)
    assert first.exit_code == 0 and "60 cases" in first.output and "district " in first.output
    again = runner.invoke(main, ["demo", "load", "--if-empty"], env=env)
    assert again.exit_code == 0 and "nothing loaded" in again.output
    refused = runner.invoke(main, ["demo", "load"], env=env)
    assert refused.exit_code != 0 and "already has data" in refused.output
