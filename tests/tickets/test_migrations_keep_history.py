"""A migration that rebuilds the tickets table on SQLite (batch mode) keeps every transition and photo row.

SQLite alters a column by copying the table, dropping the old one and renaming the copy; with foreign keys on,
the DROP would delete every ticket's history through ``ON DELETE CASCADE``.
"""

from __future__ import annotations

import sqlite3

from tickets.store.sql import migrate


def _dummy(kind: str, name: str, k: int):
    kind = kind.upper()
    if name == "number":
        return f"N{k}"
    if any(t in kind for t in ("INT", "BOOL")):
        return 0
    if any(t in kind for t in ("FLOAT", "REAL", "NUMERIC")):
        return 1.0
    if "DATE" in kind or "TIME" in kind:
        return "2024-11-18 02:00:00.000000"
    return "x"


def _insert(db, table: str, k: int, **values) -> int:
    row = {c[1]: _dummy(c[2], c[1], k) for c in db.execute(f"PRAGMA table_info({table})") if c[3] and not c[5]}
    row.update(values)
    cur = db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    return cur.lastrowid


def test_rebuilding_the_tickets_table_does_not_cascade_into_history(tmp_path):
    path = tmp_path / "t.db"
    migrate(f"sqlite:///{path}", "0002")  # the schema before 0003_unlocated rebuilds the tickets table
    db = sqlite3.connect(path)
    for k in range(3):
        tid = _insert(db, "tickets", k)
        for j in range(2):
            _insert(db, "transitions", 10 * k + j, ticket_id=tid)
    db.commit()
    db.close()
    migrate(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 3
    assert db.execute("SELECT COUNT(*) FROM transitions").fetchone()[0] == 6
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    nullable = {c[1]: not c[3] for c in db.execute("PRAGMA table_info(tickets)")}
    assert nullable["lon"] and nullable["street_code"]  # the migration did run
