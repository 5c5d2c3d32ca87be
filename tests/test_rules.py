"""Pure rules: case numbers, distances, QR scenes, command folding, dedup keys."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.messages import dedup_key
from cases.geo import distance_m, nearest, valid_coordinates
from cases.numbering import case_number, format_case_number, parse_case_number
from handlers.commands import normalize_command
from qr.scenes import parse_scene, representative_scene


def test_case_numbers_round_trip():
    assert format_case_number(2026, 123) == "2026-000123"
    assert format_case_number(2027, 1_234_567) == "2027-1234567"
    assert parse_case_number(" 2026-000123 ") == (2026, 123)
    assert parse_case_number("2026-12") is None and parse_case_number("编号") is None


def test_case_numbers_take_the_year_in_beijing_time():
    assert case_number(1, datetime(2026, 12, 31, 15, 59)) == "2026-000001"  # 23:59 in Beijing
    assert case_number(2, datetime(2026, 12, 31, 16, 0)) == "2027-000002"  # 00:00 on 1 January


def test_distances():
    assert distance_m(30.0, 114.0, 30.0, 114.0) == 0
    # One degree of latitude is about 111.2 km everywhere.
    assert distance_m(30.0, 114.0, 31.0, 114.0) == pytest.approx(111_195, rel=1e-3)
    ranked = nearest(30.0, 114.0, [("far", 31.0, 114.0), ("near", 30.001, 114.0), ("mid", 30.1, 114.0)], 2)
    assert [name for name, _ in ranked] == ["near", "mid"]
    assert not valid_coordinates(91, 0) and not valid_coordinates(0, 0) and valid_coordinates(30.5, 114.3)


@pytest.mark.parametrize("key, expected", [
    ("qrscene_rep:wang01", ("rep", "wang01")),
    ("rep:wang01", ("rep", "wang01")),
    ("bind:Ab3_x-9", ("bind", "Ab3_x-9")),
    ("qrscene_123", None),
    ("rep:", None),
    ("rep:有中文", None),
    ("rep:" + "a" * 59, None),  # over WeChat's 64-character scene limit
    ("", None),
    (None, None),
])
def test_scenes(key, expected):
    scene = parse_scene(key)
    assert (scene.kind, scene.value) == expected if expected else scene is None


def test_representative_scene_checks_the_code():
    assert representative_scene("wang01") == "rep:wang01"
    with pytest.raises(ValueError):
        representative_scene("王")


@pytest.mark.parametrize("typed", ["进度", " 进度 ", "进度。", "\u3000进度！", "进 度"])
def test_commands_are_folded(typed):
    assert normalize_command(typed) == "进度"


def test_dedup_keys():
    assert dedup_key({"MsgType": "text", "MsgId": "42", "FromUserName": "o", "CreateTime": "1"}) == "msg:42"
    event = {"MsgType": "event", "FromUserName": "o", "CreateTime": "9", "Event": "subscribe", "EventKey": "k"}
    assert dedup_key(event) == "evt:o:9:subscribe:k"
    assert dedup_key({**event, "EventKey": None}) == "evt:o:9:subscribe:"
    receipt = {**event, "Event": "TEMPLATESENDJOBFINISH", "EventKey": None, "MsgID": "200163836"}
    assert dedup_key(receipt) == "evt:o:9:TEMPLATESENDJOBFINISH::200163836"
    long_key = dedup_key({**event, "EventKey": "k" * 200})
    assert long_key.startswith("evt:") and len(long_key) <= 160
