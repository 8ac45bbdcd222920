"""Schedules out and back in: CSV for spreadsheets and the adherence report, iCalendar for agents.

CSV, one row per shift::

    agent_id,agent_name,date,shift_start,shift_end,paid_hours,breaks,lunch
    ana,Ana Lima,2026-11-23,2026-11-23T08:00,2026-11-23T17:00,8,10:15-10:30;14:45-15:00,12:00-13:00

Breaks and lunches are clock times inside the shift (a time before the shift start belongs to
the next day, for shifts that run past midnight).

iCalendar (RFC 5545): one VEVENT per shift with the breaks in its description, or one per
activity. Lines end in CRLF and are folded at 75 octets; each event has a UID that stays the
same when the same shift is exported again, and a DTSTAMP. Times are floating local times, or
UTC when the site's time zone is known.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from helpline.wfm.scheduling.inputs import ScheduleInputError, parse_clock, parse_instant
from helpline.wfm.scheduling.model import Activity, ActivityKind, Shift

CSV_FIELDS = ("agent_id", "agent_name", "date", "shift_start", "shift_end", "paid_hours", "breaks", "lunch")


def _span(a: Activity) -> str:
    return f"{a.start:%H:%M}-{a.end:%H:%M}"


def shifts_to_csv(shifts: Iterable[Shift]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for s in sorted(shifts, key=lambda s: (s.start, s.agent_id)):
        writer.writerow(
            [
                s.agent_id,
                s.agent_name,
                s.day.isoformat(),
                s.start.isoformat(timespec="minutes"),
                s.end.isoformat(timespec="minutes"),
                f"{s.paid_minutes / 60:g}",
                ";".join(_span(b) for b in s.breaks if b.kind == ActivityKind.BREAK),
                ";".join(_span(b) for b in s.breaks if b.kind == ActivityKind.LUNCH),
            ]
        )
    return out.getvalue()


def write_csv(shifts: Iterable[Shift], path: Path) -> None:
    path.write_text(shifts_to_csv(shifts), encoding="utf-8")


def _within(start: datetime, end: datetime, clock_time: time) -> datetime:
    """The first moment at ``clock_time`` from ``start`` on (before ``end``, if the input is sane)."""
    at = datetime.combine(start.date(), clock_time)
    return at if at >= start else at + timedelta(days=1)


def read_csv(path: Path) -> list[Shift]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ScheduleInputError(path, None, None, f"cannot read: {exc.strerror}") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in ("agent_id", "shift_start", "shift_end") if f not in (reader.fieldnames or [])]
    if missing:
        raise ScheduleInputError(path, 1, missing[0], "missing column")
    shifts: list[Shift] = []
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        agent_id = (row.get("agent_id") or "").strip()
        if not agent_id:
            raise ScheduleInputError(path, line, "agent_id", "missing")
        try:
            start = parse_instant(row["shift_start"])
        except ValueError:
            raise ScheduleInputError(path, line, "shift_start", f"expected an ISO date-time, got {row['shift_start']!r}") from None
        try:
            end = parse_instant(row["shift_end"])
        except ValueError:
            raise ScheduleInputError(path, line, "shift_end", f"expected an ISO date-time, got {row['shift_end']!r}") from None
        if end <= start:
            raise ScheduleInputError(path, line, "shift_end", "the shift ends before it starts")
        breaks: list[Activity] = []
        for column, kind in (("breaks", ActivityKind.BREAK), ("lunch", ActivityKind.LUNCH)):
            for part in (row.get(column) or "").split(";"):
                if not part.strip():
                    continue
                try:
                    first, last = (parse_clock(p) for p in part.strip().split("-"))
                except ValueError:
                    raise ScheduleInputError(path, line, column, f"expected HH:MM-HH:MM, got {part.strip()!r}") from None
                b_start = _within(start, end, first)
                b_end = _within(b_start, end, last)
                if b_end <= b_start or b_end > end:
                    raise ScheduleInputError(path, line, column, f"{part.strip()} is not inside the shift")
                breaks.append(Activity(kind, b_start, b_end))
        paid_text = (row.get("paid_hours") or "").strip()
        try:
            paid = round(float(paid_text) * 60) if paid_text else int((end - start).total_seconds() // 60)
        except ValueError:
            raise ScheduleInputError(path, line, "paid_hours", f"expected hours, got {paid_text!r}") from None
        shifts.append(
            Shift(
                agent_id=agent_id,
                agent_name=(row.get("agent_name") or "").strip(),
                start=start,
                end=end,
                breaks=tuple(sorted(breaks, key=lambda a: a.start)),
                paid_minutes=paid,
            )
        )
    return shifts


# --- iCalendar -------------------------------------------------------------------------------


def ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets, never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    limit = 75
    while data:
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        parts.append(data[:cut].decode("utf-8"))
        data = data[cut:]
        limit = 74  # continuation lines start with a space
    return "\r\n ".join(parts)


def _stamp(at: datetime, zone: ZoneInfo | None) -> str:
    if zone is None:
        return at.strftime("%Y%m%dT%H%M%S")
    return at.replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def shifts_to_ics(
    shifts: Sequence[Shift],
    stamp: datetime,
    timezone: str | None = None,
    per_activity: bool = False,
    domain: str = "helpline",
) -> str:
    """The schedule as an iCalendar file; ``stamp`` (UTC) is when it was produced."""
    zone = ZoneInfo(timezone) if timezone else None
    dtstamp = stamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if stamp.tzinfo else stamp.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Helpline//Workforce schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]

    def event(uid: str, start: datetime, end: datetime, summary: str, description: str, category: str) -> None:
        lines.extend(
            [
                "BEGIN:VEVENT",
                f"UID:{uid}@{domain}",
                f"DTSTAMP:{dtstamp}",
                f"DTSTART:{_stamp(start, zone)}",
                f"DTEND:{_stamp(end, zone)}",
                f"SUMMARY:{ics_escape(summary)}",
            ]
        )
        if description:
            lines.append(f"DESCRIPTION:{ics_escape(description)}")
        lines.extend([f"CATEGORIES:{ics_escape(category)}", "TRANSP:OPAQUE", "END:VEVENT"])

    for s in sorted(shifts, key=lambda s: (s.start, s.agent_id)):
        who = s.agent_name or s.agent_id
        base = f"{s.agent_id}-{s.start:%Y%m%dT%H%M}"
        if per_activity:
            for a in s.activities():
                event(f"{base}-{a.kind.value}-{a.start:%H%M}", a.start, a.end, f"{a.kind.value.title()}: {who}", "", a.kind.value)
            continue
        notes = [f"Shift {s.start:%H:%M}-{s.end:%H:%M}, {s.paid_minutes / 60:g} paid hours"]
        notes += [f"{b.kind.value.title()} {_span(b)}" for b in s.breaks]
        event(base, s.start, s.end, f"Shift: {who}", "\n".join(notes), "work")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def write_ics(shifts: Sequence[Shift], path: Path, stamp: datetime, timezone: str | None = None, per_activity: bool = False) -> None:
    path.write_bytes(shifts_to_ics(shifts, stamp, timezone, per_activity).encode("utf-8"))


def read_ics_events(text: str) -> list[dict[str, str]]:
    """The VEVENTs of an iCalendar text as property -> value (parameters and escapes kept)."""
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "")
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfolded.split("\r\n"):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            name, value = line.split(":", 1)
            current[name.split(";", 1)[0].upper()] = value
    return events


def ics_unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_ics_time(value: str, timezone: str | None = None) -> datetime:
    """A DTSTART/DTEND value back to the site's naive local time."""
    if value.endswith("Z"):
        at = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None) if timezone else at.replace(tzinfo=None)
    return datetime.strptime(value, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - floating time is the site's wall clock

