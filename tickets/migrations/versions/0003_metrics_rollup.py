"""metrics_rollup: month partials of settled tickets shared by every web process

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tickets.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metrics_rollup",
        sa.Column("query_hash", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("settled", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.LargeBinary(), nullable=False),
        sa.Column("close_s", sa.LargeBinary(), nullable=True),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("computed_at", tickets.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("query_hash", "month"),
    )


def downgrade() -> None:
    op.drop_table("metrics_rollup")
