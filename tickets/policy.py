"""The simulator's field behaviour: which action comes next for a ticket, and after how long.

Shares are chosen so the whole reproduces the field: about 98% of tickets eventually closed,
about 30% of worker reports self-handled, a third of community cases escalated to the street,
a few percent returned, reworked, extended or suspended; step times log-normal around 35% of
their limit, so about 7% of steps run over (red lights) as in published supervision figures.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from datetime import datetime

from tickets.domain.machine import ACTION_ROLES
from tickets.domain.states import STEP_OF_STATE, State, Tier
from tickets.store.photos import Upload

ROLE_OF = {a: ("worker" if "worker" in roles and a in ("self_handle", "close") else sorted(roles)[-1])
           for a, roles in ACTION_ROLES.items()}
ROLE_OF.update({"verify": "street", "rework": "worker", "return": "department"})


def tiny_png(rgb: tuple[int, int, int] = (90, 140, 90)) -> bytes:
    """A well-formed 1×1 PNG: the simulator's photo (photos are checked by structure, not magic bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes((0, *rgb))))
            + chunk(b"IEND", b""))


FAKE_PHOTO = Upload("sim.png", tiny_png())
NOTES = {"void": "重复上报", "return": "不属于本单位职责", "reject": "自处理未达标准", "rework": "核查未整改到位",
         "escalate": "超出本级处置权限", "suspend": "需协调多部门，申请挂账", "request_suspension": "需协调"}


def next_action(t: dict, rng: random.Random, catalog) -> tuple[str, dict]:
    """The next action for ticket row ``t`` and its extra input (department, note, photos, extension)."""
    s, tier = State(t["state"]), Tier(t["tier"])
    r = rng.random()
    if s is State.REPORTED:
        if t["source"] == "worker_patrol":
            action = "self_handle" if r < 0.30 else "register"
        else:
            action = "verify" if r < 0.70 else ("register" if r < 0.98 else "void")
    elif s is State.VERIFYING:
        action = "register" if r < 0.95 else "void"
    elif s is State.SELF_HANDLED:
        action = "approve" if r < 0.95 else "reject"
    elif s is State.REGISTERED:
        share = {Tier.COMMUNITY: 0.35, Tier.STREET: 0.10}.get(tier, 0.0)
        action = "escalate" if r < share and t["escalation_count"] < 2 else "dispatch"
    elif s is State.DISPATCHED:
        action = "return" if r < 0.05 and t["return_count"] == 0 else "sign"
    elif s is State.IN_PROGRESS:
        if r < 0.04 and t["extension_count"] == 0:
            action = "extend"
        elif r < 0.06 and t["suspension_count"] == 0:
            action = "suspend"
        else:
            action = "handle"
    elif s is State.SUSPENDED:
        action = "resume"
    elif s is State.HANDLED:
        action = "request_check"
    else:  # CHECKING
        action = "rework" if r < 0.06 and t["rework_count"] < 2 else "close"
    extra: dict = {}
    if action == "dispatch":
        deps = catalog.departments_for(tier, t["category_code"])
        major = catalog.categories[t["category_code"]].major_code
        fitting = [d for d in deps if major in d.majors] or deps
        extra["department"] = rng.choice(fitting).code
    if action in NOTES:
        extra["note"] = NOTES[action]
    if action in ("handle", "self_handle"):
        extra["photos"] = [FAKE_PHOTO]
    if action == "extend":
        extra["extra_s"] = 7.5 * 3600 * rng.choice((1, 2, 3))
    return action, extra


def working_s(svc, t: dict, rng: random.Random) -> float:
    """Working seconds the current step takes: log-normal around 35% of its limit."""
    s = State(t["state"])
    if s is State.SUSPENDED:
        return svc.calendar.day_s * rng.uniform(1, 5)
    step = STEP_OF_STATE[s]
    limit = svc.deadlines.limits.limit_s(t["category_code"], step)
    return limit * math.exp(rng.gauss(math.log(0.35), 0.7))


def when(svc, t: dict, action: str, at: datetime, rng: random.Random) -> datetime:
    """When ``action`` happens, the step having started at ``at``; mostly inside working hours."""
    if action in ("approve", "reject", "request_check", "verify") and rng.random() < 0.5:
        return svc.calendar.add(at, rng.uniform(300, 3600))
    return svc.calendar.add(at, working_s(svc, t, rng))


def mean_wall_s(svc, t: dict, action: str) -> float:
    """Mean wall-clock seconds to the next action, for the live flow's per-step probability."""
    s = State(t["state"])
    if s is State.SUSPENDED:
        return 3 * 86400.0
    limit = svc.deadlines.limits.limit_s(t["category_code"], STEP_OF_STATE[s])
    return max(600.0, 0.4 * limit * 86400.0 * 7 / 5 / svc.calendar.day_s)
