"""The ticket closed loop (事件闭环): report → register → dispatch → handle → check → close, in three tiers.

Modules, one job each:

- :mod:`tickets.domain.states` / :mod:`tickets.domain.machine`: the states, actions and who may take them.
- :mod:`tickets.domain.calendar` / :mod:`tickets.domain.limits` / :mod:`tickets.domain.deadlines`: working time, limits, lights.
- :mod:`tickets.store.models` / :mod:`tickets.store.sql`: the SQL schema (alembic migrations in ``migrations/``) and rows.
- :mod:`tickets.domain.effects` / :mod:`tickets.service`: what a transition writes, and the use cases.
- :mod:`tickets.metrics`: closure-loop metrics in SQL.
- :mod:`dashboard.api.ticket_routes` (:mod:`dashboard.api.tickets`, :mod:`dashboard.api.ticket_metrics`, :mod:`dashboard.api.open311`): HTTP;
  :mod:`dashboard.api.ticket_schemas` / :mod:`dashboard.api.open311_schemas`: its pydantic contract; :mod:`dashboard.api.params`: strict input;
  :mod:`tickets.visibility`: who sees and reports what; :mod:`tickets.store.imagefile`: photos checked by structure.
- :mod:`tickets.store.outbox`: ticket events to Redis.  :mod:`tickets.simulate` / :mod:`tickets.policy`: field-like data.

The composition root needs only::

    from tickets.store.sql import SqlTicketStore, migrate
    from dashboard.api.ticket_routes import register
    from tickets.store.outbox import OutboxRelay
    from tickets.simulate import backfill, TicketFlow
    from tickets.domain.actors import Actor, actors_from_config
"""
