"""The README's configuration table, generated from the settings classes (their fields and comments).

``python -m dashboard.configdoc`` prints it; ``python -m dashboard.configdoc --write README.md`` replaces the part
between the markers. ``tests/dashboard/test_configdoc.py`` fails when the README is out of date.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

from dashboard.settings import AccessSettings, WebSettings
from geo.settings import GeoSettings, default_of, env_name, field_docs
from streams.settings import StreamSettings
from tickets.settings import TicketSettings

# (class, where it is defined), in the table's order; a variable read by several classes is listed once.
SETTINGS = (
    (GeoSettings, "geo/settings.py"),
    (AccessSettings, "dashboard/settings.py"),
    (WebSettings, "dashboard/settings.py"),
    (StreamSettings, "streams/settings.py"),
    (TicketSettings, "tickets/settings.py"),
)
ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- configuration:start -->", "<!-- configuration:end -->"


def rows() -> list[tuple[str, str, str, str]]:
    """``(variable, meaning, default, class)`` for every setting, each variable once."""
    seen, out = set(), []
    for cls, where in SETTINGS:
        docs = field_docs(cls)
        for f in fields(cls):
            var = env_name(f.name)
            if var in seen:
                continue
            seen.add(var)
            default = default_of(f).replace(f"{ROOT}/", "")  # a shipped folder, as the source tree names it
            out.append((var, docs.get(f.name, ""), default, f"`{cls.__name__}` ({where})"))
    return out


def table() -> str:
    lines = [START, "", "| variable | meaning | default | read by |", "|---|---|---|---|"]
    for var, doc, default, owner in rows():
        shown = f"`{default}`" if default else "(empty)"
        lines.append(f"| `{var}` | {doc.replace('|', '/')} | {shown} | {owner} |")
    return "\n".join([*lines, "", END])


def replaced(readme: str) -> str:
    """``readme`` with its configuration table regenerated."""
    start, end = readme.index(START), readme.index(END) + len(END)
    return readme[:start] + table() + readme[end:]


def main(argv: list[str]) -> None:
    if argv[:1] == ["--write"]:
        path = Path(argv[1] if len(argv) > 1 else "README.md")
        path.write_text(replaced(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(table())


if __name__ == "__main__":
    main(sys.argv[1:])
