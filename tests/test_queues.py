"""The queues' filters, search and counts: what each filter keeps, searching the residents' later
messages (not only the summary) with the same answers on SQLite (LIKE) and PostgreSQL (bigram
index, then LIKE), numbers, the capped 「全部」 count, and that the ledger follows the filters."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from cases.numbering import case_number
from cases.search import has_bigram, matching
from cases.status import CaseStatus, MessageKind, Tier
from console import queues
from models import Case, CaseMessage, ContactPoint
from tests.test_console import _case, login, staff  # noqa: F401 - the fixture, reused


def _numbers(page: str) -> list[str]:
    return re.findall(r'data-testid="case-link">(\d{4}-\d{6})<', page)


def _counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="tab-(\w+)">[^<]*<b>([^<]+)</b>', page))


@pytest.fixture
def filed(db, clock, staff):  # noqa: F811 - the fixture above
    subs, reps = staff["sub_districts"], staff["reps"]
    east = subs["east"]
    point = db.scalar(select(ContactPoint).where(ContactPoint.sub_district_id == east.id).order_by(ContactPoint.id))
    made = {
        "lamp": _case(db, clock, "东街路灯不亮了", sub_district=east, rep=reps["wang"], status=CaseStatus.ACCEPTED,
                      tier=Tier.SUBDISTRICT, category="城乡建设/城市建设和市政管理", colour="红",
                      contact_point_id=point.id),
        "noise": _case(db, clock, "楼下饭店油烟噪音扰民", sub_district=east, rep=reps["li"], status=CaseStatus.CLOSED,
                       tier=Tier.DEPARTMENT, category="生态环境", colour="蓝"),
        "old": _case(db, clock, "WiFi 信号差，网速慢", sub_district=east, rep=reps["wang"]),
        "west": _case(db, clock, "西街路灯不亮", sub_district=subs["west"], rep=reps["zhao"]),
    }
    made["old"].created_at = clock.now() - timedelta(days=40)
    # A later message of the noise case: search finds the case by it, though the summary lacks it.
    db.add(CaseMessage(case_id=made["noise"].id, kind=MessageKind.VOICE, content="晚上十点以后还在炒菜，窗户都关不住，电话13912345678",
                       created_at=clock.now()))
    db.commit()
    return {"point": point.code, **{name: case_number(case.id, case.created_at) for name, case in made.items()}}


def _listed(client, **args) -> list[str]:
    answer = client.get("/console/", query_string={"tab": "all", **args})
    assert answer.status_code == 200
    return _numbers(answer.get_data(as_text=True))


def test_each_filter_keeps_only_what_it_names(client, filed, clock):
    login(client, "east")
    assert set(_listed(client)) == {filed["lamp"], filed["noise"], filed["old"]}     # not the west's
    assert _listed(client, category="城乡建设") == [filed["lamp"]]
    assert _listed(client, category="城乡") == []                # a class, not a prefix of its name
    assert _listed(client, colour="蓝") == [filed["noise"]]
    assert _listed(client, tier="department") == [filed["noise"]]
    assert _listed(client, status="accepted") == [filed["lamp"]]
    assert set(_listed(client, rep="wang01")) == {filed["lamp"], filed["old"]}
    assert _listed(client, rep="zhao03") == []                     # another sub-district's: nothing of it
    assert _listed(client, point=filed["point"]) == [filed["lamp"]]
    today = (clock.now() + timedelta(hours=8)).date()
    assert filed["old"] not in _listed(client, since=(today - timedelta(days=7)).isoformat())
    assert _listed(client, until=(today - timedelta(days=30)).isoformat()) == [filed["old"]]


@pytest.mark.parametrize("args", [{"colour": "紫"}, {"since": "2026-13-01"}, {"sort": "random"}, {"tier": "x"}])
def test_a_filter_outside_its_values_is_a_bad_request(client, filed, args):
    login(client, "east")
    assert client.get("/console/", query_string={"tab": "all", **args}).status_code == 400


def test_refusals_are_console_pages_in_chinese(client, filed):
    login(client, "east")
    answer = client.get("/console/?colour=紫")
    assert answer.status_code == 400 and "筛选条件或填写的内容不在可选范围内" in answer.get_data(as_text=True)
    for number in ("2026-999999", filed["west"]):            # missing, or another sub-district's: the same
        answer = client.get(f"/console/cases/{number}")
        assert answer.status_code == 404 and "不在您的管理范围内" in answer.get_data(as_text=True)
        assert number not in answer.get_data(as_text=True)


def test_search_reads_every_message_of_the_case_in_ones_scope(client, filed):
    login(client, "east")
    assert _listed(client, q="路灯") == [filed["lamp"]]           # the west's lamp is not the clerk's
    assert _listed(client, q="炒菜") == [filed["noise"]]           # only in the case's second message
    assert _listed(client, q="wifi") == [filed["old"]]            # Latin letters in any case
    assert _listed(client, q="灯不亮") == [filed["lamp"]]
    assert _listed(client, q="路不") == []                        # bigrams of the words, but not together
    assert _listed(client, q="噪") == [filed["noise"]]             # one character: no bigram, still found
    assert _listed(client, q="100%") == [] and _listed(client, q="_") == []   # LIKE's wildcards are literal
    assert _listed(client, q=filed["noise"]) == [filed["noise"]]  # a number finds its case
    short = str(int(filed["noise"].split("-")[1]))
    assert _listed(client, q=short) == [filed["noise"]]           # the short number of the notices
    assert _listed(client, q="13912345678") == [filed["noise"]]   # a phone number is text


def test_search_terms_skip_what_cannot_hold_a_bigram():
    assert has_bigram("路灯") and has_bigram("a路") and not has_bigram("灯") and not has_bigram("灯，路 。")
    assert str(matching("2026-000007").compile(compile_kwargs={"literal_binds": True})) == "cases.id = 7"


def test_the_all_tab_is_counted_up_to_a_cap(client, filed, monkeypatch):
    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    monkeypatch.setattr(queues, "PAGE_SIZE", 2)
    login(client, "east")
    page = client.get("/console/?tab=all").get_data(as_text=True)
    assert _counts(page)["all"] == "2+" and "共2件以上" in page and 'data-testid="next"' in page
    second = client.get("/console/?tab=all&page=2").get_data(as_text=True)
    assert len(_numbers(second)) == 1 and 'data-testid="next"' not in second


def test_the_tabs_count_the_filters_and_a_search_counts_in_its_own_tab(client, filed, monkeypatch):
    login(client, "east")
    page = client.get("/console/", query_string={"tab": "all", "colour": "红"}).get_data(as_text=True)
    assert _counts(page)["all"] == "1" and _counts(page)["unrouted"] == "0"
    page = client.get("/console/", query_string={"tab": "all", "q": "路灯"}).get_data(as_text=True)
    assert _counts(page)["all"] == "3"                       # the tabs: the clerk's cases, unsearched
    assert "搜索「路灯」：1件" in page                           # the search: in this tab
    monkeypatch.setattr(queues, "SEARCH_COUNT_CAP", 1)
    page = client.get("/console/", query_string={"tab": "all", "q": "，"}).get_data(as_text=True)
    assert "搜索「，」：1+件" in page and len(_numbers(page)) == 2


def test_the_ledger_follows_the_filters_and_the_search(client, filed):
    login(client, "east")
    with client.get("/console/ledger.xlsx", query_string={"tab": "all", "q": "炒菜"}) as answer:
        sheet = load_workbook(io.BytesIO(answer.data), read_only=True).active
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == [filed["noise"]]


def test_links_keep_the_filters(client, filed):
    login(client, "east")
    page = client.get("/console/", query_string={"tab": "all", "colour": "红", "q": "路灯"}).get_data(as_text=True)
    tab_link = re.search(r'href="([^"]+)"\s+data-key="1"', page).group(1)
    assert "colour=" in tab_link and "q=" in tab_link and "tab=waiting" in tab_link
    export = re.search(r'href="([^"]+)"\s*data-testid="export"|data-testid="export" href="([^"]+)"', page)
    assert "colour=" in (export.group(1) or export.group(2))


def test_on_postgresql_the_search_reads_the_bigram_index(db, filed):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite searches with LIKE alone")
    db.execute(text("SET LOCAL enable_seqscan = off"))     # a handful of rows: force the planner's hand
    compiled = select(Case.id).where(matching("路灯不亮")).compile(dialect=db.get_bind().dialect)
    plan = "\n".join(db.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars())
    assert "ix_case_messages_search_terms" in plan
