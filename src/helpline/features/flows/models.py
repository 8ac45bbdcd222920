"""What loading a flow gives back (the flow, or every problem found, each naming file, line and
field), and the table that stores each tenant's flows as their YAML source.

The source text is what is stored, not a parsed form: the text is what operators write and
diff, and checking it again on load applies the installation's constants and the checks of
the running version."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Double, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base

if TYPE_CHECKING:
    from helpline.core.ivr.nodes import Flow

__all__ = ["FlowIssue", "FlowRow", "FlowValidationError", "LoadedFlow", "Severity"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class FlowIssue:
    file: str
    line: int  # 1-based; 0 when the problem has no place in the file (it could not be read)
    column: int
    field: str  # dotted path, e.g. nodes.main_menu.options.7
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}: {self.severity.value}:{field} {self.message}"


@dataclass(frozen=True, slots=True)
class LoadedFlow:
    flow: Flow
    file: str
    warnings: tuple[FlowIssue, ...] = ()


class FlowValidationError(ValueError):
    """The flow has errors; ``issues`` holds all of them (and the warnings), in file order."""

    def __init__(self, issues: list[FlowIssue]) -> None:
        self.issues = tuple(issues)
        errors = self.errors
        lines = "\n".join(f"  {issue}" for issue in errors)
        super().__init__(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the flow:\n{lines}")

    @property
    def errors(self) -> tuple[FlowIssue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)


class FlowRow(Base):
    """One flow of a tenant, by the flow's name (unique within the tenant)."""

    __tablename__ = "flows"

    tenant_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_name: Mapped[str] = mapped_column(String(512))  # the file it came from, for messages
    source_text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Double)
