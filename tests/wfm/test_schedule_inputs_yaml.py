"""Rules files read times the way people write them."""

from __future__ import annotations

from pathlib import Path

from helpline.wfm.scheduling.inputs import load_rules

FIXTURE = Path(__file__).parent / "data" / "schedule" / "rules.yaml"


def test_unquoted_clock_times_are_times_not_sexagesimal_numbers(tmp_path: Path) -> None:
    quoted = load_rules(FIXTURE)
    unquoted = tmp_path / "rules.yaml"
    unquoted.write_text(FIXTURE.read_text().replace('{from: "08:00", to: "12:00"', "{from: 8:00, to: 12:00"))
    assert unquoted.read_text() != FIXTURE.read_text()
    assert load_rules(unquoted) == quoted
