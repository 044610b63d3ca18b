"""batches on the task queue: an item issued once, the runs its PDF was cut from

Revision ID: 0002_queue
Revises: 0002_templates
Create Date: 2026-11-23 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_queue"
down_revision = "0002_templates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("run_first_page", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("seal_box", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("converted_by", sa.String(length=100), nullable=True))
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("uq_documents_batch_position", ["batch_id", "batch_position"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("uq_documents_batch_position")
    with op.batch_alter_table("batch_files", schema=None) as batch_op:
        batch_op.drop_column("converted_by")
        batch_op.drop_column("seal_box")
        batch_op.drop_column("run_first_page")
        batch_op.drop_column("run_key")
