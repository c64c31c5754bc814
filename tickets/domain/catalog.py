"""The shipped tables: categories (major/minor) and the departments tickets are dispatched to."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from tickets.domain.states import Tier


@dataclass(frozen=True)
class Category:
    """A minor category (小类) and its major category (大类); ``code`` is the Open311 ``service_code``."""

    code: str
    name: str
    name_en: str
    major_code: str
    major_name: str
    major_name_en: str
    kind: str  # component (部件), event (事件) or grid (grid-specific)
    weight: float  # share in the field's mix, for the simulator
    safety: bool  # counts as safety and stability (平安建设)


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    name_en: str
    tier: Tier
    majors: tuple[str, ...]  # major categories it usually handles


@dataclass(frozen=True)
class Catalog:
    categories: dict[str, Category]
    departments: dict[str, Department]

    def departments_for(self, tier: Tier | str | None = None, category: str | None = None) -> list[Department]:
        """Departments a ticket at ``tier`` can be dispatched to, those handling ``category``'s major first."""
        deps = [d for d in self.departments.values() if tier is None or d.tier == Tier(tier)]
        if category in self.categories:
            major = self.categories[category].major_code
            deps.sort(key=lambda d: major not in d.majors)
        return deps


def load_catalog(data_dir: str | Path) -> Catalog:
    """Read ``categories.csv`` and ``departments.csv`` from ``data_dir``, checking them."""
    data_dir = Path(data_dir)
    cats = {}
    for n, row in enumerate(_rows(data_dir / "categories.csv"), 2):
        try:
            cat = Category(
                code=row["code"], name=row["name"], name_en=row["name_en"], major_code=row["major_code"],
                major_name=row["major_name"], major_name_en=row["major_name_en"], kind=row["kind"],
                weight=float(row["weight"]), safety=row["safety"].strip() == "1",
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"categories.csv line {n}: {exc}") from None
        if not cat.code.isdigit() or cat.code in cats:
            raise ValueError(f"categories.csv line {n}: code {cat.code!r} is not digits or is repeated")
        cats[cat.code] = cat
    deps = {}
    for n, row in enumerate(_rows(data_dir / "departments.csv"), 2):
        try:
            dep = Department(row["code"], row["name"], row["name_en"], Tier(row["tier"]),
                             tuple(m for m in row["majors"].split(";") if m))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"departments.csv line {n}: {exc}") from None
        deps[dep.code] = dep
    return Catalog(cats, deps)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
