"""JSON shapes of tickets and their history for the internal API (pure functions of rows)."""

from __future__ import annotations

from datetime import datetime

from tickets.domain.states import STATE_NAMES_ZH

PUBLIC_FIELDS = (
    "id", "number", "version", "category_code", "major_code", "source", "description", "lon", "lat", "address",
    "grid_code", "community_code", "street_code", "grid_worker_id", "tier", "department", "state", "reporter_name",
    "reporter_role", "reported_at", "registered_at", "dispatched_at", "signed_at", "handled_at", "closed_at",
    "voided_at", "updated_at", "self_handled", "step", "step_due_at", "step_warn_at", "handle_due_at", "close_due_at",
    "suspended_at", "closed_on_time", "handled_on_time", "pending_request", "rework_count", "return_count",
    "extension_count", "suspension_count", "escalation_count", "parent_id", "public",
)


def iso(v):
    return v.isoformat() if isinstance(v, datetime) else v


def ticket_json(t: dict, *, light: str | None = None, names: dict | None = None) -> dict:
    """A ticket row as JSON, with its state's Chinese name, its traffic light and readable names."""
    out = {k: iso(t.get(k)) for k in PUBLIC_FIELDS}
    out["located"] = t.get("lon") is not None
    out["state_zh"] = STATE_NAMES_ZH[t["state"]]
    out["light"] = light
    if names:
        out.update({k: names.get(k) for k in ("category_name", "department_name", "street_name", "community_name")})
    return out


def history_json(rows: list[dict], photo_url) -> list[dict]:
    return [
        {
            "action": r["action"], "from_state": r["from_state"], "to_state": r["to_state"],
            "from_tier": r["from_tier"], "to_tier": r["to_tier"], "department": r["department"],
            "actor": r["actor_name"], "role": r["actor_role"], "on_behalf_of": r["on_behalf_of"],
            "at": iso(r["at"]), "note": r["note"], "photos": [photo_url(p) for p in r["photos"]],
        }
        for r in rows
    ]
