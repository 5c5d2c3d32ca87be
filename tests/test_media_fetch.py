"""Residents' photos and voice notes are fetched from WeChat by the scheduler, never in the request."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services import services
from models import Attachment
from scheduler.media import fetch_media


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


def _attachments(db) -> list[Attachment]:
    db.rollback()
    return list(db.scalars(select(Attachment).order_by(Attachment.id)))


def test_a_photo_is_stored_under_the_media_dir(app, wechat, world, db, clock, district):
    svc = services(app)
    media_id = world.store_media("image", b"\xff\xd8\xff\xe0photo", "image/jpeg", "photo.jpg", clock.time())
    wechat.scan_poster("o-resident", "wang01")
    wechat.image("o-resident", media_id)
    [pending] = _attachments(db)
    assert pending.status == "pending" and pending.path is None  # the request did not download

    assert fetch_media(svc, clock.now()) == 1
    [stored] = _attachments(db)
    assert (stored.status, stored.content_type, stored.size) == ("stored", "image/jpeg", len(b"\xff\xd8\xff\xe0photo"))
    assert (Path(svc.settings.media_dir) / stored.path).read_bytes() == b"\xff\xd8\xff\xe0photo"
    assert stored.path.endswith(".jpg") and not list(Path(svc.settings.media_dir).rglob("*.part"))
    assert fetch_media(svc, clock.now()) == 0


def test_media_wechat_no_longer_has_fails_at_once(app, wechat, db, clock, district):
    wechat.scan_poster("o-resident", "wang01")
    wechat.image("o-resident", "expired-media")
    assert fetch_media(services(app), clock.now()) == 0
    [failed] = _attachments(db)
    assert (failed.status, failed.attempts) == ("failed", 1) and failed.error.startswith("40007")


def test_a_failed_download_waits_before_trying_again(app, wechat, world, db, clock, district):
    svc = services(app)
    media_id = world.store_media("voice", b"#!AMR\n", "audio/amr", "voice.amr", clock.time())
    wechat.scan_poster("o-resident", "wang01")
    wechat.send("o-resident", "voice", {"MediaId": media_id, "Format": "amr", "Recognition": "路灯坏了"})
    world.fail_next("media/get", -1)
    assert fetch_media(svc, clock.now()) == 0
    assert fetch_media(svc, clock.now()) == 0  # not due yet
    assert len(world.calls("media/get")) == 1
    clock.advance(seconds=31)
    assert fetch_media(svc, clock.now()) == 1
    [stored] = _attachments(db)
    assert (stored.status, stored.attempts, stored.path[-4:]) == ("stored", 2, ".amr")


def test_media_older_than_three_days_is_given_up(app, wechat, world, db, clock, district):
    wechat.scan_poster("o-resident", "wang01")
    wechat.image("o-resident", "old-media")
    clock.advance(days=3, seconds=1)
    fetch_media(services(app), clock.now())
    [failed] = _attachments(db)
    assert failed.status == "failed" and "3 days" in failed.error
    assert world.calls("media/get") == []
