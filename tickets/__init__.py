"""The ticket closed loop (事件闭环): report → register → dispatch → handle → check → close, in three tiers.

The layout, one job per folder (imports point down the list: root → metrics → store → domain):

- :mod:`tickets.domain`: the rules, with no I/O. ``states`` / ``machine``: the states, actions and who may take
  them; ``actors``: who acts; ``calendar`` / ``limits`` / ``deadlines``: working time, limits, lights; ``catalog``:
  categories and departments; ``effects``: what a transition writes; ``errors``: :class:`TicketError`, the refusal.
- :mod:`tickets.store`: ``models`` / ``sql``: the SQL schema (alembic migrations in ``tickets/migrations/``) and
  the row-level reads and writes; ``photos`` / ``imagefile``: photo files, checked by structure; ``outbox``:
  ticket events to Redis.
- :mod:`tickets.metrics`: closure-loop figures in SQL (``closure``, re-exported by the package), their month caches
  (``rollup`` / ``rollup_table``), ``drill``-down queries, the wall's ``board`` and the caller's ``scope``.
- at the root: :mod:`tickets.service` (the use cases), :mod:`tickets.visibility` (who sees and reports what, as a
  SQL clause and a row test), :mod:`tickets.settings`, :mod:`tickets.simulate` / :mod:`tickets.policy` (field-like
  data).

The HTTP APIs over it (``/api/v1/tickets…``, ``/api/v1/metrics…``, Open311 GeoReport v2) are the web process's:
:mod:`dashboard.api.ticket_routes` mounts them.

The composition root needs only::

    from tickets.store.sql import SqlTicketStore, migrate
    from dashboard.api.ticket_routes import register
    from tickets.store.outbox import OutboxRelay
    from tickets.simulate import backfill, TicketFlow
    from tickets.domain.actors import Actor, actors_from_config
"""
