"""The geometry checks behind :mod:`geo.audit`, and what all checks share (:class:`Finding`, :class:`GridSet`).

Each check is a small function over a :class:`GridSet` returning findings; the code and hierarchy
checks are in :mod:`geo._audit_codes`.

Geometry checks run on a repaired copy of the grids (``shapely.make_valid``, polygon parts only), so one
bad ring is reported once as ``invalid_geometry`` and still takes part in the overlap and gap checks
instead of hiding its neighbours' problems. Areas are geodesic (:func:`geo.measure.area_m2`); a cheap
planar estimate screens out the many float-noise slivers of real files first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.measure import area_m2, metres_per_degree

_POLYGON, _MULTIPOLYGON = 3, 6
_REASON_AT = re.compile(r"^(.*?)\s*\[(\S+) (\S+)\]$")  # "Self-intersection[117.315 39.085]"
_TOUCH_DEG = 1e-7  # about 1 cm: a gap's neighbours may miss its edge by float noise


@dataclass(frozen=True)
class Finding:
    """One problem the audit found: its kind, the grids involved, a readable message and where."""

    kind: str
    grid_codes: tuple[str, ...]
    message: str
    area_m2: float | None = None
    location: tuple[float, float] | None = None  # (lon, lat)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "grid_codes": list(self.grid_codes),
            "message": self.message,
            "area_m2": None if self.area_m2 is None else round(self.area_m2, 1),
            "location": None if self.location is None else list(self.location),
        }


@dataclass
class GridSet:
    """The grids as the checks see them: text attributes, labels and repaired polygonal geometry."""

    table: pd.DataFrame  # GRID_COLUMNS as stripped strings ("" when missing)
    geoms: np.ndarray  # repaired polygonal geometry, None where unusable

    @cached_property
    def labels(self) -> list[str]:
        """How messages name each grid: its code, else its row."""
        return [code or f"row {i}" for i, code in enumerate(self.table["code"])]

    @cached_property
    def points(self) -> list[tuple[float, float] | None]:
        """A point inside each grid, to say where a code problem is."""
        pts = shapely.point_on_surface(self.geoms)
        return [None if p is None else _lonlat(p) for p in pts]

    def describe(self, i: int) -> str:
        name = self.table["name"].iat[i]
        return f"{self.labels[i]} ({name})" if name else self.labels[i]

    def near(self, i: int) -> str:
        """ " around (lon, lat)" of grid ``i``, or "" when it has no usable geometry."""
        return "" if self.points[i] is None else f" around {_at(self.points[i])}"


def as_text(values: pd.Series) -> pd.Series:
    """Codes and names as stripped strings; missing → ""; floats such as 120110001001001.0 → their digits."""

    def one(v) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    return values.map(one).astype(object)


def _lonlat(point: BaseGeometry) -> tuple[float, float]:
    return (round(point.x, 6), round(point.y, 6))


def _where(geom: BaseGeometry) -> tuple[float, float]:
    return _lonlat(shapely.point_on_surface(geom))


def _at(where: tuple[float, float]) -> str:
    return f"({where[0]:.6f}, {where[1]:.6f})"


def polygon_parts(geom: BaseGeometry | None) -> list[BaseGeometry]:
    """The polygons inside any geometry (collections flattened, lines and points dropped)."""
    if geom is None or geom.is_empty:
        return []
    parts = shapely.get_parts(shapely.get_parts(geom))  # twice: a collection may hold multipolygons
    return [p for p in parts if shapely.get_type_id(p) == _POLYGON]


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    parts = polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def measure_m2(geoms, tolerance_m2: float) -> np.ndarray:
    """Geodesic areas in m², computed only where a planar estimate could exceed ``tolerance_m2`` (else 0)."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    if not len(geoms):
        return out
    bounds = shapely.bounds(geoms)
    m_lon, m_lat = metres_per_degree(np.nan_to_num((bounds[:, 1] + bounds[:, 3]) / 2))
    rough = np.nan_to_num(shapely.area(geoms)) * m_lon * m_lat
    for i in np.flatnonzero(rough >= 0.5 * tolerance_m2):  # the planar estimate is within a few % here
        out[i] = area_m2(geoms[i])
    return out


def check_geometry(grids: GridSet, sliver_m2: float):
    """``bad_geometry``, ``invalid_geometry`` and ``multi_part``; returns (findings, repaired geometry)."""
    geoms, findings = grids.geoms, []
    repaired = np.array(geoms, dtype=object)
    type_ids = shapely.get_type_id(geoms)  # -1 for None
    unusable = ~np.isin(type_ids, (_POLYGON, _MULTIPOLYGON)) | shapely.is_empty(geoms)
    for i in np.flatnonzero(unusable):
        g = geoms[i]
        what = (
            "no geometry"
            if g is None
            else ("an empty geometry" if g.is_empty else f"a {g.geom_type}, not a polygon")
        )
        where = None if g is None or g.is_empty else _where(g)
        findings.append(
            Finding(
                "bad_geometry", (grids.labels[i],), f"grid {grids.describe(i)} has {what}", location=where
            )
        )
        repaired[i] = None
    reasons = shapely.is_valid_reason(geoms)
    for i in np.flatnonzero(~unusable & (reasons != "Valid Geometry")):
        match = _REASON_AT.match(reasons[i])
        where = (round(float(match[2]), 6), round(float(match[3]), 6)) if match else _where(geoms[i].envelope)
        reason = match[1] if match else reasons[i]
        findings.append(
            Finding(
                "invalid_geometry",
                (grids.labels[i],),
                f"grid {grids.describe(i)} is invalid: {reason} at {_at(where)}",
                location=where,
            )
        )
        repaired[i] = _polygonal(shapely.make_valid(geoms[i]))
    for i in np.flatnonzero((type_ids == _MULTIPOLYGON) & ~unusable & (reasons == "Valid Geometry")):
        areas = measure_m2(polygon_parts(geoms[i]), sliver_m2)
        big = np.sort(areas[areas > sliver_m2])[::-1]
        if len(big) > 1:  # crumbs below the sliver tolerance are noise, not a second piece
            sizes = ", ".join(f"{a:,.0f}" for a in big)
            where = _where(geoms[i])
            findings.append(
                Finding(
                    "multi_part",
                    (grids.labels[i],),
                    f"grid {grids.describe(i)} is in {len(big)} separate pieces ({sizes} m²) "
                    f"around {_at(where)}",
                    float(big.sum()),
                    where,
                )
            )
    return findings, repaired


def check_overlaps(grids: GridSet, sliver_m2: float) -> list[Finding]:
    """``overlap``: each pair of grids whose interiors share more than ``sliver_m2``."""
    idx = np.flatnonzero(~shapely.is_missing(grids.geoms))
    geoms = grids.geoms[idx]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    # interiors meet ("T********"): a real overlap, not two grids sharing an edge or a corner
    inner = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    left, right = left[inner], right[inner]
    pieces = shapely.intersection(geoms[left], geoms[right])
    areas = measure_m2(pieces, sliver_m2)
    findings = []
    for k in np.flatnonzero(areas > sliver_m2):
        a, b = idx[left[k]], idx[right[k]]
        where = _where(pieces[k])
        findings.append(
            Finding(
                "overlap",
                (grids.labels[a], grids.labels[b]),
                f"grids {grids.describe(a)} and {grids.describe(b)} overlap by {areas[k]:,.1f} m² "
                f"around {_at(where)}",
                float(areas[k]),
                where,
            )
        )
    return findings


def union_of(geoms) -> BaseGeometry:
    """The union of ``geoms``, simplified by 1e-9° (0.1 mm).

    Float noise along shared edges leaves the raw union with thousands of stray vertices that make the
    next overlay 10-100× slower; a topology-preserving simplify this small removes them and no area.
    """
    geoms = np.array(geoms, dtype=object)  # a copy: the caller's grids are not repaired in place
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)  # union_all can raise on invalid input
    geoms[bad] = [_polygonal(shapely.make_valid(g)) for g in geoms[bad]]
    return shapely.simplify(shapely.union_all(geoms), 1e-9)


def implied_outline(geoms, close_m: float = 0.5, *, union: BaseGeometry | None = None) -> BaseGeometry:
    """The boundary the grids themselves imply: their union with cracks up to ``2 * close_m`` closed, holes filled.

    Real files rarely share edges exactly (``39.08`` beside ``39.080000000000005``): a blind spot between
    grids then leaks to the outside through a crack and is no hole of the union. A mitred closing
    (buffer out, buffer in) seals such cracks without rounding the district's corners.
    """
    union = union_of(geoms) if union is None else union
    if union.is_empty:
        return union
    lat = (union.bounds[1] + union.bounds[3]) / 2
    eps = close_m / metres_per_degree(lat)[1]
    closed = union.buffer(eps, join_style="mitre").buffer(-eps, join_style="mitre")
    shells = [shapely.Polygon(p.exterior) for p in polygon_parts(closed)]
    return shapely.union_all([*shells, union])  # closing never takes away grid area


def _beside(gap: BaseGeometry, near: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Of the grids within a hair of ``gap``, those sharing an edge with it (more than about 1 m), not a corner."""
    # opened first: a gap may trail a float-noise crack along a grid it does not really border
    core = shapely.buffer(gap, -_TOUCH_DEG, join_style="mitre")
    band = shapely.buffer(core, 2 * _TOUCH_DEG, join_style="mitre")
    shared = shapely.area(shapely.intersection(band, usable[near]))
    return near[shared > _TOUCH_DEG * 1e-5]


def check_gaps(grids: GridSet, outline: BaseGeometry | None, gap_m2: float) -> list[Finding]:
    """``gap``: pieces of the outline (without one: of the grids' implied outline) that no grid covers."""
    usable_idx = np.flatnonzero(~shapely.is_missing(grids.geoms))
    usable = grids.geoms[usable_idx]
    union = union_of(usable)
    if outline is None:
        outline = implied_outline(usable, union=union)
    pieces = polygon_parts(shapely.difference(outline, union))
    areas = measure_m2(pieces, gap_m2)
    keep = np.flatnonzero(areas > gap_m2)
    if not len(keep):
        return []
    gaps = np.asarray(pieces, dtype=object)[keep]
    hit, near = shapely.STRtree(usable).query(gaps, predicate="dwithin", distance=_TOUCH_DEG)
    findings = []
    for n, k in enumerate(keep):
        codes = tuple(grids.labels[usable_idx[j]] for j in sorted(_beside(gaps[n], near[hit == n], usable)))
        where = _where(gaps[n])
        beside = f", beside {', '.join(codes)}" if codes else ""
        findings.append(
            Finding(
                "gap",
                codes,
                f"{areas[k]:,.1f} m² covered by no grid around {_at(where)}{beside}",
                float(areas[k]),
                where,
            )
        )
    return findings


def check_outside(grids: GridSet, outline: BaseGeometry, sliver_m2: float) -> list[Finding]:
    """``outside_outline``: grids wholly outside the outline, or reaching more than ``sliver_m2`` beyond it."""
    shapely.prepare(outline)
    present = ~shapely.is_missing(grids.geoms)
    idx = np.flatnonzero(present & ~shapely.covered_by(grids.geoms, outline))
    beyond = shapely.difference(grids.geoms[idx], outline)
    areas = measure_m2(beyond, sliver_m2)
    inside = shapely.relate_pattern(grids.geoms[idx], outline, "T********")
    findings = []
    for k in np.flatnonzero(areas > sliver_m2):
        i = idx[k]
        where = _where(beyond[k])
        how = (
            "lies wholly outside the district outline"
            if not inside[k]
            else (f"reaches {areas[k]:,.1f} m² beyond the district outline")
        )
        findings.append(
            Finding(
                "outside_outline",
                (grids.labels[i],),
                f"grid {grids.describe(i)} {how}, around {_at(where)}",
                float(areas[k]),
                where,
            )
        )
    return findings
