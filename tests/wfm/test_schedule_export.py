"""CSV and iCalendar exports of a schedule parse back to the same shifts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpline.wfm.scheduling.export import (
    fold,
    ics_unescape,
    parse_ics_time,
    read_csv,
    read_ics_events,
    shifts_to_csv,
    shifts_to_ics,
    write_csv,
)
from helpline.wfm.scheduling.inputs import ScheduleInputError
from helpline.wfm.scheduling.model import Activity, ActivityKind, Shift

STAMP = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def shift(agent: str, name: str, start: str, end: str, *breaks: tuple[ActivityKind, str, str], paid: int) -> Shift:
    return Shift(
        agent_id=agent,
        agent_name=name,
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
        breaks=tuple(Activity(k, datetime.fromisoformat(a), datetime.fromisoformat(b)) for k, a, b in breaks),
        paid_minutes=paid,
    )


SHIFTS = [
    shift(
        "ana",
        "Ana Lima",
        "2026-11-23T08:00",
        "2026-11-23T17:00",
        (ActivityKind.BREAK, "2026-11-23T10:00", "2026-11-23T10:15"),
        (ActivityKind.LUNCH, "2026-11-23T12:00", "2026-11-23T13:00"),
        (ActivityKind.BREAK, "2026-11-23T15:00", "2026-11-23T15:15"),
        paid=480,
    ),
    # A night shift across midnight, and a name with commas, semicolons and non-ASCII letters.
    shift(
        "zoe",
        "Zoë Ångström-Øberg; nights, weekends",
        "2026-11-23T20:00",
        "2026-11-24T04:00",
        (ActivityKind.BREAK, "2026-11-23T22:00", "2026-11-23T22:15"),
        (ActivityKind.LUNCH, "2026-11-24T00:00", "2026-11-24T00:30"),
        paid=450,
    ),
]


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    write_csv(SHIFTS, path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert rows[0] == {
        "agent_id": "ana",
        "agent_name": "Ana Lima",
        "date": "2026-11-23",
        "shift_start": "2026-11-23T08:00",
        "shift_end": "2026-11-23T17:00",
        "paid_hours": "8",
        "breaks": "10:00-10:15;15:00-15:15",
        "lunch": "12:00-13:00",
    }
    assert rows[1]["lunch"] == "00:00-00:30"
    assert read_csv(path) == SHIFTS


def test_csv_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    text = shifts_to_csv(SHIFTS).replace("12:00-13:00", "18:00-19:00")
    path.write_text(text)
    with pytest.raises(ScheduleInputError, match=r"schedule.csv:2: field 'lunch': 18:00-19:00 is not inside the shift"):
        read_csv(path)


def raw_lines(text: str) -> list[bytes]:
    data = text.encode("utf-8")
    assert data.endswith(b"\r\n")
    lines = data[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines), "bare LF or CR"
    return lines


def test_ics_is_crlf_folded_and_rereadable() -> None:
    long_shift = shift("bo", "Bo Lindqvist " * 10, "2026-11-23T08:00", "2026-11-23T17:00", paid=540)
    text = shifts_to_ics([*SHIFTS, long_shift], STAMP)
    lines = raw_lines(text)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "the long lines were folded"
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"
    assert b"VERSION:2.0" in lines and any(line.startswith(b"PRODID:") for line in lines)
    events = read_ics_events(text)
    assert len(events) == 3
    assert len({e["UID"] for e in events}) == 3
    assert all(e["DTSTAMP"] == "20261120T093000Z" for e in events)
    ana, long_one, zoe = events
    assert ana["DTSTART"] == "20261123T080000" and ana["DTEND"] == "20261123T170000"
    assert ics_unescape(ana["DESCRIPTION"]).splitlines() == [
        "Shift 08:00-17:00, 8 paid hours",
        "Break 10:00-10:15",
        "Lunch 12:00-13:00",
        "Break 15:00-15:15",
    ]
    assert ics_unescape(zoe["SUMMARY"]) == "Shift: Zoë Ångström-Øberg; nights, weekends"
    assert parse_ics_time(zoe["DTEND"]) == datetime(2026, 11, 24, 4, 0)
    assert ics_unescape(long_one["SUMMARY"]) == "Shift: " + "Bo Lindqvist " * 10


def test_ics_uid_is_stable_across_exports() -> None:
    later = datetime(2026, 11, 21, tzinfo=UTC)
    first = [e["UID"] for e in read_ics_events(shifts_to_ics(SHIFTS, STAMP))]
    second = [e["UID"] for e in read_ics_events(shifts_to_ics(SHIFTS, later))]
    assert first == second == ["ana-20261123T0800@helpline", "zoe-20261123T2000@helpline"]


def test_ics_in_a_time_zone_uses_utc() -> None:
    events = read_ics_events(shifts_to_ics(SHIFTS[:1], STAMP, timezone="Europe/Paris"))
    assert events[0]["DTSTART"] == "20261123T070000Z"
    assert parse_ics_time(events[0]["DTSTART"], "Europe/Paris") == datetime(2026, 11, 23, 8, 0)


def test_ics_per_activity() -> None:
    events = read_ics_events(shifts_to_ics(SHIFTS[:1], STAMP, per_activity=True))
    assert [(e["CATEGORIES"], e["DTSTART"][9:13], e["DTEND"][9:13]) for e in events] == [
        ("work", "0800", "1000"),
        ("break", "1000", "1015"),
        ("work", "1015", "1200"),
        ("lunch", "1200", "1300"),
        ("work", "1300", "1500"),
        ("break", "1500", "1515"),
        ("work", "1515", "1700"),
    ]
    assert len({e["UID"] for e in events}) == 7


def test_fold_never_splits_a_character() -> None:
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    parts = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert all(p.decode("utf-8") for p in parts)  # each piece is valid UTF-8 on its own
    assert folded.replace("\r\n ", "") == line
