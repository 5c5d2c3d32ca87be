"""Printed on the 公示牌 posters (qr/posters.py).

A poster carries only what a resident can use: no internal codes. Its heading and the word for
the place follow the place's own kind (``ContactPointKind``): 联系点 or 联络站.
"""

from __future__ import annotations

# By ContactPointKind value: the band across the top, the place's line, the list's heading.
POSTER_HEADINGS = {"point": "民情民意联系点", "station": "人大代表联络站"}
POSTER_PLACES = {"point": "联系点：{name}", "station": "联络站：{name}"}
POSTER_POINT_REPRESENTATIVES = {"point": "本联系点的人大代表（扫码联系）", "station": "本联络站的人大代表（扫码联系）"}

POSTER_CALL_TO_ACTION = "扫码关注，向代表反映您的意见建议"
POSTER_ADDRESS = "地址：{address}"
POSTER_RECEPTION = "接待时间：{hours}"
POSTER_WORK_UNIT = "工作单位：{unit}"
POSTER_EMERGENCY = "紧急情况请拨打110；政务服务热线12345"
POSTER_FOOTER = "民意直通车 · 人大代表联系群众"


def poster_heading(kind: str) -> str:
    return POSTER_HEADINGS.get(kind, POSTER_HEADINGS["point"])


def poster_place(kind: str, name: str) -> str:
    return POSTER_PLACES.get(kind, POSTER_PLACES["point"]).format(name=name)


def poster_point_representatives(kind: str) -> str:
    return POSTER_POINT_REPRESENTATIVES.get(kind, POSTER_POINT_REPRESENTATIVES["point"])


def poster_run_by(body: str, phone: str) -> str:
    """Who runs the place, and the number to call: 「主办：东湖街道人大工委　电话：027-50000101」."""
    parts = [f"主办：{body}" if body else "", f"电话：{phone}" if phone else ""]
    return "　".join(part for part in parts if part)


def poster_promise(working_days: int) -> str:
    return f"一般问题{working_days}个工作日内答复"
