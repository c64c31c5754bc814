"""The manager's drill-down at ``/manage``: closure-rate charts from the district down to a grid, by category,
department, tier and source, with the ticket list, exports and a printable report.

Admins see the district; a street token sees its street and what is inside it, nothing above it. The whole view
is in the URL's query (:mod:`selection`), so a link reproduces it and the back button steps back.
"""

from __future__ import annotations

from dashboard.screens.manage.callbacks import register
from dashboard.screens.manage.export import blueprint
from dashboard.screens.manage.layout import PATH, layout

NAME = "manage"
TITLE = ("案件分析 · 逐级钻取", "Case analysis · drill-down")


__all__ = ["NAME", "PATH", "TITLE", "blueprint", "layout", "register"]
