"""In real Chromium, against minyi started as `make run` starts it (the fixtures of
test_e2e_browser): the demo's 东湖街道 clerk opens the directory, opens a contact point, prints its
posters and gets a PDF whose pages are the point's poster and each representative's own, every
code scanning to that representative's current code; the other sub-district's clerk gets 404."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import create_engine, select

from models import ContactPoint, Representative
from qr.codes import decode_qr
from tests.test_e2e_browser import _password, browser, minyi, pytestmark  # noqa: F401 - fixtures and the skip

POINT = "dh-station"   # 东湖街道人大代表联络站


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_test_id("login").click()


def test_a_clerk_prints_a_contact_points_posters_from_the_directory(minyi, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    base, database_url = minyi
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768}, accept_downloads=True)
    _login(page, base, "donghu", _password(tmp_path, "donghu"))
    page.get_by_test_id("directory-link").click()
    expect(page.get_by_test_id("sub-district-link")).to_have_count(1)   # their own sub-district only
    page.get_by_test_id("sub-district-link").click()
    expect(page.get_by_test_id("heading")).to_contain_text("东湖街道")
    page.get_by_test_id("point-link").filter(has_text="东湖街道人大代表联络站").click()
    expect(page.get_by_test_id("heading")).to_contain_text("人大代表联络站")
    expect(page.get_by_test_id("facts")).to_contain_text("工作日9:00—17:00")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_test_id("print-posters").get_by_role("button").click()
    assert download.value.suggested_filename == "公示牌-东湖街道人大代表联络站.pdf"
    pdf = tmp_path / "posters.pdf"
    download.value.save_as(pdf)

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    engine = create_engine(database_url)
    with engine.connect() as conn:
        point_id = conn.scalar(select(ContactPoint.id).where(ContactPoint.code == POINT))
        urls = conn.execute(select(Representative.qr_url).where(Representative.primary_contact_point_id == point_id,
                                                                Representative.active.is_(True))
                            .order_by(Representative.code)).scalars().all()
    engine.dispose()
    assert urls and all(urls)   # the codes were created through (fake) WeChat for the print
    assert f"Pages:           {len(urls) + 1}" in info
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = [decode_qr(path.read_bytes()) for path in sorted(tmp_path.glob("page-*.png"))]
    assert pages == [urls] + [[url] for url in urls]   # the point's poster, then each representative's own
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "console-directory-point.png"), full_page=True)

    other = browser.new_page(locale="zh-CN")
    _login(other, base, "qingshan", _password(tmp_path, "qingshan"))
    assert other.goto(f"{base}/console/directory/points/{POINT}").status == 404
