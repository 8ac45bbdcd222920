"""Tables: agents, their skills (proficiency 1–5) and the queues they serve (in order)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base, JsonType


class AgentRow(Base):
    __tablename__ = "agents"

    tenant_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    groups: Mapped[list[str]] = mapped_column(JsonType)
    capacity: Mapped[dict[str, int]] = mapped_column(JsonType)  # channel -> simultaneous interactions
    total_capacity: Mapped[int] = mapped_column(Integer)
    linear_rank: Mapped[int] = mapped_column(Integer, default=0)
    # Tunables without a column of their own (newer fields of the core's config), by name.
    options: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class AgentSkillRow(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "skill_id"], ["skills.tenant_id", "skills.id"]),
        CheckConstraint("proficiency BETWEEN 1 AND 5", name="proficiency_range"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    proficiency: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class AgentQueueRow(Base):
    __tablename__ = "agent_queues"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "queue_id"], ["queues.tenant_id", "queues.id"]),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)  # the agent's order of preference among its queues
