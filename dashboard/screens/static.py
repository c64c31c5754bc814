"""Serving each screen's browser code from its own folder: ``/screens/<screen>/<file>`` ← ``screens/<screen>/static/``.

Dash's ``assets/`` folder runs every file on every page; a screen's files are instead listed in its page config and
loaded by ``assets/screens.js`` only on that screen. URLs carry the file's modification time (``?v=``) so a browser
never runs yesterday's code.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

HERE = Path(__file__).resolve().parent
KINDS = {".js": "script", ".css": "style"}


def static_dir(screen: str) -> Path:
    return HERE / screen / "static"


def asset_urls(screen: str, files: list[str]) -> list[dict]:
    """``[{"kind": "script"|"style", "url": "/screens/<screen>/<file>?v=<mtime>"}]`` in the given order."""
    out = []
    for name in files:
        path = static_dir(screen) / name
        kind = KINDS.get(path.suffix)
        if kind is None or not path.is_file():
            raise FileNotFoundError(f"screen {screen!r} has no static file {name!r}")
        out.append({"kind": kind, "url": f"/screens/{screen}/{name}?v={int(path.stat().st_mtime)}"})
    return out


def make_static_blueprint(screens: list[str]) -> Blueprint:
    bp = Blueprint("screen_static", __name__)

    @bp.get("/screens/<screen>/<path:name>")
    def screen_file(screen: str, name: str):
        if screen not in screens or "/" in name or Path(name).suffix not in KINDS:
            abort(404)
        resp = send_from_directory(static_dir(screen), name, max_age=3600)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp

    return bp
