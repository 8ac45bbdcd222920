"""Business hours and holidays across time zones, overnight shifts and DST edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from helpline.core.config import OpenHours, QueueConfig
from helpline.core.hours import Schedule, UnknownTimezone, is_open, schedule_of, valid_timezone

WEEKDAYS = OpenHours((1, 2, 3, 4, 5), time(8), time(18))
AMS = "Europe/Amsterdam"
NYC = "America/New_York"


def at(tz: str, *args: int) -> float:
    return datetime(*args, tzinfo=ZoneInfo(tz)).timestamp()  # type: ignore[misc]


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at(AMS, 2026, 11, 23, 7, 59, 59), False),  # Monday, a second before opening
        (at(AMS, 2026, 11, 23, 8, 0, 0), True),
        (at(AMS, 2026, 11, 23, 17, 59, 59), True),
        (at(AMS, 2026, 11, 23, 18, 0, 0), False),  # closing time is exclusive
        (at(AMS, 2026, 11, 28, 12, 0, 0), False),  # Saturday
    ],
)
def test_weekday_hours_in_local_time(when: float, expected: bool) -> None:
    assert is_open((WEEKDAYS,), (), AMS, when) is expected


def test_one_instant_is_open_in_one_zone_and_closed_in_another() -> None:
    noon_utc = utc(2026, 11, 23, 12, 0)  # 13:00 in Amsterdam, 07:00 in New York
    assert is_open((WEEKDAYS,), (), AMS, noon_utc)
    assert not is_open((WEEKDAYS,), (), NYC, noon_utc)
    assert is_open((WEEKDAYS,), (), NYC, noon_utc + 3600)  # 08:00 in New York


def test_spring_forward_moves_opening_by_an_hour_in_utc() -> None:
    daily = OpenHours(tuple(range(1, 8)), time(8), time(18))
    # 06:30 UTC is 07:30 CET on Saturday (closed) but 08:30 CEST on Sunday, after the change.
    assert not is_open((daily,), (), AMS, utc(2026, 3, 28, 6, 30))
    assert is_open((daily,), (), AMS, utc(2026, 3, 29, 6, 30))
    assert not is_open((daily,), (), AMS, utc(2026, 3, 29, 5, 59, 59))


def test_hours_inside_the_skipped_hour_are_never_open_on_that_night() -> None:
    night = OpenHours((7,), time(2, 15), time(2, 45))  # Sunday 02:15-02:45 does not exist on 29 March
    instants = [utc(2026, 3, 29, 0, 0) + 60 * m for m in range(0, 180)]
    assert not any(is_open((night,), (), AMS, t) for t in instants)


def test_repeated_autumn_hour_is_open_both_times() -> None:
    night = OpenHours((7,), time(2), time(3))  # Sunday 25 October 2026: 02:00-03:00 happens twice
    assert is_open((night,), (), AMS, utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert is_open((night,), (), AMS, utc(2026, 10, 25, 1, 30))  # 02:30 CET
    assert not is_open((night,), (), AMS, utc(2026, 10, 25, 2, 0))  # 03:00 CET
    assert not is_open((night,), (), AMS, utc(2026, 10, 24, 23, 59))  # 01:59 CEST


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at(NYC, 2026, 11, 27, 21, 59), False),  # Friday before the shift
        (at(NYC, 2026, 11, 27, 23, 0), True),  # Friday evening
        (at(NYC, 2026, 11, 28, 5, 59), True),  # Saturday morning, still Friday's shift
        (at(NYC, 2026, 11, 28, 6, 0), False),
        (at(NYC, 2026, 11, 26, 23, 0), False),  # Thursday has no night shift
        (at(NYC, 2026, 11, 27, 3, 0), False),  # Friday morning belongs to Thursday's (absent) shift
    ],
)
def test_overnight_shift(when: float, expected: bool) -> None:
    friday_night = OpenHours((5,), time(22), time(6))
    assert is_open((friday_night,), (), NYC, when) is expected


def test_holiday_closes_the_local_day_including_an_overnight_tail() -> None:
    nights = OpenHours(tuple(range(1, 8)), time(20), time(4))
    christmas = (date(2026, 12, 25),)
    assert is_open((nights,), christmas, AMS, at(AMS, 2026, 12, 24, 23, 0))
    assert not is_open((nights,), christmas, AMS, at(AMS, 2026, 12, 25, 1, 0))
    assert not is_open((nights,), christmas, AMS, at(AMS, 2026, 12, 25, 21, 0))
    assert is_open((nights,), christmas, AMS, at(AMS, 2026, 12, 26, 1, 0))


def test_holiday_is_a_local_date_not_a_utc_date() -> None:
    christmas = (date(2026, 12, 25),)
    # 23:30 UTC on the 24th is already the 25th in Amsterdam, still the 24th in New York.
    instant = utc(2026, 12, 24, 23, 30)
    assert not is_open((), christmas, AMS, instant)
    assert is_open((), christmas, NYC, instant)


def test_no_hours_means_always_open_and_equal_times_mean_24_hours() -> None:
    assert is_open((), (), "UTC", utc(2026, 11, 29, 3, 0))
    full_day = OpenHours((1,), time(0), time(0))
    assert is_open((full_day,), (), "UTC", utc(2026, 11, 23, 0, 0))
    assert is_open((full_day,), (), "UTC", utc(2026, 11, 23, 23, 59, 59))
    assert not is_open((full_day,), (), "UTC", utc(2026, 11, 24, 0, 0))


def test_schedule_of_a_queue_and_unknown_zones() -> None:
    queue = QueueConfig("billing", timezone=NYC, hours=(WEEKDAYS,), holidays=(date(2026, 11, 26),))
    schedule = schedule_of(queue)
    assert schedule == Schedule(NYC, (WEEKDAYS,), (date(2026, 11, 26),))
    assert not schedule.is_open(at(NYC, 2026, 11, 26, 10, 0))  # Thanksgiving
    assert schedule.is_open(at(NYC, 2026, 11, 27, 10, 0))
    assert not valid_timezone("Mars/Olympus_Mons")
    assert valid_timezone(AMS)
    with pytest.raises(UnknownTimezone, match="Mars"):
        is_open((), (), "Mars/Olympus_Mons", 0.0)
