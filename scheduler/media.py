"""Fetch the photos, voice notes and videos residents sent, while WeChat still has them (3 days).

The download runs outside any transaction; the file is written under ``media.dir`` first (to a
temporary name, then renamed), and only then is the attachment marked ``stored``.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from datetime import datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot.redact import redact
from bot.services import Services
from cases.notifications import MAX_ATTEMPTS, retry_at
from models import Attachment

log = logging.getLogger(__name__)

BATCH = 20
MAX_BYTES = 25 * 1024 * 1024
WECHAT_KEEPS_MEDIA = timedelta(days=3)
GONE = frozenset({40007})  # invalid media_id: expired or never existed
EXTENSIONS = {"audio/amr": ".amr", "image/jpeg": ".jpg", "video/mp4": ".mp4", "audio/mpeg": ".mp3"}


class FetchError(Exception):
    def __init__(self, message: str, final: bool = False):
        super().__init__(message)
        self.final = final


def _download(svc: Services, media_id: str) -> tuple[bytes, str]:
    try:
        answer = svc.wechat.media.download(media_id)
        if isinstance(answer, dict):  # a video: WeChat answers with a link to it
            if not answer.get("video_url"):
                raise FetchError("media/get answered without content", final=True)
            answer = requests.get(answer["video_url"], timeout=30, stream=True)
            answer.raise_for_status()
    except WeChatClientException as error:
        raise FetchError(redact(f"{error.errcode} {error.errmsg}")[:255], final=error.errcode in GONE) from None
    except requests.RequestException as error:
        raise FetchError(redact(f"{type(error).__name__}: {error}")[:255]) from None
    content = answer.content
    if len(content) > MAX_BYTES:
        raise FetchError(f"larger than {MAX_BYTES} bytes", final=True)
    content_type = answer.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
    return content, content_type


def _store(media_dir: str, attachment_id: int, now: datetime, content: bytes, content_type: str) -> str:
    extension = EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"
    relative = Path(f"{now:%Y}") / f"{now:%m}" / f"{attachment_id}{extension}"
    target = Path(media_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, target)
    return str(relative)


def fetch_media(svc: Services, now: datetime) -> int:
    """Download pending attachments; return how many were stored."""
    if svc.wechat is None:
        return 0
    with Session(svc.engine) as session:
        pending = session.scalars(
            select(Attachment)
            .where(Attachment.status == "pending",
                   or_(Attachment.next_attempt_at.is_(None), Attachment.next_attempt_at <= now))
            .order_by(Attachment.id)
            .limit(BATCH)
        ).all()
        session.expunge_all()
    stored = 0
    for attachment in pending:
        update: dict[str, object] = {"attempts": attachment.attempts + 1}
        if now - attachment.created_at > WECHAT_KEEPS_MEDIA:
            update.update(status="failed", error="WeChat no longer keeps this media (3 days)")
        else:
            try:
                content, content_type = _download(svc, attachment.media_id)
                path = _store(svc.settings.media_dir, attachment.id, now, content, content_type)
            except FetchError as error:
                log.info("attachment %s: %s", attachment.id, error)
                failed = error.final or update["attempts"] >= MAX_ATTEMPTS
                update.update(status="failed" if failed else "pending", error=str(error),
                              next_attempt_at=retry_at(int(update["attempts"]), now))
            else:
                update.update(status="stored", path=path, content_type=content_type, size=len(content),
                              fetched_at=now, error=None)
                stored += 1
        with Session(svc.engine) as session:
            row = session.get(Attachment, attachment.id)
            for name, value in update.items():
                setattr(row, name, value)
            session.commit()
    return stored
