"""Reading a request's input strictly: bodies through pydantic models, query values within bounds.

A JSON body is validated by the model's own JSON parser in strict mode (``"version": 1.9`` or ``true`` is not an
integer; nesting deeper than the parser's limit and lone surrogates are refused as malformed JSON); a form is
validated from its strings (``"1.9"`` is not an integer either). Every refusal is a 400 :class:`ApiError` whose
code names the field (``missing_<field>``, ``bad_<field>``) and whose sentence says what was expected.
"""

from __future__ import annotations

import re
from datetime import date

import flask
from pydantic import BaseModel, ValidationError

from dashboard.api.errors import ApiError
from tickets.store.photos import Upload

# Dates a query may name: wide enough for any record, narrow enough that a day ± a time zone or ± a span
# never leaves the calendar (year 1 or 9999 used to overflow into a 500).
MIN_DAY, MAX_DAY = date(1970, 1, 1), date(2999, 12, 31)
# the names clients send photos under: ours, array-style forms, Open311's media, and FixMyStreet's photo1, photo2 …
PHOTO_FIELDS = ("photo", "photos", "photos[]", "media", "media[]")
NUMBERED_PHOTO = re.compile(r"^photo([1-9][0-9]{0,2})$")


def bad_request(code: str, message: str) -> ApiError:
    """A 400 refusal of the input."""
    return ApiError(400, code, message)


def refusal(error: ValidationError, codes: dict[str, str] | None = None) -> ApiError:
    """The 400 for a failed validation: its first problem, named by field (``codes`` renames a field's code)."""
    first = error.errors(include_url=False)[0]
    loc = [str(p) for p in first.get("loc", ())]
    field = loc[0] if loc else ""
    kind = first["type"]
    if not field:
        if kind == "json_invalid":
            return bad_request("bad_json", f"the body is not valid JSON: {first['msg']}.")
        return bad_request("bad_json", "the body must be a JSON object.")
    if kind == "missing":
        return bad_request(f"missing_{field}", f"'{field}' is required.")
    code = (codes or {}).get(field) or (f"{field}_too_long" if kind == "string_too_long" else f"bad_{field}")
    return bad_request(code, f"{'.'.join(loc)}: {first['msg']}.")


def body(model: type[BaseModel], codes: dict[str, str] | None = None) -> BaseModel:
    """The request body as ``model``: JSON (strict) or a form (from its strings); 400 otherwise."""
    req = flask.request
    try:
        if req.mimetype == "application/json":
            return model.model_validate_json(req.get_data(cache=True) or b"null", strict=True)
        # an empty form field is an absent one (browsers send every input of a form)
        return model.model_validate_strings({k: v for k, v in single_values(req.form).items() if v != ""})
    except ValidationError as exc:
        raise refusal(exc, codes) from None


def single_values(multi) -> dict[str, str]:
    """A form or query as ``{name: value}``, refusing a field sent twice with different values."""
    out = {}
    for key in multi:
        values = multi.getlist(key)
        if len(set(values)) > 1:
            raise bad_request("repeated_field", f"'{key}' is sent {len(values)} times with different values.")
        out[key] = values[0]
    return out


def query(model: type[BaseModel], repeatable: frozenset[str] = frozenset(),
          codes: dict[str, str] | None = None) -> BaseModel:
    """The query string as ``model``. A ``repeatable`` filter may be sent several times or comma-separated
    (``state=A&state=B`` = ``state=A,B``: every value counts); any other parameter sent twice is a 400."""
    a = flask.request.args
    raw: dict[str, str] = {}
    for key in a:
        values = a.getlist(key)
        if key in repeatable:
            raw[key] = ",".join(v for v in values if v)
        elif len(set(values)) > 1:
            raise bad_request("repeated_parameter",
                              f"'{key}' is given {len(values)} times; give it once (only filters may repeat).")
        else:
            raw[key] = values[0]
    raw = {k: v for k, v in raw.items() if v != ""}
    try:
        return model.model_validate_strings(raw)
    except ValidationError as exc:
        raise refusal(exc, codes) from None


def split(value: str | None) -> list[str]:
    """``"a,b,,c"`` → ``["a", "b", "c"]`` (None → [])."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parse_day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` query value between :data:`MIN_DAY` and :data:`MAX_DAY`; 400 otherwise."""
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad_request("bad_date", f"{name} must be a date YYYY-MM-DD, got {value!r}.") from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise bad_request("bad_date", f"{name} must be between {MIN_DAY} and {MAX_DAY}, got {day}.")
    return day


def photo_fields(names) -> list[str]:
    """The photo fields among the file field ``names``: :data:`PHOTO_FIELDS` first, then ``photo1``, ``photo2`` …
    in number order (``photo10`` after ``photo9``)."""
    numbered = sorted((int(m.group(1)), n) for n in names if (m := NUMBERED_PHOTO.match(n)))
    return [n for n in PHOTO_FIELDS if n in names] + [n for _, n in numbered]


def read_uploads(limit_bytes: int) -> list[Upload]:
    """Uploaded files under any of the photo field names; reads at most ``limit_bytes + 1`` of each.
    (The count is checked by the photo store: more than its maximum is a 400, never a silent drop.)"""
    files = flask.request.files
    return [Upload(f.filename or name, f.stream.read(limit_bytes + 1))
            for name in photo_fields(set(files)) for f in files.getlist(name)]
