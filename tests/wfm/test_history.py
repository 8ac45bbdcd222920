"""The interaction-history importer: interval CSVs and the Anonymous Bank call log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpline.wfm.history import (
    CallLog,
    HistoryError,
    Outcome,
    aggregate_by_queue,
    aggregate_calls,
    parse_bank_log,
    parse_interval,
    parse_interval_csv,
    read_bank_log,
    read_interval_csv,
    resample,
)

DATA = Path(__file__).parent / "data" / "history"
SAMPLE = DATA / "bank_sample.txt"


def csv_lines(*rows: str, header: str | None = "timestamp,count,aht_s") -> list[str]:
    return ([header] if header else []) + list(rows)


# ---------------------------------------------------------------------------------------------
# Interval strings


@pytest.mark.parametrize(("text", "minutes"), [("15min", 15), ("30m", 30), ("1h", 60), ("900s", 15), ("5", 5)])
def test_interval_strings(text: str, minutes: int) -> None:
    assert parse_interval(text) == pd.Timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["7min", "0min", "2d", "abc", "h"])
def test_interval_that_does_not_divide_a_day_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="interval"):
        parse_interval(text)


# ---------------------------------------------------------------------------------------------
# CSV interval counts


def test_csv_reads_counts_and_aht_and_detects_the_interval() -> None:
    series = parse_interval_csv(csv_lines(
        "2024-03-04T08:00:00,12,180", "2024-03-04T08:15:00,9,", "2024-03-04T08:30:00,0,"))
    assert series.interval == pd.Timedelta(minutes=15)
    assert series.frame["arrivals"].tolist() == [12, 9, 0]
    assert series.frame["aht_s"].iloc[0] == 180
    assert np.isnan(series.frame["aht_s"].iloc[1])
    assert series.frame["handled"].tolist() == [12, 0, 0]


def test_csv_without_header_or_aht_column() -> None:
    series = parse_interval_csv(["2024-03-04 08:00,3", "2024-03-04 09:00,4"])
    assert series.interval == pd.Timedelta(hours=1)
    assert series.frame["arrivals"].sum() == 7
    assert series.frame["aht_s"].isna().all()


def test_csv_gaps_of_whole_intervals_and_days_are_closed_hours() -> None:
    series = parse_interval_csv(csv_lines(
        "2024-03-04T08:00:00,5,", "2024-03-04T08:30:00,6,", "2024-03-04T09:00:00,7,",
        "2024-03-04T17:00:00,2,",  # lunch to evening closed
        "2024-03-06T08:00:00,4,",  # a closed day in between
    ))
    assert series.interval == pd.Timedelta(minutes=30)
    assert len(series.frame) == 5


def test_csv_off_grid_timestamp_is_refused_with_its_line() -> None:
    lines = csv_lines("2024-03-04T08:00:00,5,", "2024-03-04T08:15:00,6,", "2024-03-04T08:30:00,7,",
                      "2024-03-04T08:50:00,2,", "2024-03-04T09:00:00,4,")
    with pytest.raises(HistoryError, match="off the 15min grid") as caught:
        parse_interval_csv(lines, source="day.csv")
    assert caught.value.line == 5
    assert str(caught.value).startswith("day.csv:5: timestamp:")


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("2024-03-04T08:30:00,-3,", "count", "negative"),
        ("2024-03-04T08:30:00,many,", "count", "not a number"),
        ("2024-03-04T08:30:00,3,-20", "aht_s", "negative"),
        ("yesterday,3,", "timestamp", "not an ISO"),
        ("2024-03-04T08:15:00,3,", "timestamp", "repeats"),
        ("2024-03-04T07:00:00,3,", "timestamp", "goes back"),
        ("2024-03-04T08:30:00,,", "count", "missing"),
    ],
)
def test_csv_bad_rows_are_refused_with_line_and_field(row: str, field: str, reason: str) -> None:
    lines = csv_lines("2024-03-04T08:00:00,5,", "2024-03-04T08:15:00,6,", row)
    with pytest.raises(HistoryError, match=reason) as caught:
        parse_interval_csv(lines)
    assert caught.value.line == 4
    assert caught.value.field == field


def test_csv_single_row_cannot_tell_the_interval() -> None:
    with pytest.raises(HistoryError, match="at least two rows"):
        parse_interval_csv(csv_lines("2024-03-04T08:00:00,5,"))


def test_read_interval_csv_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("timestamp,count\r\n2024-03-04T08:00:00+02:00,5\r\n2024-03-04T08:05:00+02:00,1\r\n")
    series = read_interval_csv(path)
    # the local wall-clock reading is kept
    assert series.frame.index[0] == pd.Timestamp("2024-03-04 08:00")
    assert series.interval == pd.Timedelta(minutes=5)


def test_resample_adds_counts_and_weights_aht_by_handled_calls() -> None:
    series = parse_interval_csv(csv_lines(
        "2024-03-04T08:00:00,10,100", "2024-03-04T08:15:00,30,200",
        "2024-03-04T08:30:00,0,", "2024-03-04T09:00:00,4,50"))
    hourly = resample(series, pd.Timedelta(hours=1))
    assert hourly.frame["arrivals"].tolist() == [40, 4]
    assert hourly.frame["aht_s"].iloc[0] == pytest.approx(175.0)
    assert hourly.frame["aht_s"].iloc[1] == 50
    with pytest.raises(ValueError, match="whole multiple"):
        resample(series, pd.Timedelta(minutes=10))


# ---------------------------------------------------------------------------------------------
# Anonymous Bank call log (small fixture)


@pytest.fixture(scope="module")
def sample() -> CallLog:
    return read_bank_log(SAMPLE)


def test_bank_sample_reads_calls_and_counts_what_it_skips(sample: CallLog) -> None:
    assert len(sample) == 6
    assert sample.skipped == {
        "PHANTOM (virtual calls, ignored per the data's documentation)": 1,
        "unknown service type 'AA'": 1,
    }
    assert "2 rows skipped" in sample.skipped_summary()
    assert sample.queues() == ["NE", "NW", "PS"]


def test_bank_records_carry_wait_outcome_handle_time_and_agent(sample: CallLog) -> None:
    by_line = {record.line: record for record in sample.records()}
    served = by_line[2]
    assert served.arrival == datetime(1999, 1, 4, 6, 55, 20)
    assert served.offered_at == datetime(1999, 1, 4, 6, 55, 26)
    assert (served.queue, served.priority, served.queued) == ("PS", 2, True)
    assert (served.wait_s, served.outcome, served.handle_s, served.agent) == (17, Outcome.HANDLED, 54, "MICHAL")
    direct = by_line[3]  # served without queueing: offered as it left the voice menu, no wait
    assert (direct.queued, direct.wait_s, direct.offered_at) == (False, 0, datetime(1999, 1, 4, 7, 41, 26))
    abandoned = by_line[4]
    assert (abandoned.outcome, abandoned.wait_s, abandoned.handle_s, abandoned.agent) == (
        Outcome.ABANDONED, 153, None, None)
    ivr = by_line[5]
    assert (ivr.outcome, ivr.offered_at, ivr.customer_id) == (Outcome.LEFT_IN_IVR, None, None)


def test_bank_call_crossing_midnight_and_clock_skew(sample: CallLog) -> None:
    by_line = {record.line: record for record in sample.records()}
    late = by_line[8]
    assert late.offered_at == datetime(1999, 1, 4, 23, 59, 40)
    assert (late.wait_s, late.handle_s) == (173, 1411)
    skewed = by_line[9]  # the voice menu's clock is 10 s behind: offered before the arrival stamp
    assert skewed.offered_at == datetime(1999, 1, 5, 8, 9, 50)
    assert skewed.outcome is Outcome.HANDLED and skewed.agent is None


def test_bank_log_reads_lf_and_crlf_alike() -> None:
    text = SAMPLE.read_text(encoding="latin-1")
    crlf = parse_bank_log(text.splitlines(keepends=True))
    lf = parse_bank_log(text.replace("\r\n", "\n").splitlines(keepends=True))
    pd.testing.assert_frame_equal(crlf.calls, lf.calls)


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (lambda cells: cells[:-1], None, "expected 17 tab-separated fields, got 16"),
        (lambda cells: cells[:6] + ["25:61:00"] + cells[7:], "vru_entry", "cannot read"),
        (lambda cells: cells[:5] + ["991340"] + cells[6:], "date", "cannot read"),
        (lambda cells: cells[:12] + ["ANSWERED"] + cells[13:], "outcome", "unknown outcome"),
        (lambda cells: cells[:11] + ["x"] + cells[12:], "q_time", "cannot read"),
    ],
)
def test_bank_malformed_row_is_refused_with_its_line(edit, field, reason) -> None:  # type: ignore[no-untyped-def]
    lines = SAMPLE.read_text(encoding="latin-1").splitlines()
    cells = lines[3].split("\t")
    lines[3] = "\t".join(edit(cells))
    with pytest.raises(HistoryError, match=reason) as caught:
        parse_bank_log(lines, source="bad.txt")
    assert caught.value.line == 4
    assert caught.value.field == field
    assert str(caught.value).startswith("bad.txt:4:")


def test_bank_log_without_header_is_refused() -> None:
    lines = SAMPLE.read_text(encoding="latin-1").splitlines()[1:]
    with pytest.raises(HistoryError, match="header"):
        parse_bank_log(lines)


def test_aggregation_counts_offered_calls_per_interval_and_day(sample: CallLog) -> None:
    series = aggregate_calls(sample, pd.Timedelta(minutes=30), "PS")
    frame = series.frame
    # both days with any call are complete days of 48 intervals; zeros where quiet
    assert len(frame) == 96
    assert frame["arrivals"].sum() == 3  # two served, one abandoned; PHANTOM and the IVR hang-up out
    assert frame.loc["1999-01-04 06:30", "arrivals"] == 1
    assert frame.loc["1999-01-04 07:30", "arrivals"] == 2
    assert frame.loc["1999-01-04 07:30", "handled"] == 1
    assert frame.loc["1999-01-04 07:30", "aht_s"] == 208
    assert frame.loc["1999-01-05"]["arrivals"].sum() == 0
    everything = aggregate_calls(sample, pd.Timedelta(hours=1))
    assert everything.frame["arrivals"].sum() == 5
    assert everything.frame.loc["1999-01-04 23:00", "aht_s"] == 1411
    with pytest.raises(HistoryError, match="no calls for queue XX"):
        aggregate_calls(sample, pd.Timedelta(hours=1), "XX")


def test_bank_negative_durations_are_refused_but_a_skewed_voice_menu_clock_is_not() -> None:
    lines = SAMPLE.read_text(encoding="latin-1").splitlines()
    cells = lines[1].split("\t")
    cells[15] = "-54"
    with pytest.raises(HistoryError, match="negative duration -54") as caught:
        parse_bank_log([*lines[:1], "\t".join(cells)])
    assert (caught.value.line, caught.value.field) == (2, "ser_time")
    assert len(parse_bank_log(lines)) == 6  # line 9 has vru_time -10


def test_bank_header_with_a_byte_order_mark() -> None:
    lines = SAMPLE.read_text(encoding="latin-1").splitlines()
    assert len(parse_bank_log(["\ufeff" + lines[0], *lines[1:]])) == 6


def test_aggregation_for_every_queue_shares_the_days(sample: CallLog) -> None:
    series = aggregate_by_queue(sample, pd.Timedelta(hours=1))
    assert sorted(series) == ["NE", "NW", "PS"]
    assert {len(one.frame) for one in series.values()} == {48}
    assert series["NW"].frame["arrivals"].sum() == 1  # the other NW call hung up in the voice menu
