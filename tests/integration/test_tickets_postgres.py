"""The ticket store on a real PostgreSQL: migrations, the loop, concurrency, metrics equal to SQLite's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from tests.conftest import make_box_district
from tests.tickets.conftest import DEPT, INSIDE, JPEG, STREET_CENTER, WORKER, Clock
from tests.tickets.invariants import check_invariants
from tickets import metrics
from tickets.domain.errors import TicketError
from tickets.service import NewTicket, TicketService
from tickets.settings import load_settings
from tickets.simulate import backfill
from tickets.store.photos import Upload
from tickets.store.sql import SqlTicketStore, make_engine

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pg_database():
    """A factory of fresh databases (gp_test_<random>), all dropped when the module ends."""
    try:
        admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: skip
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__})")
    made = []

    def create() -> str:
        name = f"gp_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    yield create
    with admin.connect() as c:
        for name in made:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def pg_store(pg_database):
    store = SqlTicketStore(pg_database())
    store.migrate()
    store.migrate()  # idempotent
    yield store
    store.engine.dispose()


@pytest.fixture
def pg_service(pg_store, tmp_path):
    return TicketService(pg_store, make_box_district(), load_settings(photo_dir=tmp_path),
                         clock=Clock())


def test_loop_on_postgres(pg_service):
    svc = pg_service
    t = svc.create(NewTicket("1101", *INSIDE, "垃圾"), WORKER)
    assert t["reported_at"].tzinfo is not None
    t = svc.act(t["id"], "register", STREET_CENTER)
    t = svc.act(t["id"], "dispatch", STREET_CENTER, department="C01")
    t = svc.act(t["id"], "sign", DEPT)
    with pytest.raises(TicketError) as err:
        svc.act(t["id"], "handle", DEPT, version=1, photos=[Upload("a.jpg", JPEG)])
    assert err.value.code == "stale"
    t = svc.act(t["id"], "handle", DEPT, version=t["version"], photos=[Upload("a.jpg", JPEG)])
    assert t["state"] == "HANDLED" and t["handled_on_time"] is True
    assert len(svc.store.history(t["id"])) == 5


def test_metrics_invariants_and_equal_to_sqlite(pg_database, tmp_path):
    district = make_box_district()
    settings = load_settings(photo_dir=tmp_path)
    pg_store = SqlTicketStore(pg_database())
    pg_store.migrate()
    lite = SqlTicketStore("sqlite://")
    lite.migrate()
    for s in (pg_store, lite):  # the same seeded history in both
        backfill(s, district, days=40, seed=11, now=NOW, settings=settings, per_day=25)
    period = metrics.Period(date(2024, 10, 14), date(2024, 11, 22))
    pg = check_invariants(pg_store.engine, period, NOW, "120110002", "120110002001")
    sq = check_invariants(lite.engine, period, NOW, "120110002", "120110002001")
    assert pg == sq
    for level in ("street", "grid", "department"):
        a = metrics.summary(pg_store.engine, period, level, now=NOW)
        b = metrics.summary(lite.engine, period, level, now=NOW)
        assert sorted(a, key=lambda r: str(r["key"])) == sorted(b, key=lambda r: str(r["key"]))
    assert metrics.series(pg_store.engine, period, "day", now=NOW) == metrics.series(lite.engine, period, "day", now=NOW)
    assert metrics.series(pg_store.engine, period, "hour", now=NOW) == metrics.series(lite.engine, period, "hour",
                                                                                      now=NOW)
    lite.engine.dispose()
    pg_store.engine.dispose()


def test_new_ticket_after_backfill_gets_a_fresh_id(pg_service, pg_store):
    backfill(pg_store, pg_service.district, days=2, seed=2, now=NOW, per_day=5)
    top = pg_store.max_id()
    t = pg_service.create(NewTicket("1101", *INSIDE), WORKER)
    assert t["id"] == top + 1


def test_the_rollup_table_is_shared_between_engines_and_equal_to_sqlite(pg_database, tmp_path, monkeypatch):
    """Two engines (two web processes) on one PostgreSQL: what one computes the other reads; a ticket settling
    through one is counted by both; and every figure equals SQLite's over the same history."""
    from sqlalchemy import select, update

    from tickets.metrics import rollup, rollup_table
    from tickets.store.models import tickets

    district = make_box_district()
    settings = load_settings(photo_dir=tmp_path)
    url = pg_database()
    SqlTicketStore(url).migrate()
    a, b = make_engine(url), make_engine(url)
    lite = SqlTicketStore("sqlite://")
    lite.migrate()
    for s in (SqlTicketStore(a), lite):
        backfill(s, district, days=130, seed=12, now=NOW, settings=settings, per_day=15)
    period = metrics.Period(date(2024, 7, 20), date(2024, 11, 22))  # August to October whole
    fills = []
    original = rollup._fill
    monkeypatch.setattr(rollup, "_fill", lambda e, c, missing, *x, **k: fills.extend(missing) or original(
        e, c, missing, *x, **k))
    rollup.CACHE.clear()
    first = {lvl: metrics.summary(a, period, lvl, now=NOW) for lvl in ("district", "street", "department")}
    assert len(fills) == 9 and rollup_table.count(a) == 9
    fills.clear()
    rollup.CACHE.clear()
    assert {lvl: metrics.summary(b, period, lvl, now=NOW) for lvl in first} == first
    assert fills == []
    for lvl, rows in first.items():
        assert sorted(rows, key=lambda r: str(r["key"])) == sorted(metrics.summary(lite.engine, period, lvl, now=NOW),
                                                                   key=lambda r: str(r["key"]))
    oa, ob = metrics.Period(date(2024, 10, 1), date(2024, 10, 31)).utc
    with a.begin() as conn:  # an October ticket reopened (by hand), counted while open …
        t = conn.execute(select(tickets).where(tickets.c.reported_at >= oa, tickets.c.reported_at < ob,
                                               tickets.c.state == "CLOSED").limit(1)).mappings().one()
        conn.execute(update(tickets).where(tickets.c.id == t["id"]).values(state="IN_PROGRESS", closed_at=None,
                                                                           close_s=None, closed_on_time=None))
    open_row = metrics.summary(a, period, "district", now=NOW)[0]
    with b.begin() as conn:  # … then closed by the other process
        conn.execute(update(tickets).where(tickets.c.id == t["id"]).values(
            state="CLOSED", closed_at=t["closed_at"], close_s=t["close_s"], closed_on_time=t["closed_on_time"]))
    closed_row = metrics.summary(a, period, "district", now=NOW)[0]
    assert closed_row == first["district"][0]
    assert closed_row["closed"] == open_row["closed"] + 1 and closed_row["open_now"] == open_row["open_now"] - 1
    assert metrics.summary(b, period, "district", now=NOW)[0] == closed_row
    lite.engine.dispose()
    a.dispose()
    b.dispose()
