"""What a resident types is stored verbatim and shown as text: HTML and ``javascript:`` links
sent through the webhook come out escaped on the pages that show them (docs/escaping.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services import services
from models import Case, CaseMessage
from scheduler.jobs import run_pass
from tests.escaping import MARKERS, PAYLOADS, assert_escaped, parse_page, unescaped
from tests.support import WeChatServer

CHROMIUM = "/usr/bin/chromium"
REP = "o-rep-wang"
HOSTILE = " ".join(PAYLOADS)


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


def _do(client, openid: str, kind: str, **fields):
    response = client.post(f"/sandbox/phones/{openid}/send", data={"kind": kind, "mode": "plain", **fields},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_helper_catches_what_a_browser_would_run():
    """The helper itself: each way a payload can land unescaped is caught; escaped, none is."""
    assert unescaped("<p>" + HOSTILE + "</p>")  # not escaped: caught
    assert unescaped("<script>alert('minyi-xss-script')</script>") == ["<script> runs minyi-xss-script"]
    assert unescaped('<a href=" JAVASCRIPT:alert(1)">x</a>') == ["<a href> is a javascript: URL"]
    assert unescaped("<img src=x onerror=\"alert('minyi-xss-img')\">") == ["<img onerror> runs a payload"]
    escaped = "<p>" + HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>"
    assert unescaped(escaped) == []
    assert_escaped(escaped)
    with pytest.raises(AssertionError):
        assert_escaped("<p>nothing shown</p>")  # a page that never showed the payloads proves nothing
    assert parse_page(escaped).text == HOSTILE


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_the_simulator_shows_hostile_words_as_text(app, client, db, district, world, clock):
    from playwright.sync_api import expect, sync_playwright

    district["reps"]["wang"].openid = REP
    db.commit()
    world.user_wrote(REP, clock.time())  # the representative wrote lately: notices come in full, as
    assert WeChatServer.for_app(app, client).text(REP, "帮助").status == 200  # customer-service messages
    phone = client.post("/sandbox/phones").get_json()["openid"]
    _do(client, phone, "scan", code="wang01")
    for payload in PAYLOADS:  # a case each: the representative's notice shows a summary's first 60 characters
        assert "编号" in _do(client, phone, "text", text=payload)["reply"]
        _do(client, phone, "text", text="新问题")
    progress = _do(client, phone, "text", text="进度")["reply"]  # the account quotes the resident
    assert "<" in progress
    run_pass(services(app))  # the representative is told of the new cases, with their summaries
    db.rollback()
    assert list(db.scalars(select(Case.summary).order_by(Case.id))) == list(PAYLOADS)  # stored verbatim
    assert list(db.scalars(select(CaseMessage.content).order_by(CaseMessage.id))) == list(PAYLOADS)

    origin = services(app).settings.wechat_api_base_url.split("/sandbox/")[0]
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(origin + "/sandbox/")
            # The resident's own words, the account's answer to 「进度」, the representative's notice.
            for openid, side, words in ((phone, "user", MARKERS[-1]), (phone, "account", progress.splitlines()[0]),
                                        (REP, "account", MARKERS[-1])):
                page.get_by_test_id("phone-select").select_option(openid)
                expect(page.get_by_test_id("phone")).to_have_attribute("data-openid", openid)
                bubbles = page.locator(f"[data-testid=bubble][data-side={side}]").filter(has_text=words)
                expect(bubbles.first).to_be_visible()
                assert_escaped(page.content())
            # And the same words put in as markup are caught in a browser's DOM.
            careless = browser.new_page()
            careless.set_content("<main></main>")
            careless.evaluate("(html) => { document.querySelector('main').innerHTML = html; }", HOSTILE)
            assert len(unescaped(careless.content())) == 3
        finally:
            browser.close()
    assert dialogs == []
