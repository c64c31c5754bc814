"""Pure figure builders: data in, figure out (tested without a browser)."""

from dashboard.figures.live_map import WORKERS_TRACE_UID, live_map_figure

__all__ = ["WORKERS_TRACE_UID", "live_map_figure"]
