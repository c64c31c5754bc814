"""The district builder: counts, codes, numbering, roster, determinism and a clean audit, on the real outlines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.audit import audit_district
from geo.build import build_district, district_spec
from geo.district import load_district, save_district
from geo.measure import area_km2
from geo.outline import OutlineNotFound

DONGLI_STREETS = {"张贵庄街道", "丰年村街道", "万新街道", "无瑕街道", "新立街道", "华明街道", "金钟街道",
                  "军粮城街道", "金桥街道", "华新街道", "东丽湖街道"}


@pytest.fixture(scope="module")
def dongli():
    return build_district("东丽区", "天津市", seed=1)


def test_dongli_counts_match_the_field(dongli):
    s = dongli.summary()
    assert s["admin_code"] == "120110"
    assert s["streets"] == 11
    assert 90 <= s["communities"] <= 100
    assert s["grids"] == 1147 and s["exclusive_grids"] == 0
    assert abs(s["area_km2"] - 476) / 476 < 0.01
    assert set(dongli.grids["street_name"]) == DONGLI_STREETS


def test_households_per_grid_are_in_the_field_range(dongli):
    hh = dongli.grids["households"]
    assert hh.between(300, 400).all()
    # denser grids are smaller: the smallest quarter of grids holds more households on average than the largest
    area = shapely.area(dongli.grids.geometry.values)
    small, large = area < np.quantile(area, 0.25), area > np.quantile(area, 0.75)
    assert hh[small].mean() > hh[large].mean()
    g = dongli.grids
    assert (g["residents"] > g["households"]).all() and (g["floating"] >= 0).all() and (g["special_groups"] >= 0).all()


def test_codes_are_unique_15_digits_and_nest(dongli):
    codes = dongli.grids["code"]
    assert codes.is_unique
    assert codes.str.fullmatch(r"120110\d{9}").all()
    assert (codes.str[:9] == dongli.grids["street_code"]).all()
    assert (codes.str[:12] == dongli.grids["community_code"]).all()
    # numbers run 001, 002, … without holes inside each community and each street
    for _, group in dongli.grids.groupby("community_code"):
        assert sorted(int(c[-3:]) for c in group["code"]) == list(range(1, len(group) + 1))
    for _, group in dongli.grids.groupby("street_code"):
        numbers = sorted({int(c[9:12]) for c in group["community_code"]})
        assert numbers == list(range(1, len(numbers) + 1))


def test_grids_are_numbered_north_to_south(dongli):
    """Inside each community, grid numbers follow latitude: earlier numbers lie further north, on the whole."""
    lat = shapely.get_coordinates(shapely.centroid(dongli.grids.geometry.values))[:, 1]
    frame = dongli.grids.assign(lat=lat, no=dongli.grids["code"].str[-3:].astype(int))
    agree = total = 0
    for _, group in frame.groupby("community_code"):
        if len(group) < 4:
            continue
        first, last = group.nsmallest(len(group) // 2, "no"), group.nlargest(len(group) // 2, "no")
        agree += first["lat"].mean() > last["lat"].mean()
        total += 1
    assert agree / total > 0.9


def test_streets_and_communities_are_contiguous(dongli):
    for key in ("street_code", "community_code"):
        merged = dongli.grids.dissolve(by=key).geometry
        assert (merged.geom_type == "Polygon").all(), f"a {key} is split in pieces"


def test_union_is_the_outline_and_the_audit_is_clean(dongli):
    assert shapely.is_valid(dongli.grids.geometry.values).all()
    union = shapely.union_all(dongli.grids.geometry.values)
    assert area_km2(shapely.symmetric_difference(union, dongli.outline)) < 1e-4
    report = audit_district(dongli)
    assert report.ok, report.to_text()


def test_one_worker_per_grid(dongli):
    w = dongli.workers
    assert len(w) == len(dongli.grids)
    assert w["worker_id"].is_unique and w["device_id"].is_unique
    assert set(w["home_grid"]) == set(dongli.grids["code"])
    assert w["name"].str.len().between(2, 4).all()


def test_same_seed_same_district_and_other_seed_differs(dongli):
    again = build_district("东丽区", "天津市", seed=1)
    assert list(again.grids["code"]) == list(dongli.grids["code"])
    assert shapely.equals_exact(again.grids.geometry.values, dongli.grids.geometry.values, tolerance=0).all()
    assert again.grids.drop(columns="geometry").equals(dongli.grids.drop(columns="geometry"))
    assert again.workers.equals(dongli.workers)
    other = build_district("东丽区", "天津市", seed=2)
    assert not shapely.equals_exact(other.grids.geometry.values, dongli.grids.geometry.values, tolerance=0).all()


def test_file_round_trip_keeps_everything(dongli, tmp_path):
    path = save_district(dongli, tmp_path / "dongli.gpkg")
    back = load_district(path)
    assert back.summary() == dongli.summary()
    assert list(back.grids["code"]) == list(dongli.grids["code"])
    assert back.workers.astype(str).equals(dongli.workers.astype(str))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("district", "city", "admin", "comprehensive", "exclusive", "streets"),
    [("市中区", "济南市", "370103", 939, 218, 17), ("惠山区", "无锡市", "320206", 557, 60, 7)],
)
def test_other_seed_districts_build_with_exclusive_grids(district, city, admin, comprehensive, exclusive, streets):
    d = build_district(district, city, seed=1)
    s = d.summary()
    assert s["admin_code"] == admin and s["streets"] == streets
    assert s["grids"] == comprehensive + exclusive and s["exclusive_grids"] == exclusive
    assert d.grids["code"].str.fullmatch(admin + r"\d{9}").all() and d.grids["code"].is_unique
    assert d.grids.loc[d.grids["grid_type"] == "exclusive", "name"].str.endswith("专属网格").all()
    assert audit_district(d).ok


def test_flags_override_the_table():
    d = build_district("东丽区", "天津市", grids=120, exclusive=5, streets=3, communities=12, seed=4)
    s = d.summary()
    assert (s["grids"], s["exclusive_grids"], s["streets"], s["communities"]) == (125, 5, 3, 12)
    assert audit_district(d).ok


def test_unknown_district_and_impossible_counts_are_refused():
    with pytest.raises(OutlineNotFound):
        build_district("不存在区", "天津市")
    with pytest.raises(ValueError, match="communities"):
        district_spec("东丽区", "天津市", 476.0, streets=20, communities=5)
    with pytest.raises(ValueError, match="grid per community"):
        district_spec("东丽区", "天津市", 476.0, grids=10, communities=50)
