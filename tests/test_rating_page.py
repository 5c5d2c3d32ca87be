"""The rating page (/rate?t=TOKEN): a signed link shows the case and its answer (numbers masked,
words escaped), three taps rate it; a second answer counts nothing twice; a tampered, foreign or
expired link gets a polite page; the link carries no openid and the page sets no cookie."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from bot.services import services
from cases import actors, ratings
from cases.actions import perform
from cases.scope import SYSTEM
from cases.status import ActorKind, CaseStatus
from models import Case, CaseEvent, CaseRating, OutboxMessage
from scheduler.ratings import ask_for_ratings, expire_ratings
from tests.escaping import PAYLOADS, assert_escaped

BASE = "https://minyi.example.gov.cn"
RES = "o-resident-page"
REP = "o-rep-wang"
HOSTILE = " ".join(PAYLOADS)


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "ratings.base_url": BASE}


@pytest.fixture
def asked(app, wechat, db, district, clock):
    """A case the representative answered; the resident was asked; the page's path and query."""
    district["reps"]["wang"].openid = REP
    db.commit()
    wechat.scan_poster(RES, "wang01")
    wechat.text(RES, "楼下路灯坏了，联系我13812345678")
    svc = services(app)
    with svc.engine.begin() as conn:
        case_id = conn.scalar(select(Case.id))
        perform(conn, case_id, "reply", actors.by_openid(conn, REP), clock.now(), note="已修好，物业电话13900001111。")
    assert ask_for_ratings(svc, clock.now()) == 1
    db.rollback()
    link = urlsplit(db.scalars(select(OutboxMessage.url).where(OutboxMessage.purpose == "rating")).one())
    assert link.path == "/rate"
    return case_id, link.query.removeprefix("t=")


def page(client, token: str, **form):
    if form:
        return client.post("/rate", data={"t": token, **form})
    return client.get("/rate", query_string={"t": token})


def rating(db) -> CaseRating:
    db.rollback()
    return db.scalars(select(CaseRating)).one()


def test_the_link_shows_the_case_and_its_answer_with_numbers_masked(client, db, asked):
    _, token = asked
    answer = page(client, token)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "2026-000001" in html
    assert "楼下路灯坏了，联系我138****5678" in html and "已修好，物业电话139****1111" in html
    assert "13812345678" not in html and "13900001111" not in html
    for value in ("solved", "partly", "unsolved", "satisfied", "basic", "dissatisfied"):
        assert f'value="{value}"' in html
    assert 'name="t" value="' in html and "<link" not in html and "<script" not in html   # no external assets
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in answer.headers


def test_the_token_names_the_rating_and_nobody(app, db, asked):
    _, token = asked
    assert RES not in token
    payload = URLSafeTimedSerializer("any").loads_unsafe(token)[1]
    assert payload == {"r": rating(db).id}


def test_three_taps_rate_the_answer_and_a_second_answer_counts_nothing(client, db, asked):
    case_id, token = asked
    done = page(client, token, solved="solved", satisfaction="satisfied", comment="很及时，谢谢")
    assert done.status_code == 200 and "感谢您的评价" in done.get_data(as_text=True)
    assert "问题已办结" in done.get_data(as_text=True)
    first = rating(db)
    assert (first.status, first.solved, first.satisfaction, first.comment) == ("rated", "solved", "satisfied",
                                                                               "很及时，谢谢")
    again = page(client, token, solved="unsolved", satisfaction="dissatisfied")
    text = again.get_data(as_text=True)
    assert "您已评价过" in text and "解决、满意" in text
    assert (rating(db).solved, rating(db).satisfaction) == ("solved", "satisfied")
    assert "您已评价过" in page(client, token).get_data(as_text=True)
    events = db.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    assert events.count("close") == 1 and "reopen" not in events
    assert db.get(Case, case_id).status is CaseStatus.CLOSED


def test_dissatisfied_on_the_page_reopens_with_the_comment_as_the_reason(client, db, asked):
    case_id, token = asked
    done = page(client, token, solved="unsolved", satisfaction="dissatisfied", comment="晚上还是黑的")
    assert "已请王晓明代表重新办理" in done.get_data(as_text=True)
    db.rollback()
    [reopen] = db.scalars(select(CaseEvent).where(CaseEvent.action == "reopen")).all()
    assert reopen.actor_kind is ActorKind.RESIDENT
    assert reopen.note == "群众评价：未解决、不满意。群众意见：晚上还是黑的"
    told = db.scalars(select(OutboxMessage.text).where(OutboxMessage.openid == REP,
                                                       OutboxMessage.purpose == "reopened")).one()
    assert "晚上还是黑的" in told
    assert db.get(Case, case_id).status is CaseStatus.ACCEPTED


def test_an_incomplete_form_asks_again_and_records_nothing(client, db, asked):
    _, token = asked
    answer = page(client, token, solved="solved", comment="好")
    assert answer.status_code == 400 and "请在两个问题中各选一项" in answer.get_data(as_text=True)
    assert 'value="solved" checked' in answer.get_data(as_text=True)
    answer = page(client, token, solved="perfect", satisfaction="satisfied")
    assert answer.status_code == 400 and rating(db).status == "asked"


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-3] + ("abc" if not token.endswith("abc") else "xyz"),    # signature changed
    lambda token: token.replace(token.split(".")[0], "eyJyIjo5OTl9"),              # another rating's id
    lambda token: token[:10],
    lambda token: "",
])
def test_a_tampered_link_gets_a_polite_page(client, db, asked, mangle):
    _, token = asked
    answer = page(client, mangle(token))
    assert answer.status_code == 404 and "链接无法打开" in answer.get_data(as_text=True)
    assert page(client, mangle(token), solved="solved", satisfaction="satisfied").status_code == 404
    assert rating(db).status == "asked"


def test_a_link_signed_with_another_key_is_refused(client, db, asked, clock):
    other = ratings.sign_token("not-our-key", rating(db).id, clock.now())
    assert page(client, other).status_code == 404


def test_an_expired_link_or_rating_gets_a_polite_page(app, client, db, asked, clock):
    _, token = asked
    clock.advance(days=7, seconds=1)
    answer = page(client, token, solved="solved", satisfaction="satisfied")
    assert answer.status_code == 200 and "评价已截止" in answer.get_data(as_text=True)
    assert rating(db).status == "asked"
    expire_ratings(services(app), clock.now())
    assert rating(db).status == "expired"
    clock.set(clock.now() - timedelta(days=1))   # the link is young again, but the rating is over
    assert "评价已截止" in page(client, token).get_data(as_text=True)


def test_the_link_of_an_answer_a_reopen_superseded_rates_nothing(app, client, db, asked, clock):
    case_id, token = asked
    with services(app).engine.begin() as conn:
        perform(conn, case_id, "reopen", SYSTEM, clock.now(), note="答复不完整")
    answer = page(client, token, solved="solved", satisfaction="satisfied")
    assert answer.status_code == 200 and "问题正在重新办理" in answer.get_data(as_text=True)
    assert (rating(db).status, rating(db).solved) == ("superseded", None)
    assert db.get(Case, case_id).status is CaseStatus.ACCEPTED   # not closed by the old answer's verdict
    assert "问题正在重新办理" in page(client, token).get_data(as_text=True)


def test_what_people_typed_is_shown_as_text(app, wechat, db, district, clock, client):
    district["reps"]["wang"].openid = REP
    db.commit()
    wechat.scan_poster(RES, "wang01")
    wechat.text(RES, HOSTILE)
    svc = services(app)
    with svc.engine.begin() as conn:
        perform(conn, conn.scalar(select(Case.id)), "reply", actors.by_openid(conn, REP), clock.now(), note=HOSTILE)
    ask_for_ratings(svc, clock.now())
    db.rollback()
    link = urlsplit(db.scalars(select(OutboxMessage.url).where(OutboxMessage.purpose == "rating")).one())
    assert_escaped(client.get(f"{link.path}?{link.query}").get_data(as_text=True))
