"""Printed on the 公示牌 posters (qr/posters.py)."""

from __future__ import annotations

POSTER_HEADING = "民情民意联系点"
POSTER_CALL_TO_ACTION = "扫码关注，向代表反映您的意见建议"
POSTER_CONTACT_POINT = "联系点：{name}"
POSTER_ADDRESS = "地址：{address}"
POSTER_CODE = "代表编号：{code}"
POSTER_FOOTER = "民意直通车 · 人大代表联系群众"
POSTER_POINT_REPRESENTATIVES = "本联系点的人大代表（扫码联系）"


def poster_committee_phone(committee: str, phone: str) -> str:
    return f"{committee or '街道人大工委'}电话：{phone}"


def poster_promise(working_days: int) -> str:
    return f"一般事项{working_days}个工作日内答复"
