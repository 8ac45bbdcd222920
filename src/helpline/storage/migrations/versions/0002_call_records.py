"""Call detail records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("interaction_id", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("caller", sa.String(length=128), nullable=False),
        sa.Column("called", sa.String(length=128), nullable=False),
        sa.Column("flow", sa.String(length=128), nullable=True),
        sa.Column("queue_id", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("answered_at", sa.Double(), nullable=True),
        sa.Column("queued_at", sa.Double(), nullable=True),
        sa.Column("connected_at", sa.Double(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("end_reason", sa.String(length=64), nullable=False),
        sa.Column("recording", sa.String(length=512), nullable=True),
        sa.Column("legs", JSON_DOC, nullable=False),
        sa.Column("ivr_path", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
    )
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_index("ix_call_records_tenant_started", ["tenant_id", "started_at"], unique=False)
        batch_op.create_index("ix_call_records_tenant_interaction", ["tenant_id", "interaction_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_index("ix_call_records_tenant_interaction")
        batch_op.drop_index("ix_call_records_tenant_started")
    op.drop_table("call_records")
