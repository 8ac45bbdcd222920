"""An agent's live state: presence, capacity and the work items on their desk.

Theory of operation
-------------------
An agent is two small state machines side by side:

* **Presence** (``OFFLINE -> READY <-> PAUSED -> OFFLINE``) says whether the agent wants work.
  It changes only on the agent's (or a supervisor's) request, or when the engine pauses an
  agent who missed too many offers.
* **Slots**: one per interaction the agent holds, each ``OFFERED -> ACTIVE -> WRAP_UP`` and then
  released. An offer that is rejected, times out or is cancelled releases its slot directly.

Capacity is counted over slots: an agent can take an interaction on channel ``c`` when they are
READY, fewer than ``capacity[c]`` slots use ``c`` and fewer than ``total_capacity`` slots are
in use. A callback uses the voice capacity unless the agent has an explicit callback capacity.
Every slot state counts (an offer reserves capacity; wrap-up keeps it until done).

The single :class:`AgentState` a wallboard shows is derived from both machines, busiest first:
offline, busy (any active slot), reserved (any offer), wrap-up, paused, available. A chat agent
who is ``busy`` on one chat may still receive offers for others while capacity remains.

Every mutator checks the transition table first and raises :class:`InvalidTransition` without
changing anything when the move is illegal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from helpline.core.config import AgentConfig, Channel
from helpline.core.errors import InvalidTransition

if TYPE_CHECKING:
    from helpline.core.config import Strategy
    from helpline.core.routing.ewt import Supply
    from helpline.core.routing.matching import Bucket, FreeHeap, Signature


class Presence(StrEnum):
    OFFLINE = "offline"
    READY = "ready"
    PAUSED = "paused"


class PresenceTrigger(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    PAUSE = "pause"
    READY = "ready"


PRESENCE_TRANSITIONS: Final[dict[tuple[Presence, PresenceTrigger], Presence]] = {
    (Presence.OFFLINE, PresenceTrigger.LOGIN): Presence.READY,
    (Presence.READY, PresenceTrigger.PAUSE): Presence.PAUSED,
    (Presence.PAUSED, PresenceTrigger.PAUSE): Presence.PAUSED,  # a new reason
    (Presence.PAUSED, PresenceTrigger.READY): Presence.READY,
    (Presence.READY, PresenceTrigger.LOGOUT): Presence.OFFLINE,
    (Presence.PAUSED, PresenceTrigger.LOGOUT): Presence.OFFLINE,
}


class SlotState(StrEnum):
    OFFERED = "offered"
    ACTIVE = "active"
    WRAP_UP = "wrap-up"
    RELEASED = "released"


class SlotTrigger(StrEnum):
    ACCEPT = "accept"
    WRAP = "wrap"  # the interaction ended or was transferred away; wrap-up begins
    RELEASE = "release"  # reject, timeout, cancel, wrap-up done, or end without wrap-up


SLOT_TRANSITIONS: Final[dict[tuple[SlotState, SlotTrigger], SlotState]] = {
    (SlotState.OFFERED, SlotTrigger.ACCEPT): SlotState.ACTIVE,
    (SlotState.OFFERED, SlotTrigger.RELEASE): SlotState.RELEASED,
    (SlotState.ACTIVE, SlotTrigger.WRAP): SlotState.WRAP_UP,
    (SlotState.ACTIVE, SlotTrigger.RELEASE): SlotState.RELEASED,
    (SlotState.WRAP_UP, SlotTrigger.RELEASE): SlotState.RELEASED,
}


class AgentState(StrEnum):
    """What a wallboard shows for an agent."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    RESERVED = "reserved"
    BUSY = "busy"
    WRAP_UP = "wrap-up"
    PAUSED = "paused"


# enum members for hot code, as module constants: compiled, each is a static read (an
# attribute of the enum class is a lookup by name each time)
_AGENT_STATE_AVAILABLE: Final = AgentState.AVAILABLE
_AGENT_STATE_BUSY: Final = AgentState.BUSY
_AGENT_STATE_OFFLINE: Final = AgentState.OFFLINE
_AGENT_STATE_PAUSED: Final = AgentState.PAUSED
_AGENT_STATE_RESERVED: Final = AgentState.RESERVED
_AGENT_STATE_WRAP_UP: Final = AgentState.WRAP_UP
_CHANNEL_CALLBACK: Final = Channel.CALLBACK
_CHANNEL_VOICE: Final = Channel.VOICE
_PRESENCE_OFFLINE: Final = Presence.OFFLINE
_PRESENCE_PAUSED: Final = Presence.PAUSED
_PRESENCE_READY: Final = Presence.READY
_PRESENCE_TRIGGER_LOGOUT: Final = PresenceTrigger.LOGOUT
_SLOT_STATE_ACTIVE: Final = SlotState.ACTIVE
_SLOT_STATE_OFFERED: Final = SlotState.OFFERED
_SLOT_STATE_RELEASED: Final = SlotState.RELEASED


def capacity_channel(channel: Channel, capacity: Mapping[Channel, int]) -> Channel:
    """The capacity bucket an interaction on ``channel`` uses for this agent."""
    if channel is _CHANNEL_CALLBACK and _CHANNEL_CALLBACK not in capacity:
        return _CHANNEL_VOICE
    return channel


@dataclass(slots=True)
class Slot:
    channel: Channel  # the capacity bucket it uses
    state: SlotState
    since: float
    until: float | None = None  # end of a timed wrap-up
    accepted_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel.value,
            "state": self.state.value,
            "since": self.since,
            "until": self.until,
            "accepted_at": self.accepted_at,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Slot:
        return cls(Channel(d["channel"]), SlotState(d["state"]), float(d["since"]), d["until"], d["accepted_at"])

    def __init__(
        self,
        channel: Channel,
        state: SlotState,
        since: float,
        until: float | None = None,
        accepted_at: float | None = None,
    ) -> None:
        # written out so mypyc compiles it (a dataclass-made __init__ runs interpreted)
        self.channel = channel
        self.state = state
        self.since = since
        self.until = until
        self.accepted_at = accepted_at


class Agent:
    """Live state of one agent (configuration lives in :class:`AgentConfig`)."""

    __slots__ = (
        "aht",
        "capacity",
        "config",
        "free_pools",
        "handled_today",
        "id",
        "idle_since",
        "index",
        "listed",
        "load",
        "memberships",
        "misses",
        "offers_total",
        "pause_reason",
        "presence",
        "skills",
        "slots",
        "state",
        "state_since",
        "total",
        "total_capacity",
        "waits",
    )

    def __init__(self, config: AgentConfig, index: int) -> None:
        self.config = config
        self.id = config.id
        self.index = index
        # copies of the configuration's skills and limits, read on every match and capacity check
        # (plain dicts: the compiled core reads them without a method call)
        self.skills: dict[str, int] = dict(config.skills)
        self.capacity: dict[Channel, int] = dict(config.capacity)
        self.total_capacity = config.total_capacity
        self.presence = _PRESENCE_OFFLINE
        self.pause_reason: str | None = None
        self.slots: dict[str, Slot] = {}
        self.load: dict[Channel, int] = {}
        self.total = 0
        self.idle_since = 0.0
        self.misses = 0
        self.handled_today = 0
        self.offers_total = 0
        self.aht: dict[str, list[float]] = {}  # channel -> [mean, count]
        self.state = _AGENT_STATE_OFFLINE
        self.state_since = 0.0
        # the routing engine's indexes for this agent, set when it builds them (not state: not in
        # snapshots). Kept here rather than in lists by agent index because a decision that
        # touches an agent reads them all, and the agent's object is in cache by then.
        # Free-agent heaps it is listed in: (strategy, heap, round-robin memory or None)
        self.free_pools: tuple[tuple[Strategy, FreeHeap, dict[str, int] | None], ...] = ()
        self.listed = False  # has live entries in those heaps
        # wait-estimate groups: (capacity channel, units, channel name, handle-time prior, the
        # aggregates it adds to, its current share)
        self.memberships: tuple[tuple[Channel, int, str, float, tuple[Supply, ...], Supply], ...] = ()
        # the waiting maps of the pools it takes work from, with the queue an offer counts for
        self.waits: tuple[tuple[dict[Signature, Bucket], str | None], ...] = ()

    # -- presence ---------------------------------------------------------------------------

    def check_presence(self, trigger: PresenceTrigger) -> Presence:
        nxt = PRESENCE_TRANSITIONS.get((self.presence, trigger))
        if nxt is None:
            raise InvalidTransition("agent", self.id, self.presence.value, trigger.value)
        if trigger is _PRESENCE_TRIGGER_LOGOUT and any(s.state is not _SLOT_STATE_OFFERED for s in self.slots.values()):
            raise InvalidTransition("agent", self.id, "holding work", trigger.value)
        return nxt

    def fire_presence(self, trigger: PresenceTrigger, reason: str | None = None) -> None:
        self.presence = self.check_presence(trigger)
        self.pause_reason = reason if self.presence is _PRESENCE_PAUSED else None

    # -- capacity ---------------------------------------------------------------------------

    def can_take(self, channel: Channel) -> bool:
        if self.presence is not _PRESENCE_READY or self.total >= self.total_capacity:
            return False
        caps = self.capacity
        if channel is _CHANNEL_CALLBACK and channel not in caps:  # capacity_channel, inlined: hot path
            channel = _CHANNEL_VOICE
        return self.load.get(channel, 0) < caps.get(channel, 0)

    def free_for(self, channel: Channel) -> int:
        """How many more interactions on ``channel`` the agent could hold right now."""
        if self.presence is not _PRESENCE_READY:
            return 0
        caps = self.capacity
        cc = capacity_channel(channel, caps)
        return max(0, min(caps.get(cc, 0) - self.load.get(cc, 0), self.total_capacity - self.total))

    def has_free_capacity(self) -> bool:
        if self.presence is not _PRESENCE_READY or self.total >= self.total_capacity:
            return False
        load = self.load
        for c, n in self.capacity.items():  # noqa: SIM110 - a plain loop: hot path
            if load.get(c, 0) < n:
                return True
        return False

    # -- slots ------------------------------------------------------------------------------

    def check_slot(self, interaction: str, trigger: SlotTrigger) -> SlotState:
        slot = self.slots.get(interaction)
        state = slot.state if slot is not None else _SLOT_STATE_RELEASED
        nxt = SLOT_TRANSITIONS.get((state, trigger))
        if nxt is None:
            raise InvalidTransition("agent", self.id, f"{state.value} on {interaction!r}", trigger.value)
        return nxt

    def add_offer(self, interaction: str, channel: Channel, at: float) -> None:
        if interaction in self.slots:
            raise InvalidTransition("agent", self.id, f"already holding {interaction!r}", "offer")
        cc = channel
        if cc is _CHANNEL_CALLBACK and cc not in self.capacity:  # capacity_channel, inlined
            cc = _CHANNEL_VOICE
        self.slots[interaction] = Slot(cc, _SLOT_STATE_OFFERED, at)
        self.load[cc] = self.load.get(cc, 0) + 1
        self.total += 1
        self.offers_total += 1

    def fire_slot(self, interaction: str, trigger: SlotTrigger, at: float, until: float | None = None) -> None:
        nxt = self.check_slot(interaction, trigger)
        slot = self.slots[interaction]
        if nxt is _SLOT_STATE_RELEASED:
            del self.slots[interaction]
            self.load[slot.channel] -= 1
            self.total -= 1
            return
        slot.state = nxt
        slot.since = at
        slot.until = until
        if nxt is _SLOT_STATE_ACTIVE:
            slot.accepted_at = at

    # -- read-outs --------------------------------------------------------------------------

    def summary(self) -> AgentState:
        if self.presence is _PRESENCE_OFFLINE:
            return _AGENT_STATE_OFFLINE
        if self.slots:
            offered = wrapping = False
            for s in self.slots.values():
                if s.state is _SLOT_STATE_ACTIVE:
                    return _AGENT_STATE_BUSY
                if s.state is _SLOT_STATE_OFFERED:
                    offered = True
                else:
                    wrapping = True
            if offered:
                return _AGENT_STATE_RESERVED
            if wrapping:
                return _AGENT_STATE_WRAP_UP
        if self.presence is _PRESENCE_PAUSED:
            return _AGENT_STATE_PAUSED
        return _AGENT_STATE_AVAILABLE

    def note_handle_time(self, channel: Channel, seconds: float, alpha: float) -> None:
        entry = self.aht.get(channel)  # a StrEnum member finds its value's key (and skips ``.value``: slow)
        if entry is None:
            self.aht[channel.value] = [seconds, 1.0]
        else:
            entry[0] += alpha * (seconds - entry[0])
            entry[1] += 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "presence": self.presence.value,
            "pause_reason": self.pause_reason,
            "slots": {k: v.to_dict() for k, v in self.slots.items()},
            "idle_since": self.idle_since,
            "misses": self.misses,
            "handled_today": self.handled_today,
            "offers_total": self.offers_total,
            "aht": {k: list(v) for k, v in self.aht.items()},
            "state": self.state.value,
            "state_since": self.state_since,
        }

    def load_dict(self, d: Mapping[str, Any]) -> None:
        self.presence = Presence(d["presence"])
        self.pause_reason = d["pause_reason"]
        self.slots = {k: Slot.from_dict(v) for k, v in d["slots"].items()}
        self.load = {}
        for s in self.slots.values():
            self.load[s.channel] = self.load.get(s.channel, 0) + 1
        self.total = len(self.slots)
        self.idle_since = float(d["idle_since"])
        self.misses = int(d["misses"])
        self.handled_today = int(d["handled_today"])
        self.offers_total = int(d["offers_total"])
        self.aht = {k: [float(v[0]), float(v[1])] for k, v in d["aht"].items()}
        self.state = AgentState(d["state"])
        self.state_since = float(d["state_since"])
