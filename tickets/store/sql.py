"""The SQL ticket store: engine set-up, migrations and the row-level reads and writes.

The store knows rows, not rules: :class:`tickets.service.TicketService` decides what to write and
calls these methods inside one transaction, so a ticket, its transition, its photos and its outbox
event are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select, update
from sqlalchemy.pool import StaticPool

from tickets.store.models import outbox, photos, tickets, transitions

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"  # tickets/migrations: package-data


class StaleError(Exception):
    """The ticket changed since it was read (its version moved on)."""


def make_engine(url: str, **kw) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            # one shared in-memory database for every connection of this engine
            kw.setdefault("poolclass", StaticPool)
            kw.setdefault("connect_args", {"check_same_thread": False})
        else:
            Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
            kw.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kw.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        # psycopg prepares a statement after 5 runs, and PostgreSQL may then switch to a generic plan that ignores
        # the reporting window's bounds: a five-year metrics step went from 0.2 s to 1.5 s. Always plan for the values.
        args = kw.setdefault("connect_args", {})
        args["options"] = (args.get("options", "") + " -c plan_cache_mode=force_custom_plan").strip()
    return create_engine(url, **kw)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers (metrics) never block the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def migrate(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the ticket schema of a database to ``revision`` (alembic, migrations shipped in the package)."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a column by copying the table and dropping the old one; with foreign keys on, that DROP
            # would cascade into every ticket's transitions and photos. The pragma only takes effect outside a
            # transaction, so it is set before the migration's own, and the keys are checked before it commits.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            if sqlite and (bad := conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                raise RuntimeError(f"the migration left {len(bad)} rows with broken foreign keys: {bad[:3]}")
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
    if isinstance(url_or_engine, str):
        engine.dispose()


class SqlTicketStore:
    """Tickets in SQL (SQLite or PostgreSQL).

    Parameters
    ----------
    engine_or_url : an Engine, or a SQLAlchemy URL.
    """

    def __init__(self, engine_or_url: Engine | str):
        self.engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
        self.dialect = self.engine.dialect.name

    def migrate(self) -> None:
        migrate(self.engine)

    def ping(self) -> None:
        """``SELECT 1``: raises the driver's error (wrapped by SQLAlchemy) when the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- reads ---------------------------------------------------------------------------------
    def get(self, ticket_id: int, conn: Connection | None = None) -> dict | None:
        return self._one(select(tickets).where(tickets.c.id == ticket_id), conn)

    def get_by_number(self, number: str, conn: Connection | None = None) -> dict | None:
        return self._one(select(tickets).where(tickets.c.number == number), conn)

    def _one(self, stmt, conn: Connection | None) -> dict | None:
        if conn is None:
            with self.engine.connect() as c:
                row = c.execute(stmt).mappings().first()
        else:
            row = conn.execute(stmt).mappings().first()
        return dict(row) if row else None

    def history(self, ticket_id: int) -> list[dict]:
        """Transitions oldest first, each with ``photos`` (ids)."""
        with self.engine.connect() as c:
            rows = [dict(r) for r in c.execute(
                select(transitions).where(transitions.c.ticket_id == ticket_id).order_by(transitions.c.id)
            ).mappings()]
            pics = c.execute(select(photos.c.id, photos.c.transition_id).where(photos.c.ticket_id == ticket_id)).all()
        by_transition: dict[int | None, list[int]] = {}
        for pid, tid in pics:
            by_transition.setdefault(tid, []).append(pid)
        for r in rows:
            r["photos"] = by_transition.get(r["id"], [])
        return rows

    def photo(self, photo_id: int) -> dict | None:
        return self._one(select(photos).where(photos.c.id == photo_id), None)

    def ticket_photos(self, ticket_id: int) -> list[dict]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(
                select(photos).where(photos.c.ticket_id == ticket_id).order_by(photos.c.id)).mappings()]

    def list(self, where: Iterable = (), *, offset: int = 0, limit: int = 50, order=None) -> tuple[list[dict], int]:
        """Tickets matching the ``where`` clauses, newest first, and how many match in all."""
        where = list(where)
        order = order if order is not None else (tickets.c.reported_at.desc(), tickets.c.id.desc())
        with self.engine.connect() as c:
            total = c.execute(select(func.count()).select_from(tickets).where(*where)).scalar_one()
            rows = c.execute(select(tickets).where(*where).order_by(*order).offset(offset).limit(limit)).mappings()
            return [dict(r) for r in rows], int(total)

    # -- writes (inside a caller's transaction) -------------------------------------------------
    def insert_ticket(self, conn: Connection, row: dict, number_prefix: str) -> int:
        """Insert a ticket and give it its readable number ``<prefix><id:07d>``."""
        tid = conn.execute(tickets.insert().values(**row, number=f"tmp-{id(row)}")).inserted_primary_key[0]
        conn.execute(update(tickets).where(tickets.c.id == tid).values(number=f"{number_prefix}{tid:07d}"))
        return int(tid)

    def update_ticket(self, conn: Connection, ticket_id: int, version: int, values: dict) -> None:
        """Write ``values`` if the ticket is still at ``version`` (and move it to the next one)."""
        res = conn.execute(
            update(tickets)
            .where(tickets.c.id == ticket_id, tickets.c.version == version)
            .values(**values, version=version + 1)
        )
        if res.rowcount != 1:
            raise StaleError(ticket_id)

    def set_flags(self, conn: Connection, ticket_id: int, values: dict, unless: dict) -> bool:
        """Set ``values`` without a version bump if the columns in ``unless`` still hold their values."""
        res = conn.execute(
            update(tickets).where(tickets.c.id == ticket_id, *[tickets.c[k] == v for k, v in unless.items()])
            .values(**values)
        )
        return res.rowcount == 1

    def add_transition(self, conn: Connection, row: dict) -> int:
        return int(conn.execute(transitions.insert().values(**row)).inserted_primary_key[0])

    def add_photos(self, conn: Connection, rows: list[dict]) -> None:
        if rows:
            conn.execute(photos.insert(), rows)

    def add_event(self, conn: Connection, payload: dict, at) -> None:
        conn.execute(outbox.insert().values(created_at=at, payload=orjson.dumps(payload).decode()))

    def bulk_insert(self, ticket_rows: list[dict], transition_rows: list[dict]) -> None:
        """Fast path for history (the backfill): rows carry their own ids and numbers; no outbox events."""
        with self.engine.begin() as conn:
            for i in range(0, len(ticket_rows), 5000):
                conn.execute(tickets.insert(), ticket_rows[i:i + 5000])
            for i in range(0, len(transition_rows), 20000):
                conn.execute(transitions.insert(), transition_rows[i:i + 20000])
            if self.dialect == "postgresql":
                # explicit ids do not advance the serial: move it past them
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT COALESCE(MAX(id), 1) FROM tickets))"
                )

    def max_id(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.coalesce(func.max(tickets.c.id), 0))).scalar_one())
