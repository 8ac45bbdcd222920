"""Call detail records: one row per call, linked to its interaction, with its legs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base, JsonType


class CallRecordRow(Base):
    __tablename__ = "call_records"
    __table_args__ = (
        Index("ix_call_records_tenant_started", "tenant_id", "started_at"),
        Index("ix_call_records_tenant_interaction", "tenant_id", "interaction_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    interaction_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    direction: Mapped[str] = mapped_column(String(16))  # inbound, callback, outbound
    caller: Mapped[str] = mapped_column(String(128))
    called: Mapped[str] = mapped_column(String(128))
    flow: Mapped[str | None] = mapped_column(String(128), nullable=True)
    queue_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[float] = mapped_column(Double)
    answered_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    queued_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    connected_at: Mapped[float | None] = mapped_column(Double, nullable=True)  # agent bridged
    ended_at: Mapped[float] = mapped_column(Double)
    outcome: Mapped[str] = mapped_column(String(32))
    end_reason: Mapped[str] = mapped_column(String(64))
    recording: Mapped[str | None] = mapped_column(String(512), nullable=True)
    legs: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    ivr_path: Mapped[list[str]] = mapped_column(JsonType)
