"""matters (督查事项) and their progress reports; the matter a paper is about

Revision ID: 0004_matters
Revises: 0002_access
Create Date: 2026-12-06 14:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_matters"
down_revision = "0002_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matters",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("leader", sa.String(length=100), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("origin", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_matters_year", "matters", ["year"])
    op.create_index("ix_matters_department", "matters", ["department"])
    op.create_index("ix_matters_opened_on", "matters", ["opened_on"])
    op.create_index("ix_matters_deadline", "matters", ["deadline"])
    op.create_index("ix_matters_status", "matters", ["status"])
    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.String(length=32), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("needs_coordination", sa.Text(), nullable=True),
        sa.Column("milestones_done", sa.JSON(), nullable=False),
        sa.Column("reported_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["matter_id"], ["matters.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_progress_reports_matter_id", "progress_reports", ["matter_id"])
    op.create_index("ix_progress_reports_reported_on", "progress_reports", ["reported_on"])
    op.add_column("documents", sa.Column("matter_id", sa.String(length=32), nullable=True))
    op.create_index("ix_documents_matter_id", "documents", ["matter_id"])


def downgrade() -> None:
    op.drop_index("ix_documents_matter_id", table_name="documents")
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("matter_id")
    op.drop_index("ix_progress_reports_reported_on", table_name="progress_reports")
    op.drop_index("ix_progress_reports_matter_id", table_name="progress_reports")
    op.drop_table("progress_reports")
    for name in ("status", "deadline", "opened_on", "department", "year"):
        op.drop_index(f"ix_matters_{name}", table_name="matters")
    op.drop_table("matters")
