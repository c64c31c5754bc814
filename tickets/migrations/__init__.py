"""Alembic migrations of the ticket store, shipped inside the package; run them with :func:`tickets.store.sql.migrate`."""
