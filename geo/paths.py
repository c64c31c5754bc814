"""Where shipped data and run-time caches live."""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_DATA = Path(__file__).resolve().parents[1] / "data"


def data_dir() -> Path:
    """The shipped ``data/`` folder: the source tree's when run from a checkout, else the installed copy."""
    if _REPO_DATA.is_dir():
        return _REPO_DATA
    return Path(sys.prefix) / "share" / "gridpulse" / "data"


def var_dir() -> Path:
    """Run-time state (district cache, SQLite, embedded Redis): ``GRIDPULSE_VAR_DIR`` or ``./var``."""
    from geo.settings import GeoSettings, resolve

    path = resolve(GeoSettings).var_dir
    path.mkdir(parents=True, exist_ok=True)
    return path
