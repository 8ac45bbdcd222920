"""Adherence and conformance arithmetic on hand-made days, at the boundaries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from helpline.wfm.adherence import (
    AdherencePolicy,
    AgentState,
    StateChange,
    adherence_by_day,
    state_change,
    totals,
)
from helpline.wfm.scheduling.inputs import ScheduleInputError, load_state_changes
from helpline.wfm.scheduling.model import Activity, ActivityKind, Shift


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-23T{text}") if len(text) <= 5 else datetime.fromisoformat(text)


# 09:00-13:00: break 10:00-10:15, lunch 11:00-11:30. Scheduled 4 h, of which work 3 h 15.
SHIFT = Shift(
    "ana",
    "Ana",
    at("09:00"),
    at("13:00"),
    (Activity(ActivityKind.BREAK, at("10:00"), at("10:15")), Activity(ActivityKind.LUNCH, at("11:00"), at("11:30"))),
    paid_minutes=210,
)


def changes(*items: tuple[str, str] | tuple[str, str, str], agent: str = "ana") -> list[StateChange]:
    out = []
    for item in items:
        when, state, *reason = item
        out.append(StateChange(agent, at(when), AgentState(state), reason[0] if reason else ""))
    return out


def test_a_perfect_day_is_one_hundred_percent() -> None:
    states = changes(
        ("09:00", "available"),
        ("10:00", "paused", "break"),
        ("10:15", "busy"),
        ("10:40", "wrap-up"),
        ("10:45", "reserved"),
        ("10:46", "available"),
        ("11:00", "paused", "lunch"),
        ("11:30", "available"),
        ("13:00", "offline"),
    )
    (day,) = adherence_by_day([SHIFT], states)
    assert day.scheduled_s == 4 * 3600
    assert day.scheduled_work_s == 3.25 * 3600
    assert day.in_adherence_s == 4 * 3600
    assert day.adherence == 1.0
    assert day.conformance == 1.0
    assert day.worked_outside_shift_s == 0


def test_late_login_late_break_offline_lunch_and_overrun() -> None:
    states = changes(
        ("09:02", "available"),  # 2 min late
        ("10:05", "paused", "Break"),  # 5 min late to break; reason matched case-insensitively
        ("10:20", "available"),  # 5 min late back
        ("11:00", "offline"),  # lunch logged out: in adherence
        ("11:30", "available"),
        ("12:50", "busy"),  # a call running 10 min past the shift end
        ("13:10", "offline"),
    )
    (day,) = adherence_by_day([SHIFT], states)
    in_work = (3600 - 120) + (45 * 60 - 5 * 60) + 90 * 60
    in_break = 10 * 60
    in_lunch = 30 * 60
    assert day.by_kind[ActivityKind.WORK] == (3.25 * 3600, in_work)
    assert day.by_kind[ActivityKind.BREAK] == (15 * 60, in_break)
    assert day.by_kind[ActivityKind.LUNCH] == (30 * 60, in_lunch)
    assert day.adherence == pytest.approx((in_work + in_break + in_lunch) / (4 * 3600))
    assert day.adherence == pytest.approx(0.95)
    worked_inside = (63 * 60) + (40 * 60) + (90 * 60)
    assert day.worked_outside_shift_s == 10 * 60
    assert day.worked_s == worked_inside + 10 * 60
    assert day.conformance == pytest.approx((worked_inside + 600) / (3.25 * 3600))


def test_wrong_pause_reason_and_busy_through_lunch_are_out_of_adherence() -> None:
    states = changes(
        ("09:00", "available"),
        ("10:00", "paused", "training"),  # paused, but not for the break
        ("10:15", "available"),
        ("11:00", "busy"),  # on a call through lunch
        ("11:30", "paused", "break"),  # paused during work time
        ("11:45", "available"),
        ("13:00", "offline"),
    )
    (day,) = adherence_by_day([SHIFT], states)
    assert day.by_kind[ActivityKind.BREAK][1] == 0
    assert day.by_kind[ActivityKind.LUNCH][1] == 0
    assert day.by_kind[ActivityKind.WORK][1] == 3.25 * 3600 - 15 * 60
    assert day.in_adherence_s == 3 * 3600


def test_no_states_means_offline_all_day() -> None:
    (day,) = adherence_by_day([SHIFT], [])
    # Offline counts for breaks and lunch, so an absent agent still "adheres" to those...
    assert day.in_adherence_s == 45 * 60
    assert day.worked_s == 0 and day.conformance == 0
    # ...unless the policy asks for the pause reason.
    (strict,) = adherence_by_day([SHIFT], [], policy=AdherencePolicy(offline_on_break=False))
    assert strict.in_adherence_s == 0 and strict.adherence == 0


def test_state_changes_at_exact_boundaries_count_nothing_twice() -> None:
    # Changes exactly at activity edges: no second is counted on both sides.
    states = changes(("09:00", "available"), ("10:00", "paused", "break"), ("10:15", "available"))
    (day,) = adherence_by_day([SHIFT], states, until=at("13:00"))
    # Available 10:15-13:00 covers work but misses lunch (11:00-11:30).
    assert day.by_kind[ActivityKind.WORK][1] == 3.25 * 3600
    assert day.by_kind[ActivityKind.BREAK][1] == 15 * 60
    assert day.by_kind[ActivityKind.LUNCH][1] == 0
    assert day.worked_s == 3600 + 165 * 60


def test_until_cuts_the_last_state_and_the_schedule_so_far() -> None:
    tomorrow = Shift("ana", "Ana", at("2026-11-24T09:00"), at("2026-11-24T13:00"), paid_minutes=240)
    states = changes(("09:00", "available"))
    (day,) = adherence_by_day([SHIFT, tomorrow], states, until=at("10:05"))
    assert day.day.isoformat() == "2026-11-23"
    assert day.scheduled_s == 65 * 60  # the day so far: work 09:00-10:00 and 5 min of break
    assert day.in_adherence_s == 60 * 60  # available, not paused, in the break
    assert day.worked_s == 65 * 60


def test_night_shift_stays_on_its_start_day_and_work_after_it_goes_to_the_calendar_day() -> None:
    night = Shift("ana", "Ana", at("2026-11-23T22:00"), at("2026-11-24T06:00"), paid_minutes=480)
    states = changes(("2026-11-23T22:00", "available"), ("2026-11-24T07:00", "offline"))
    monday, tuesday = adherence_by_day([night], states)
    assert (monday.day.isoformat(), monday.adherence, monday.worked_s) == ("2026-11-23", 1.0, 8 * 3600)
    assert tuesday.day.isoformat() == "2026-11-24"
    assert (tuesday.scheduled_s, tuesday.adherence, tuesday.conformance) == (0, None, None)
    assert tuesday.worked_s == tuesday.worked_outside_shift_s == 3600


def test_epoch_seconds_are_local_time_in_the_given_zone() -> None:
    change = state_change("ana", datetime.fromisoformat("2026-11-23T08:00+00:00").timestamp(), "Available", timezone="Europe/Paris")
    assert change == StateChange("ana", at("09:00"), AgentState.AVAILABLE, "")
    aware = state_change("ana", datetime.fromisoformat("2026-11-23T08:00+00:00"), "busy", timezone="Europe/Paris")
    assert aware.at == at("09:00")
    with pytest.raises(ValueError):
        state_change("ana", 0.0, "napping")


def test_totals_weigh_days_by_scheduled_time() -> None:
    other = Shift("ben", "Ben", at("09:00"), at("10:00"), paid_minutes=60)
    states = changes(("09:00", "available"), ("13:00", "offline"))
    days = adherence_by_day([SHIFT, other], states)
    summary = totals(days)
    ana_in = 3.25 * 3600  # available through break and lunch: only the work counts
    assert summary["ana"]["adherence"] == round(ana_in / (4 * 3600), 4)
    assert summary["ben"]["adherence"] == 0.0
    assert summary["*"]["adherence"] == round(ana_in / (5 * 3600), 4)


def test_states_csv(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_text(
        "agent_id,at,state,reason\n"
        "ana,2026-11-23T09:00,available,\n"
        "ana,1795428000,paused,break\n"  # 2026-11-23T10:00Z
    )
    got = load_state_changes(path)
    assert got == changes(("09:00", "available"), ("10:00", "paused", "break"))
    path.write_text("agent_id,at,state\nana,2026-11-23T09:00,asleep\n")
    with pytest.raises(ScheduleInputError, match=r"states.csv:2: field 'state': expected one of offline, available"):
        load_state_changes(path)
    path.write_text("agent_id,at,state\nana,yesterday,available\n")
    with pytest.raises(ScheduleInputError, match=r"states.csv:2: field 'at': expected an ISO date-time or epoch"):
        load_state_changes(path)
