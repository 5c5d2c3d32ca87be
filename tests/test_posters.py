"""Posters checked the way a person checks a print: the codes decode to the right URL from the
PNG and from the PDF page, the names are real characters (not boxes), long text fits, and the
poster says what a resident can use (hours, who runs the place, emergency numbers) and nothing
they cannot (internal codes)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFont, ImageOps
from sqlalchemy import select

from bot.services import services
from models import ContactPoint, Representative
from models.district import ContactPointKind, RunBy
from qr import posters
from qr.codes import decode_qr
from qr.export import ExportError, export_posters
from qr.fonts import FontMissing, cjk_font_paths

LONG_ADDRESS = "示例区东街街道幸福路188号幸福里小区北门旁社区党群服务中心二楼东侧203室（公交东街站下车向北200米）"
NON_CJK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _poster(name: str = "王晓明", address: str = "示例区东街1号", **extra) -> posters.RepresentativePoster:
    fields = dict(code="wang01", name=name, level_label="区人大代表", constituency="第3选区",
                  contact_point="东街第一联系点", address=address, committee="东街街道人大工委",
                  committee_phone="027-8000 1001", qr_url="http://weixin.qq.com/q/02AbCdEfGhIjK",
                  reception_hours="每周三9:00—11:30", work_unit="示例区第一中学")
    return posters.RepresentativePoster(**{**fields, **extra})


def _ink(image: Image.Image) -> Image.Image:
    """Black-and-white ink, cropped to where there is any."""
    bw = image.convert("L").point(lambda value: 0 if value < 128 else 255)
    box = ImageOps.invert(bw).getbbox()
    return bw.crop(box) if box else bw


def _name_box(boxes: list[posters.Box], name: str) -> posters.Box:
    return next(box for box in boxes if box.kind == "text" and box.text == name)


@pytest.mark.parametrize("paper", ["A4", "A3"])
@pytest.mark.parametrize(("name", "address", "photo"), [("李芳", "示例区东街1号", False),
                                                        ("欧阳晓明", "示例区东街1号", False),
                                                        ("王晓明", LONG_ADDRESS, False), ("欧阳晓明", LONG_ADDRESS, True)])
def test_everything_fits_inside_the_margins_without_overlap(paper, name, address, photo, tmp_path):
    width, height = posters.PAPER_PX[paper]
    margin = round(posters.MARGIN * width / posters.PAPER_PX["A4"][0])
    photo_path = None
    if photo:
        photo_path = tmp_path / "photo.jpg"
        Image.new("RGB", (300, 400), (30, 90, 160)).save(photo_path)
    boxes = posters.layout(_poster(name, address, photo_path=photo_path and str(photo_path)), paper)
    texts = [box for box in boxes if box.kind == "text"]
    for box in texts:
        assert margin <= box.x and box.right <= width - margin and 0 <= box.y and box.bottom <= height - margin
        path, index = cjk_font_paths()[box.weight]
        assert ImageFont.truetype(path, box.size, index=index).getlength(box.text) <= box.width, box.text
    [code] = [box for box in boxes if box.kind == "qr"]
    assert code.width >= 900 * width / posters.PAPER_PX["A4"][0]  # at least 7.6 cm across on A4
    drawn = [box for box in boxes if box.kind in ("text", "qr", "photo")]
    for index, one in enumerate(drawn):
        for other in drawn[index + 1:]:
            apart = one.right <= other.x or other.right <= one.x or one.bottom <= other.y or other.bottom <= one.y
            assert apart, (one.kind, one.text, other.kind, other.text)
    lines = [box.text for box in texts]
    start = next(index for index, line in enumerate(lines) if line.startswith("地址："))
    end = next(index for index, line in enumerate(lines) if line.startswith("接待时间："))
    assert "".join(lines[start:end]) == "地址：" + address  # wrapped, nothing lost
    assert _name_box(boxes, name).size >= round(160 * width / posters.PAPER_PX["A4"][0])


def test_the_code_decodes_from_the_png_and_from_the_pdf_page(tmp_path):
    poster = _poster()
    page = posters.render(posters.layout(poster))
    assert page.size == (2480, 3508)
    png = posters.png_bytes(page)
    assert decode_qr(png) == [poster.qr_url]
    assert Image.open(io.BytesIO(png)).info["dpi"] == pytest.approx((300, 300), abs=0.01)

    pdf = tmp_path / "one.pdf"
    posters.write_batch([("wang01", page)], pdf, None)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert info.stderr == ""  # poppler found nothing to complain about
    assert "595.2 x 841.92 pts (A4)" in info.stdout and "Pages:           1" in info.stdout
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert decode_qr((tmp_path / "page-1.png").read_bytes()) == [poster.qr_url]


def _lines(boxes: list[posters.Box]) -> list[str]:
    return [box.text for box in boxes if box.kind == "text"]


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_a_representatives_poster_says_what_a_resident_can_use_and_no_internal_code(paper):
    lines = _lines(posters.layout(_poster(), paper, promise_days=5))
    assert lines[0] == "民情民意联系点"
    for line in ("联系点：东街第一联系点", "接待时间：每周三9:00—11:30", "工作单位：示例区第一中学",
                 "主办：东街街道人大工委　电话：027-8000 1001", "一般问题5个工作日内答复",
                 "紧急情况请拨打110；政务服务热线12345"):
        assert line in lines
    assert not [line for line in lines if "wang01" in line or "编号" in line]


def test_a_stations_poster_is_headed_as_a_station_and_names_who_runs_it():
    poster = _poster(kind="station", contact_point="东街街道人大代表联络站", run_by="示例区人大常委会",
                     phone="027-50000101")
    lines = _lines(posters.layout(poster, promise_days=7))
    assert lines[0] == "人大代表联络站" and "联络站：东街街道人大代表联络站" in lines
    assert "主办：示例区人大常委会　电话：027-50000101" in lines and "一般问题7个工作日内答复" in lines
    point = posters.ContactPointPoster("东街街道人大代表联络站", "示例区东街1号", "东街街道人大工委", "027-8000 1001",
                                       (poster, _poster("李芳", code="li02")), kind="station",
                                       reception_hours="工作日9:00—17:00")
    lines = _lines(posters.contact_point_layout(point))
    assert lines[0] == "人大代表联络站" and "本联络站的人大代表（扫码联系）" in lines
    assert "接待时间：工作日9:00—17:00" in lines and "紧急情况请拨打110；政务服务热线12345" in lines
    assert not [line for line in lines if "wang01" in line or "li02" in line]


@pytest.mark.parametrize("name", ["李芳", "欧阳晓明"])
def test_the_name_is_drawn_in_chinese_not_boxes(name):
    boxes = posters.layout(_poster(name))
    page = posters.render(boxes)
    box = _name_box(boxes, name)
    printed = _ink(page.crop((box.x, box.y, box.right, box.bottom)))
    expected = _ink(posters.text_image(name, box.size, box.weight))
    assert _mismatch(printed, expected) < 0.03  # the same glyphs, give or take antialiasing at the edges
    tofu = _ink(posters.text_image(name, box.size, face=ImageFont.truetype(NON_CJK_FONT, box.size)))
    assert _mismatch(printed, tofu) > 0.3


def _mismatch(a: Image.Image, b: Image.Image) -> float:
    """The share of pixels that differ, once both are scaled to the same box."""
    b = b.resize(a.size)
    differing = ImageChops.difference(a, b).point(lambda value: 255 if value > 0 else 0).histogram()[255]
    return differing / (a.width * a.height)


def test_a_photo_on_file_is_printed(tmp_path):
    photo = tmp_path / "wang.jpg"
    Image.new("RGB", (300, 400), (30, 90, 160)).save(photo)
    boxes = posters.layout(_poster(photo_path=str(photo)))
    [frame] = [box for box in boxes if box.kind == "photo"]
    page = posters.render(boxes)
    assert page.getpixel((frame.x + frame.width // 2, frame.y + frame.height // 2)) == pytest.approx(
        (30, 90, 160), abs=3)
    assert decode_qr(posters.png_bytes(page)) == [_poster().qr_url]


def test_posters_refuse_to_render_without_a_chinese_font(tmp_path):
    with pytest.raises(FontMissing, match="does not exist"):
        cjk_font_paths(str(tmp_path / "none.ttf"))
    with pytest.raises(FontMissing, match="no Chinese characters"):
        cjk_font_paths(NON_CJK_FONT)


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


def _pdf_pages(pdf: Path, tmp_path: Path) -> list[list[str]]:
    assert subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stderr == ""
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / pdf.stem)], check=True)
    return [decode_qr(page.read_bytes()) for page in sorted(tmp_path.glob(f"{pdf.stem}-*.png"))]


def test_a_sub_districts_posters_come_out_as_one_pdf_every_code_its_own(app, db, district, world, tmp_path):
    svc = services(app)
    out = tmp_path / "out"
    result = export_posters(db, svc.wechat, svc.settings, out, svc.clock.now(), sub_district="dongjie")
    assert result.pdfs == [out / "subdistrict-dongjie.pdf"] and result.pngs == 2 and result.codes_created == 2

    db.rollback()
    urls = dict(db.execute(select(Representative.code, Representative.qr_url)).all())
    assert _pdf_pages(result.pdfs[0], tmp_path) == [[urls["li02"]], [urls["wang01"]]]
    assert decode_qr((out / "wang01.png").read_bytes()) == [urls["wang01"]]
    assert world.qr_by_url(urls["wang01"])["scene"] == "rep:wang01"

    again = export_posters(db, svc.wechat, svc.settings, out, svc.clock.now(), sub_district="dongjie", pngs=False)
    assert again.codes_created == 0 and len(world.calls("qrcode/create")) == 2


def _recording(real, seen: list):
    """``real``, noting each poster's data it is given."""
    def laid_out(poster, *args, **kwargs):
        seen.append(poster)
        return real(poster, *args, **kwargs)
    return laid_out


def test_a_contact_points_export_starts_with_its_own_poster(app, db, district, tmp_path, monkeypatch):
    svc = services(app)
    point = db.get(ContactPoint, district["contact_points"]["east"].id)
    point.kind, point.run_by, point.reception_hours = ContactPointKind.STATION, RunBy.DISTRICT, "每周三9:00—11:30"
    point.phone = "027-50000101"
    db.get(Representative, district["reps"]["wang"].id).work_unit = "示例区第一中学"
    db.commit()
    laid_out = []
    for name in ("layout", "contact_point_layout"):
        monkeypatch.setattr(posters, name, _recording(getattr(posters, name), laid_out))
    result = export_posters(db, svc.wechat, svc.settings, tmp_path / "out", svc.clock.now(), contact_point="cp-dj-1", paper="A3")
    pages = _pdf_pages(result.pdfs[0], tmp_path)
    db.rollback()
    wang = db.scalar(select(Representative.qr_url).where(Representative.code == "wang01"))
    assert pages == [[wang], [wang]]  # the point's list (one representative), then his own poster
    listed, own = laid_out
    assert (listed.kind, listed.run_by, listed.reception_hours, listed.phone) == (
        "station", "示例区人大常委会", "每周三9:00—11:30", "027-50000101")
    assert (own.kind, own.run_by, own.reception_hours, own.work_unit, own.qr_url) == (
        "station", "示例区人大常委会", "每周三9:00—11:30", "示例区第一中学", wang)
    with Image.open(tmp_path / "out" / "point-cp-dj-1.png") as point_poster:
        assert point_poster.size == (3508, 4961)


def test_export_says_what_is_wrong(app, db, district, tmp_path):
    svc = services(app)
    with pytest.raises(ExportError, match="no contact point"):
        export_posters(db, svc.wechat, svc.settings, tmp_path, svc.clock.now(), contact_point="nowhere")
    with pytest.raises(ExportError, match="no WeChat account"):
        export_posters(db, None, svc.settings, tmp_path, svc.clock.now(), sub_district="xijie")


def test_scanning_a_printed_poster_in_the_sandbox_binds_the_resident(app, client, db, district, tmp_path):
    svc = services(app)
    export_posters(db, svc.wechat, svc.settings, tmp_path, svc.clock.now(), sub_district="xijie")
    phone = client.post("/sandbox/phones").get_json()["openid"]
    photo = io.BytesIO((tmp_path / "zhao03.png").read_bytes())
    scanned = client.post(f"/sandbox/phones/{phone}/send", content_type="multipart/form-data",
                          data={"kind": "scan_image", "mode": "safe", "file": (photo, "poster.png")})
    assert scanned.status_code == 200 and "赵强" in scanned.get_json()["reply"]


def test_a_poster_printed_before_the_fake_wechat_forgot_still_scans(app, client, db, district, tmp_path):
    """`minyi qr posters` with no server keeps its fake WeChat in its own memory, gone when it
    exits; like WeChat, a later fake still knows every code it issued."""
    svc = services(app)
    export_posters(db, svc.wechat, svc.settings, tmp_path, svc.clock.now(), sub_district="xijie")
    svc.redis.flushdb()  # a new process: the fake remembers nothing
    phone = client.post("/sandbox/phones").get_json()["openid"]
    photo = io.BytesIO((tmp_path / "zhao03.png").read_bytes())
    scanned = client.post(f"/sandbox/phones/{phone}/send", content_type="multipart/form-data",
                          data={"kind": "scan_image", "mode": "safe", "file": (photo, "poster.png")})
    assert scanned.status_code == 200 and "赵强" in scanned.get_json()["reply"]
