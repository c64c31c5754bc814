"""Who sees which tickets, and where each role may report: one rule, as a SQL clause and as a row test.

=================  =========================================================  ==========================================
role               sees (lists, single tickets, their photos and departments)  may report
=================  =========================================================  ==========================================
district (admin)   every ticket                                               anywhere in the district
street             tickets in its street                                      in its street
department         tickets dispatched to it                                   nothing (departments handle, not report)
worker             tickets in its home grid, and the ones it reported         in its own street: its grid and the
                                                                              neighbouring grids it covers for (AB角);
                                                                              the ticket's grid is where it is
=================  =========================================================  ==========================================

A ticket outside the caller's view answers 404, as an unknown one does, so ids and numbers cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import false, or_

from tickets.domain.actors import Actor
from tickets.domain.errors import TicketError, conflict
from tickets.store.models import tickets

C = tickets.c
WorkerGrid = Callable[[str], str | None]  # worker_id -> home grid code (None: not on the roster)


def clauses(actor: Actor, worker_grid: WorkerGrid) -> list:
    """SQL conditions limiting a ticket query to what ``actor`` sees (none for the district)."""
    if actor.role == "district":
        return []
    if actor.role == "street":
        return [C.street_code == actor.street_code]
    if actor.role == "department":
        return [C.department == actor.department] if actor.department else [false()]
    if actor.role == "worker" and actor.worker_id:
        home = worker_grid(actor.worker_id)
        mine = C.reporter_worker_id == actor.worker_id
        return [or_(C.grid_code == home, mine) if home else mine]
    return [false()]


def sees(actor: Actor, ticket: Mapping, worker_grid: WorkerGrid) -> bool:
    """Whether ``actor`` may read ``ticket`` (a row): the same rule as :func:`clauses`."""
    if actor.role == "district":
        return True
    if actor.role == "street":
        return ticket["street_code"] is not None and ticket["street_code"] == actor.street_code
    if actor.role == "department":
        return actor.department is not None and ticket.get("department") == actor.department
    if actor.role == "worker" and actor.worker_id:
        home = worker_grid(actor.worker_id)
        return ticket.get("reporter_worker_id") == actor.worker_id or (
            home is not None and ticket["grid_code"] == home)
    return False


def check_report(actor: Actor, street_code: str, worker_grid: WorkerGrid, street_of: Mapping[str, tuple]) -> None:
    """Refuse (403) a report by ``actor`` located in ``street_code``; ``street_of[grid] = (community, street)``."""
    if actor.role == "department":
        raise conflict("wrong_role", "departments handle tickets; they do not report them.")
    if actor.role == "street" and street_code != actor.street_code:
        raise TicketError(403, "out_of_scope",
                          f"a street center reports in its own street ({actor.street_code}); this point is in "
                          f"street {street_code}.")
    if actor.role == "worker":
        home = worker_grid(actor.worker_id or "")
        if home is None:
            raise TicketError(403, "out_of_scope", f"worker {actor.worker_id!r} is not on this district's roster.")
        own_street = street_of[home][1]
        if street_code != own_street:
            raise TicketError(403, "out_of_scope",
                              f"a grid worker reports in its own street ({own_street}); this point is in street "
                              f"{street_code}.")
