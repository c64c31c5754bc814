"""Who is calling and what they may see: the caller of a request and the street its answer is held to.

Handlers call these at module level; the wired web process (:class:`dashboard.app.WebContext`) is the Flask app's
``extensions["gridpulse"]``.
"""

from __future__ import annotations

from flask import current_app, request

from dashboard.api.errors import ApiError


def web():
    """The :class:`dashboard.app.WebContext` of the app serving this request."""
    return current_app.extensions["gridpulse"]


def caller():
    """The :class:`dashboard.auth.Principal` behind the request (bearer, ``?token=`` or the page cookie); 401 else."""
    found = web().tokens.authenticate(request)
    if found is None:
        raise ApiError(401, "unauthorized", "缺少或无效的令牌：请用 Authorization: Bearer <token> (missing or invalid token)")
    return found


def admin():
    """The caller, who must hold the admin token; 403 for anyone else."""
    p = caller()
    if not p.is_admin:
        raise ApiError(403, "forbidden", "只有管理员令牌可以查看全区名册 (admin token required)")
    return p


def street_scope(principal, *, required: bool = False, known: bool = False) -> str | None:
    """The street the answer is held to: the caller's own, or ``?street=`` when the caller may see it
    (None = the whole district). ``required``: 400 without one; ``known``: 404 for a street not in the district."""
    try:
        street = principal.scope_street(request.args.get("street") or None)
    except PermissionError as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    if required and street is None:
        raise ApiError(400, "street_required", "请指定街道 ?street=CODE (choose a street with ?street=CODE)")
    if known and street is not None and street not in set(web().district.streets["street_code"]):
        raise ApiError(404, "not_found", f"没有该街道 (no street {street!r})")
    return street
