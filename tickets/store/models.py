"""The SQL schema (SQLAlchemy Core): tickets, their transitions and photos, and the event outbox.

A ticket row carries the timestamps and flags the metrics count (``registered_at``, ``closed_on_time``,
``rework_count`` …) so every metric is one GROUP BY over ``tickets`` with no join. The indexes lead with
the scope column and end with ``reported_at``, the period every metric filters on. ``metrics_rollup`` keeps the
metrics' month partials of settled tickets where every web process shares them (:mod:`tickets.metrics.rollup_table`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)

metadata = MetaData()
ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes everywhere: ``timestamptz`` on PostgreSQL, naive-UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ticket store keeps aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text from an aggregate
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, **kw) -> Column:
    return Column(name, UtcDateTime(), **kw)


tickets = Table(
    "tickets",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("number", String(24), nullable=False, unique=True),
    Column("version", Integer, nullable=False, default=1),
    Column("category_code", String(8), nullable=False),
    Column("major_code", String(4), nullable=False),
    Column("source", String(16), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("lon", Float),  # null with grid/community/street: an unlocated (address-only) report
    Column("lat", Float),
    Column("address", String(255)),
    Column("grid_code", String(15)),
    Column("community_code", String(12)),
    Column("street_code", String(9)),
    Column("grid_worker_id", String(32)),  # the grid's own worker when reported: the worker ranking's key
    Column("tier", String(10), nullable=False),
    Column("department", String(8)),
    Column("state", String(14), nullable=False),
    Column("reporter_name", String(64)),
    Column("reporter_role", String(12)),
    Column("reporter_worker_id", String(32)),
    Column("contact", Text),  # Open311 email/phone/name as JSON; never shown in public lists
    Column("media_url", String(1024)),
    # shown on Open311's public reads (FixMyStreet's non_public, inverted): residents' reports unless flagged
    Column("public", Boolean, nullable=False, server_default=false()),
    Column("attributes", Text),  # Open311 attribute[code] values as sent (a list where repeated), JSON
    Column("parent_id", ID, ForeignKey("tickets.id")),  # a new ticket about a closed one links to it
    _ts("reported_at", nullable=False),
    _ts("registered_at"),  # 立案, or self-handled (counted as a case handled in the grid)
    _ts("dispatched_at"),
    _ts("signed_at"),
    _ts("handled_at"),
    _ts("closed_at"),
    _ts("voided_at"),
    _ts("updated_at", nullable=False),
    Column("self_handled", Boolean, nullable=False, default=False),
    Column("step", String(12)),
    _ts("step_started_at"),
    Column("step_limit_s", Float),
    _ts("step_warn_at"),
    _ts("step_due_at"),
    Column("supervised", Boolean, nullable=False, default=False),
    Column("overdue_noticed", Boolean, nullable=False, default=False),
    _ts("handle_due_at"),
    _ts("close_due_at"),
    _ts("suspended_at"),
    Column("step_remaining_s", Float),
    Column("handle_remaining_s", Float),
    Column("close_remaining_s", Float),
    Column("handled_on_time", Boolean),
    Column("closed_on_time", Boolean),
    Column("close_s", Float),  # wall-clock seconds from report to close
    Column("handle_s", Float),  # wall-clock seconds from the first dispatch to the first report of done
    Column("pending_request", String(12)),  # extension or suspension a department asked for
    Column("rework_count", Integer, nullable=False, default=0),
    Column("return_count", Integer, nullable=False, default=0),
    Column("extension_count", Integer, nullable=False, default=0),
    Column("suspension_count", Integer, nullable=False, default=0),
    Column("escalation_count", Integer, nullable=False, default=0),
    Index("ix_tickets_reported_at", "reported_at"),
    Index("ix_tickets_street_reported", "street_code", "reported_at"),
    Index("ix_tickets_community_reported", "community_code", "reported_at"),
    Index("ix_tickets_grid_reported", "grid_code", "reported_at"),
    Index("ix_tickets_category_reported", "category_code", "reported_at"),
    Index("ix_tickets_department_reported", "department", "reported_at"),
    Index("ix_tickets_source_reported", "source", "reported_at"),
    Index("ix_tickets_state_due", "state", "step_due_at"),
    Index("ix_tickets_state_reported", "state", "reported_at"),  # open tickets of a period (tickets.metrics.rollup)
    Index("ix_tickets_updated_at", "updated_at"),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("ticket_id", ID, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(20), nullable=False),
    Column("from_state", String(14)),
    Column("to_state", String(14), nullable=False),
    Column("from_tier", String(10)),
    Column("to_tier", String(10), nullable=False),
    Column("department", String(8)),
    Column("actor_name", String(64), nullable=False),
    Column("actor_role", String(12), nullable=False),
    Column("on_behalf_of", String(12)),
    _ts("at", nullable=False),
    Column("note", Text),
    Index("ix_transitions_ticket", "ticket_id", "id"),
)

photos = Table(
    "photos",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("ticket_id", ID, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("transition_id", ID, ForeignKey("transitions.id", ondelete="CASCADE")),
    Column("path", String(255), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    _ts("created_at", nullable=False),
    Index("ix_photos_ticket", "ticket_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _ts("created_at", nullable=False),
    Column("payload", Text, nullable=False),  # the event as orjson text
)

metrics_rollup = Table(
    "metrics_rollup",
    metadata,
    # one metrics query's figures over the settled tickets reported in one local month (tickets.metrics.rollup_table)
    Column("query_hash", String(40), primary_key=True),  # sha1 of the query's key (level, filters, zone, version)
    Column("month", String(7), primary_key=True),  # local YYYY-MM
    Column("settled", BigInteger, nullable=False),  # the month's settled tickets when computed: valid while equal
    Column("rows", LargeBinary, nullable=False),  # orjson: keys, field names, one list of counts per key
    Column("close_s", LargeBinary),  # float64 close times, key after key (for the percentile); NULL when not kept
    Column("query", Text, nullable=False),  # the key in words, for a person reading the table
    _ts("computed_at", nullable=False),
)
