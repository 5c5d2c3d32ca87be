"""Batch export of posters: one PDF per sub-district or contact point (or one representative's
own), one PNG per poster. The CLI (`minyi qr posters`) and the console's print buttons both come here.

Codes missing are created first (each committed at once: a code WeChat has issued is never
lost); then the posters are rendered one at a time into the PDF, so a district's worth of
posters takes the memory of one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from wechatpy import WeChatClient

from bot.codes import unknown_code
from bot.config import Settings
from models import ContactPoint, Representative, SubDistrict, representative_contact_points
from models.district import RunBy
from qr import posters
from qr.codes import ensure_permanent_qr
from texts import LEVEL_LABELS, committee_name, electoral_line, standing_committee


class ExportError(Exception):
    """What the operator must fix first; the message says what."""


class NoWeChatAccount(ExportError):
    """A representative has no code yet and there is no WeChat account to create one."""


@dataclass
class ExportResult:
    pdfs: list[Path] = field(default_factory=list)
    pngs: int = 0
    codes_created: int = 0


def run_by_name(point: ContactPoint | None, sub: SubDistrict | None) -> str:
    """Who runs the place, as its poster names them: 示例区人大常委会 or 东湖街道人大工委."""
    sub = point.sub_district if point is not None else sub
    if sub is None:
        return ""
    if point is not None and point.run_by is RunBy.DISTRICT:
        return standing_committee(sub.district.name)
    return sub.committee_name or committee_name(sub.name)


def photo_file(settings: Settings, photo_path: str | None) -> str | None:
    """A stored photo's file: paths are kept relative to ``media.dir`` (an absolute one stays)."""
    return str(Path(settings.media_dir) / photo_path) if photo_path else None


def served_photo(settings: Settings, stored: str | None) -> Path | None:
    """The stored photo's file if it exists inside ``media.dir`` (what a page may serve), else None."""
    if not stored:
        return None
    root = Path(settings.media_dir).resolve()
    path = Path(photo_file(settings, stored)).resolve()
    return path if root in path.parents and path.is_file() else None


def _poster_data(rep: Representative, point: ContactPoint | None, sub: SubDistrict | None,
                 settings: Settings) -> posters.RepresentativePoster:
    return posters.RepresentativePoster(
        code=rep.code, name=rep.name, level_label=LEVEL_LABELS.get(rep.level, "人大代表"),
        constituency=electoral_line(rep.level, rep.constituency), contact_point=point.name if point else "",
        address=point.address if point else "", committee=sub.committee_name if sub else "",
        committee_phone=sub.committee_phone if sub else "", qr_url=rep.qr_url or "",
        photo_path=photo_file(settings, rep.photo_path), kind=point.kind if point else "point",
        reception_hours=point.reception_hours if point else "", work_unit=rep.work_unit or "",
        run_by=run_by_name(point, sub), phone=point.phone if point else "",
    )


def _representatives(session: Session, where) -> list[int]:
    return list(session.scalars(
        select(Representative.id).where(Representative.active.is_(True), where).order_by(Representative.code)
    ))


def _ensure_codes(session: Session, client: WeChatClient | None, rep_ids: list[int], now: datetime) -> int:
    created = 0
    for rep_id in rep_ids:
        rep = session.get(Representative, rep_id)
        if rep.qr_url:
            continue
        if client is None:
            raise NoWeChatAccount(f"representative {rep.code} has no QR code yet, and no WeChat account is "
                              "configured to create one (wechat.appid / wechat.secret)")
        ensure_permanent_qr(session, client, rep, now)
        session.commit()
        created += 1
    return created


def representative_page(session: Session, rep: Representative, paper: str, settings: Settings):
    """One representative's own poster, rendered (the code must exist already)."""
    point = session.get(ContactPoint, rep.primary_contact_point_id) if rep.primary_contact_point_id else None
    sub = session.get(SubDistrict, rep.sub_district_id) if rep.sub_district_id else None
    boxes = posters.layout(_poster_data(rep, point, sub, settings), paper, settings.posters_reply_working_days,
                           settings.posters_font_path)
    return posters.render(boxes, paper, settings.posters_font_path)


def _rep_pages(session: Session, rep_ids: list[int], paper: str, settings: Settings) -> Iterator[tuple[str, object]]:
    for rep_id in rep_ids:
        rep = session.get(Representative, rep_id)
        yield rep.code, representative_page(session, rep, paper, settings)
        session.expunge_all()  # nothing accumulates across a large batch


def _point_page(session: Session, point: ContactPoint, rep_ids: list[int], paper: str, settings: Settings):
    sub = point.sub_district
    reps = tuple(_poster_data(session.get(Representative, rep_id), point, sub, settings) for rep_id in rep_ids)
    boxes = posters.contact_point_layout(
        posters.ContactPointPoster(point.name, point.address, sub.committee_name, sub.committee_phone, reps,
                                   kind=point.kind, reception_hours=point.reception_hours,
                                   run_by=run_by_name(point, sub), phone=point.phone),
        paper, settings.posters_reply_working_days, settings.posters_font_path)
    return f"point-{point.code}", posters.render(boxes, paper, settings.posters_font_path)


def export_posters(session: Session, client: WeChatClient | None, settings: Settings, out: Path, now: datetime, *,
                   sub_district: str | None = None, contact_point: str | None = None,
                   representative: str | None = None, paper: str = "A4", pngs: bool = True,
                   zips: bool = False) -> ExportResult:
    """``sub_district``, ``contact_point`` or ``representative`` code, or none for every sub-district."""
    out.mkdir(parents=True, exist_ok=True)
    result = ExportResult()
    if representative is not None:
        rep_id = session.scalar(select(Representative.id).where(Representative.code == representative))
        if rep_id is None:
            raise ExportError(unknown_code(session, "representatives", representative))
        result.codes_created += _ensure_codes(session, client, [rep_id], now)
        groups = [(representative, [rep_id], [])]
    elif contact_point is not None:
        point = session.scalar(select(ContactPoint).where(ContactPoint.code == contact_point))
        if point is None:
            raise ExportError(unknown_code(session, "contact-points", contact_point))
        at_point = select(representative_contact_points.c.representative_id).where(
            representative_contact_points.c.contact_point_id == point.id)
        rep_ids = _representatives(session, or_(Representative.primary_contact_point_id == point.id,
                                                Representative.id.in_(at_point)))
        result.codes_created += _ensure_codes(session, client, rep_ids, now)
        point = session.get(ContactPoint, point.id)
        pages = [_point_page(session, point, rep_ids, paper, settings)]
        groups = [(f"point-{point.code}", rep_ids, pages)]
    else:
        query = select(SubDistrict).order_by(SubDistrict.code)
        if sub_district is not None:
            query = query.where(SubDistrict.code == sub_district)
        subs = list(session.scalars(query))
        if not subs:
            raise ExportError(unknown_code(session, "sub-districts", sub_district) if sub_district
                              else "no sub-districts: this database has none (`minyi demo load` fills an empty one)")
        groups = [(f"subdistrict-{sub.code}", _representatives(session, Representative.sub_district_id == sub.id), [])
                  for sub in subs]
        for _, rep_ids, _ in groups:
            result.codes_created += _ensure_codes(session, client, rep_ids, now)
    for stem, rep_ids, first_pages in groups:
        if not rep_ids and not first_pages:
            continue
        pdf = out / f"{stem}.pdf"
        pdf.unlink(missing_ok=True)
        pages = itertools.chain(first_pages, _rep_pages(session, rep_ids, paper, settings))
        count = posters.write_batch(pages, pdf, out if pngs else None, out / f"{stem}.zip" if zips else None)
        result.pdfs.append(pdf)
        result.pngs += count if pngs else 0
    return result
