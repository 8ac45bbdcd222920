"""An interaction's live state: one contact on one channel, from arrival to wrap-up.

Theory of operation
-------------------
An interaction enters a queue (``QUEUED``), is offered to an agent (``OFFERED``; under ring-all
one offer rings several agents at once), and once accepted is ``CONNECTED``; it may be ``HELD``
and resumed, transferred (back to ``QUEUED`` in another queue or toward one agent), and ends in
``WRAP_UP`` (when the queue has a wrap-up time) and then ``ENDED``.

While waiting, the caller may ask for a callback: the interaction becomes ``CALLBACK_WAITING``
and keeps its place; when it reaches an agent the offer dials the agent first and then the
customer. A waiting or offered interaction may be ``ABANDONED`` (the customer left) or
``OVERFLOWED`` (it waited ``max_wait_s`` and leaves toward the queue's overflow destination).
A rejected, missed or cancelled offer sends the interaction back to waiting with its place.

The place in line is ``(-priority, order_at, order_seq)``: priority first, then the original
arrival. ``order_at`` is kept when an offer fails and when an abandoned caller redials within the
queue's resume window, so they come back to their old place.

Transitions are a table over enums; an illegal one raises :class:`InvalidTransition` and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from helpline.core.config import Channel
from helpline.core.errors import InvalidTransition


class InteractionState(StrEnum):
    QUEUED = "queued"
    CALLBACK_WAITING = "callback-waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    HELD = "held"
    WRAP_UP = "wrap-up"
    ENDED = "ended"
    ABANDONED = "abandoned"
    OVERFLOWED = "overflowed"


class Trigger(StrEnum):
    OFFER = "offer"
    ACCEPT = "accept"
    REQUEUE = "requeue"  # offer rejected, timed out or cancelled
    HOLD = "hold"
    RESUME = "resume"
    TRANSFER = "transfer"
    END = "end"  # to wrap-up
    END_NO_WRAP = "end-no-wrap"
    WRAP_DONE = "wrap-done"
    ABANDON = "abandon"
    CALLBACK = "callback"
    OVERFLOW = "overflow"


S = InteractionState
T = Trigger

TRANSITIONS: Final[dict[tuple[InteractionState, Trigger], InteractionState]] = {
    (S.QUEUED, T.OFFER): S.OFFERED,
    (S.QUEUED, T.ABANDON): S.ABANDONED,
    (S.QUEUED, T.CALLBACK): S.CALLBACK_WAITING,
    (S.QUEUED, T.OVERFLOW): S.OVERFLOWED,
    (S.CALLBACK_WAITING, T.OFFER): S.OFFERED,
    (S.CALLBACK_WAITING, T.ABANDON): S.ABANDONED,  # the customer cancelled the callback
    (S.OFFERED, T.ACCEPT): S.CONNECTED,
    (S.OFFERED, T.REQUEUE): S.QUEUED,  # or CALLBACK_WAITING for a callback: see next_state
    (S.OFFERED, T.ABANDON): S.ABANDONED,
    (S.OFFERED, T.OVERFLOW): S.OVERFLOWED,
    (S.CONNECTED, T.HOLD): S.HELD,
    (S.CONNECTED, T.TRANSFER): S.QUEUED,
    (S.CONNECTED, T.END): S.WRAP_UP,
    (S.CONNECTED, T.END_NO_WRAP): S.ENDED,
    (S.HELD, T.RESUME): S.CONNECTED,
    (S.HELD, T.TRANSFER): S.QUEUED,
    (S.HELD, T.END): S.WRAP_UP,
    (S.HELD, T.END_NO_WRAP): S.ENDED,
    (S.WRAP_UP, T.WRAP_DONE): S.ENDED,
}

WAITING: Final = frozenset({S.QUEUED, S.CALLBACK_WAITING})
TERMINAL: Final = frozenset({S.ENDED, S.ABANDONED, S.OVERFLOWED})


@dataclass(slots=True)
class Offer:
    id: int
    agents: tuple[str, ...]  # several under ring-all: one reservation ringing several phones
    timeout_at: float
    queue: str  # the queue whose agents the offer went to (round-robin memory)
    callback: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agents": list(self.agents),
            "timeout_at": self.timeout_at,
            "queue": self.queue,
            "callback": self.callback,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Offer:
        return cls(int(d["id"]), tuple(d["agents"]), float(d["timeout_at"]), d["queue"], bool(d["callback"]))

    def __init__(
        self,
        id: int,
        agents: tuple[str, ...],
        timeout_at: float,
        queue: str,
        callback: bool = False,
    ) -> None:
        # written out so mypyc compiles it (a dataclass-made __init__ runs interpreted)
        self.id = id
        self.agents = agents
        self.timeout_at = timeout_at
        self.queue = queue
        self.callback = callback


# enum members for hot code, as module constants: compiled, each is a static read (an
# attribute of the enum class is a lookup by name each time)
_INTERACTION_STATE_CALLBACK_WAITING: Final = InteractionState.CALLBACK_WAITING
_INTERACTION_STATE_QUEUED: Final = InteractionState.QUEUED
_TRIGGER_REQUEUE: Final = Trigger.REQUEUE


class Interaction:
    """Live state of one interaction."""

    __slots__ = (
        "abandoned_at",
        "accepted_at",
        "agent",
        "attributes",
        "base_priority",
        "callback_number",
        "channel",
        "created_at",
        "customer",
        "enqueued_at",
        "entry",
        "ewt",
        "exclusive_agent",
        "exclusive_until",
        "groups",
        "id",
        "last_missed",
        "offer",
        "order_at",
        "order_seq",
        "preferred_agent",
        "priority",
        "queue",
        "queues",
        "skills",
        "state",
        "step_index",
        "version",
        "wrap_agents",
    )

    def __init__(
        self,
        id: str,
        queue: str,
        channel: Channel,
        priority: int,
        skills: dict[str, int],
        preferred_agent: str | None,
        attributes: dict[str, str],
        customer: str | None,
        created_at: float,
        order_seq: int,
    ) -> None:
        self.id = id
        self.queue = queue
        self.channel = channel
        self.base_priority = priority
        self.priority = priority  # effective: base + queue priority + raises
        self.skills = skills  # current requirement: skill -> minimum proficiency
        self.preferred_agent = preferred_agent
        self.attributes = attributes
        self.customer = customer
        self.created_at = created_at
        self.state = _INTERACTION_STATE_QUEUED
        self.enqueued_at = created_at
        self.order_at = created_at
        self.order_seq = order_seq
        self.entry = 0  # counts queue entries; timers of an older entry are stale
        self.step_index = 0
        # tuples, not lists: immutable, so the cyclic collector stops tracking them (an
        # interaction lives for minutes; each tracked object it holds costs collector time)
        self.queues: tuple[str, ...] = (queue,)  # queues whose agents may take it (overflow widens it)
        self.groups: tuple[str, ...] = ()
        self.exclusive_agent: str | None = None
        self.exclusive_until: float | None = None
        self.offer: Offer | None = None
        self.agent: str | None = None
        self.accepted_at: float | None = None
        self.callback_number: str | None = None
        self.last_missed: str | None = None
        self.ewt: float | None = None
        self.abandoned_at: float | None = None
        self.wrap_agents: tuple[str, ...] = ()
        self.version = 0  # index bookkeeping only (not part of the logical state)

    def check(self, trigger: Trigger) -> InteractionState:
        nxt = TRANSITIONS.get((self.state, trigger))
        if nxt is None:
            raise InvalidTransition("interaction", self.id, self.state.value, trigger.value)
        if trigger is _TRIGGER_REQUEUE and self.callback_number is not None:
            return _INTERACTION_STATE_CALLBACK_WAITING
        return nxt

    def fire(self, trigger: Trigger) -> None:
        self.state = self.check(trigger)

    @property
    def waiting(self) -> bool:
        return self.state in WAITING

    def order_key(self) -> tuple[int, float, int]:
        return (-self.priority, self.order_at, self.order_seq)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "channel": self.channel.value,
            "base_priority": self.base_priority,
            "priority": self.priority,
            "skills": dict(self.skills),
            "preferred_agent": self.preferred_agent,
            "attributes": dict(self.attributes),
            "customer": self.customer,
            "created_at": self.created_at,
            "state": self.state.value,
            "enqueued_at": self.enqueued_at,
            "order_at": self.order_at,
            "order_seq": self.order_seq,
            "entry": self.entry,
            "step_index": self.step_index,
            "queues": list(self.queues),
            "groups": list(self.groups),
            "exclusive_agent": self.exclusive_agent,
            "exclusive_until": self.exclusive_until,
            "offer": self.offer.to_dict() if self.offer else None,
            "agent": self.agent,
            "accepted_at": self.accepted_at,
            "callback_number": self.callback_number,
            "last_missed": self.last_missed,
            "ewt": self.ewt,
            "abandoned_at": self.abandoned_at,
            "wrap_agents": list(self.wrap_agents),
        }

    @classmethod
    def from_dict(cls, id: str, d: Mapping[str, Any]) -> Interaction:
        i = cls(
            id,
            d["queue"],
            Channel(d["channel"]),
            int(d["base_priority"]),
            {str(k): int(v) for k, v in d["skills"].items()},
            d["preferred_agent"],
            dict(d["attributes"]),
            d["customer"],
            float(d["created_at"]),
            int(d["order_seq"]),
        )
        i.priority = int(d["priority"])
        i.state = InteractionState(d["state"])
        i.enqueued_at = float(d["enqueued_at"])
        i.order_at = float(d["order_at"])
        i.entry = int(d["entry"])
        i.step_index = int(d["step_index"])
        i.queues = tuple(d["queues"])
        i.groups = tuple(d["groups"])
        i.exclusive_agent = d["exclusive_agent"]
        i.exclusive_until = d["exclusive_until"]
        i.offer = Offer.from_dict(d["offer"]) if d["offer"] else None
        i.agent = d["agent"]
        i.accepted_at = d["accepted_at"]
        i.callback_number = d["callback_number"]
        i.last_missed = d["last_missed"]
        i.ewt = d["ewt"]
        i.abandoned_at = d["abandoned_at"]
        i.wrap_agents = tuple(d["wrap_agents"])
        return i
