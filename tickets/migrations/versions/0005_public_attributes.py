"""tickets.public (shown on Open311's public reads) and tickets.attributes (Open311 attribute[…] as sent)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("attributes", sa.Text(), nullable=True))
    # the rule for tickets already stored: what residents reported is public, what the grid made is not
    op.execute("UPDATE tickets SET public = (source = 'resident_app')")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("attributes")
        batch_op.drop_column("public")
