"""a batch's cover, converted while its papers are made

Revision ID: 0006_batch_cover
Revises: 0005_replies
Create Date: 2026-12-07 22:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_batch_cover"
down_revision = "0005_replies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches") as table:
        table.add_column(sa.Column("cover_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as table:
        table.drop_column("cover_key")
