"""Audit a district's grids: no blind spots, no overlaps (不留盲区、避免重叠), sound codes and hierarchy.

:func:`audit_grids` is a short driver over the checks in :mod:`geo._audit_checks`; each check returns
:class:`Finding` objects of one or more kinds:

================== ==============================================================================
kind               what it means
================== ==============================================================================
bad_geometry       no geometry, an empty one, or not a polygon
invalid_geometry   shapely says the polygon is invalid (the reason and where)
multi_part         a valid grid in several separate pieces, each above ``sliver_m2``
overlap            two grids share more than ``sliver_m2`` m² (geodesic)
gap                a connected piece above ``gap_m2`` m² of the outline (or a hole between grids) no grid covers
outside_outline    a grid wholly outside the outline, or reaching more than ``sliver_m2`` m² beyond it
duplicate_code     two or more grids share a code
malformed_code     a code that is missing, not 15 digits, outside the admin code or not under its community
broken_hierarchy   street/community codes that do not nest, a community under two streets, a street or
                   community with two names, missing names
================== ==============================================================================

A code that disagrees with its ``community_code`` is reported as ``malformed_code``; a
``community_code`` that disagrees with its ``street_code`` as ``broken_hierarchy``, so each
inconsistency shows up once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo._audit_checks import (
    Finding,
    GridSet,
    as_text,
    check_gaps,
    check_geometry,
    check_outside,
    check_overlaps,
    implied_outline,
    polygon_parts,
)
from geo._audit_codes import check_codes, check_hierarchy
from geo.district import GRID_COLUMNS, District

__all__ = ["KINDS", "AuditReport", "Finding", "audit_district", "audit_grids", "implied_outline"]

# kind → label on the report (zh first: the center's staff read it), in report order
KINDS = {
    "bad_geometry": "空或非面几何 · empty or non-polygon geometry",
    "invalid_geometry": "无效几何 · invalid geometry",
    "multi_part": "多部件网格 · grid in several pieces",
    "overlap": "网格重叠 · overlapping grids",
    "gap": "盲区 · area covered by no grid",
    "outside_outline": "超出辖区 · outside the district outline",
    "duplicate_code": "编码重复 · duplicate code",
    "malformed_code": "编码错误 · malformed code",
    "broken_hierarchy": "层级错误 · broken hierarchy",
}


@dataclass(frozen=True)
class AuditReport:
    """What :func:`audit_grids` found; ``ok`` when nothing."""

    findings: list[Finding]
    checked_grids: int
    sliver_m2: float = 1.0
    gap_m2: float = 1.0
    has_outline: bool = False
    admin_code: str | None = None
    counts: dict[str, int] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "counts", dict(Counter(f.kind for f in self.findings)))

    @property
    def ok(self) -> bool:
        return not self.findings

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def to_dict(self) -> dict:
        """A JSON-ready dict (what ``gridpulse district audit --json`` prints)."""
        return {
            "ok": self.ok,
            "checked_grids": self.checked_grids,
            "admin_code": self.admin_code,
            "has_outline": self.has_outline,
            "sliver_m2": self.sliver_m2,
            "gap_m2": self.gap_m2,
            "counts": self.counts,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_text(self, limit_per_kind: int | None = 50) -> str:
        """A readable report grouped by kind; at most ``limit_per_kind`` lines each (the JSON has all)."""
        outline = (
            "against the district outline"
            if self.has_outline
            else "no outline: against the grids' own boundary"
        )
        lines = [
            f"网格审核 Grid audit: {self.checked_grids} grids checked, {outline}; "
            f"tolerances sliver {self.sliver_m2:g} m², gap {self.gap_m2:g} m²",
        ]
        if self.ok:
            lines.append("结果 Result: OK, no problems found (不留盲区、避免重叠)")
            return "\n".join(lines)
        summary = ", ".join(f"{kind} {n}" for kind, n in self.counts.items())
        lines.append(f"结果 Result: {len(self.findings)} problem(s): {summary}")
        for kind, label in KINDS.items():
            found = self.of_kind(kind)
            if not found:
                continue
            lines += ["", f"{label} ({len(found)})"]
            shown = found if limit_per_kind is None else found[:limit_per_kind]
            lines += [f"  - {f.message}" for f in shown]
            if len(found) > len(shown):
                lines.append(f"  … and {len(found) - len(shown)} more (use --json for all)")
        return "\n".join(lines)


def _prepare(grids: gpd.GeoDataFrame, sliver_m2: float) -> tuple[GridSet, list[Finding]]:
    if grids.crs is not None and not grids.crs.equals("EPSG:4326"):
        grids = grids.to_crs("EPSG:4326")  # areas are geodesic on lon/lat
    table = pd.DataFrame(
        {c: as_text(grids[c]) if c in grids else "" for c in GRID_COLUMNS}, index=range(len(grids))
    )
    grid_set = GridSet(table=table, geoms=np.asarray(grids.geometry.array, dtype=object))
    findings, grid_set.geoms = check_geometry(grid_set, sliver_m2)
    return grid_set, findings


def _clean_outline(outline: BaseGeometry | None) -> BaseGeometry | None:
    if outline is None or outline.is_empty:
        return None
    if not outline.is_valid:
        outline = shapely.MultiPolygon(polygon_parts(shapely.make_valid(outline)))
    return outline


def audit_grids(
    grids: gpd.GeoDataFrame,
    outline: BaseGeometry | None = None,
    *,
    admin_code: str | None = None,
    sliver_m2: float = 1.0,
    gap_m2: float = 1.0,
) -> AuditReport:
    """Check a grid layer for bad geometry, overlaps, gaps, grids outside the outline, codes and hierarchy.

    Parameters
    ----------
    grids : GeoDataFrame
        One row per grid with :data:`geo.district.GRID_COLUMNS` (missing columns count as blank).
        Reprojected to WGS-84 if it has another CRS; assumed WGS-84 if it has none.
    outline : shapely geometry, optional
        The district boundary in WGS-84. Without it, gaps are checked against :func:`implied_outline`
        (the grids' union, cracks closed, holes filled) and ``outside_outline`` is not checked.
    admin_code : str, optional
        The district's 6-digit code; when given, grid and street codes must start with it.
    sliver_m2, gap_m2 : float
        Overlaps (and parts beyond the outline) up to ``sliver_m2`` m², and uncovered pieces up to
        ``gap_m2`` m², are float noise of digitizing and are ignored.

    Examples
    --------
    >>> report = audit_grids(district.grids, district.outline, admin_code="120110")  # doctest: +SKIP
    >>> report.ok, report.counts  # doctest: +SKIP
    (False, {'overlap': 1})
    """
    if sliver_m2 < 0 or gap_m2 < 0:
        raise ValueError("sliver_m2 and gap_m2 are areas in m² and must be >= 0")
    grid_set, findings = _prepare(grids, sliver_m2)
    outline = _clean_outline(outline)
    findings += check_overlaps(grid_set, sliver_m2)
    findings += check_gaps(grid_set, outline, gap_m2)
    if outline is not None:
        findings += check_outside(grid_set, outline, sliver_m2)
    findings += check_codes(grid_set, admin_code)
    findings += check_hierarchy(grid_set, admin_code)
    order = list(KINDS)
    findings.sort(key=lambda f: order.index(f.kind))  # stable: each check's own order is kept
    return AuditReport(
        findings=findings,
        checked_grids=len(grid_set.table),
        sliver_m2=sliver_m2,
        gap_m2=gap_m2,
        has_outline=outline is not None,
        admin_code=admin_code,
    )


def audit_district(district: District, **tolerances: float) -> AuditReport:
    """:func:`audit_grids` on a :class:`~geo.district.District`, against its outline and admin code.

    ``tolerances`` are ``sliver_m2`` and ``gap_m2``.
    """
    return audit_grids(district.grids, district.outline, admin_code=district.admin_code or None, **tolerances)
