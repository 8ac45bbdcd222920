"""Reading the scheduler's inputs: the requirement CSV, the agents (YAML or CSV), the shift rules.

Every error names the file, the line and the field, so an operator can fix the file at once.

Requirement CSV: ``interval_start,required[,skill]`` (``queue`` is read as ``skill``; other
columns are ignored, so the output of ``helpline wfm staff`` reads as is).

Agents YAML (a list, or a mapping with an ``agents`` list)::

    - id: ana
      name: Ana Lima
      skills: [billing, tech]          # or {billing: 3}; a list in CSV: "billing;tech"
      contract: full-time              # a contract named in the rules, or none
      max_hours_week: 40               # overrides the contract
      days_off_per_week: 2
      unavailable: [2026-11-24, sat, "2026-11-25 13:00-17:00", "fri 16:00-24:00"]

Rules YAML::

    slot_minutes: 15
    interval_minutes: 30               # else taken from the requirement
    timezone: Europe/Lisbon            # optional; .ics times are then given in UTC
    shift:
      starts: {from: "07:00", to: "12:00", every: 30}   # or a list of "HH:MM"
      lengths_hours: [4, 6, 8, 9]
      min_rest_hours: 11
    breaks:
      - {kind: break, minutes: 15, window: [90, 150], min_shift_hours: 4}
      - {kind: lunch, minutes: 60, window: [180, 300], min_shift_hours: 8.5, paid: false}
    weights: {under: 10, over: 1}
    coverage_floor: 0.0
    defaults: {min_hours_week: 0, max_hours_week: 40, max_hours_day: 9, days_off_per_week: 2}
    contracts:
      part-time: {min_hours_week: 16, max_hours_week: 24, days_off_per_week: 3}
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from helpline.wfm.adherence import AgentState, StateChange, state_change
from helpline.wfm.scheduling.model import (
    ActivityKind,
    BreakRule,
    Contract,
    Requirement,
    SchedAgent,
    ShiftRules,
    Unavailability,
)
from helpline.yaml_rules import use_plain_scalars

WEEKDAYS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}


class ScheduleInputError(ValueError):
    def __init__(self, path: Path | str, line: int | None, field: str | None, message: str) -> None:
        where = str(path) + (f":{line}" if line else "")
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {message}")
        self.path = str(path)
        self.line = line
        self.field = field


class _LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    out = _LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates and times stay strings (the parsers below give better messages than YAML's implicit
# types), and 9:30 is a time, not YAML 1.1's sexagesimal 570.
use_plain_scalars(_LineLoader, timestamps=False)


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScheduleInputError(path, None, None, f"cannot read: {exc.strerror}") from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScheduleInputError(path, mark.line + 1 if mark else None, None, f"not valid YAML: {exc}") from exc


def _line_of(data: Any, key: str | None = None) -> int | None:
    if isinstance(data, _LineDict):
        return data.key_lines.get(key, data.line) if key else data.line
    return None


class _Fields:
    """Typed access to one record (a YAML mapping or a CSV row) with located errors."""

    def __init__(self, path: Path, data: Mapping[str, Any], line: int | None = None) -> None:
        self.path = path
        self.data = data
        self.line = line

    def error(self, key: str | None, message: str) -> ScheduleInputError:
        line = self.line if self.line is not None else _line_of(self.data, key)
        return ScheduleInputError(self.path, line, key, message)

    def has(self, key: str) -> bool:
        value = self.data.get(key)
        return value is not None and value != ""

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        return default if value is None else str(value).strip()

    def number(self, key: str, default: float | None = None, minimum: float = 0.0) -> float | None:
        if not self.has(key):
            return default
        raw = self.data[key]
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise self.error(key, f"expected a number, got {raw!r}") from None
        if value < minimum:
            raise self.error(key, f"must be at least {minimum:g}, got {value:g}")
        return value

    def integer(self, key: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.number(key, None, minimum)
        if value is None:
            return default
        if value != int(value) or (maximum is not None and value > maximum):
            bound = f" between {minimum} and {maximum}" if maximum is not None else ""
            raise self.error(key, f"expected a whole number{bound}, got {self.data[key]!r}")
        return int(value)

    def boolean(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        raw = self.data[key]
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise self.error(key, f"expected true or false, got {raw!r}")

    def items(self, key: str) -> list[Any]:
        """A list field: a YAML list, or a string split on ``;`` and ``,``."""
        raw = self.data.get(key)
        if raw is None or raw == "":
            return []
        if isinstance(raw, list):
            return raw
        if isinstance(raw, str):
            return [p.strip() for p in re.split(r"[;,]", raw) if p.strip()]
        return [raw]


def parse_clock(text: str) -> time:
    """``HH:MM``; ``24:00`` is accepted as the end of the day and returned as midnight."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and m.group(2) != "00"):
        raise ValueError(f"expected HH:MM, got {text!r}")
    return time(int(m.group(1)) % 24, int(m.group(2)))


def parse_unavailability(text: str) -> Unavailability:
    """``2026-11-24``, ``sat``, ``2026-11-25 13:00-17:00`` or ``fri 16:00-24:00``."""
    parts = str(text).strip().split()
    if not parts or len(parts) > 2:
        raise ValueError(f"expected a date or weekday and an optional HH:MM-HH:MM window, got {text!r}")
    head = parts[0].lower()
    day: date | None = None
    weekday: int | None = None
    if head in WEEKDAYS:
        weekday = WEEKDAYS[head]
    else:
        try:
            day = date.fromisoformat(head)
        except ValueError:
            raise ValueError(f"expected a date (YYYY-MM-DD) or a weekday name, got {parts[0]!r}") from None
    start = end = None
    if len(parts) == 2:
        window = parts[1].split("-")
        if len(window) != 2:
            raise ValueError(f"expected a window HH:MM-HH:MM, got {parts[1]!r}")
        start, end = parse_clock(window[0]), parse_clock(window[1])
        if end != time(0) and end <= start:
            raise ValueError(f"the window {parts[1]!r} ends before it starts")
    return Unavailability(day=day, weekday=weekday, start=start, end=end)


def parse_instant(text: str) -> datetime:
    """An ISO date-time; an offset, if given, is dropped after converting to that local time."""
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=None)


# --- requirement -----------------------------------------------------------------------------


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ScheduleInputError(path, None, None, f"cannot read: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ScheduleInputError(path, 1, None, "empty file: expected a header line")
        reader.fieldnames = [f.strip().lower() for f in reader.fieldnames]
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}


def load_requirements(path: Path) -> list[Requirement]:
    out: list[Requirement] = []
    seen: dict[tuple[datetime, str], int] = {}
    header_checked = False
    for line, row in _csv_rows(path):
        if not header_checked:
            header_checked = True
            if "interval_start" not in row and "start" not in row:
                raise ScheduleInputError(path, 1, "interval_start", "missing column")
            if "required" not in row and "agents" not in row:
                raise ScheduleInputError(path, 1, "required", "missing column")
        start_key = "interval_start" if "interval_start" in row else "start"
        req_key = "required" if "required" in row else "agents"
        try:
            start = parse_instant(row[start_key])
        except ValueError:
            raise ScheduleInputError(path, line, start_key, f"expected an ISO date-time, got {row[start_key]!r}") from None
        fields = _Fields(path, row, line)
        required = fields.number(req_key)
        if required is None:
            raise ScheduleInputError(path, line, req_key, "missing value")
        skill = row.get("skill") or row.get("queue") or ""
        key = (start, skill)
        if key in seen:
            raise ScheduleInputError(
                path, line, start_key, f"interval {start:%Y-%m-%d %H:%M} {skill!r} repeats line {seen[key]}"
            )
        seen[key] = line
        out.append(Requirement(start=start, required=required, skill=skill))
    if not out:
        raise ScheduleInputError(path, None, None, "no intervals")
    return sorted(out, key=lambda r: (r.start, r.skill))


# --- agents ----------------------------------------------------------------------------------


def _agent(fields: _Fields, rules: ShiftRules) -> SchedAgent:
    agent_id = fields.text("id")
    if not agent_id:
        raise fields.error("id", "missing")
    raw_skills = fields.data.get("skills")
    if isinstance(raw_skills, Mapping):
        skills = frozenset(str(k) for k in raw_skills)
    else:
        skills = frozenset(str(s) for s in fields.items("skills"))
    contract_name = fields.text("contract")
    if contract_name:
        if contract_name not in rules.contracts:
            known = ", ".join(sorted(rules.contracts)) or "none defined in the rules"
            raise fields.error("contract", f"unknown contract {contract_name!r} (known: {known})")
        contract = rules.contracts[contract_name]
    else:
        contract = rules.default_contract
    contract = _contract(fields, contract)
    unavailable = []
    for item in fields.items("unavailable"):
        try:
            unavailable.append(parse_unavailability(str(item)))
        except ValueError as exc:
            raise fields.error("unavailable", str(exc)) from None
    return SchedAgent(
        id=agent_id,
        name=fields.text("name"),
        skills=skills,
        contract=contract,
        contract_name=contract_name,
        unavailable=tuple(unavailable),
    )


def _contract(fields: _Fields, base: Contract) -> Contract:
    values: dict[str, Any] = {}
    for key in ("min_hours_week", "max_hours_week", "min_hours_day", "max_hours_day"):
        if fields.has(key):
            values[key] = fields.number(key)
            limit = 24 if key.endswith("_day") else 168
            if values[key] > limit:
                raise fields.error(key, f"must be at most {limit} h, got {values[key]:g}")
    if fields.has("days_off_per_week"):
        values["days_off_per_week"] = fields.integer("days_off_per_week", 0, 0, 7)
    merged = replace(base, **values)
    for low, high in (("min_hours_week", "max_hours_week"), ("min_hours_day", "max_hours_day")):
        lo, hi = getattr(merged, low), getattr(merged, high)
        if lo is not None and hi is not None and lo > hi:
            key = low if low in values else high
            raise fields.error(key, f"{low} ({lo:g}) is above {high} ({hi:g})")
    return merged


def load_agents(path: Path, rules: ShiftRules) -> list[SchedAgent]:
    agents: list[SchedAgent] = []
    if path.suffix.lower() == ".csv":
        for line, row in _csv_rows(path):
            agents.append(_agent(_Fields(path, row, line), rules))
        lines = [line for line, _ in _csv_rows(path)]
    else:
        data = _load_yaml(path)
        if isinstance(data, Mapping) and "agents" in data:
            data = data["agents"]
        if not isinstance(data, list):
            raise ScheduleInputError(path, _line_of(data), "agents", "expected a list of agents")
        lines = []
        for item in data:
            if not isinstance(item, Mapping):
                raise ScheduleInputError(path, None, None, f"expected an agent mapping, got {item!r}")
            agents.append(_agent(_Fields(path, item), rules))
            lines.append(_line_of(item) or 0)
    if not agents:
        raise ScheduleInputError(path, None, None, "no agents")
    seen: dict[str, int] = {}
    for agent, line in zip(agents, lines, strict=True):
        if agent.id in seen:
            raise ScheduleInputError(path, line, "id", f"agent {agent.id!r} repeats line {seen[agent.id]}")
        seen[agent.id] = line
    return agents


# --- rules -----------------------------------------------------------------------------------


def _start_times(fields: _Fields, key: str) -> tuple[time, ...]:
    raw = fields.data.get(key)
    try:
        if isinstance(raw, Mapping):
            first = parse_clock(str(raw.get("from", "")))
            last = parse_clock(str(raw.get("to", "")))
            every = int(raw.get("every", 30))
            if every <= 0:
                raise ValueError("'every' must be a positive number of minutes")
            out = []
            cursor = datetime.combine(date(2000, 1, 3), first)
            end = datetime.combine(date(2000, 1, 3), last)
            while cursor <= end:
                out.append(cursor.time())
                cursor += timedelta(minutes=every)
            return tuple(out)
        return tuple(parse_clock(str(t)) for t in fields.items(key))
    except (ValueError, TypeError) as exc:
        raise fields.error(key, str(exc)) from None


def _break_rule(path: Path, item: Any, index: int) -> BreakRule:
    if not isinstance(item, Mapping):
        raise ScheduleInputError(path, None, f"breaks[{index}]", f"expected a mapping, got {item!r}")
    fields = _Fields(path, item)
    kind_text = fields.text("kind", "break").lower()
    if kind_text not in (ActivityKind.BREAK, ActivityKind.LUNCH):
        raise fields.error("kind", f"expected break or lunch, got {kind_text!r}")
    minutes = fields.integer("minutes", 15, 1, 240)
    window = item.get("window")
    if not isinstance(window, list) or len(window) != 2:
        raise fields.error("window", "expected [earliest, latest] minutes after the shift start")
    try:
        earliest, latest = int(window[0]), int(window[1])
    except (TypeError, ValueError):
        raise fields.error("window", f"expected two whole numbers of minutes, got {window!r}") from None
    if earliest < 0 or latest < earliest:
        raise fields.error("window", f"expected 0 <= earliest <= latest, got {window!r}")
    return BreakRule(
        kind=ActivityKind(kind_text),
        minutes=minutes,
        earliest_min=earliest,
        latest_min=latest,
        min_shift_hours=fields.number("min_shift_hours", 0.0) or 0.0,
        max_shift_hours=fields.number("max_shift_hours"),
        paid=fields.boolean("paid", kind_text != ActivityKind.LUNCH),
    )


def load_rules(path: Path | None) -> ShiftRules:
    if path is None:
        return ShiftRules()
    data = _load_yaml(path)
    if data is None:
        return ShiftRules()
    if not isinstance(data, Mapping):
        raise ScheduleInputError(path, None, None, "expected a mapping of rules")
    top = _Fields(path, data)
    values: dict[str, Any] = {}
    if top.has("slot_minutes"):
        values["slot_min"] = top.integer("slot_minutes", 15, 1, 60)
    if top.has("interval_minutes"):
        values["interval_min"] = top.integer("interval_minutes", 30, 1, 1440)
    if top.has("timezone"):
        values["timezone"] = top.text("timezone")
    if top.has("coverage_floor"):
        floor = top.number("coverage_floor", 0.0) or 0.0
        if floor > 1:
            raise top.error("coverage_floor", f"expected a share between 0 and 1, got {floor:g}")
        values["coverage_floor"] = floor
    shift = data.get("shift") or {}
    if not isinstance(shift, Mapping):
        raise top.error("shift", "expected a mapping")
    sf = _Fields(path, shift)
    if sf.has("starts"):
        values["start_times"] = _start_times(sf, "starts")
        if not values["start_times"]:
            raise sf.error("starts", "no start times")
    if sf.has("lengths_hours"):
        lengths = []
        for raw in sf.items("lengths_hours"):
            try:
                hours = float(raw)
            except (TypeError, ValueError):
                raise sf.error("lengths_hours", f"expected hours, got {raw!r}") from None
            if not 0 < hours <= 24:
                raise sf.error("lengths_hours", f"expected hours between 0 and 24, got {raw!r}")
            lengths.append(round(hours * 60))
        values["lengths_min"] = tuple(sorted(set(lengths)))
    if sf.has("min_rest_hours"):
        values["min_rest_hours"] = sf.number("min_rest_hours", 0.0)
    if "breaks" in data:
        raw_breaks = data["breaks"] or []
        if not isinstance(raw_breaks, list):
            raise top.error("breaks", "expected a list")
        values["breaks"] = tuple(_break_rule(path, item, i) for i, item in enumerate(raw_breaks))
    weights = data.get("weights") or {}
    if not isinstance(weights, Mapping):
        raise top.error("weights", "expected a mapping with under and over")
    wf = _Fields(path, weights)
    if wf.has("under"):
        values["under_weight"] = wf.integer("under", 10, 0, 10_000)
    if wf.has("over"):
        values["over_weight"] = wf.integer("over", 1, 0, 10_000)
    default_contract = Contract()
    if "defaults" in data:
        if not isinstance(data["defaults"], Mapping):
            raise top.error("defaults", "expected a mapping")
        default_contract = _contract(_Fields(path, data["defaults"]), Contract())
    values["default_contract"] = default_contract
    contracts: dict[str, Contract] = {}
    raw_contracts = data.get("contracts") or {}
    if not isinstance(raw_contracts, Mapping):
        raise top.error("contracts", "expected a mapping of contract name to limits")
    for name, spec in raw_contracts.items():
        if not isinstance(spec, Mapping):
            raise ScheduleInputError(path, _line_of(raw_contracts, name), f"contracts.{name}", "expected a mapping")
        contracts[str(name)] = _contract(_Fields(path, spec), default_contract)
    values["contracts"] = contracts
    rules = ShiftRules(**values)
    if rules.interval_min is not None and rules.interval_min % rules.slot_min:
        raise top.error("interval_minutes", f"must be a multiple of slot_minutes ({rules.slot_min})")
    for b in rules.breaks:
        if b.minutes % rules.slot_min or b.earliest_min % rules.slot_min:
            raise top.error("breaks", f"break lengths and windows must be multiples of {rules.slot_min} minutes")
    for length in rules.lengths_min:
        if length % rules.slot_min:
            raise sf.error("lengths_hours", f"shift lengths must be multiples of {rules.slot_min} minutes")
    for t in rules.start_times:
        if (t.hour * 60 + t.minute) % rules.slot_min:
            raise sf.error("starts", f"start {t:%H:%M} is not on the {rules.slot_min}-minute grid")
    return rules


# --- agent states (for adherence) ------------------------------------------------------------


def load_state_changes(path: Path, timezone: str | None = None) -> list[StateChange]:
    """``agent_id,at,state[,reason]``; ``at`` is an ISO date-time or epoch seconds."""
    out: list[StateChange] = []
    first = True
    for line, row in _csv_rows(path):
        if first:
            first = False
            for column in ("agent_id", "at", "state"):
                if column not in row:
                    raise ScheduleInputError(path, 1, column, "missing column")
        if not row["agent_id"]:
            raise ScheduleInputError(path, line, "agent_id", "missing")
        raw_at = row["at"]
        at: datetime | float
        try:
            at = float(raw_at)
        except ValueError:
            try:
                at = datetime.fromisoformat(raw_at)
            except ValueError:
                raise ScheduleInputError(
                    path, line, "at", f"expected an ISO date-time or epoch seconds, got {raw_at!r}"
                ) from None
        try:
            out.append(state_change(row["agent_id"], at, row["state"], row.get("reason", ""), timezone))
        except ValueError:
            known = ", ".join(s.value for s in AgentState)
            raise ScheduleInputError(path, line, "state", f"expected one of {known}, got {row['state']!r}") from None
    return out
