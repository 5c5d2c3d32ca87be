"""Each representative's permanent parametric QR code: created once through WeChat's API and
kept (an account has 100,000 permanent codes in all), then drawn locally from its ``url``.

Re-issuing (after a poster was defaced with another code, say) is an explicit act with a
reason: the representative gets a new scene, the old one is retired and no longer binds.
"""

from __future__ import annotations

import io
from datetime import datetime

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from wechatpy import WeChatClient

from models import QrCodeIssue, Representative
from qr.scenes import representative_scene


def ensure_permanent_qr(session: Session, client: WeChatClient, representative: Representative,
                        now: datetime) -> str:
    """Return the representative's QR url, creating the code through WeChat only if it has none.
    The row is locked first, so two workers never spend two codes on one representative."""
    session.refresh(representative, with_for_update=True)
    if representative.qr_url:
        return representative.qr_url
    return _issue(session, client, representative, representative_scene(representative.code), now,
                  reason="first issue", issued_by="")


def reissue_permanent_qr(session: Session, client: WeChatClient, representative: Representative, now: datetime,
                         reason: str, issued_by: str) -> str:
    """A new permanent code for the representative; the old one stops binding residents."""
    if not reason.strip():
        raise ValueError("a re-issue needs a reason")
    session.refresh(representative, with_for_update=True)
    issues = session.scalar(
        select(func.count()).select_from(QrCodeIssue).where(QrCodeIssue.representative_id == representative.id))
    session.execute(update(QrCodeIssue).where(QrCodeIssue.representative_id == representative.id,
                                              QrCodeIssue.retired_at.is_(None)).values(retired_at=now))
    scene = representative_scene(representative.code, issue=issues + 1)
    return _issue(session, client, representative, scene, now, reason=reason.strip(), issued_by=issued_by)


def _issue(session: Session, client: WeChatClient, representative: Representative, scene: str, now: datetime,
           reason: str, issued_by: str) -> str:
    answer = client.qrcode.create(
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
    )
    representative.qr_scene = scene
    representative.qr_ticket = answer["ticket"]
    representative.qr_url = answer["url"]
    session.add(QrCodeIssue(representative_id=representative.id, scene=scene, ticket=answer["ticket"],
                            url=answer["url"], issued_at=now, reason=reason[:255], issued_by=issued_by[:64]))
    session.flush()
    return representative.qr_url


def qr_image(url: str, side: int) -> Image.Image:
    """The code drawn locally at high error correction (a poster survives a stain or a fold), at
    exactly ``side`` pixels, every module the same whole number of pixels."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_H, box_size=1, border=4)
    code.add_data(url)
    code.make(fit=True)
    code.box_size = max(1, side // (code.modules_count + 2 * code.border))
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    framed = Image.new("RGB", (side, side), (255, 255, 255))
    framed.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return framed


def qr_png(url: str, side: int = 600) -> bytes:
    """The code alone as a PNG (a bind code on a screen, the sandbox's showqrcode)."""
    buffer = io.BytesIO()
    qr_image(url, side).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_qr(image_bytes: bytes) -> list[str]:
    """Every QR code's text in an image (zbar, Debian's libzbar0)."""
    from pyzbar.pyzbar import ZBarSymbol, decode

    with Image.open(io.BytesIO(image_bytes)) as image:
        image.load()
        return [symbol.data.decode("utf-8") for symbol in decode(image.convert("L"), symbols=[ZBarSymbol.QRCODE])]
