"""metrics_rollup: month partials of settled tickets shared by every web process; tickets.handle_s

Revision ID: 0004
Revises: 0003_unlocated
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tickets.store.models

revision = "0004"
down_revision = "0003_unlocated"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # seconds from the first dispatch to the first report of done, stored like close_s so the departments'
    # average handling time is a plain SUM (parsing two timestamps per row doubled a 30-day GROUP BY on SQLite)
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("handle_s", sa.Float(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        seconds = "EXTRACT(EPOCH FROM handled_at - dispatched_at)"
    else:  # naive-UTC text
        seconds = "(julianday(handled_at) - julianday(dispatched_at)) * 86400.0"
    op.execute(f"UPDATE tickets SET handle_s = {seconds} "
               "WHERE handled_at IS NOT NULL AND dispatched_at IS NOT NULL")
    op.create_table(
        "metrics_rollup",
        sa.Column("query_hash", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("settled", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.LargeBinary(), nullable=False),
        sa.Column("close_s", sa.LargeBinary(), nullable=True),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("computed_at", tickets.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("query_hash", "month"),
    )


def downgrade() -> None:
    op.drop_table("metrics_rollup")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("handle_s")
