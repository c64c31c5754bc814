"""Who is acting: the :class:`Actor` a bearer token maps to, and the token table loader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("worker", "street", "department", "district")


@dataclass(frozen=True)
class Actor:
    """A caller of the ticket API.

    ``worker_id`` is set for grid workers, ``street_code`` for street centers and
    ``department`` (a code of ``data/departments.csv``) for departments.
    The district center has none of them: it acts district-wide.
    """

    role: str
    name: str
    worker_id: str | None = None
    street_code: str | None = None
    department: str | None = None

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {self.role!r}")

    @property
    def label(self) -> str:
        """How the actor is written into a ticket's history."""
        who = self.worker_id or self.street_code or self.department
        return f"{self.name} ({self.role}{':' + who if who else ''})"


SYSTEM = Actor(role="district", name="system")
PUBLIC = Actor(role="district", name="open311")

_REQUIRED = {"worker": "worker_id", "street": "street_code", "department": "department"}


def actors_from_config(mapping: dict[str, Any]) -> dict[str, Actor]:
    """Turn ``{"tokens": [{"token", "role", "name", ...}, ...]}`` into ``{token: Actor}``.

    Raises
    ------
    ValueError
        Naming the entry (by position) and what is wrong with it.

    Examples
    --------
    >>> actors_from_config({"tokens": [{"token": "t1", "role": "street",
    ...     "street_code": "120110001", "name": "张贵庄街道"}]})["t1"].street_code
    '120110001'
    """
    if not isinstance(mapping, dict) or not isinstance(mapping.get("tokens"), list):
        raise ValueError('token config must be an object with a "tokens" list')
    out: dict[str, Actor] = {}
    for i, entry in enumerate(mapping["tokens"]):
        where = f"tokens[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object")
        token, role = entry.get("token"), entry.get("role")
        if not isinstance(token, str) or len(token) < 8:
            raise ValueError(f"{where}: token must be a string of at least 8 characters")
        if token in out:
            raise ValueError(f"{where}: token is used twice")
        if role not in ROLES:
            raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
        need = _REQUIRED.get(role)
        if need and not entry.get(need):
            raise ValueError(f"{where}: a {role} token needs {need}")
        extra = set(entry) - {"token", "role", "name", "worker_id", "street_code", "department"}
        if extra:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
        if role == "street" and not (str(entry["street_code"]).isdigit() and len(str(entry["street_code"])) == 9):
            raise ValueError(f"{where}: street_code must be 9 digits, got {entry['street_code']!r}")
        out[token] = Actor(
            role=role,
            name=str(entry.get("name") or entry.get(need or "role") or role),
            worker_id=entry.get("worker_id") if role == "worker" else None,
            street_code=str(entry["street_code"]) if role == "street" else None,
            department=entry.get("department") if role == "department" else None,
        )
    return out
