"""The one test that walks the whole system, in a real browser (Debian's chromium, headless).

It starts minyi the way `make run` does — migrate, load the demo district, `minyi run` in
sandbox mode with its scheduler — in a process of its own, then plays people on the simulator:
a resident photographs a representative's poster (the QR is decoded from the picture), reports a
problem with a photo and a location and gets a case number; the representative's phone receives
the new-case notice, and the photo is fetched from (fake) WeChat by the scheduler. The
representative answers from their phone with the quick buttons (「回复」 fills in the case number),
the answer is pushed to the resident, whose 「进度」 shows it; a clerk's phone is in the staff group.
As later issues land this test grows to cover the loop: transfer, assignment, rating.

The simulator is also used on a phone (390×844): the phone comes first, its warnings show where
the person is looking, and its picker names people, never openids.

The README's pictures of the simulator come from scripts/screenshots, not from here.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import create_engine, select, text

from models import Attachment, Case, Representative

CHROMIUM = "/usr/bin/chromium"
EXTERNAL_DB = os.environ.get("MINYI_DATABASE_URL", "")
EXTERNAL_REDIS = os.environ.get("MINYI_REDIS_URL", "")
CLERK = "demo-staff-donghu"  # 东湖街道人大工委, bound in the demo district

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed "
                                "(make test installs it: scripts/system-packages chromium)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(tmp_path: Path) -> str:
    """Its own database: SQLite in tmp, or a fresh PostgreSQL database beside the tests' one."""
    if not EXTERNAL_DB.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    base, name = EXTERNAL_DB.rsplit("/", 1)
    engine = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_e2e" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}_e2e"'))
    engine.dispose()
    return f"{base}/{name}_e2e"


@pytest.fixture
def minyi(tmp_path):
    """`make run`'s three steps, in a process of its own; yields (base URL, database URL)."""
    port = _free_port()
    database_url = _database_url(tmp_path)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MINYI_")}
    env.update(MINYI_DATABASE_URL=database_url, MINYI_MEDIA_DIR=str(tmp_path / "media"),
               MINYI_SCHEDULER_POLL_SECONDS="1")
    if EXTERNAL_REDIS:
        env["MINYI_REDIS_URL"] = EXTERNAL_REDIS.rsplit("/", 1)[0] + "/14"
        import redis

        redis.Redis.from_url(env["MINYI_REDIS_URL"]).flushdb()
    cli = [sys.executable, "-m", "bot.cli"]
    for step in (["db", "upgrade"], ["demo", "load", "--if-empty"]):
        done = subprocess.run(cli + step, env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120,
                              text=True)
    (tmp_path / "demo-passwords.txt").write_text(done.stdout)   # what `minyi demo load` printed
    log = open(tmp_path / "minyi.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(cli + ["run", "--port", str(port)], env=env, cwd=tmp_path, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("minyi run did not start:\n" + (tmp_path / "minyi.log").read_text())
        yield base, database_url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def _photo(path: Path) -> Path:
    Image.new("RGB", (640, 480), (120, 120, 110)).save(path, format="JPEG")
    return path


def test_a_resident_reports_and_the_representative_answers_from_the_phone(minyi, browser, tmp_path):
    from playwright.sync_api import expect

    base, database_url = minyi
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rep = conn.execute(select(Representative.code, Representative.name, Representative.openid)
                           .where(Representative.openid.is_not(None)).order_by(Representative.code)).first()

    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page.goto(base + "/sandbox/")
    resident = page.get_by_test_id("phone")
    expect(resident).to_have_attribute("data-openid", re.compile(r"^o.{27}$"))  # it opens on a new phone
    first = resident.get_attribute("data-openid")
    page.get_by_test_id("new-resident").click()
    expect(resident).not_to_have_attribute("data-openid", first)
    expect(resident).to_have_attribute("data-openid", re.compile(r"^o.{27}$"))
    openid = resident.get_attribute("data-openid")
    page.get_by_test_id("mode-select").select_option("safe")

    # The resident photographs the representative's poster; WeChat's camera reads its code.
    poster = tmp_path / "poster.png"
    poster.write_bytes(requests.get(f"{base}/sandbox/poster/{rep.code}.png", timeout=10).content)
    page.get_by_test_id("poster-file").set_input_files(str(poster))
    bubbles = page.get_by_test_id("bubble")
    expect(bubbles.filter(has_text="欢迎关注")).to_contain_text(rep.name)

    page.get_by_test_id("text-input").fill("小区东门路灯坏了一个多月，晚上老人出门很不安全。")
    page.get_by_test_id("send-text").click()
    receipt = bubbles.filter(has_text="已登记")
    expect(receipt).to_have_count(1)
    number = re.search(r"\d{4}-\d{6}", receipt.inner_text()).group()

    page.get_by_test_id("image-file").set_input_files(str(_photo(tmp_path / "lamp.jpg")))
    page.get_by_test_id("landmark-select").select_option(index=0)
    page.get_by_test_id("send-landmark").click()
    expect(bubbles.filter(has_text=f"已补充到{number}")).to_have_count(2)
    expect(page.get_by_test_id("error")).to_be_empty()
    # Saying 「新问题」 closes the grouping window at once (else the case waits for 10 quiet minutes):
    # its text is complete, so the scheduler suggests a tier and tells the representative.
    page.get_by_test_id("text-input").fill("新问题")
    page.get_by_test_id("send-text").click()
    expect(bubbles.filter(has_text="请直接发送您要反映的新问题")).to_have_count(1)

    # The representative's phone: the new-case notice arrives, pushed by the scheduler.
    page.get_by_test_id("phone-select").select_option(rep.openid)
    expect(page.get_by_test_id("phone")).to_have_attribute("data-openid", rep.openid)
    notice = page.locator("[data-testid=bubble][data-side=account]").filter(has_text=number)
    expect(notice).to_have_count(1, timeout=15_000)
    assert notice.get_attribute("data-via") in ("custom", "template")
    if notice.get_attribute("data-via") == "custom":   # a template message has no room for it
        expect(notice).to_contain_text("系统建议：")
        expect(notice).to_contain_text("「路灯」")

    with engine.connect() as conn:
        case_id = int(number.split("-")[1])
        case = conn.execute(select(Case.summary, Case.status).where(Case.id == case_id)).one()
        assert case == ("小区东门路灯坏了一个多月，晚上老人出门很不安全。", "submitted")
        for _ in range(50):  # the scheduler fetches the photo from (fake) WeChat
            stored = conn.execute(select(Attachment.status, Attachment.path)).all()
            if stored and stored[0][0] == "stored":
                break
            time.sleep(0.2)
            conn.rollback()
    assert stored[0][0] == "stored"
    saved = Path(tmp_path / "media" / stored[0][1]).read_bytes()
    assert Image.open(io.BytesIO(saved)).size == (640, 480)

    # The representative answers from the phone: 「回复」 fills in the command and the notice's number.
    quick = page.get_by_test_id("quick-bar")
    for key in ("todo", "show", "accept", "reply", "to-subdistrict", "to-department", "to-higher", "return", "help"):
        expect(page.get_by_test_id(f"quick-{key}")).to_be_visible()
    expect(page.get_by_test_id("quick-designate")).to_have_count(0)  # the clerks' command
    expect(page.get_by_test_id("quick-progress")).to_have_count(0)  # residents' words
    expect(quick).to_have_attribute("data-number", number)
    box = page.get_by_test_id("text-input")
    box.fill("这段草稿会被快捷指令替换")
    page.get_by_test_id("quick-reply").click()
    expect(box).to_have_value(f"回复 {number} ")
    expect(box).to_be_focused()
    answer = "已联系物业更换东门路灯，本周五前修好。"
    page.keyboard.type(answer)  # typed where the caret was left: at the end
    expect(box).to_have_value(f"回复 {number} {answer}")
    page.get_by_test_id("send-text").click()
    mine = page.locator("[data-testid=bubble][data-side=account]")
    expect(mine.filter(has_text=f"已答复{number}")).to_have_count(1)
    expect(box).to_have_value("")
    expect(page.get_by_test_id("error")).to_be_empty()

    # Back on the resident's phone: the answer is pushed, signed by the representative.
    page.get_by_test_id("phone-select").select_option(openid)
    expect(page.get_by_test_id("phone")).to_have_attribute("data-openid", openid)
    expect(page.get_by_test_id("quick-reply")).to_have_count(0)
    theirs = page.locator("[data-testid=bubble][data-side=account]")
    pushed = theirs.filter(has_text=answer).filter(has_text=f"——{rep.name}代表")
    expect(pushed).to_have_count(1, timeout=15_000)
    assert pushed.get_attribute("data-via") in ("custom", "template")
    expect(pushed).to_contain_text(number)
    page.get_by_test_id("quick-progress").click()  # sends at once
    progress = theirs.filter(has_text="您最近反映的问题")
    expect(progress).to_have_count(1)
    expect(progress).to_contain_text(f"【{number}】已答复")
    expect(progress).to_contain_text(answer)

    # A clerk's phone is in the staff group and has the clerks' buttons too.
    staff = page.locator("[data-testid=phone-select] optgroup[label=工作人员] option")
    expect(staff.filter(has_text="东湖街道人大工委")).to_have_attribute("value", CLERK)
    page.get_by_test_id("phone-select").select_option(CLERK)
    expect(page.get_by_test_id("phone")).to_have_attribute("data-role", "staff")
    expect(page.get_by_test_id("quick-designate")).to_be_visible()
    expect(page.get_by_test_id("quick-progress")).to_have_count(0)
    page.get_by_test_id("quick-todo").click()  # sends at once
    expect(page.locator("[data-testid=bubble][data-side=account]").filter(
        has_text=re.compile("您的待办|您目前没有待办"))).to_have_count(1)
    expect(page.get_by_test_id("error")).to_be_empty()
    page.get_by_test_id("quick-designate").click()
    expect(box).to_have_value(re.compile(r"^指派 (\d{4}-\d{6} )?$"))
    draft = box.input_value()
    page.get_by_test_id("phone-select").select_option(openid)  # each phone keeps its own draft
    expect(box).to_have_value("")
    page.get_by_test_id("phone-select").select_option(CLERK)
    expect(box).to_have_value(draft)
    assert openid  # the resident's phone was a new WeChat user, not one of the demo's
    engine.dispose()


PHONE_SCREEN = {"width": 390, "height": 844}


def _on_screen(locator) -> bool:
    """Wholly inside the phone's screen as it is scrolled now."""
    box = locator.bounding_box()
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= PHONE_SCREEN["width"]
            and box["y"] + box["height"] <= PHONE_SCREEN["height"])


def test_on_a_phone_the_phone_comes_first_warnings_show_in_view_and_people_have_names(minyi, browser):
    from playwright.sync_api import expect

    from sandbox import texts

    base, _ = minyi
    page = browser.new_page(locale="zh-CN", viewport=PHONE_SCREEN, is_mobile=True, has_touch=True)
    page.goto(base + "/sandbox/")
    phone = page.get_by_test_id("phone")
    expect(phone).to_have_attribute("data-openid", re.compile(r"^o.{27}$"))  # a new phone, not following
    expect(phone).to_have_attribute("data-following", "false")
    box, send, error = page.get_by_test_id("text-input"), page.get_by_test_id("send-text"), page.get_by_test_id("error")
    assert page.evaluate("window.scrollY") == 0
    assert _on_screen(box) and _on_screen(send) and _on_screen(page.get_by_test_id("phone-select"))

    # Tapping 发送 before following: the warning is inside the phone, on screen, and the text is kept.
    box.fill("你好，我想反映个问题")
    send.tap()
    expect(error).to_have_text(texts.FOLLOW_FIRST)
    assert _on_screen(error)
    chat, warning = page.get_by_test_id("chat").bounding_box(), error.bounding_box()
    assert chat["y"] <= warning["y"] and warning["y"] + warning["height"] <= chat["y"] + chat["height"]
    expect(box).to_have_value("你好，我想反映个问题")
    page.evaluate("window.scrollTo(0, 1500)")  # scrolled away from the phone, the warning stays in view
    expect(error).to_have_class(re.compile(r"\bfloating\b"))
    assert page.evaluate("window.scrollY") > 500 and _on_screen(error)

    # A tool below the phone: its warning shows beside it, on screen.
    landmark = page.get_by_test_id("send-landmark")
    landmark.scroll_into_view_if_needed()
    landmark.tap()
    expect(page.locator("#panel-location [data-testid=error]")).to_have_text(texts.FOLLOW_FIRST)
    assert _on_screen(error) and _on_screen(landmark)

    # Following from its tool: the warning goes, and the chat, where the answer comes, is back in view.
    page.get_by_test_id("follow-button").tap()
    expect(error).to_be_empty()
    expect(phone).to_have_attribute("data-following", "true")
    expect(page.get_by_test_id("bubble").filter(has_text="欢迎关注")).to_have_count(1)
    page.wait_for_function("document.getElementById('chat').getBoundingClientRect().top >= 0")  # a smooth scroll
    assert _on_screen(send) and _on_screen(page.get_by_test_id("chat"))

    # People are told apart by name: the demo's residents, a phone given a nickname, and 居民N.
    page.get_by_test_id("nickname-input").fill("楼下张阿姨")
    page.get_by_test_id("new-resident").tap()
    residents = page.locator("[data-testid=phone-select] optgroup[label=居民] option")
    named = residents.filter(has_text="楼下张阿姨")
    expect(named).to_have_count(1)
    expect(phone).to_have_attribute("data-openid", named.get_attribute("value"))
    page.get_by_test_id("nickname-input").fill("楼下张阿姨")  # taken: said inside the phone, in view
    page.get_by_test_id("new-resident").tap()
    expect(error).to_contain_text(texts.NICKNAME_TAKEN.format(name="楼下张阿姨"))
    assert _on_screen(error)
    expect(residents).to_have_count(38)  # the demo's 36, 居民1 and 楼下张阿姨
    expect(residents.first).to_have_text("楼下张阿姨（尚未联系代表）")
    expect(residents.nth(1)).to_have_text("居民1（尚未联系代表）")  # followed, but scanned no poster
    expect(residents.filter(has_text=re.compile(r"^老刘（.+代表 · .+联系点）$"))).to_have_count(1)
    options = page.locator("[data-testid=phone-select] option")
    labels = options.all_inner_texts()
    openids = options.evaluate_all("(nodes) => nodes.map((node) => node.value)")
    assert len(set(labels)) == len(labels), labels
    fragments = {openid[i:i + 4] for openid in openids for i in range(len(openid) - 3)}
    assert not [label for label in labels if any(fragment in label for fragment in fragments)]


def _password(tmp_path: Path, username: str) -> str:
    """The one-time password `minyi demo load` printed for ``username``."""
    printed = (tmp_path / "demo-passwords.txt").read_text()
    return re.search(rf"^\s*{re.escape(username)}\s+(\S+)\s*$", printed, re.MULTILINE).group(1)


def test_a_clerk_works_a_case_in_the_console_and_another_sub_district_sees_none_of_it(minyi, browser, tmp_path):
    from playwright.sync_api import expect

    base, _ = minyi
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page.goto(base + "/console/")
    page.fill("#username", "donghu")
    page.fill("#password", _password(tmp_path, "donghu"))
    page.get_by_test_id("login").click()
    expect(page.get_by_test_id("who")).to_contain_text("东湖街道人大工委（街道人大工委）")
    page.get_by_test_id("tab-all").click()
    expect(page.get_by_test_id("cases")).to_be_visible()
    page.screenshot(path=str(artifacts / "console-queue.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    assert download.value.suggested_filename.startswith("民意台账-") and download.value.suggested_filename.endswith(".xlsx")
    saved = artifacts / "ledger.xlsx"
    download.value.save_as(saved)
    from openpyxl import load_workbook
    book = load_workbook(saved, read_only=True)
    assert len(list(book.active.iter_rows(values_only=True))) > 1   # the header and the clerk's cases
    book.close()

    page.goto(base + "/console/?tab=all&status=submitted")   # what the filter form asks for
    page.keyboard.press("/")                                 # the queue's keys: / searches,
    expect(page.get_by_test_id("search")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")                                 # j marks the first row, Enter opens it
    expect(page.locator("tr.selected")).to_have_count(1)
    page.keyboard.press("Enter")
    number = page.get_by_test_id("case-number").inner_text().split()[0].removeprefix("编号")
    expect(page.get_by_test_id("suggestion")).to_contain_text("」→")   # the evidence: which words decided
    page.get_by_text("答复群众").first.click()
    page.locator("[data-testid=act-reply] textarea").fill("您好，已联系社区安排处理，感谢您的反映。")
    page.locator("[data-testid=act-reply] button").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"已答复群众：编号{number}")
    expect(page.get_by_test_id("timeline")).to_contain_text("您好，已联系社区安排处理")
    page.screenshot(path=str(artifacts / "console-case.png"), full_page=True)

    page.goto(base + "/console/?tab=all&status=submitted")   # another case: 交办 to a department
    page.get_by_test_id("case-link").first.click()
    assigned = page.get_by_test_id("case-number").inner_text().split()[0].removeprefix("编号")
    page.locator("details:has([data-testid=act-assign]) > summary").click()
    form = page.locator("[data-testid=act-assign]")
    form.locator("select[name=tier]").select_option("department")
    form.locator("select[name=department]").select_option(index=0)
    form.get_by_test_id("due").fill((datetime.now(UTC) + timedelta(days=30)).date().isoformat())
    form.locator("textarea[name=note]").fill("请于期限内核实处理并反馈。")
    form.locator("button").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"已交办：编号{assigned}")
    expect(page.get_by_test_id("timeline")).to_contain_text("请于期限内核实处理并反馈")

    page.get_by_test_id("dashboard-link").click()
    expect(page.get_by_test_id("figures")).to_contain_text("收到反映")
    expect(page.get_by_test_id("by_tier")).to_contain_text("部门办理")
    page.screenshot(path=str(artifacts / "console-dashboard.png"), full_page=True)

    other = browser.new_page(locale="zh-CN")
    other.goto(base + "/console/login")
    other.fill("#username", "qingshan")
    other.fill("#password", _password(tmp_path, "qingshan"))
    other.get_by_test_id("login").click()
    other.get_by_test_id("tab-all").click()
    expect(other.get_by_test_id("cases")).not_to_contain_text(number)
    answer = other.goto(f"{base}/console/cases/{number}")
    assert answer.status == 404
