"""Business hours and holidays: is a queue (or a flow's schedule) open at a given instant?

Hours are local wall-clock times in the schedule's IANA time zone, so a 08:00–18:00 day stays
08:00–18:00 across daylight-saving changes; the instant itself is an epoch float (``now``) and
is converted with ``zoneinfo``, which makes the answer exact on DST edges (a local time that is
skipped in spring never occurs, one repeated in autumn occurs twice and is open both times if
it is inside the hours).

Rules:
- no hours at all means always open (holidays still close);
- a holiday closes its whole local calendar day, including the morning part of a shift that
  started the evening before;
- ``closes`` at or before ``opens`` is an overnight shift: open from ``opens`` on a listed weekday
  until ``closes`` on the next day (``opens == closes`` is a full 24 hours from ``opens``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpline.core.config import OpenHours, QueueConfig

__all__ = ["Schedule", "UnknownTimezone", "is_open", "local_time", "schedule_of", "valid_timezone"]


class UnknownTimezone(ValueError):
    """The time zone name is not in the IANA database."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """Opening hours, holidays and the time zone they are read in."""

    timezone: str = "UTC"
    hours: tuple[OpenHours, ...] = ()
    holidays: tuple[date, ...] = ()

    def is_open(self, now: float) -> bool:
        return is_open(self.hours, self.holidays, self.timezone, now)


def schedule_of(queue: QueueConfig) -> Schedule:
    return Schedule(timezone=queue.timezone, hours=queue.hours, holidays=queue.holidays)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezone(f"unknown time zone {timezone!r}") from exc


def valid_timezone(timezone: str) -> bool:
    try:
        _zone(timezone)
    except UnknownTimezone:
        return False
    return True


def local_time(timezone: str, now: float) -> datetime:
    """The wall-clock time in ``timezone`` at the epoch instant ``now``."""
    return datetime.fromtimestamp(now, _zone(timezone))


def is_open(hours: Iterable[OpenHours], holidays: Iterable[date], timezone: str, now: float) -> bool:
    local = local_time(timezone, now)
    today = local.date()
    if today in set(holidays):
        return False
    spans = tuple(hours)
    if not spans:
        return True
    clock = local.time().replace(tzinfo=None)
    weekday = today.isoweekday()
    yesterday = (today - timedelta(days=1)).isoweekday()
    return any(_covers(span, weekday, yesterday, clock) for span in spans)


def _covers(span: OpenHours, weekday: int, yesterday: int, clock: time) -> bool:
    if span.opens < span.closes:
        return weekday in span.weekdays and span.opens <= clock < span.closes
    # Overnight (or 24 h): the evening part belongs to today, the morning part to yesterday's shift.
    return (weekday in span.weekdays and clock >= span.opens) or (
        yesterday in span.weekdays and clock < span.closes
    )
