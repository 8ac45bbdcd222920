"""Schedule adherence and conformance, per agent per day, from agent-state changes.

Pure functions over plain records. The caller maps the routing core's agent-state events to
``StateChange`` (agent, time, state, pause reason) and the schedule to shifts.

Definitions (the metric in the design: adherence = time in scheduled state / scheduled time):

- An agent's state holds from one change to their next change, the last one until ``until``
  (by default the end of the last shift or change). Before an agent's first change they are
  offline. Only the scheduled time before ``until`` counts, so a report run during the day
  covers the day so far.
- The scheduled activities of a shift tile it: work, break, lunch. Time outside shifts is
  "off" and is not scheduled time.
- In adherence during **work**: available, reserved, busy or wrap-up. During a **break** or
  **lunch**: paused with a matching reason (``break`` / ``lunch`` by default, case-insensitive)
  or offline. Anything else is out of adherence: paused for another reason at work time, still
  on a call or available during a break, offline when due at work.
- **Adherence** = time in adherence / scheduled time (work + breaks + lunch), per shift day.
- **Conformance** = worked time / scheduled work time, where worked time is time available,
  reserved, busy or wrap-up at any hour: inside a shift it counts for the shift's day, outside
  shifts for the calendar day it falls on. Conformance shows whether the hours were worked at
  all, whenever; it can exceed 100 %.

A day is the date a shift starts on; a shift crossing midnight stays whole on its start day.
Days on which an agent worked with no shift appear with no scheduled time (adherence ``None``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from helpline.wfm.scheduling.model import ActivityKind, Shift


class AgentState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RESERVED = "reserved"
    BUSY = "busy"
    WRAP_UP = "wrap-up"
    PAUSED = "paused"


WORK_STATES = frozenset({AgentState.AVAILABLE, AgentState.RESERVED, AgentState.BUSY, AgentState.WRAP_UP})


@dataclass(frozen=True, slots=True)
class StateChange:
    agent_id: str
    at: datetime  # naive, the site's local time, like the schedule
    state: AgentState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AdherencePolicy:
    work_states: frozenset[AgentState] = WORK_STATES
    pause_reasons: Mapping[ActivityKind, frozenset[str]] = field(
        default_factory=lambda: {ActivityKind.BREAK: frozenset({"break"}), ActivityKind.LUNCH: frozenset({"lunch"})}
    )
    offline_on_break: bool = True

    def adheres(self, kind: ActivityKind, state: AgentState, reason: str) -> bool:
        if kind == ActivityKind.WORK:
            return state in self.work_states
        if kind in (ActivityKind.BREAK, ActivityKind.LUNCH):
            if state == AgentState.OFFLINE:
                return self.offline_on_break
            return state == AgentState.PAUSED and reason.strip().lower() in self.pause_reasons.get(kind, frozenset())
        return False


@dataclass(frozen=True, slots=True)
class DayAdherence:
    agent_id: str
    day: date
    scheduled_s: float
    in_adherence_s: float
    scheduled_work_s: float
    worked_s: float
    worked_outside_shift_s: float
    by_kind: Mapping[ActivityKind, tuple[float, float]]  # kind -> (scheduled s, in adherence s)

    @property
    def adherence(self) -> float | None:
        return self.in_adherence_s / self.scheduled_s if self.scheduled_s else None

    @property
    def conformance(self) -> float | None:
        return self.worked_s / self.scheduled_work_s if self.scheduled_work_s else None

    def as_dict(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "day": self.day.isoformat(),
            "scheduled_s": self.scheduled_s,
            "in_adherence_s": self.in_adherence_s,
            "adherence": None if self.adherence is None else round(self.adherence, 4),
            "scheduled_work_s": self.scheduled_work_s,
            "worked_s": self.worked_s,
            "worked_outside_shift_s": self.worked_outside_shift_s,
            "conformance": None if self.conformance is None else round(self.conformance, 4),
            "by_kind": {k.value: {"scheduled_s": v[0], "in_adherence_s": v[1]} for k, v in self.by_kind.items()},
        }


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    end: datetime
    state: AgentState
    reason: str = ""


def state_change(
    agent_id: str, at: datetime | float, state: str, reason: str = "", timezone: str | None = None
) -> StateChange:
    """A record from its plain fields; epoch seconds become local time in ``timezone`` (UTC if none).

    An aware datetime is converted to ``timezone`` too; a naive one is taken as local already.
    """
    zone = ZoneInfo(timezone) if timezone else UTC
    if isinstance(at, int | float):
        local = datetime.fromtimestamp(float(at), tz=UTC).astimezone(zone).replace(tzinfo=None)
    elif at.tzinfo is not None:
        local = at.astimezone(zone).replace(tzinfo=None)
    else:
        local = at
    return StateChange(agent_id, local, AgentState(state.strip().lower()), reason.strip())


def segments(changes: Iterable[StateChange], until: datetime, since: datetime | None = None) -> list[Segment]:
    """One agent's changes as back-to-back segments, offline from ``since`` to the first change."""
    ordered = sorted(changes, key=lambda c: c.at)
    out: list[Segment] = []
    if since is not None and (not ordered or since < ordered[0].at):
        first = ordered[0].at if ordered else until
        if since < min(first, until):
            out.append(Segment(since, min(first, until), AgentState.OFFLINE))
    for change, next_at in zip(ordered, [*(c.at for c in ordered[1:]), until], strict=False):
        end = min(next_at, until)
        if end > change.at:
            out.append(Segment(change.at, end, change.state, change.reason))
    return out


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> float:
    return max(0.0, (min(a_end, b_end) - max(a_start, b_start)).total_seconds())


def _split_by_day(start: datetime, end: datetime) -> list[tuple[date, float]]:
    out = []
    cursor = start
    while cursor < end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time())
        stop = min(end, midnight)
        out.append((cursor.date(), (stop - cursor).total_seconds()))
        cursor = stop
    return out


def _outside(start: datetime, end: datetime, spans: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    pieces = [(start, end)]
    for s, e in spans:
        nxt = []
        for a, b in pieces:
            if e <= a or b <= s:
                nxt.append((a, b))
                continue
            if a < s:
                nxt.append((a, s))
            if e < b:
                nxt.append((e, b))
        pieces = nxt
    return pieces


def _during(segs: Sequence[Segment], starts: Sequence[datetime], start: datetime, end: datetime) -> Iterable[Segment]:
    """The segments overlapping [start, end), found by bisection on their starts."""
    i = max(0, bisect_right(starts, start) - 1)
    while i < len(segs) and segs[i].start < end:
        yield segs[i]
        i += 1


def adherence_by_day(
    shifts: Sequence[Shift],
    changes: Sequence[StateChange],
    until: datetime | None = None,
    policy: AdherencePolicy = AdherencePolicy(),
) -> list[DayAdherence]:
    """Adherence and conformance for every agent and day with a shift or with worked time."""
    if until is None:
        ends = [s.end for s in shifts] + [c.at for c in changes]
        if not ends:
            return []
        until = max(ends)
    shifts_by_agent: dict[str, list[Shift]] = defaultdict(list)
    for s in shifts:
        shifts_by_agent[s.agent_id].append(s)
    changes_by_agent: dict[str, list[StateChange]] = defaultdict(list)
    for c in changes:
        changes_by_agent[c.agent_id].append(c)

    out: list[DayAdherence] = []
    for agent_id in sorted(set(shifts_by_agent) | set(changes_by_agent)):
        agent_shifts = sorted(shifts_by_agent.get(agent_id, []), key=lambda s: s.start)
        agent_changes = changes_by_agent.get(agent_id, [])
        starts = [s.start for s in agent_shifts] + [c.at for c in agent_changes]
        segs = segments(agent_changes, until, since=min(starts))
        scheduled: dict[date, dict[ActivityKind, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
        worked: dict[date, float] = defaultdict(float)
        outside: dict[date, float] = defaultdict(float)
        seg_starts = [seg.start for seg in segs]
        for shift in agent_shifts:
            if shift.start >= until:
                continue  # not started yet: nothing is scheduled so far
            planned = scheduled[shift.day]
            for activity in shift.activities():
                end = min(activity.end, until)
                if end <= activity.start:
                    continue
                acc = planned[activity.kind]
                acc[0] += (end - activity.start).total_seconds()
                for seg in _during(segs, seg_starts, activity.start, end):
                    if policy.adheres(activity.kind, seg.state, seg.reason):
                        acc[1] += _overlap(activity.start, end, seg.start, seg.end)
            for seg in _during(segs, seg_starts, shift.start, shift.end):
                if seg.state in policy.work_states:
                    worked[shift.day] += _overlap(seg.start, seg.end, shift.start, shift.end)
        spans = [(s.start, s.end) for s in agent_shifts]
        for seg in segs:
            if seg.state not in policy.work_states:
                continue
            for a, b in _outside(seg.start, seg.end, spans):
                for on, seconds in _split_by_day(a, b):
                    worked[on] += seconds
                    outside[on] += seconds
        for day in sorted(set(scheduled) | {d for d, v in worked.items() if v > 0}):
            kinds = scheduled.get(day, {})
            out.append(
                DayAdherence(
                    agent_id=agent_id,
                    day=day,
                    scheduled_s=sum(v[0] for v in kinds.values()),
                    in_adherence_s=sum(v[1] for v in kinds.values()),
                    scheduled_work_s=kinds[ActivityKind.WORK][0] if ActivityKind.WORK in kinds else 0.0,
                    worked_s=worked.get(day, 0.0),
                    worked_outside_shift_s=outside.get(day, 0.0),
                    by_kind={k: (v[0], v[1]) for k, v in kinds.items()},
                )
            )
    return out


def totals(days: Iterable[DayAdherence]) -> dict[str, dict[str, float | None]]:
    """Per agent over all days, and ``"*"`` for everyone."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for d in days:
        for key in (d.agent_id, "*"):
            acc = sums[key]
            acc[0] += d.scheduled_s
            acc[1] += d.in_adherence_s
            acc[2] += d.scheduled_work_s
            acc[3] += d.worked_s
    return {
        key: {
            "scheduled_s": v[0],
            "in_adherence_s": v[1],
            "adherence": round(v[1] / v[0], 4) if v[0] else None,
            "scheduled_work_s": v[2],
            "worked_s": v[3],
            "conformance": round(v[3] / v[2], 4) if v[2] else None,
        }
        for key, v in sums.items()
    }
