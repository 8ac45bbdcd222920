"""The Anonymous Bank 1999 log (January and February) against the published figures.

Brown et al. (2005), "Statistical analysis of a telephone call center", on the regular (PS)
service: mean service time about 3 minutes with a lognormal shape (median about 2 minutes), and
about 20% of queued regular calls abandon. Data: Technion SEELab (Avi Mandelbaum).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpline.wfm.history import CallLog, Outcome, aggregate_calls, read_bank_log, read_bank_logs

BANK = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "anonymous_bank_1999"
MONTHS = [BANK / "january.txt", BANK / "february.txt"]

pytestmark = pytest.mark.skipif(
    not all(path.exists() for path in MONTHS),
    reason=f"Anonymous Bank call log not found in {BANK} (kept outside the repository)",
)


@pytest.fixture(scope="module")
def bank() -> CallLog:
    return read_bank_logs(MONTHS)


def test_every_row_is_read_or_accounted_for(bank: CallLog) -> None:
    # January 31,599 rows; February 33,344 (its last line has no line end)
    assert len(bank) + sum(bank.skipped.values()) == 31_599 + 33_344
    assert bank.skipped["PHANTOM (virtual calls, ignored per the data's documentation)"] == 240 + 278
    assert bank.skipped["unknown service type 'AA'"] == 2
    assert bank.queues() == ["IN", "NE", "NW", "PE", "PS", "TT"]


def test_line_numbers_point_into_the_file(bank: CallLog) -> None:
    january = read_bank_log(MONTHS[0])
    lines = MONTHS[0].read_text(encoding="latin-1").splitlines()
    record = next(january.for_queue("NE").records())
    cells = lines[record.line - 1].split("\t")
    assert cells[4] == "NE"
    assert cells[5] == f"{record.arrival:%y%m%d}"
    assert cells[6] == f"{record.arrival:%-H:%M:%S}"


def test_regular_service_time_is_about_three_minutes_and_lognormal(bank: CallLog) -> None:
    calls = bank.calls
    served = calls[(calls["queue"] == "PS") & (calls["outcome"] == Outcome.HANDLED.value)]["handle_s"]
    assert 170 <= served.mean() <= 200  # about 3 minutes
    assert 110 <= served.median() <= 130  # about 2 minutes: a long right tail
    # Very short services (under 10 s) are a separate phenomenon in the paper; the rest is lognormal.
    body = served[served >= 10].to_numpy()
    logs = np.log(body)
    assert abs(stats.skew(logs)) < 0.3
    assert abs(stats.kurtosis(logs)) < 0.3
    shape, _, scale = stats.lognorm.fit(body, floc=0)
    lognormal_gap = stats.kstest(body, "lognorm", args=(shape, 0, scale)).statistic
    exponential_gap = stats.kstest(body, "expon", args=(0, body.mean())).statistic
    assert lognormal_gap < 0.04 < exponential_gap


def test_about_a_fifth_of_queued_regular_calls_abandon(bank: CallLog) -> None:
    calls = bank.calls
    queued = calls[(calls["queue"] == "PS") & calls["queued"]]
    abandoned = queued["outcome"] == Outcome.ABANDONED.value
    regular = queued["priority"] == 1
    assert 0.17 <= abandoned[regular].mean() <= 0.23
    # high-priority customers get 1.5 minutes' head start in the queue and abandon less
    assert abandoned[queued["priority"] == 2].mean() < abandoned[regular].mean()
    everyone = calls[calls["queued"]]["outcome"] == Outcome.ABANDONED.value
    assert 0.17 <= everyone.mean() <= 0.23


def test_interval_series_follow_the_opening_hours(bank: CallLog) -> None:
    hourly = aggregate_calls(bank, pd.Timedelta(hours=1), "PS").frame["arrivals"]
    assert hourly.sum() == ((bank.calls["queue"] == "PS") & bank.calls["offered_at"].notna()).sum()
    by_hour = hourly.groupby(hourly.index.hour).mean()
    # staffed 7:00 to midnight on weekdays: the small hours carry almost nothing
    assert by_hour.loc[2:5].sum() < 0.02 * by_hour.sum()
    # closed from Friday 14:00 to Saturday evening (the week runs Sunday to Thursday)
    saturday_noon = hourly[(hourly.index.weekday == 5) & (hourly.index.hour == 12)]
    sunday_noon = hourly[(hourly.index.weekday == 6) & (hourly.index.hour == 12)]
    assert saturday_noon.sum() < 0.05 * sunday_noon.sum()
