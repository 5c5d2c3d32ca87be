"""Scene strings carried by parametric QR codes (1–64 characters, WeChat's limit).

``rep:<code>``     a representative's permanent poster code (``rep:<code>.<n>`` once re-issued)
``bind:<token>``   a representative binding their own WeChat account (temporary code)
``link:<token>``   a resident staff filed for (代录) following their case in WeChat (temporary code)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCENE_PREFIX = "qrscene_"  # what a new follower's subscribe event puts before the scene
_SCENE = re.compile(r"^(rep|bind|link):([A-Za-z0-9_.-]{1,58})$")


@dataclass(frozen=True)
class Scene:
    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def representative_scene(code: str, issue: int = 1) -> str:
    """The first code's scene is ``rep:<code>``; the n-th re-issue's is ``rep:<code>.<n>``."""
    scene = f"rep:{code}" if issue == 1 else f"rep:{code}.{issue}"
    if not _SCENE.match(scene):
        raise ValueError(f"representative code {code!r} cannot form a QR scene")
    return scene


def token_scene(kind: str, token: str) -> str:
    """The scene of a one-time code: ``bind:<token>`` or ``link:<token>``."""
    scene = f"{kind}:{token}"
    if kind not in ("bind", "link") or not _SCENE.match(scene):
        raise ValueError("a one-time token cannot form a QR scene")
    return scene


def parse_scene(event_key: str | None) -> Scene | None:
    if not event_key:
        return None
    if event_key.startswith(SCENE_PREFIX):
        event_key = event_key[len(SCENE_PREFIX):]
    match = _SCENE.match(event_key.strip())
    return Scene(match.group(1), match.group(2)) if match else None
