"""Printable 公示牌 posters: a representative's own, and a contact point's list of its
representatives. A4 or A3 at 300 dpi, as PNG and as PDF pages a print shop accepts.

Layout is a pure function of the poster's data (``layout``): a list of boxes, each with what it
draws and where, every one inside the page's margins. Text that does not fit its width is set
smaller, down to a floor, then wrapped. Rendering draws the boxes; QR codes are drawn from the
URL WeChat gave (``qr.codes.qr_image``), never downloaded.

A batch is written page by page (``PdfPages``): each page goes into the PDF file as it is made
and is dropped, so memory and time per poster stay flat however many posters there are.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from qr.codes import qr_image
from qr.fonts import font
from texts import posters as texts

DPI = 300
PAPER_PX = {"A4": (2480, 3508), "A3": (3508, 4961)}  # 210×297 mm and 297×420 mm at 300 dpi
MARGIN = 150  # 12.7 mm at A4; scaled with the paper
RED = (196, 18, 48)
INK = (34, 34, 34)
GREY = (96, 96, 96)
WHITE = (255, 255, 255)


class _RunBy:
    """Who runs the place and the number to call, as printed: the place's own, else the committee's."""

    run_by: str
    committee: str
    phone: str
    committee_phone: str

    @property
    def body(self) -> str:
        return self.run_by or self.committee

    @property
    def call(self) -> str:
        return self.phone or self.committee_phone


@dataclass(frozen=True)
class RepresentativePoster(_RunBy):
    code: str  # names the file; never printed (residents cannot use it)
    name: str
    level_label: str
    constituency: str
    contact_point: str
    address: str
    committee: str
    committee_phone: str
    qr_url: str
    photo_path: str | None = None
    kind: str = "point"  # ContactPointKind: the heading and the place's word follow it
    reception_hours: str = ""
    work_unit: str = ""
    run_by: str = ""  # who runs the place, as printed; the committee when empty
    phone: str = ""  # the place's own number; the committee's when empty


@dataclass(frozen=True)
class ContactPointPoster(_RunBy):
    name: str
    address: str
    committee: str
    committee_phone: str
    representatives: tuple[RepresentativePoster, ...]
    kind: str = "point"
    reception_hours: str = ""
    run_by: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Box:
    kind: str  # text / qr / photo / band
    x: int
    y: int
    width: int
    height: int
    text: str = ""
    size: int = 0
    weight: str = "regular"
    color: tuple[int, int, int] = INK
    align: str = "center"
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


class _Column:
    """Stacks boxes top to bottom inside the margins, fitting text to the width."""

    def __init__(self, page: tuple[int, int], font_path: str, scale: float):
        self.width, self.height = page
        self.font_path = font_path
        self.scale = scale
        self.margin = round(MARGIN * scale)
        self.inner = self.width - 2 * self.margin
        self.y = self.margin
        self.boxes: list[Box] = []

    def px(self, value: float) -> int:
        return round(value * self.scale)

    def heading(self, title: str, band: float, top: float, size: float) -> None:
        """The red band across the top with the place's kind in it: 「民情民意联系点」."""
        self.add(Box("band", 0, 0, self.width, self.px(band), color=RED))
        self.y = self.px(top)
        self.text(title, size, "bold", WHITE)
        self.y = self.px(band)

    def gap(self, amount: float) -> None:
        self.y += self.px(amount)

    def text(self, text: str, size: float, weight: str = "regular", color=INK, min_size: float = 40,
             align: str = "center", width: int | None = None, x: int | None = None) -> None:
        """One line at the largest size up to ``size`` that fits; below ``min_size`` it wraps."""
        if not text:
            return
        width = width or self.inner
        x = self.margin if x is None else x
        size_px, floor = self.px(size), self.px(min_size)
        while size_px > floor and _text_width(text, size_px, weight, self.font_path) > width:
            size_px -= max(1, size_px // 40)
        for line in _wrap(text, size_px, weight, self.font_path, width):
            height = round(size_px * 1.35)
            self.boxes.append(Box("text", x, self.y, width, height, line, size_px, weight, color, align))
            self.y += height

    def add(self, box: Box) -> None:
        self.boxes.append(box)
        self.y = max(self.y, box.bottom)


def _text_width(text: str, size: int, weight: str, font_path: str) -> int:
    return round(font(weight, size, font_path).getlength(text))


def _wrap(text: str, size: int, weight: str, font_path: str, width: int) -> list[str]:
    lines, current = [], ""
    for char in text:  # Chinese breaks between any two characters
        if current and _text_width(current + char, size, weight, font_path) > width:
            lines.append(current)
            current = char
        else:
            current += char
    return [*lines, current] if current else lines


def _details(column: _Column, poster: RepresentativePoster, promise_days: int) -> None:
    """What sits under the code: where to come, when, who runs it, what to expect."""
    column.gap(40)
    column.text(texts.POSTER_CALL_TO_ACTION, 96, "bold", RED)
    column.gap(60)
    column.text(texts.poster_place(poster.kind, poster.contact_point) if poster.contact_point else "", 76,
                align="left")
    column.text(texts.POSTER_ADDRESS.format(address=poster.address) if poster.address else "", 76, align="left",
                min_size=64)
    column.text(texts.POSTER_RECEPTION.format(hours=poster.reception_hours) if poster.reception_hours else "", 76,
                align="left", min_size=64)
    column.text(texts.poster_run_by(poster.body, poster.call), 76, align="left", min_size=64)
    column.gap(40)
    column.text(texts.poster_promise(promise_days), 84, "bold", RED)
    column.gap(20)
    column.text(texts.POSTER_EMERGENCY, 68, "bold")


FOOTER_HEIGHT = 110


def layout(poster: RepresentativePoster, paper: str = "A4", promise_days: int = 5, font_path: str = "") -> list[Box]:
    page = PAPER_PX[paper]
    column = _Column(page, font_path, page[0] / PAPER_PX["A4"][0])
    column.heading(texts.poster_heading(poster.kind), 480, 110, 230)
    column.gap(90)

    who = " ".join(part for part in (poster.level_label, poster.constituency) if part)
    unit = texts.POSTER_WORK_UNIT.format(unit=poster.work_unit) if poster.work_unit else ""
    if poster.photo_path and Path(poster.photo_path).is_file():
        # The photo sits left of the name, so the code keeps its size.
        top, photo_h = column.y, column.px(480)
        photo_w = round(photo_h * 0.75)
        column.add(Box("photo", column.margin, top, photo_w, photo_h, extra={"path": poster.photo_path}))
        beside = {"x": column.margin + photo_w + column.px(60), "width": column.inner - photo_w - column.px(60)}
        column.y = top + column.px(20)
        column.text(poster.name, 240, "bold", min_size=160, align="left", **beside)
        column.text(who, 90, color=GREY, align="left", min_size=60, **beside)
        column.text(unit, 72, color=GREY, align="left", min_size=50, **beside)
        column.y = max(column.y, top + photo_h)
    else:
        column.text(poster.name, 260, "bold", min_size=160)
        column.gap(10)
        column.text(who, 100, color=GREY)
        column.text(unit, 76, color=GREY, min_size=50)
    column.gap(60)

    # The code takes what the details and the footer leave, up to its full size.
    measure = _Column(page, font_path, column.scale)
    measure.y = 0
    _details(measure, poster, promise_days)
    footer_top = page[1] - column.margin - column.px(FOOTER_HEIGHT)
    qr_side = min(column.px(1250), footer_top - column.y - measure.y - column.px(20))
    column.add(Box("qr", (page[0] - qr_side) // 2, column.y, qr_side, qr_side, poster.qr_url))
    _details(column, poster, promise_days)

    column.y = footer_top
    column.text(texts.POSTER_FOOTER, 52, color=GREY)
    return column.boxes


def contact_point_layout(poster: ContactPointPoster, paper: str = "A4", promise_days: int = 5,
                         font_path: str = "") -> list[Box]:
    """All representatives of one contact point, each with their code to scan, name and level."""
    page = PAPER_PX[paper]
    column = _Column(page, font_path, page[0] / PAPER_PX["A4"][0])
    column.heading(texts.poster_heading(poster.kind), 420, 90, 210)
    column.gap(70)
    column.text(poster.name, 150, "bold", min_size=90)
    column.text(texts.POSTER_ADDRESS.format(address=poster.address) if poster.address else "", 72, color=GREY,
                min_size=60)
    column.text(texts.POSTER_RECEPTION.format(hours=poster.reception_hours) if poster.reception_hours else "", 72,
                color=GREY, min_size=60)
    column.gap(50)
    column.text(texts.poster_point_representatives(poster.kind), 84, "bold", RED)
    column.gap(40)

    reps = poster.representatives
    columns = 3 if len(reps) > 4 else 2
    rows = max(1, -(-len(reps) // columns))
    footer = column.px(640)
    cell_w = column.inner // columns
    cell_h = (page[1] - column.y - footer) // rows
    qr_side = min(cell_w - column.px(80), cell_h - column.px(260))
    top = column.y
    for index, rep in enumerate(reps):
        x = column.margin + (index % columns) * cell_w
        column.y = top + (index // columns) * cell_h
        column.add(Box("qr", x + (cell_w - qr_side) // 2, column.y, qr_side, qr_side, rep.qr_url))
        column.gap(10)
        column.text(rep.name, 80, "bold", width=cell_w - column.px(20), x=x + column.px(10), min_size=50)
        column.text(rep.level_label, 48, color=GREY, width=cell_w - column.px(20), x=x + column.px(10),
                    min_size=34)
    column.y = top + rows * cell_h + column.px(30)
    column.text(texts.POSTER_CALL_TO_ACTION, 84, "bold", RED)
    column.text(texts.poster_run_by(poster.body, poster.call), 68, min_size=50)
    column.text(texts.poster_promise(promise_days), 72, "bold", RED)
    column.text(texts.POSTER_EMERGENCY, 60, "bold")
    return column.boxes


def render(boxes: list[Box], paper: str = "A4", font_path: str = "") -> Image.Image:
    image = Image.new("RGB", PAPER_PX[paper], WHITE)
    draw = ImageDraw.Draw(image)
    for box in boxes:
        if box.kind == "band":
            draw.rectangle([box.x, box.y, box.right - 1, box.bottom - 1], fill=box.color)
        elif box.kind == "qr":
            image.paste(qr_image(box.text, box.width), (box.x, box.y))
        elif box.kind == "photo":
            with Image.open(box.extra["path"]) as photo:
                fitted = photo.convert("RGB")
                fitted.thumbnail((box.width, box.height))
                image.paste(fitted, (box.x + (box.width - fitted.width) // 2, box.y))
        else:
            face = font(box.weight, box.size, font_path)
            anchor, x = {"center": ("mm", box.x + box.width // 2), "left": ("lm", box.x)}[box.align]
            draw.text((x, box.y + box.height // 2), box.text, font=face, fill=box.color, anchor=anchor)
    return image


def text_image(text: str, size: int, weight: str = "regular", font_path: str = "",
               face: ImageFont.FreeTypeFont | None = None) -> Image.Image:
    """One line drawn alone, black on white: what a poster's text box should look like."""
    face = face or font(weight, size, font_path)
    width = round(face.getlength(text)) + 2
    image = Image.new("L", (width, round(size * 1.35)), 255)
    ImageDraw.Draw(image).text((1, image.height // 2), text, font=face, fill=0, anchor="lm")
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI), optimize=False)
    return buffer.getvalue()


class PdfPages:
    """A multi-page PDF written one page at a time: each page becomes a full-page JPEG image
    (quality 95, no chroma subsampling, so codes and red text keep clean edges) written to the
    file at once and let go. Only the byte offsets are kept until ``close`` writes the page tree
    and the cross-reference table, so memory and time per page stay the same at any length.
    (Pillow's own append mode re-reads the whole file for every page.)"""

    def __init__(self, path: Path):
        self.file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.offsets: dict[int, int] = {}
        self.kids: list[int] = []
        self.next_number = 3  # 1 is the catalog, 2 the page tree: both written last
        self.file.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        return len(self.kids)

    def _object(self, body: bytes, stream: bytes | None = None, number: int | None = None) -> int:
        if number is None:
            number, self.next_number = self.next_number, self.next_number + 1
        self.offsets[number] = self.file.tell()
        self.file.write(b"%d 0 obj\n" % number + body)
        if stream is not None:
            self.file.write(b"\nstream\n" + stream + b"\nendstream")
        self.file.write(b"\nendobj\n")
        return number

    def add(self, page: Image.Image) -> None:
        jpeg = io.BytesIO()
        page.convert("RGB").save(jpeg, format="JPEG", quality=95, subsampling=0, dpi=(DPI, DPI))
        data = jpeg.getvalue()
        width_pt, height_pt = page.width * 72 / DPI, page.height * 72 / DPI
        image = self._object(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                             b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>"
                             % (page.width, page.height, len(data)), data)
        drawing = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (width_pt, height_pt)
        content = self._object(b"<< /Length %d >>" % len(drawing), drawing)
        self.kids.append(self._object(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (width_pt, height_pt, image, content)))

    def close(self) -> None:
        kids = b" ".join(b"%d 0 R" % kid for kid in self.kids)
        self._object(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.kids)), number=2)
        self._object(b"<< /Type /Catalog /Pages 2 0 R >>", number=1)
        xref = self.file.tell()
        size = self.next_number
        self.file.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for number in range(1, size):
            self.file.write(b"%010d 00000 n \n" % self.offsets[number])
        self.file.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
        self.file.close()


def write_batch(posters: Iterable[tuple[str, Image.Image]], pdf_path: Path, png_dir: Path | None,
                zip_path: Path | None = None) -> int:
    """Each (file stem, page) into one PDF and, with ``png_dir``, one PNG each, and with
    ``zip_path`` the PNGs in one zip (for a download); returns the count."""
    pdf = PdfPages(pdf_path)
    archive = zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED) if zip_path else None  # PNG is compressed
    try:
        for stem, page in posters:
            pdf.add(page)
            if png_dir is not None or archive is not None:
                png = png_bytes(page)
                if png_dir is not None:
                    (png_dir / f"{stem}.png").write_bytes(png)
                if archive is not None:
                    archive.writestr(f"{stem}.png", png)
            page.close()
    finally:
        pdf.close()
        if archive is not None:
            archive.close()
    return pdf.pages
