"""The code and hierarchy checks behind :mod:`geo.audit`: ``duplicate_code``, ``malformed_code``, ``broken_hierarchy``.

Codes nest: grid (15 digits) = community (12) + 3 = street (9) + 3 + 3 = admin (6) + 3 + 3 + 3. A grid code
that disagrees with its ``community_code`` is a ``malformed_code``; a ``community_code`` that disagrees
with its ``street_code`` is a ``broken_hierarchy``: each inconsistency is reported once.
"""

from __future__ import annotations

import pandas as pd

from geo._audit_checks import Finding, GridSet


def _digits(values: pd.Series, n: int) -> pd.Series:
    return values.str.fullmatch(rf"\d{{{n}}}")


def check_codes(grids: GridSet, admin_code: str | None) -> list[Finding]:
    """``duplicate_code`` (one finding per shared code) and ``malformed_code`` (one per grid, all reasons)."""
    t = grids.table
    findings = []
    codes = t["code"]
    shared = codes[(codes != "") & codes.duplicated(keep=False)]
    for code, rows in shared.groupby(shared, sort=True).groups.items():
        rows = list(rows)
        who = ", ".join(f"row {i} ({t['name'].iat[i] or 'no name'})" for i in rows)
        findings.append(
            Finding(
                "duplicate_code",
                (code,),
                f"code {code} is used by {len(rows)} grids: {who}{grids.near(rows[0])}",
                location=grids.points[rows[0]],
            )
        )
    ok15 = _digits(codes, 15)
    for i, (code, street, community) in enumerate(
        zip(codes, t["street_code"], t["community_code"], strict=True)
    ):
        if not code:
            reasons = ["it has no code"]
        elif not ok15.iat[i]:
            reasons = [f"code {code!r} is not 15 digits"]
        else:
            reasons = []
            if admin_code and not code.startswith(admin_code):
                reasons.append(f"it does not start with the district's admin code {admin_code}")
            # checked against the community first: that implies the street when the hierarchy holds,
            # and a street/community mismatch is reported once, as broken_hierarchy
            parent = community or street
            if parent and not code.startswith(parent):
                column = "community_code" if community else "street_code"
                reasons.append(f"it does not start with its {column} {parent}")
        if reasons:
            findings.append(
                Finding(
                    "malformed_code",
                    (grids.labels[i],),
                    f"grid {grids.describe(i)}{grids.near(i)}: {'; '.join(reasons)}",
                    location=grids.points[i],
                )
            )
    return findings


def _row_hierarchy(street: str, community: str, admin_code: str | None) -> list[str]:
    reasons = []
    if not street:
        reasons.append("missing street_code")
    elif not (len(street) == 9 and street.isdigit()):
        reasons.append(f"street_code {street!r} is not 9 digits")
    elif admin_code and not street.startswith(admin_code):
        reasons.append(f"street_code {street} is not in district {admin_code}")
    if not community:
        reasons.append("missing community_code")
    elif not (len(community) == 12 and community.isdigit()):
        reasons.append(f"community_code {community!r} is not 12 digits")
    elif street and not community.startswith(street):
        reasons.append(f"community_code {community} is not under its street_code {street}")
    return reasons


def check_hierarchy(grids: GridSet, admin_code: str | None) -> list[Finding]:
    """``broken_hierarchy``: bad street/community links and missing names per grid, then per community/street."""
    t = grids.table
    findings = []
    for i, row in enumerate(
        t[["street_code", "community_code", "name", "street_name", "community_name"]].itertuples(index=False)
    ):
        reasons = _row_hierarchy(row.street_code, row.community_code, admin_code)
        missing = [c for c in ("name", "street_name", "community_name") if not getattr(row, c)]
        if missing:
            reasons.append(f"missing {', '.join(missing)}")
        if reasons:
            findings.append(
                Finding(
                    "broken_hierarchy",
                    (grids.labels[i],),
                    f"grid {grids.describe(i)}{grids.near(i)}: {'; '.join(reasons)}",
                    location=grids.points[i],
                )
            )
    findings += _split_groups(
        grids, "community_code", "street_code", "community {key} appears under {n} streets"
    )
    findings += _split_groups(grids, "street_code", "street_name", "street {key} has {n} names")
    findings += _split_groups(grids, "community_code", "community_name", "community {key} has {n} names")
    return findings


def _split_groups(grids: GridSet, key: str, value: str, template: str) -> list[Finding]:
    """One finding per ``key`` whose grids disagree on ``value`` (a split would break the dissolve)."""
    t = grids.table[(grids.table[key] != "") & (grids.table[value] != "")]
    findings = []
    for k, group in t.groupby(key, sort=True):
        sizes = group[value].value_counts()
        if len(sizes) < 2:
            continue
        rows = list(group.index)
        detail = ", ".join(f"{v} ({n} grids)" for v, n in sizes.items())
        findings.append(
            Finding(
                "broken_hierarchy",
                tuple(grids.labels[i] for i in rows),
                f"{template.format(key=k, n=len(sizes))}: {detail}{grids.near(rows[0])}",
                location=grids.points[rows[0]],
            )
        )
    return findings
