"""Closure-loop figures in SQL: what ``/api/v1/metrics`` and the screens show.

- :mod:`tickets.metrics.closure`: the metrics (summary by level, series, rankings) over one cohort of tickets;
  its public names are re-exported here (``from tickets import metrics; metrics.summary(...)``).
- :mod:`tickets.metrics.rollup` / :mod:`tickets.metrics.rollup_table`: whole months of settled tickets, cached in
  memory and in the ``metrics_rollup`` table.
- :mod:`tickets.metrics.drill`: the drill-down queries the metrics do not answer yet.
- :mod:`tickets.metrics.board`: open tickets as points with their lights, for the wall.
- :mod:`tickets.metrics.scope`: the filters a caller may read.
"""

from tickets.metrics.closure import (
    DEFINITIONS,
    FILTERS,
    LEVELS,
    WORKER_SCORE,
    Period,
    ranking,
    series,
    summary,
    warm,
)

__all__ = ["DEFINITIONS", "FILTERS", "LEVELS", "WORKER_SCORE", "Period", "ranking", "series", "summary", "warm"]
