"""Distances for "the nearest contact point": pure functions, no database."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypeVar

EARTH_RADIUS_M = 6_371_000.0

T = TypeVar("T")


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def valid_coordinates(lat: float, lng: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0 and not (lat == 0.0 and lng == 0.0)


def nearest(
    lat: float, lng: float, places: Iterable[tuple[T, float, float]], limit: int
) -> list[tuple[T, float]]:
    """The ``limit`` places closest to (lat, lng), with their distances, nearest first."""
    ranked = sorted(
        ((place, distance_m(lat, lng, plat, plng)) for place, plat, plng in places),
        key=lambda pair: pair[1],
    )
    return ranked[:limit]
