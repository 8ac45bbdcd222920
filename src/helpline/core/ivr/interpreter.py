"""The IVR flow interpreter: one instance per call, pure, driven by inputs and time.

Theory of operation
-------------------
The voice edge owns the call's media and sockets; this object owns the call's place in the flow.
The edge feeds it inputs (``CallStarted``, ``DigitReceived``, ``PlaybackFinished``,
``HttpResult``, ``CallerHungUp``) with the current time ``now``; it answers with commands
(``Play``, ``StopPlayback``, ``HttpRequest``, ``ToQueue``, ``RecordVoicemail``, ``Hangup``)
and exposes ``next_timer()``, the one deadline the edge must arm; when it comes the edge calls
``on_timer(now)``.

States (the transition table at the bottom lists the legal input for each):

  NEW ──CallStarted──▶ RUNNING ──▶ PLAYING | COLLECTING | WAITING_HTTP | DONE

RUNNING is the state while nodes that need no input (set, branch, hours) are executed one
after the other within a single ``handle`` call; outside ``handle`` the call is always waiting
for something (PLAYING a play or voicemail greeting, COLLECTING keys for a menu or digit
collection, WAITING_HTTP for a lookup) or DONE. A call ends (DONE) when it reaches a queue,
voicemail or hang-up node, when the caller hangs up, or when the loop guard trips: every node
entered counts as a visit, and more than ``flow.max_node_visits`` visits hang the call up with
the reason logged, so a flow that loops (menu → play → menu ...) cannot hold a line forever.

Keys and prompts. Menus and collections time the keys themselves: the timeout starts when the
prompt has finished (or at the first key, which stops the prompt when the node allows barge-in;
without barge-in keys pressed during the prompt are ignored). A key that barges into a play node
with ``barge_in`` skips the rest of that prompt and is kept as type-ahead for the next menu or
collection, which then does not play its prompt at all.

A collection that ends because it has ``max_digits`` swallows the terminator if it is the
caller's very next key (within the inter-digit timeout): callers told "then press hash" press
it after the last digit, and that key must not barge into the next prompt.

Answers that come too late are not errors: each ``Play`` and ``HttpRequest`` carries an id and
an answer with an id the interpreter no longer waits for (a prompt stopped by barge-in, a lookup
that already timed out) is ignored. Inputs that make no sense (a second ``CallStarted``, a key
before the call started, anything while RUNNING) raise ``IllegalInput`` and change nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from helpline.core.config import SkillRequirement
from helpline.core.hours import Schedule
from helpline.core.ivr.commands import (
    FlowCommand,
    Hangup,
    HttpRequest,
    Play,
    PromptPart,
    RecordVoicemail,
    StopPlayback,
    ToQueue,
)
from helpline.core.ivr.inputs import (
    CallerHungUp,
    CallStarted,
    DigitReceived,
    FlowInput,
    HttpResult,
    JsonValue,
    PlaybackFinished,
    TimerFired,
)
from helpline.core.ivr.nodes import (
    DTMF_KEYS,
    BranchNode,
    CollectNode,
    Flow,
    HangupNode,
    HoursNode,
    HttpNode,
    MenuNode,
    Node,
    PlayNode,
    Prompt,
    QueueNode,
    SetNode,
    VoicemailNode,
)
from helpline.core.ivr.template import Template

__all__ = ["CallState", "FlowInterpreter", "IllegalInput"]

log = logging.getLogger(__name__)


class CallState(StrEnum):
    NEW = "new"
    RUNNING = "running"
    PLAYING = "playing"
    COLLECTING = "collecting"
    WAITING_HTTP = "waiting-http"
    DONE = "done"


class IllegalInput(Exception):
    """The input is not legal in the call's current state; nothing was changed."""


_MISSING = object()


class FlowInterpreter:
    def __init__(
        self,
        flow: Flow,
        *,
        variables: Mapping[str, str] | None = None,
        queue_schedules: Mapping[str, Schedule] | None = None,
        default_schedule: Schedule | None = None,
        call_id: str = "",
    ) -> None:
        self.flow = flow
        self.call_id = call_id
        self.variables: dict[str, str] = dict(variables or {})
        self.state = CallState.NEW
        self.path: list[str] = []  # nodes entered, in order (the call's IVR path, for reports)
        self.end_reason: str | None = None
        self.last_http_error: str | None = None
        self._queue_schedules = dict(queue_schedules or {})
        self._default_schedule = default_schedule
        self._node: Node | None = None
        self._deadline: float | None = None
        self._play_seq = 0
        self._playing: int | None = None
        self._request_seq = 0
        self._waiting_request: int | None = None
        self._typeahead: list[str] = []
        self._digits: list[str] = []
        self._swallow: tuple[str, float] | None = None  # (terminator, until)
        self._attempt = 0
        self._visits = 0

    # -- the public surface -------------------------------------------------------------------

    @property
    def current_node(self) -> str | None:
        return self._node.id if self._node is not None else None

    def next_timer(self) -> float | None:
        return self._deadline

    def start(self, now: float) -> list[FlowCommand]:
        return self.handle(CallStarted(), now)

    def on_timer(self, now: float) -> list[FlowCommand]:
        return self.handle(TimerFired(), now)

    def handle(self, event: FlowInput, now: float) -> list[FlowCommand]:
        handler = _TRANSITIONS.get((self.state, type(event)))
        if handler is None:
            raise IllegalInput(f"{type(event).__name__} is not legal in state {self.state.value}")
        if isinstance(event, DigitReceived) and event.digit not in DTMF_KEYS:
            raise IllegalInput(f"{event.digit!r} is not a DTMF key")
        if isinstance(event, DigitReceived) and self._swallow is not None:
            (terminator, until), self._swallow = self._swallow, None
            if event.digit == terminator and now <= until:
                return []
        return handler(self, event, now)

    # -- transitions ----------------------------------------------------------------------------

    def _on_start(self, event: CallStarted, now: float) -> list[FlowCommand]:
        return self._run(self.flow.start, now)

    def _on_hangup(self, event: CallerHungUp, now: float) -> list[FlowCommand]:
        self._end("caller hung up")
        return []

    def _ignore(self, event: FlowInput, now: float) -> list[FlowCommand]:
        return []

    def _on_timer(self, event: TimerFired, now: float) -> list[FlowCommand]:
        if self._deadline is None or now < self._deadline:
            return []  # early or spurious: the runtime may arm a timer that is no longer needed
        self._deadline = None
        node = self._node
        if self.state is CallState.WAITING_HTTP and isinstance(node, HttpNode):
            self._waiting_request = None
            return self._http_failed(node, f"no answer within {node.timeout_s:g} s", now)
        if isinstance(node, MenuNode):
            return self._retry(node, timed_out=True, now=now)
        if isinstance(node, CollectNode):
            if not self._digits:
                return self._retry(node, timed_out=True, now=now)
            return self._complete_collect(node, now)
        return []

    def _on_playback_finished(self, event: PlaybackFinished, now: float) -> list[FlowCommand]:
        if event.play_id != self._playing:
            return []
        self._playing = None
        node = self._node
        if isinstance(node, PlayNode):
            return self._run(node.next, now)
        if isinstance(node, VoicemailNode):
            return self._record(node)
        if isinstance(node, MenuNode):
            self._deadline = now + node.timeout_s
        elif isinstance(node, CollectNode):
            self._deadline = now + node.first_digit_timeout_s
        return []

    def _on_digit_playing(self, event: DigitReceived, now: float) -> list[FlowCommand]:
        node = self._node
        if not isinstance(node, PlayNode | VoicemailNode) or not node.barge_in or self._playing is None:
            return []
        stop: list[FlowCommand] = [StopPlayback(self._playing)]
        self._playing = None
        if isinstance(node, VoicemailNode):
            return stop + self._record(node)
        self._typeahead.append(event.digit)
        return stop + self._run(node.next, now)

    def _on_digit_collecting(self, event: DigitReceived, now: float) -> list[FlowCommand]:
        node = self._node
        assert isinstance(node, MenuNode | CollectNode)
        if self._playing is None:
            return self._key(node, event.digit, now)
        if not node.barge_in:
            return []
        stop: list[FlowCommand] = [StopPlayback(self._playing)]
        self._playing = None
        return stop + self._key(node, event.digit, now)

    def _on_http_result(self, event: HttpResult, now: float) -> list[FlowCommand]:
        node = self._node
        if event.request_id != self._waiting_request or not isinstance(node, HttpNode):
            return []
        self._waiting_request = None
        self._deadline = None
        if node.status_variable:
            self.variables[node.status_variable] = "" if event.status is None else str(event.status)
        if event.error is not None or event.status is None:
            return self._http_failed(node, event.error or "no answer", now)
        if not 200 <= event.status < 300:
            return self._http_failed(node, f"HTTP status {event.status}", now)
        found: dict[str, str] = {}
        for mapping in node.results:
            value = _lookup(event.body, mapping.path)
            if value is _MISSING:
                if not mapping.optional:
                    return self._http_failed(node, f"no {'.'.join(mapping.path)!r} in the answer", now)
                value = None
            found[mapping.variable] = _as_text(value)
        self.variables.update(found)
        self.last_http_error = None
        return self._run(node.next, now)

    # -- running nodes --------------------------------------------------------------------------

    def _run(self, target: str, now: float) -> list[FlowCommand]:
        """Enter ``target`` and go on through nodes that need no input until one waits."""
        while True:
            self.state = CallState.RUNNING
            self._deadline = None
            self._visits += 1
            if self._visits > self.flow.max_node_visits:
                reason = f"loop guard: more than {self.flow.max_node_visits} node visits (at {target!r})"
                log.warning("flow %s call %s: %s; path %s", self.flow.name, self.call_id, reason,
                            " > ".join(self.path[-10:]))
                return self._end_with(Hangup(reason), reason)
            node = self.flow.nodes.get(target)
            if node is None:  # the loader rejects such flows; a hand-built one may still have it
                reason = f"flow error: no node {target!r}"
                log.error("flow %s call %s: %s", self.flow.name, self.call_id, reason)
                return self._end_with(Hangup(reason), reason)
            self.path.append(target)
            self._node = node
            if isinstance(node, PlayNode):
                if node.barge_in and self._typeahead:
                    target = node.next
                    continue
                self._typeahead.clear()
                self.state = CallState.PLAYING
                return [self._play(node.prompt, node.barge_in)]
            if isinstance(node, MenuNode | CollectNode):
                self._attempt = 0
                return self._ask(node, node.prompt, now)
            if isinstance(node, HttpNode):
                self._typeahead.clear()
                return [self._request(node, now)]
            if isinstance(node, SetNode):
                rendered = {name: t.render(self.variables, self.flow.constants) for name, t in node.assignments}
                self.variables.update(rendered)
                target = node.next
            elif isinstance(node, BranchNode):
                value = self.variables.get(node.variable, "")
                target = next((c.next for c in node.cases if c.matches(value)), node.default)
            elif isinstance(node, HoursNode):
                target = node.open if self._is_open(node, now) else node.closed
            elif isinstance(node, QueueNode):
                return self._end_with(self._to_queue(node), f"queued to {node.queue}")
            elif isinstance(node, VoicemailNode):
                self._typeahead.clear()
                if not node.prompt:
                    return self._record(node)
                self.state = CallState.PLAYING
                return [self._play(node.prompt, node.barge_in)]
            else:
                assert isinstance(node, HangupNode)
                return self._end_with(Hangup(node.reason), node.reason)

    def _ask(self, node: MenuNode | CollectNode, prompt: Prompt, now: float) -> list[FlowCommand]:
        """Wait for keys at a menu or collection, after playing ``prompt`` unless the caller
        already typed ahead."""
        self.state = CallState.COLLECTING
        self._digits = []
        self._deadline = None
        if not (node.barge_in and self._typeahead):
            self._typeahead.clear()
            return [self._play(prompt, node.barge_in)]
        out: list[FlowCommand] = []
        while self._typeahead and self.state is CallState.COLLECTING and self._node is node:
            out += self._key(node, self._typeahead.pop(0), now)
        return out

    def _key(self, node: MenuNode | CollectNode, digit: str, now: float) -> list[FlowCommand]:
        if isinstance(node, MenuNode):
            target = node.options.get(digit)
            if target is None:
                return self._retry(node, timed_out=False, now=now)
            return self._run(target, now)
        if digit == node.terminator:
            return self._complete_collect(node, now)
        self._digits.append(digit)
        if len(self._digits) >= node.max_digits:
            if node.terminator is not None:
                self._swallow = (node.terminator, now + node.inter_digit_timeout_s)
            return self._complete_collect(node, now)
        self._deadline = now + node.inter_digit_timeout_s
        return []

    def _complete_collect(self, node: CollectNode, now: float) -> list[FlowCommand]:
        value = "".join(self._digits)
        if not node.min_digits <= len(value) <= node.max_digits:
            return self._retry(node, timed_out=False, now=now)
        self.variables[node.variable] = value
        return self._run(node.next, now)

    def _retry(self, node: MenuNode | CollectNode, *, timed_out: bool, now: float) -> list[FlowCommand]:
        self._attempt += 1
        self._deadline = None
        if self._attempt > node.retry.retries:
            if node.retry.fallback is not None:
                return self._run(node.retry.fallback, now)
            reason = f"no valid input at {node.id!r}"
            return self._end_with(Hangup(reason), reason)
        lead = node.retry.timeout_prompt if timed_out else node.retry.invalid_prompt
        self._typeahead.clear()
        return self._ask(node, lead + node.prompt, now)

    def _play(self, prompt: Prompt, barge_in: bool) -> Play:
        self._play_seq += 1
        self._playing = self._play_seq
        parts = tuple(
            PromptPart(
                file=_render(spec.file, self.variables, self.flow.constants),
                text=_render(spec.text, self.variables, self.flow.constants),
            )
            for spec in prompt
        )
        return Play(self._play_seq, parts, barge_in)

    def _request(self, node: HttpNode, now: float) -> HttpRequest:
        self.state = CallState.WAITING_HTTP
        self._request_seq += 1
        self._waiting_request = self._request_seq
        self._deadline = now + node.timeout_s
        url = node.url.render(self.variables, self.flow.constants, escape=lambda v: quote(v, safe=""))
        headers = tuple(
            (name, _one_line(t.render(self.variables, self.flow.constants))) for name, t in node.headers
        )
        body = _render_json(node.body, self.variables, self.flow.constants)
        return HttpRequest(self._request_seq, node.method, url, node.timeout_s, headers, body)

    def _http_failed(self, node: HttpNode, why: str, now: float) -> list[FlowCommand]:
        self.last_http_error = why
        log.info("flow %s call %s: lookup %r failed: %s", self.flow.name, self.call_id, node.id, why)
        return self._run(node.on_error, now)

    def _is_open(self, node: HoursNode, now: float) -> bool:
        schedule: Schedule | None
        if node.schedule is not None:
            schedule = self.flow.schedules.get(node.schedule)
        elif node.queue is not None:
            schedule = self._queue_schedules.get(node.queue, self._default_schedule)
        else:
            schedule = self._default_schedule
        return True if schedule is None else schedule.is_open(now)

    def _attributes(self, names: tuple[str, ...] | None) -> dict[str, str]:
        if names is None:
            return dict(self.variables)
        return {name: self.variables[name] for name in names if name in self.variables}

    def _to_queue(self, node: QueueNode) -> ToQueue:
        priority = 0
        if node.priority is not None:
            text = node.priority.render(self.variables, self.flow.constants).strip()
            try:
                priority = int(text) if text else 0
            except ValueError:
                log.warning("flow %s call %s: priority %r is not a whole number; using 0",
                            self.flow.name, self.call_id, text)
        skills: list[SkillRequirement] = []
        for template in node.skills:
            name, _, level = template.render(self.variables, self.flow.constants).strip().partition(":")
            if not name:
                continue
            proficiency = int(level) if level.strip().isdigit() else 1
            skills.append(SkillRequirement(name.strip(), min(max(proficiency, 1), 5)))
        return ToQueue(node.queue, priority, tuple(skills), self._attributes(node.attributes))

    def _record(self, node: VoicemailNode) -> list[FlowCommand]:
        command = RecordVoicemail(node.max_length_s, node.beep, node.queue, self._attributes(node.attributes))
        return self._end_with(command, "voicemail")

    def _end_with(self, command: FlowCommand, reason: str) -> list[FlowCommand]:
        self._end(reason)
        return [command]

    def _end(self, reason: str) -> None:
        self.state = CallState.DONE
        self.end_reason = reason
        self._deadline = None
        self._playing = None
        self._waiting_request = None
        self._typeahead.clear()


def _render(template: Template | None, variables: Mapping[str, str], constants: Mapping[str, str]) -> str | None:
    return None if template is None else template.render(variables, constants)


def _render_json(value: object, variables: Mapping[str, str], constants: Mapping[str, str]) -> JsonValue:
    if isinstance(value, Template):
        return value.render(variables, constants)
    if isinstance(value, dict):
        return {str(k): _render_json(v, variables, constants) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_render_json(v, variables, constants) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"not JSON: {value!r}")


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _lookup(body: JsonValue, path: tuple[str, ...]) -> Any:
    current: Any = body
    for key in path:
        if isinstance(current, dict) and key in current:
            current = current[key]
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return _MISSING
    return current


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_Handler = Callable[[FlowInterpreter, Any, float], list[FlowCommand]]

_S = CallState
_TRANSITIONS: dict[tuple[CallState, type], _Handler] = {
    (_S.NEW, CallStarted): FlowInterpreter._on_start,
    (_S.NEW, CallerHungUp): FlowInterpreter._on_hangup,
    (_S.NEW, TimerFired): FlowInterpreter._on_timer,
    (_S.PLAYING, PlaybackFinished): FlowInterpreter._on_playback_finished,
    (_S.PLAYING, DigitReceived): FlowInterpreter._on_digit_playing,
    (_S.PLAYING, HttpResult): FlowInterpreter._ignore,
    (_S.PLAYING, CallerHungUp): FlowInterpreter._on_hangup,
    (_S.PLAYING, TimerFired): FlowInterpreter._on_timer,
    (_S.COLLECTING, PlaybackFinished): FlowInterpreter._on_playback_finished,
    (_S.COLLECTING, DigitReceived): FlowInterpreter._on_digit_collecting,
    (_S.COLLECTING, HttpResult): FlowInterpreter._ignore,
    (_S.COLLECTING, CallerHungUp): FlowInterpreter._on_hangup,
    (_S.COLLECTING, TimerFired): FlowInterpreter._on_timer,
    (_S.WAITING_HTTP, HttpResult): FlowInterpreter._on_http_result,
    (_S.WAITING_HTTP, DigitReceived): FlowInterpreter._ignore,
    (_S.WAITING_HTTP, PlaybackFinished): FlowInterpreter._ignore,
    (_S.WAITING_HTTP, CallerHungUp): FlowInterpreter._on_hangup,
    (_S.WAITING_HTTP, TimerFired): FlowInterpreter._on_timer,
    # Once the call has left the flow, answers still in flight are harmless.
    (_S.DONE, DigitReceived): FlowInterpreter._ignore,
    (_S.DONE, PlaybackFinished): FlowInterpreter._ignore,
    (_S.DONE, HttpResult): FlowInterpreter._ignore,
    (_S.DONE, CallerHungUp): FlowInterpreter._ignore,
    (_S.DONE, TimerFired): FlowInterpreter._on_timer,
}
