"""The one settings pattern of every GridPulse package, and the settings of this one.

A package's settings are one frozen dataclass whose fields carry their unit in their name and a ``#`` comment
saying what they are (the README's configuration table is generated from those comments). :func:`resolve` builds
one: explicit argument > ``GRIDPULSE_<FIELD>`` environment variable > default. An empty variable counts as unset,
in every package alike. A value that cannot be parsed, or that validation refuses, raises :class:`SettingsError`
naming the variable. ``geo`` is the root of the import graph, so the resolver lives here and every package
imports it; the environment is read here and nowhere else.

>>> resolve(GeoSettings, {"GRIDPULSE_VAR_DIR": "/srv/gp"}).var_dir
PosixPath('/srv/gp')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import time
from pathlib import Path
from typing import TypeVar

PREFIX = "GRIDPULSE_"
T = TypeVar("T")


class SettingsError(ValueError):
    """A setting has an impossible value; the message names the setting and its environment variable."""


def env_name(field: str) -> str:
    return f"{PREFIX}{field.upper()}"


def invalid(field: str, value, expected: str) -> SettingsError:
    """The error for ``field`` = ``value``, naming its variable and what was expected."""
    return SettingsError(f"setting {field} ({env_name(field)}) = {value!r}: expected {expected}")


def environ() -> Mapping[str, str]:
    """The process environment (the one place it is read)."""
    return os.environ


def is_set(field: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether ``GRIDPULSE_<FIELD>`` is set (non-empty): for a default that depends on it (the demo's Redis)."""
    return (environ() if env is None else env).get(env_name(field)) not in (None, "")


def resolve(cls: type[T], env: Mapping[str, str] | None = None, /, **explicit) -> T:
    """``cls`` from explicit arguments (None = not given) > ``GRIDPULSE_*`` variables of ``env`` (default: the
    process environment; empty = unset) > defaults. Unknown explicit names are refused."""
    env = environ() if env is None else env
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(explicit) - set(known))
    if unknown:
        raise SettingsError(f"unknown {cls.__name__} setting(s): {', '.join(unknown)}")
    values = {}
    for name, f in known.items():
        if explicit.get(name) is not None:
            values[name] = explicit[name]
        elif (raw := env.get(env_name(name))) not in (None, ""):
            values[name] = parse(f, raw)
    try:
        return cls(**values)
    except SettingsError:
        raise
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{cls.__name__}: {exc}") from None


def parse(f, raw: str):
    """A variable's text as the field's type (by its annotation)."""
    kind = _kind(f)
    try:
        if kind == "bool":
            low = raw.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(raw)
            return low in ("1", "true", "yes", "on")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "time":
            return time.fromisoformat(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError:
        expected = {"time": "a local time HH:MM", "bool": "true or false"}.get(kind, f"a number ({kind})")
        raise invalid(f.name, raw, expected) from None
    return raw


def _kind(f) -> str:
    ann = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return ann.replace(" | None", "").replace("None | ", "").strip()


def field_docs(cls) -> dict[str, str]:
    """``{field: its comment}`` from the class source: the ``#`` comment on a field's line, or the comment lines
    just above it."""
    import ast
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(cls))
    lines = source.splitlines()
    docs = {}
    for node in ast.parse(source).body[0].body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            line = lines[node.lineno - 1]
            text = line.split("  # ", 1)[1].strip() if "  # " in line else ""
            above, k = [], node.lineno - 2
            while not text and k >= 0 and lines[k].strip().startswith("#"):
                above.insert(0, lines[k].strip().lstrip("#").strip())
                k -= 1
            docs[node.target.id] = text or " ".join(above)
    return docs


def default_of(f) -> str:
    if f.default is not MISSING:
        value = f.default
    elif f.default_factory is not MISSING:
        value = f.default_factory()
    else:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return "" if value in (None, "") else str(value)


@dataclass(frozen=True)
class GeoSettings:
    var_dir: Path = Path("var")  # run-time state: the district cache, the SQLite store, photos, the embedded Redis
    timezone: str = "Asia/Shanghai"  # the district's time zone: its day, its working hours, every screen's clock

    def __post_init__(self):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("timezone", self.timezone, "an IANA time zone like Asia/Shanghai") from None
