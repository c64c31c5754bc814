"""The wall screen at ``/``: the whole district live on one dark screen (1920×1080 tiles or one 4K canvas).

Map in the centre (grids, streets, live worker dots, open-ticket heat), the workforce on the left, the closure
figures on the right, one live feed of alerts and ticket events below the map. Dots, heat and feed are moved in the
browser from Socket.IO pushes (``static/wall.js``); the ticket panels come from one slow server callback.
"""

from __future__ import annotations

from dashboard.screens.wall.callbacks import register
from dashboard.screens.wall.layout import layout

NAME = "wall"
PATH = "/"
TITLE = ("网格化管理中心 · 大屏", "Grid management center · wall screen")

__all__ = ["NAME", "PATH", "TITLE", "layout", "register"]
