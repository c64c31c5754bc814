"""The SQL ticket store and what sits beside it on disk or in Redis.

- :mod:`tickets.store.models`: the schema (alembic migrations in ``tickets/migrations/``).
- :mod:`tickets.store.sql`: :class:`~tickets.store.sql.SqlTicketStore`, engine set-up and :func:`~tickets.store.sql.migrate`.
- :mod:`tickets.store.photos` / :mod:`tickets.store.imagefile`: photo files, checked by structure.
- :mod:`tickets.store.outbox`: ticket events relayed to Redis.
"""
