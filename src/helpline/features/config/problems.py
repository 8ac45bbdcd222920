"""Configuration problems: what is wrong, and where (file, line, field)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Path = tuple[str | int, ...]


def field_name(path: Path) -> str:
    """``("queues", 2, "offer_timeout_s")`` -> ``queues[2].offer_timeout_s``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem found by a check, located by its path in the tenant's configuration."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{field_name(self.path)}: {self.message}" if self.path else self.message


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """A problem located in a source file: ``file:line: field: message``."""

    source: str | None
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = f"{self.source}:{self.line}: " if self.line is not None else f"{self.source}: "
        return f"{where}{self.field}: {self.message}" if self.field else f"{where}{self.message}"


class ConfigError(ValueError):
    """The configuration was refused; ``problems`` lists everything found, not only the first."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} configuration problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))

    @classmethod
    def from_problems(cls, problems: Sequence[Problem], *, prefix: Path = ()) -> ConfigError:
        return cls([ConfigProblem(None, None, field_name(prefix + p.path), p.message) for p in problems])


class NotFoundError(LookupError):
    """The tenant, queue, agent or skill named does not exist."""
