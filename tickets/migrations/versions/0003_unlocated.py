"""let a ticket be unlocated: an Open311 report by address only has no point, grid, community or street

Revision ID: 0003_unlocated
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_unlocated"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (("lon", sa.Float()), ("lat", sa.Float()), ("grid_code", sa.String(length=15)),
           ("community_code", sa.String(length=12)), ("street_code", sa.String(length=9)))


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name, kind in COLUMNS:
            batch.alter_column(name, existing_type=kind, nullable=True)


def downgrade() -> None:
    unlocated = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM tickets WHERE lon IS NULL")).scalar()
    if unlocated:
        raise RuntimeError(f"{unlocated} unlocated ticket(s): place them before going back to revision 0002")
    with op.batch_alter_table("tickets") as batch:
        for name, kind in COLUMNS:
            batch.alter_column(name, existing_type=kind, nullable=False)
