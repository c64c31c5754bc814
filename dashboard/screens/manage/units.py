"""The district's places as the drill-down needs them: names, parents, children and simplified outlines.

Built once per district (streets and communities are dissolved from the grids by :class:`geo.district.District`)
and kept on the web context; outlines of one level under one parent are turned into GeoJSON once and cached.
"""

from __future__ import annotations

import threading

import numpy as np
import shapely
from shapely.geometry import mapping

TOLERANCE_DEG = 2e-5  # about 2 m: invisible at the zoom a street or the district is drawn


class Units:
    def __init__(self, district):
        g = district.grids
        self.district = district
        self.name = {"district": district.name}
        self.name.update(zip(g["street_code"], g["street_name"], strict=True))
        self.name.update(zip(g["community_code"], g["community_name"], strict=True))
        self.name.update(zip(g["code"], g["name"], strict=True))
        self._level = {c: "street" for c in g["street_code"]}
        self._level.update({c: "community" for c in g["community_code"]})
        self._level.update({c: "grid" for c in g["code"]})
        self._street = dict(zip(g["community_code"], g["street_code"], strict=True))
        self._street.update(zip(g["code"], g["street_code"], strict=True))
        self._community = dict(zip(g["code"], g["community_code"], strict=True))
        self._geojson: dict = {}
        self._lock = threading.Lock()

    def level_of(self, code: str | None) -> str | None:
        return self._level.get(code) if code else None

    def street_of(self, code: str) -> str | None:
        return code if self._level.get(code) == "street" else self._street.get(code)

    def lineage(self, code: str, level: str) -> dict:
        """``{"street", "community", "grid"}`` of a place (None below its level)."""
        if level == "street":
            return {"street": code, "community": None, "grid": None}
        if level == "community":
            return {"street": self._street[code], "community": code, "grid": None}
        return {"street": self._street[code], "community": self._community[code], "grid": code}

    def children(self, level: str, parent: str | None) -> list[str]:
        """Codes of the units at ``level`` inside ``parent`` (None = the district), in code order."""
        frame = self._frame(level)
        col = self._code_col(level)
        if parent is not None:
            frame = frame[self._inside(frame, parent)]
        return sorted(frame[col].tolist())

    def geojson(self, level: str, parent: str | None) -> tuple[dict, tuple[float, float, float, float]]:
        """The outlines of ``children(level, parent)`` as a FeatureCollection (``id`` = code), and their bounds."""
        key = (level, parent)
        with self._lock:
            if key in self._geojson:
                return self._geojson[key]
        frame = self._frame(level)
        if parent is not None:
            frame = frame[self._inside(frame, parent)]
        geoms = shapely.simplify(np.asarray(frame.geometry.values, dtype=object), TOLERANCE_DEG,
                                 preserve_topology=True)
        geoms = shapely.set_precision(geoms, 1e-5)
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": code, "properties": {}, "geometry": mapping(geom)}
            for code, geom in zip(frame[self._code_col(level)], geoms, strict=True)]}
        bounds = tuple(float(v) for v in frame.total_bounds)
        with self._lock:
            self._geojson[key] = (fc, bounds)
        return fc, bounds

    def _frame(self, level: str):
        return {"street": self.district.streets, "community": self.district.communities,
                "grid": self.district.grids}[level]

    @staticmethod
    def _code_col(level: str) -> str:
        return {"street": "street_code", "community": "community_code", "grid": "code"}[level]

    def _inside(self, frame, parent: str):
        plevel = self._level.get(parent)
        if plevel == "street":
            return frame["street_code"] == parent
        if plevel == "community":
            return frame["community_code"] == parent
        return frame["code"] == parent  # a grid: itself


def units_of(ctx) -> Units:
    """The :class:`Units` of the web context's district (built on first use)."""
    found = ctx.server.extensions.get("gridpulse.manage.units")
    if found is None or found.district is not ctx.district:
        found = Units(ctx.district)
        ctx.server.extensions["gridpulse.manage.units"] = found
    return found
