"""The flow model the interpreter runs: named nodes, each of one kind, linked by node names.

The loader in ``features/flows`` builds these from YAML after checking every field (naming
file, line and field); the interpreter trusts them. Times are seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from helpline.core.hours import Schedule
from helpline.core.ivr.template import Template

__all__ = [
    "DEFAULT_MAX_NODE_VISITS",
    "DTMF_KEYS",
    "BranchCase",
    "BranchNode",
    "CollectNode",
    "Flow",
    "HangupNode",
    "HoursNode",
    "HttpNode",
    "MenuNode",
    "Node",
    "NodeKind",
    "PlayNode",
    "Prompt",
    "PromptSpec",
    "QueueNode",
    "ResultMapping",
    "Retry",
    "SetNode",
    "VoicemailNode",
]

DTMF_KEYS = frozenset("0123456789*#ABCD")
DEFAULT_MAX_NODE_VISITS = 100


class NodeKind(StrEnum):
    PLAY = "play"
    MENU = "menu"
    COLLECT = "collect"
    HTTP = "http"
    SET = "set"
    BRANCH = "branch"
    HOURS = "hours"
    QUEUE = "queue"
    VOICEMAIL = "voicemail"
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """One part of a prompt: a recorded file, or text for the TTS engine (exactly one is set)."""

    file: Template | None = None
    text: Template | None = None


Prompt = tuple[PromptSpec, ...]


@dataclass(frozen=True, slots=True)
class Retry:
    """What a menu or digit collection does when the caller says nothing or presses a wrong key.

    The caller gets ``1 + retries`` tries in all (timeouts and wrong input count alike); each
    retry plays its own prompt followed by the node's prompt again. Then the flow goes to
    ``fallback``, or hangs up when there is none.
    """

    retries: int = 2
    timeout_prompt: Prompt = ()
    invalid_prompt: Prompt = ()
    fallback: str | None = None


@dataclass(frozen=True, slots=True)
class PlayNode:
    id: str
    prompt: Prompt
    next: str
    barge_in: bool = False  # a key pressed during the prompt skips it and is kept for the next menu
    kind: NodeKind = field(default=NodeKind.PLAY, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next),)


@dataclass(frozen=True, slots=True)
class MenuNode:
    id: str
    prompt: Prompt
    options: Mapping[str, str]  # DTMF key -> node
    timeout_s: float = 5.0
    retry: Retry = Retry()
    barge_in: bool = True
    kind: NodeKind = field(default=NodeKind.MENU, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        out = tuple((f"options.{key}", target) for key, target in self.options.items())
        return out + _fallback(self.retry)


@dataclass(frozen=True, slots=True)
class CollectNode:
    id: str
    prompt: Prompt
    variable: str
    next: str
    min_digits: int = 1
    max_digits: int = 20
    terminator: str | None = "#"
    first_digit_timeout_s: float = 5.0
    inter_digit_timeout_s: float = 3.0
    retry: Retry = Retry()
    barge_in: bool = True
    kind: NodeKind = field(default=NodeKind.COLLECT, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next), *_fallback(self.retry))


@dataclass(frozen=True, slots=True)
class ResultMapping:
    """Copy the value at ``path`` (keys and list indexes) of the JSON answer into ``variable``."""

    variable: str
    path: tuple[str, ...]
    optional: bool = False  # a missing value leaves the variable empty instead of failing


@dataclass(frozen=True, slots=True)
class HttpNode:
    """A data dip: GET or POST JSON, map the answer into variables.

    Errors, timeouts, non-2xx answers, an answer that is not JSON and a missing required value
    all go to ``on_error``. ``body`` is JSON whose strings are ``Template``s.
    """

    id: str
    method: str
    url: Template
    next: str
    on_error: str
    timeout_s: float = 3.0
    headers: tuple[tuple[str, Template], ...] = ()
    body: object = None
    results: tuple[ResultMapping, ...] = ()
    status_variable: str | None = None  # receives the HTTP status ("" when there was none)
    kind: NodeKind = field(default=NodeKind.HTTP, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next), ("on_error", self.on_error))


@dataclass(frozen=True, slots=True)
class SetNode:
    id: str
    assignments: tuple[tuple[str, Template], ...]
    next: str
    kind: NodeKind = field(default=NodeKind.SET, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next),)


@dataclass(frozen=True, slots=True)
class BranchCase:
    """Exactly one test is set: ``equals``, ``in_`` or ``regex`` (a full match)."""

    next: str
    equals: str | None = None
    in_: tuple[str, ...] | None = None
    regex: re.Pattern[str] | None = None

    def matches(self, value: str) -> bool:
        if self.equals is not None:
            return value == self.equals
        if self.in_ is not None:
            return value in self.in_
        if self.regex is not None:
            return self.regex.fullmatch(value) is not None
        return False


@dataclass(frozen=True, slots=True)
class BranchNode:
    id: str
    variable: str
    cases: tuple[BranchCase, ...]
    default: str
    kind: NodeKind = field(default=NodeKind.BRANCH, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        cases = tuple((f"cases.{i}.next", case.next) for i, case in enumerate(self.cases))
        return (*cases, ("default", self.default))


@dataclass(frozen=True, slots=True)
class HoursNode:
    """Open or closed now? ``schedule`` names one of the flow's schedules, ``queue`` a queue's
    hours; with neither, the tenant's default schedule given to the interpreter is used."""

    id: str
    open: str
    closed: str
    schedule: str | None = None
    queue: str | None = None
    kind: NodeKind = field(default=NodeKind.HOURS, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("open", self.open), ("closed", self.closed))


@dataclass(frozen=True, slots=True)
class QueueNode:
    """Hand the call to the ACD. ``attributes`` lists the variables the agent's screen shows
    (None: all of them). A skill renders as ``name`` or ``name:min_proficiency``."""

    id: str
    queue: str
    priority: Template | None = None
    skills: tuple[Template, ...] = ()
    attributes: tuple[str, ...] | None = None
    kind: NodeKind = field(default=NodeKind.QUEUE, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return ()


@dataclass(frozen=True, slots=True)
class VoicemailNode:
    id: str
    prompt: Prompt
    max_length_s: float = 120.0
    beep: bool = True
    queue: str | None = None  # where the voicemail interaction waits for an agent
    barge_in: bool = True  # a key skips the greeting and starts the recording
    attributes: tuple[str, ...] | None = None
    kind: NodeKind = field(default=NodeKind.VOICEMAIL, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return ()


@dataclass(frozen=True, slots=True)
class HangupNode:
    id: str
    reason: str = "flow ended"
    kind: NodeKind = field(default=NodeKind.HANGUP, init=False)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return ()


Node = (
    PlayNode
    | MenuNode
    | CollectNode
    | HttpNode
    | SetNode
    | BranchNode
    | HoursNode
    | QueueNode
    | VoicemailNode
    | HangupNode
)


def _fallback(retry: Retry) -> tuple[tuple[str, str], ...]:
    return (("fallback", retry.fallback),) if retry.fallback is not None else ()


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    start: str
    nodes: Mapping[str, Node]
    constants: Mapping[str, str] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    max_node_visits: int = DEFAULT_MAX_NODE_VISITS

    def reachable(self) -> frozenset[str]:
        """Names of the nodes a call can reach from ``start``."""
        seen: set[str] = set()
        todo = [self.start]
        while todo:
            name = todo.pop()
            if name in seen or name not in self.nodes:
                continue
            seen.add(name)
            todo.extend(target for _, target in self.nodes[name].targets())
        return frozenset(seen)
