"""Which metrics a caller may read: the effective filters of a request, or a 403 with a sentence.

=============  ===========================================================================================
role           sees
=============  ===========================================================================================
district       everything; any level, filter and ranking
street         its own street: every request is filtered to it (``street=`` may be omitted or be its own);
               another street, or a community or grid outside it → 403; the district's own figures
               (``level=district`` without ``street=``) and the ranking of streets → 403
department     the tickets dispatched to it (``department=`` its own or omitted; another → 403);
               the ranking of departments → 403 (it compares departments: the district center's view)
worker         its own grid (the roster's); another grid, or a street/community not its grid's → 403;
               rankings → 403
=============  ===========================================================================================
"""

from __future__ import annotations

from collections.abc import Callable

from tickets.domain.actors import Actor
from tickets.domain.errors import TicketError

PARENTS = {"community": "street", "grid": "community"}


def forbidden(message: str) -> TicketError:
    return TicketError(403, "forbidden", message)


def scoped(actor: Actor, filters: dict, *, level: str | None = None, ranking: str | None = None,
           worker_grid: Callable[[str], str | None] = lambda _w: None) -> dict:
    """The filters ``actor`` may ask with: ``filters`` narrowed to its scope.

    Parameters
    ----------
    actor : the caller.
    filters : the requested filters (``street``, ``community``, ``grid``, ``department``, …; absent = None).
    level : the grouping level asked for (summary), or None.
    ranking : what is ranked (``streets``, ``departments``, …), or None.
    worker_grid : worker id → its grid code (the roster).

    Raises
    ------
    TicketError
        403 ``forbidden`` with a sentence saying what this token may read.

    Examples
    --------
    >>> scoped(Actor("street", "张贵庄", street_code="120110001"), {}, level="community")
    {'street': '120110001'}
    """
    out = {k: v for k, v in filters.items() if v not in (None, "")}
    if actor.role == "district":
        return out
    if actor.role == "street":
        return _street(actor.street_code, out, level, ranking)
    if actor.role == "department":
        own = actor.department
        if out.get("department", own) != own:
            raise forbidden(f"a department token sees only its own department {own}, "
                            f"not department {out['department']}.")
        if ranking == "departments":
            raise forbidden("the ranking of departments compares every department: it is for the district center.")
        return {**out, "department": own}
    grid = worker_grid(actor.worker_id or "")
    if grid is None:
        raise forbidden(f"worker {actor.worker_id} has no grid on the roster, so no figures to show.")
    if ranking is not None:
        raise forbidden("rankings are for the district center, streets and departments, not for a worker token.")
    for key, code in (("street", grid[:9]), ("community", grid[:12]), ("grid", grid)):
        if out.get(key, code) != code:
            raise forbidden(f"a worker token sees only its own grid {grid}, not {key} {out[key]}.")
    return {**out, "grid": grid}


def _street(own: str, out: dict, level: str | None, ranking: str | None) -> dict:
    if out.get("street", own) != own:
        raise forbidden(f"a street token sees only its own street {own}, not street {out['street']}.")
    for key in ("community", "grid"):
        if key in out and not str(out[key]).startswith(own):
            raise forbidden(f"{key} {out[key]} is outside street {own}, the only street this token sees.")
    if level == "district" and "street" not in out:
        raise forbidden(f"district-level figures are for the district center; a street token asks with "
                        f"street={own}, or level=street|community|grid.")
    if ranking == "streets":
        raise forbidden("the ranking of streets compares every street: it is for the district center.")
    return {**out, "street": own}


def check_parents(filters: dict) -> str | None:
    """A sentence when a child filter is not inside its parent (``community`` outside ``street``…), else None.
    Codes nest: a community's code starts with its street's, a grid's with its community's."""
    for child, parent in PARENTS.items():
        c, p = filters.get(child), filters.get(parent)
        if c and p and not str(c).startswith(str(p)):
            return f"{child} {c} is not inside {parent} {p}."
    c, s = filters.get("grid"), filters.get("street")
    if c and s and not str(c).startswith(str(s)):
        return f"grid {c} is not inside street {s}."
    return None
