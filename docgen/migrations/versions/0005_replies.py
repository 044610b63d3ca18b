"""written replies (书面回复) to papers that ask for one

Revision ID: 0005_replies
Revises: 0004_matters
Create Date: 2026-12-06 14:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_replies"
down_revision = "0004_matters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("file_key", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
    )
    op.create_index("ix_replies_received_on", "replies", ["received_on"])


def downgrade() -> None:
    op.drop_index("ix_replies_received_on", table_name="replies")
    op.drop_table("replies")
