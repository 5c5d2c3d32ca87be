"""Posters printed from the console, and the WeChat calls behind them, made in this process.

The PDF comes from ``qr.export.export_posters`` (what `minyi qr posters` runs), written into a
temporary folder and sent as a download; the folder goes when the response is closed.
Representatives without a code get one from WeChat first (the sandbox's fake when no account
is configured). A failure is said in Chinese and the page is shown again.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import requests
from flask import Response, flash, send_file
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot.services import services
from qr.export import ExportError, NoWeChatAccount, export_posters
from qr.fonts import FontMissing, cjk_font_paths
from texts import directory as words

log = logging.getLogger(__name__)


FAILURES = (FontMissing, ExportError, WeChatClientException, requests.RequestException)


def explain(error: Exception) -> str:
    """What the clerk reads when a poster or a code could not be made."""
    if isinstance(error, FontMissing):
        return words.NO_FONT
    if isinstance(error, NoWeChatAccount):
        return words.NO_WECHAT
    if isinstance(error, ExportError):   # the record went between the page and the click
        return words.NO_POSTERS
    if isinstance(error, WeChatClientException):
        return words.WECHAT_FAILED.format(errcode=error.errcode)
    return words.WECHAT_FAILED.format(errcode="—")


def wechat_call(act: Callable[[Session], object]):
    """``act(session)`` with the app's WeChat client, committed; None (and the reason flashed)
    when there is no account or WeChat refuses."""
    svc = services()
    if svc.wechat is None:
        flash(words.NO_WECHAT, "error")
        return None
    try:
        with Session(svc.engine) as session:
            result = act(session)
            session.commit()
            return result
    except FAILURES as error:
        log.warning("console: a WeChat call failed: %s", type(error).__name__)
        flash(explain(error), "error")
        return None


def posters_download(name: str, paper: str, **which: str) -> Response | None:
    """The posters of one ``sub_district``, ``contact_point`` or ``representative`` (by code) as a
    PDF download named after ``name``; None (and the reason flashed) when none could be made."""
    svc = services()
    out = Path(tempfile.mkdtemp(prefix="minyi-posters-"))
    try:
        cjk_font_paths(svc.settings.posters_font_path)
        with Session(svc.engine) as session:
            result = export_posters(session, svc.wechat, svc.settings, out, svc.clock.now(), paper=paper,
                                    pngs=False, **which)
    except FAILURES as error:
        log.warning("console posters failed: %s", type(error).__name__)
        flash(explain(error), "error")
        result = None
    if result is None or not result.pdfs:
        if result is not None:
            flash(words.NO_POSTERS, "error")
        shutil.rmtree(out, ignore_errors=True)
        return None
    response = send_file(result.pdfs[0], mimetype="application/pdf", as_attachment=True,
                         download_name=words.POSTER_FILE.format(name=name), max_age=0)
    response.call_on_close(lambda: shutil.rmtree(out, ignore_errors=True))
    return response
