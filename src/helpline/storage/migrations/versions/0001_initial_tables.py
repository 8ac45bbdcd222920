"""Tables for tenants' configuration, the event log and snapshots

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 08:02:01.826067
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported: a revision must not change when the models do.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite auto-increments INTEGER only


def upgrade() -> None:
    op.create_table(
        "event_counters",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("last_seq", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_event_counters")),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("seq", BIG_ID, nullable=False),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.Column("taken_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_snapshots_tenant_seq", ["tenant", "seq"], unique=True)

    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_abandon_s", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "agents",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("groups", JSON_DOC, nullable=False),
        sa.Column("capacity", JSON_DOC, nullable=False),
        sa.Column("total_capacity", sa.Integer(), nullable=False),
        sa.Column("linear_rank", sa.Integer(), nullable=False),
        sa.Column("options", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_agents_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_agents")),
    )
    op.create_table(
        "dispositions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_dispositions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_dispositions")),
    )
    op.create_table(
        "events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("seq", BIG_ID, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.Column("recorded_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["event_counters.tenant"], name=op.f("fk_events_tenant_event_counters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("tenant", "seq", name=op.f("uq_events_tenant_seq")),
    )
    op.create_table(
        "pause_reasons",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pause_reasons_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pause_reasons")),
    )
    op.create_table(
        "queues",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("strategy", sa.String(length=32), nullable=False),
        sa.Column("channels", JSON_DOC, nullable=False),
        sa.Column("sl_target", sa.Double(), nullable=False),
        sa.Column("sl_threshold_s", sa.Double(), nullable=False),
        sa.Column("max_wait_s", sa.Double(), nullable=True),
        sa.Column("overflow_destination", sa.String(length=64), nullable=True),
        sa.Column("steps", JSON_DOC, nullable=False),
        sa.Column("wrap_up_s", sa.Double(), nullable=False),
        sa.Column("offer_timeout_s", sa.Double(), nullable=False),
        sa.Column("max_consecutive_misses", sa.Integer(), nullable=False),
        sa.Column("resume_window_s", sa.Double(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", JSON_DOC, nullable=False),
        sa.Column("holidays", JSON_DOC, nullable=False),
        sa.Column("options", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_queues_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_queues")),
    )
    op.create_table(
        "skills",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_skills_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_skills")),
    )
    op.create_table(
        "agent_queues",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("queue_id", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agent_id"],
            ["agents.tenant_id", "agents.id"],
            name=op.f("fk_agent_queues_tenant_id_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "queue_id"],
            ["queues.tenant_id", "queues.id"],
            name=op.f("fk_agent_queues_tenant_id_queue_id_queues"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "agent_id", "queue_id", name=op.f("pk_agent_queues")),
    )
    op.create_table(
        "agent_skills",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("skill_id", sa.String(length=64), nullable=False),
        sa.Column("proficiency", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("proficiency BETWEEN 1 AND 5", name=op.f("ck_agent_skills_proficiency_range")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agent_id"],
            ["agents.tenant_id", "agents.id"],
            name=op.f("fk_agent_skills_tenant_id_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "skill_id"],
            ["skills.tenant_id", "skills.id"],
            name=op.f("fk_agent_skills_tenant_id_skill_id_skills"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "agent_id", "skill_id", name=op.f("pk_agent_skills")),
    )
    op.create_table(
        "queue_skills",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("queue_id", sa.String(length=64), nullable=False),
        sa.Column("skill_id", sa.String(length=64), nullable=False),
        sa.Column("min_proficiency", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "min_proficiency BETWEEN 1 AND 5", name=op.f("ck_queue_skills_min_proficiency_range")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "queue_id"],
            ["queues.tenant_id", "queues.id"],
            name=op.f("fk_queue_skills_tenant_id_queue_id_queues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "skill_id"],
            ["skills.tenant_id", "skills.id"],
            name=op.f("fk_queue_skills_tenant_id_skill_id_skills"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "queue_id", "skill_id", name=op.f("pk_queue_skills")),
    )


def downgrade() -> None:
    op.drop_table("queue_skills")
    op.drop_table("agent_skills")
    op.drop_table("agent_queues")
    op.drop_table("skills")
    op.drop_table("queues")
    op.drop_table("pause_reasons")
    op.drop_table("events")
    op.drop_table("dispositions")
    op.drop_table("agents")
    op.drop_table("tenants")
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshots_tenant_seq")

    op.drop_table("snapshots")
    op.drop_table("event_counters")
