"""The street supervisor's screen at ``/street``: one street's patrol coverage, home visits against the 3-hour
target, live dots, alerts to acknowledge, today's tracks and a multi-worker replay.

Map with the street's grids coloured by today's patrol minutes (unvisited in red), worker table, coverage over a
period with exports, the street's alerts.  Dots, tracks and the replay are drawn in the browser on one canvas over
the map (``static/street.js``, ``static/replay.js``); the data comes from :mod:`dashboard.api.tracks`,
:mod:`dashboard.api.coverage`, :mod:`dashboard.api.alerts`, ``/api/v1/patrol`` and the street's Socket.IO room.
"""

from __future__ import annotations

from dashboard.screens.street.callbacks import register
from dashboard.screens.street.layout import layout

NAME = "street"
PATH = "/street"
TITLE = ("街道巡查督导", "Street patrol supervision")

__all__ = ["NAME", "PATH", "TITLE", "layout", "register"]
