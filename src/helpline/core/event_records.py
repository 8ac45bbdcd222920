"""Facts as records: ``(kind, payload)`` pairs of JSON-safe values, and back.

The storage layer persists these without knowing the fact classes (``core.events``).
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any

from helpline.core.agent import AgentState
from helpline.core.config import Channel
from helpline.core.events import EVENT_TYPES, Event

_BY_KIND: dict[str, type[Event]] = {cls.KIND: cls for cls in EVENT_TYPES}
_ENUM_FIELDS: dict[str, type[StrEnum]] = {"Channel": Channel, "AgentState": AgentState}


def _encode(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def event_to_record(event: Event) -> tuple[str, dict[str, Any]]:
    """``(kind, payload)`` with JSON-safe values (str, int, float, bool, None, lists)."""
    payload = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return event.KIND, payload


def event_from_record(kind: str, payload: dict[str, Any]) -> Event:
    """The fact ``event_to_record`` produced ``(kind, payload)`` from."""
    try:
        cls = _BY_KIND[kind]
    except KeyError:
        raise ValueError(f"unknown event kind {kind!r}") from None
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        raw = payload[f.name]
        # a string under ``from __future__ import annotations``; the class itself when compiled by mypyc
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        enum = _ENUM_FIELDS.get(annotation.split(" ")[0])
        if enum is not None and raw is not None:
            values[f.name] = enum(raw)
        elif f.name == "at":
            values[f.name] = float(raw)
        else:
            values[f.name] = _decode(raw)
    return cls(**values)
