"""The ticket closed loop (事件闭环): report → register → dispatch → handle → check → close, in three tiers.

Modules, one job each:

- :mod:`tickets.domain.states` / :mod:`tickets.domain.machine`: the states, actions and who may take them.
- :mod:`tickets.domain.calendar` / :mod:`tickets.domain.limits` / :mod:`tickets.domain.deadlines`: working time, limits, lights.
- :mod:`tickets.store.models` / :mod:`tickets.store.sql`: the SQL schema (alembic migrations in ``migrations/``) and rows.
- :mod:`tickets.domain.effects` / :mod:`tickets.service`: what a transition writes, and the use cases.
- :mod:`tickets.metrics`: closure-loop metrics in SQL.
- :mod:`tickets.web` (:mod:`tickets.api`, :mod:`tickets.metrics_api`, :mod:`tickets.open311`): HTTP;
  :mod:`tickets.schemas` / :mod:`tickets.georeport`: its pydantic contract; :mod:`tickets.params`: strict input;
  :mod:`tickets.visibility`: who sees and reports what; :mod:`tickets.store.imagefile`: photos checked by structure.
- :mod:`tickets.store.outbox`: ticket events to Redis.  :mod:`tickets.simulate` / :mod:`tickets.policy`: field-like data.

The composition root needs only::

    from tickets.store.sql import SqlTicketStore, migrate
    from tickets.web import register
    from tickets.store.outbox import OutboxRelay
    from tickets.simulate import backfill, TicketFlow
    from tickets.domain.actors import Actor, actors_from_config
"""
