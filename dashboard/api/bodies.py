"""Every request body held to a size and a shape before any handler, Dash included, reads it.

One ``before_request`` on the Flask server (:func:`install`):

- **size**: at most ``WebSettings.max_body_bytes`` (Flask's ``MAX_CONTENT_LENGTH``); an endpoint may be allowed
  more with :func:`allow` (a photo upload, the ping batch, which caps its own body at ``batch_max_bytes``). Above
  it: 413, as JSON under ``/api/``.
- **JSON**: a body sent as JSON (``application/json`` or ``…+json``) must parse (orjson: UTF-8, no NaN, a native
  recursion limit, never Python recursion) and nest at most ``WebSettings.max_json_depth`` arrays/objects deep,
  measured without recursion; else 400 ``bad_json``. Python's own ``json`` module (Flask's ``get_json``, which Dash
  calls) overflows the stack on deep nesting: nothing deep reaches it.
- **Dash's callback endpoint** takes only ``application/json`` in UTF-8 (else 415) holding an object with
  ``output``, ``outputs`` and ``inputs`` (else 400), the shape Dash's dispatcher reads without checking.

Errors are the JSON shape ``{"error", "message"}`` (Open311's blueprint answers its own list shape).
"""

from __future__ import annotations

import flask
import orjson

from dashboard.api.errors import ApiError

ALLOWANCES = "gridpulse.body_allowances"  # app.extensions[ALLOWANCES][endpoint] = (max bytes, check JSON)
DASH_UPDATE = "_dash-update-component"
DASH_KEYS = ("output", "outputs", "inputs")


def install(server: flask.Flask, *, max_body_bytes: int, max_json_depth: int, dash_prefix: str = "/") -> None:
    """Hold every body of ``server`` to ``max_body_bytes`` and every JSON body to ``max_json_depth``."""
    server.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    server.extensions.setdefault(ALLOWANCES, {})
    dash_path = dash_prefix.rstrip("/") + "/" + DASH_UPDATE

    @server.before_request
    def check_body():
        req = flask.request
        if req.method in ("GET", "HEAD", "OPTIONS"):
            return None
        limit, check_json = server.extensions[ALLOWANCES].get(req.endpoint, (max_body_bytes, True))
        json_body = is_json(req.mimetype)
        # a larger allowance is for uploads; a JSON body keeps the common cap unless the handler reads its own
        req.max_content_length = limit if (not json_body or not check_json) else min(limit, max_body_bytes)
        if req.path == dash_path:
            _dash_body(req, max_json_depth)
        elif json_body and check_json:
            parse(req.get_data(cache=True), max_json_depth)
        return None


def allow(server: flask.Flask, endpoint: str, max_bytes: int, *, check_json: bool = True) -> None:
    """Let ``endpoint`` take bodies of up to ``max_bytes`` (uploads; ``check_json=False``: the handler parses and
    caps its JSON itself, as the ping batch does)."""
    server.extensions.setdefault(ALLOWANCES, {})[endpoint] = (max_bytes, check_json)


def is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def parse(data: bytes, max_depth: int):
    """``data`` as JSON nested at most ``max_depth`` deep; 400 ``bad_json`` otherwise (an empty body passes)."""
    if not data.strip():
        return None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "bad_json", f"the body is not valid UTF-8 JSON: {exc}.") from None
    if (found := depth(value, max_depth)) > max_depth:
        raise ApiError(400, "bad_json", f"the body nests {found} or more levels deep; at most {max_depth}.")
    return value


def depth(value, limit: int) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar: 0), counted without recursion; stops past
    ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            break
        stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _dash_body(req: flask.Request, max_depth: int) -> None:
    charset = (req.mimetype_params.get("charset") or "utf-8").lower()
    if req.mimetype != "application/json" or charset not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type",
                       f"Dash callbacks are application/json in UTF-8, not {req.content_type or 'none'!r}.")
    body = parse(req.get_data(cache=True), max_depth)
    if not isinstance(body, dict) or not all(k in body for k in DASH_KEYS) or not isinstance(body["inputs"], list):
        raise ApiError(400, "bad_callback", "a Dash callback body is an object with output, outputs and inputs.")


__all__ = ["allow", "depth", "install", "is_json", "parse"]
