"""Tables: queues and the skills they require.

Workflow steps, hours and holidays are small nested lists read and written whole with their
queue, so they are JSON columns; required skills are rows, so the database itself refuses a
reference to a skill that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Double, ForeignKey, ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base, JsonType


class QueueRow(Base):
    __tablename__ = "queues"

    tenant_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    priority: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Double)
    strategy: Mapped[str] = mapped_column(String(32))
    channels: Mapped[list[str]] = mapped_column(JsonType)
    sl_target: Mapped[float] = mapped_column(Double)
    sl_threshold_s: Mapped[float] = mapped_column(Double)
    max_wait_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    overflow_destination: Mapped[str | None] = mapped_column(String(64), nullable=True)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    wrap_up_s: Mapped[float] = mapped_column(Double)
    offer_timeout_s: Mapped[float] = mapped_column(Double)
    max_consecutive_misses: Mapped[int] = mapped_column(Integer)
    resume_window_s: Mapped[float] = mapped_column(Double)
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    holidays: Mapped[list[str]] = mapped_column(JsonType)
    # Tunables without a column of their own (newer fields of the core's config), by name.
    options: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class QueueSkillRow(Base):
    __tablename__ = "queue_skills"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "queue_id"], ["queues.tenant_id", "queues.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "skill_id"], ["skills.tenant_id", "skills.id"]),
        CheckConstraint("min_proficiency BETWEEN 1 AND 5", name="min_proficiency_range"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    min_proficiency: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
