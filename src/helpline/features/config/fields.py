"""Field types shared by the configuration schemas (YAML and API)."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

# Typos in field names are errors, not silently ignored keys.
STRICT = ConfigDict(extra="forbid", frozen=True)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]*$")


def _identifier(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            f"must be an identifier: letters, digits and _ . : @ + -, starting with a letter or digit (got {value!r})"
        )
    return value


def _no_bool(value: Any) -> Any:
    # YAML's true/false would otherwise pass as 1/0 where a number is meant.
    if isinstance(value, bool):
        raise ValueError(f"must be a number (got {str(value).lower()})")
    return value


def _id_text(value: Any) -> Any:
    # Numbers are fine as identifiers ("queue 100"); YAML reads them as int.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Identifier = Annotated[str, BeforeValidator(_id_text), Field(max_length=64), AfterValidator(_identifier)]
Seconds = Annotated[float, BeforeValidator(_no_bool), Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(_no_bool), Field(ge=0)]
Proficiency = Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=5)]

_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_DAY_NAMES = {v: k for k, v in _DAYS.items()}


def _day(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7:
        return value
    if isinstance(value, str) and value[:3].lower() in _DAYS and len(value) >= 3:
        full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        if value.lower() in full or len(value) == 3:
            return _DAYS[value[:3].lower()]
    raise ValueError(f"must be a weekday: mon..sun or 1..7 (got {value!r})")


def parse_weekdays(value: Any) -> tuple[int, ...]:
    """``"mon-fri"``, ``"sat"``, ``[mon, wed]`` or ``[1, 3]`` -> ISO weekdays."""
    if isinstance(value, str):
        if "-" in value:
            first, _, last = value.partition("-")
            a, b = _day(first.strip()), _day(last.strip())
            if b < a:
                raise ValueError(f"a range of days runs forward, e.g. mon-fri (got {value!r})")
            return tuple(range(a, b + 1))
        return (_day(value.strip()),)
    if isinstance(value, list | tuple):
        days = tuple(_day(v) for v in value)
        if not days:
            raise ValueError("must name at least one day")
        if len(set(days)) != len(days):
            raise ValueError(f"names a day twice (got {value!r})")
        return days
    raise ValueError(f"must be days such as mon-fri or [mon, wed] (got {value!r})")


def format_weekdays(days: tuple[int, ...]) -> list[str]:
    return [_DAY_NAMES[d] for d in days]


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def parse_clock(value: Any) -> time:
    """``"08:00"`` or ``"8:30"`` -> a time of day."""
    if isinstance(value, time):
        return value
    if isinstance(value, str) and (m := _TIME.match(value.strip())):
        return time(int(m[1]), int(m[2]), int(m[3] or 0))
    raise ValueError(f'must be a time of day such as "08:30" (got {value!r})')


def format_clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


Weekdays = Annotated[tuple[int, ...], BeforeValidator(parse_weekdays)]
Clock = Annotated[time, BeforeValidator(parse_clock)]
