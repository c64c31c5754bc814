"""Bulk point → grid lookup: which grid polygon is each GPS fix in?

A :class:`GridLocator` is built once per district.  It lays a uniform lookup raster (cells of ``cell_m``
metres) over the grids' bounds and classifies every cell at build time with shapely 2's vectorized predicates:

* a cell that no polygon boundary touches lies wholly inside the same set of polygons (or wholly outside all
  of them), so its answer is stored in the raster and a point in it is answered by numpy indexing alone;
* a cell that a boundary crosses keeps the short, sorted list of polygons that touch it, and a point in it is
  tested exactly against those candidates, lowest row first (prepared ``shapely.intersects_xy``).

Both paths give the same answer as an exact STRtree query (kept as ``_locate_exact`` for tests and audits):
**the lowest row index among the polygons that cover the point** (``intersects``, so the boundary counts).
A point on a shared edge or corner therefore gets exactly one grid, deterministically, and overlapping grids
resolve the same way.  Cells are classified enlarged by ``_SLACK`` of a cell so that floating-point rounding
in ``floor`` can never put a point in a cell whose classification did not cover it.  Grids are expected to be
valid polygons (``geo.audit`` checks that); the answer for a point in a self-intersecting one is GEOS's.

Build cost for 东丽区 (1,147 grids, 476 km², 20 m cells): ~0.3–0.5 s, 8 MB; lookups ~20 M points/s on one
core, ~25× ``geopandas.sjoin`` (``bench/locate.py``).
"""

from __future__ import annotations

import numpy as np
import shapely

from geo.measure import haversine_m, metres_per_degree

DEFAULT_CELL_M = 20.0  # ~8% of points in a 0.4 km² grid district land in a boundary cell; build ~0.5 s
MAX_CELLS = 16_000_000  # 64 MB of int32; beyond that the cell size grows (a whole-city layer, say)
_SLACK = 1e-6  # cells are classified enlarged by this fraction of a cell (20 µm at 20 m): floor() rounding
_PIECE = 4.0  # boundary segments are cut into pieces at most this many cells long


class GridLocator:
    """Point → grid index over one district's grid polygons.

    Build it with :meth:`from_grids`; answers are row positions in the ``grids`` frame it was built from.

    Parameters
    ----------
    geoms : array of shapely polygons, one per grid row.
    codes : array of grid codes aligned with ``geoms``.
    cell_m : lookup raster cell size in metres.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> grids = gpd.GeoDataFrame({"code": ["120110001001001", "120110001001002"]},
    ...                          geometry=[box(117.30, 39.09, 117.31, 39.10), box(117.31, 39.09, 117.32, 39.10)])
    >>> loc = GridLocator.from_grids(grids)
    >>> loc.locate([117.305, 117.31, 117.40], [39.095, 39.095, 39.095]).tolist()  # the shared edge → row 0
    [0, 0, -1]
    >>> loc.locate_one(117.315, 39.095)
    '120110001001002'
    >>> loc.locate_one(117.3205, 39.095, nearest_within_m=100)  # ~43 m east of row 1
    '120110001001002'
    """

    def __init__(self, geoms, codes, *, cell_m: float = DEFAULT_CELL_M):
        self.geoms = np.asarray(geoms, dtype=object)
        self.codes = np.asarray(codes, dtype=object)
        if len(self.geoms) != len(self.codes):
            raise ValueError(f"{len(self.geoms)} geometries but {len(self.codes)} codes")
        kinds = set(shapely.get_type_id(self.geoms[~shapely.is_empty(self.geoms)]).tolist()) - {-1}
        if not kinds <= {3, 6}:  # Polygon, MultiPolygon (-1 is a missing geometry)
            raise ValueError("grid geometries must be polygons or multipolygons")
        if not cell_m > 0:
            raise ValueError(f"cell_m must be > 0 metres, got {cell_m!r}")
        self.tree = shapely.STRtree(self.geoms)
        # intersects_xy / contains_xy use the prepared (indexed) form of a polygon when it has one
        shapely.prepare(self.geoms)
        # codes[-1] is None so that indexing with -1 ("outside") yields None
        self._codes_or_none = np.append(self.codes, None)
        self._metric = None  # geometries in local metres, built on the first nearest_within_m call
        has_area = ~shapely.is_missing(self.geoms) & ~shapely.is_empty(self.geoms)
        bounds = shapely.total_bounds(self.geoms[has_area]) if has_area.any() else np.full(4, np.nan)
        mean_lat = (bounds[1] + bounds[3]) / 2 if np.isfinite(bounds).all() else 0.0
        self._m_per_deg = metres_per_degree(mean_lat)
        self._build_raster(bounds, cell_m)

    @classmethod
    def from_grids(cls, grids, *, cell_m: float = DEFAULT_CELL_M) -> GridLocator:
        """Build from a GeoDataFrame with a polygon ``geometry`` and a ``code`` column (15-digit str)."""
        return cls(grids.geometry.to_numpy(), grids["code"].to_numpy(dtype=object), cell_m=cell_m)

    def locate(self, lon, lat, *, nearest_within_m: float | None = None) -> np.ndarray:
        """Row index of the grid covering each point, ``-1`` where none does.

        Parameters
        ----------
        lon, lat : float or array_like, WGS-84 degrees; broadcast together.  NaN or ±inf gives ``-1``.
        nearest_within_m : for points in no grid, return the nearest grid whose edge is within this many
            metres instead of ``-1`` (ties → lowest row).  ``None`` (default) disables it.

        Returns
        -------
        numpy.ndarray of int64 with the broadcast shape of ``lon`` and ``lat``.
        """
        lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        shape = lon.shape
        x, y = lon.ravel(), lat.ravel()
        out = self._locate_raster(x, y)
        if nearest_within_m is not None:
            missing = np.flatnonzero((out < 0) & np.isfinite(x) & np.isfinite(y))
            if missing.size:
                out[missing] = self._nearest(x[missing], y[missing], float(nearest_within_m))
        return out.reshape(shape)

    def locate_codes(self, lon, lat, *, nearest_within_m: float | None = None) -> np.ndarray:
        """Like :meth:`locate`, but the grid codes (object array), ``None`` where no grid."""
        return self._codes_or_none[self.locate(lon, lat, nearest_within_m=nearest_within_m)]

    def locate_one(self, lon: float, lat: float, *, nearest_within_m: float | None = None) -> str | None:
        """The grid code for a single point, or ``None``."""
        return self._codes_or_none[int(self.locate(lon, lat, nearest_within_m=nearest_within_m))]

    # -- the lookup raster ----------------------------------------------------------------------------

    def _build_raster(self, bounds: np.ndarray, cell_m: float) -> None:
        m_lon, m_lat = self._m_per_deg
        dx, dy = cell_m / m_lon, cell_m / m_lat
        if not np.isfinite(bounds).all():  # no (non-empty) grids: every point is outside
            bounds, dx, dy = np.zeros(4), 1.0, 1.0
        width, height = bounds[2] - bounds[0], bounds[3] - bounds[1]
        grow = max(1.0, np.sqrt((width / dx) * (height / dy) / MAX_CELLS))
        dx, dy = dx * grow, dy * grow
        self._x0, self._y0, self._inv_dx, self._inv_dy = bounds[0], bounds[1], 1.0 / dx, 1.0 / dy
        # floor(...) + 1 so that a point exactly on the east/north bound still falls in the last cell
        self._nx = int(np.floor(width * self._inv_dx)) + 1
        self._ny = int(np.floor(height * self._inv_dy)) + 1
        n_cells = self._nx * self._ny
        b_poly, b_cell = _boundary_pairs(self)
        i_poly, i_cell = _inside_pairs(self)
        on_boundary = np.zeros(n_cells, dtype=bool)
        on_boundary[b_cell] = True
        # every polygon that touches each cell, sorted by cell then row, without repeats
        key = np.sort(np.r_[i_cell * len(self.geoms) + i_poly, b_cell * len(self.geoms) + b_poly])
        key = key[_run_starts(key)]  # np.unique would hash first: 20× slower here
        cell, poly = np.divmod(key, max(len(self.geoms), 1))
        raster = np.full(n_cells, -1, dtype=np.int32)
        direct = ~on_boundary[cell]
        d_cell, d_poly = cell[direct], poly[direct]
        first = _run_starts(d_cell)  # the lowest row covering the cell
        raster[d_cell[first]] = d_poly[first]
        # Boundary cells store -2 - k, k indexing a CSR list of their candidate rows (ascending).
        c_cell, c_poly = cell[~direct], poly[~direct]
        starts = _run_starts(c_cell)
        raster[c_cell[starts]] = -2 - np.arange(starts.size, dtype=np.int32)
        self._raster = raster
        self._cand_ptr = np.r_[starts, c_cell.size].astype(np.int64)
        self._cand_idx = c_poly.astype(np.int64)

    def _locate_raster(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.full(x.shape, -1, dtype=np.int64)
        fx = (x - self._x0) * self._inv_dx
        fy = (y - self._y0) * self._inv_dy
        ok = np.flatnonzero((fx >= 0) & (fx < self._nx) & (fy >= 0) & (fy < self._ny))  # NaN compares False
        # non-negative, so truncation is floor
        value = self._raster[fy[ok].astype(np.intp) * self._nx + fx[ok].astype(np.intp)]
        out[ok] = value
        hard = value <= -2
        if hard.any():
            idx = ok[hard]
            out[idx] = self._locate_candidates(x[idx], y[idx], -2 - value[hard].astype(np.int64))
        return out

    def _locate_candidates(self, x: np.ndarray, y: np.ndarray, cell_list: np.ndarray) -> np.ndarray:
        """Exact test against each boundary cell's candidates, lowest row first, in vectorized rounds."""
        out = np.full(x.shape, -1, dtype=np.int64)
        start = self._cand_ptr[cell_list]
        count = self._cand_ptr[cell_list + 1] - start
        active = np.arange(x.size)
        k = 0
        while active.size:
            cand = self._cand_idx[start[active] + k]
            hit = shapely.intersects_xy(self.geoms[cand], x[active], y[active])
            out[active[hit]] = cand[hit]
            k += 1
            active = active[~hit & (count[active] > k)]
        return out

    def _locate_exact(self, x, y) -> np.ndarray:
        """Reference answer straight from the STRtree (lowest covering row); slow, for tests and audits."""
        x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
        out = np.full(x.shape, np.iinfo(np.int64).max, dtype=np.int64)
        pt, poly = self.tree.query(shapely.points(x, y), predicate="intersects")
        np.minimum.at(out, pt, poly)
        out[out == np.iinfo(np.int64).max] = -1
        return out

    # -- nearest grid within N metres -----------------------------------------------------------------

    def _nearest(self, x: np.ndarray, y: np.ndarray, within_m: float) -> np.ndarray:
        if self._metric is None:
            self._metric = _MetricIndex(self.geoms, self._m_per_deg, self._x0, self._y0)
        return self._metric.nearest(x, y, within_m)


class _MetricIndex:
    """The grids in local equirectangular metres, so that "nearest" means nearest on the ground.

    In raw degrees a degree of longitude is shorter than one of latitude (by cos 39° ≈ 0.78 in Tianjin), so
    a degree-space nearest neighbour can be the wrong one; scaling first avoids that.  The winner's distance
    is then verified with the haversine formula.
    """

    def __init__(self, geoms: np.ndarray, m_per_deg: tuple[float, float], x0: float, y0: float):
        self.scale = np.array(m_per_deg)
        self.origin = np.array([x0, y0])
        self.geoms = shapely.transform(geoms, lambda c: (c - self.origin) * self.scale)
        self.tree = shapely.STRtree(self.geoms)

    def nearest(self, x: np.ndarray, y: np.ndarray, within_m: float) -> np.ndarray:
        out = np.full(x.shape, -1, dtype=np.int64)
        if within_m < 0 or x.size == 0:
            return out
        pts = shapely.points((x - self.origin[0]) * self.scale[0], (y - self.origin[1]) * self.scale[1])
        # a little slack for the flat-earth scale; the haversine check below has the final word
        pt, poly = self.tree.query_nearest(pts, max_distance=within_m * 1.01 + 1.0, all_matches=True)
        if pt.size == 0:
            return out
        # the nearest point on the polygon, back in degrees, then the true distance to the fix
        near = shapely.get_coordinates(shapely.shortest_line(self.geoms[poly], pts[pt]))[0::2]
        near = near / self.scale + self.origin
        dist = haversine_m(x[pt], y[pt], near[:, 0], near[:, 1])
        ok = dist <= within_m
        pt, poly = pt[ok], poly[ok]
        order = np.lexsort((poly, pt))  # all_matches gives equidistant ties: the lowest row wins
        pt, poly = pt[order], poly[order]
        first = _run_starts(pt)
        out[pt[first]] = poly[first]
        return out


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Positions where a new value starts in a sorted array."""
    is_start = np.ones(sorted_values.size, dtype=bool)
    is_start[1:] = sorted_values[1:] != sorted_values[:-1]
    return np.flatnonzero(is_start)


def _cells_in_ranges(i0, i1, j0, j1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every cell (i, j) with i0 ≤ i ≤ i1, j0 ≤ j ≤ j1 for each range, as (range number, i, j) arrays."""
    w, h = i1 - i0 + 1, j1 - j0 + 1
    n = np.maximum(w * h, 0)
    owner = np.repeat(np.arange(n.size), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return owner, i0[owner] + k % w[owner], j0[owner] + k // w[owner]


def _index_range(lo, hi, n: int) -> tuple[np.ndarray, np.ndarray]:
    # widened by 2 × slack so that a cell whose enlarged box merely touches the range is included
    return (
        np.clip(np.floor(lo - 2 * _SLACK), 0, n - 1).astype(np.int64),
        np.clip(np.floor(hi + 2 * _SLACK), 0, n - 1).astype(np.int64),
    )


def _boundary_pairs(loc: GridLocator) -> tuple[np.ndarray, np.ndarray]:
    """(row, cell) for every cell that a polygon's boundary may touch; a superset is fine, a miss is not.

    Works on the boundary segments in cell units, cut into pieces at most ``_PIECE`` cells long so that each
    piece's bounding box is small, with the separating-axis test for a segment against a square.
    """
    parts, part_row = shapely.get_parts(shapely.boundary(loc.geoms), return_index=True)
    xy, coord_part = shapely.get_coordinates(parts, return_index=True)
    u = (xy[:, 0] - loc._x0) * loc._inv_dx
    v = (xy[:, 1] - loc._y0) * loc._inv_dy
    same = coord_part[1:] == coord_part[:-1]  # a segment joins consecutive vertices of one line
    row = part_row[coord_part[:-1][same]]
    a_u, a_v, b_u, b_v = u[:-1][same], v[:-1][same], u[1:][same], v[1:][same]
    # cut long segments into pieces (interpolation error ~1e-13 cells, far inside the slack)
    pieces = np.maximum(np.ceil(np.maximum(np.abs(b_u - a_u), np.abs(b_v - a_v)) / _PIECE), 1).astype(
        np.int64
    )
    seg = np.repeat(np.arange(row.size), pieces)
    m = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t0, t1 = m / pieces[seg], (m + 1) / pieces[seg]
    du, dv = b_u[seg] - a_u[seg], b_v[seg] - a_v[seg]
    p_u, p_v = a_u[seg] + t0 * du, a_v[seg] + t0 * dv
    q_u, q_v = a_u[seg] + t1 * du, a_v[seg] + t1 * dv
    i0, i1 = _index_range(np.minimum(p_u, q_u), np.maximum(p_u, q_u), loc._nx)
    j0, j1 = _index_range(np.minimum(p_v, q_v), np.maximum(p_v, q_v), loc._ny)
    piece, i, j = _cells_in_ranges(i0, i1, j0, j1)
    # separating axis = the piece's normal: |n · (centre - p)| ≤ half-width of the square along n
    n_u, n_v = -(q_v - p_v)[piece], (q_u - p_u)[piece]
    reach = np.abs(n_u * (i + 0.5 - p_u[piece]) + n_v * (j + 0.5 - p_v[piece]))
    half = (0.5 + _SLACK) * (np.abs(n_u) + np.abs(n_v))
    hit = reach <= half * (1 + 1e-9)
    return row[seg[piece[hit]]], j[hit] * loc._nx + i[hit]


def _inside_pairs(loc: GridLocator) -> tuple[np.ndarray, np.ndarray]:
    """(row, cell) for every cell whose centre lies inside a polygon (it matters where no boundary is near)."""
    b = shapely.bounds(loc.geoms)
    valid = np.flatnonzero(np.isfinite(b).all(axis=1))
    b = b[valid]
    i0, i1 = _index_range((b[:, 0] - loc._x0) * loc._inv_dx, (b[:, 2] - loc._x0) * loc._inv_dx, loc._nx)
    j0, j1 = _index_range((b[:, 1] - loc._y0) * loc._inv_dy, (b[:, 3] - loc._y0) * loc._inv_dy, loc._ny)
    owner, i, j = _cells_in_ranges(i0, i1, j0, j1)
    row = valid[owner]
    inside = shapely.contains_xy(
        loc.geoms[row], loc._x0 + (i + 0.5) / loc._inv_dx, loc._y0 + (j + 0.5) / loc._inv_dy
    )
    return row[inside], j[inside] * loc._nx + i[inside]
