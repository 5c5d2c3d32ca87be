"""Each representative's permanent parametric QR code: created once through WeChat's API and
kept (an account has 100,000 permanent codes in all), then drawn locally from its ``url``."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_H
from sqlalchemy.orm import Session
from wechatpy import WeChatClient

from models import Representative
from qr.scenes import representative_scene


def ensure_permanent_qr(session: Session, client: WeChatClient, representative: Representative) -> str:
    """Return the representative's QR url, creating the code through WeChat only if it has none.
    The row is locked first, so two workers never spend two codes on one representative."""
    session.refresh(representative, with_for_update=True)
    if representative.qr_url:
        return representative.qr_url
    scene = representative_scene(representative.code)
    answer = client.qrcode.create(
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
    )
    representative.qr_scene = scene
    representative.qr_ticket = answer["ticket"]
    representative.qr_url = answer["url"]
    session.flush()
    return representative.qr_url


def qr_png(url: str, box_size: int = 10) -> bytes:
    """The code drawn locally at high error correction (a poster survives a stain or a fold)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_H, box_size=box_size, border=4)
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def decode_qr(image_bytes: bytes) -> list[str]:
    """Every QR code's text in an image (zbar, Debian's libzbar0)."""
    from PIL import Image
    from pyzbar.pyzbar import ZBarSymbol, decode

    with Image.open(io.BytesIO(image_bytes)) as image:
        image.load()
        return [symbol.data.decode("utf-8") for symbol in decode(image.convert("L"), symbols=[ZBarSymbol.QRCODE])]
