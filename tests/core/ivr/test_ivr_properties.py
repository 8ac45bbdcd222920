"""Properties of the interpreter under any sequence of caller behaviour and answers."""

from __future__ import annotations

import re
from datetime import time

from hypothesis import given, settings
from hypothesis import strategies as st
from ivr_script import flow, say, t

from helpline.core.config import OpenHours
from helpline.core.hours import Schedule
from helpline.core.ivr import (
    CallState,
    DigitReceived,
    FlowCommand,
    FlowInterpreter,
    Hangup,
    HttpRequest,
    HttpResult,
    Play,
    PlaybackFinished,
    RecordVoicemail,
    StopPlayback,
    ToQueue,
)
from helpline.core.ivr.nodes import (
    BranchCase,
    BranchNode,
    CollectNode,
    HangupNode,
    HoursNode,
    HttpNode,
    MenuNode,
    PlayNode,
    QueueNode,
    ResultMapping,
    Retry,
    SetNode,
    VoicemailNode,
)

EVERY_KIND = flow(
    HoursNode("hours", "welcome", "vm", schedule="office"),
    VoicemailNode("vm", say("Closed.")),
    PlayNode("welcome", say("Welcome."), "menu", barge_in=True),
    MenuNode("menu", say("Menu."), {"1": "ask", "2": "info", "3": "agent", "9": "bye"}, 4,
             Retry(2, say("Nothing?"), say("Wrong."), "agent")),
    PlayNode("info", say("Info."), "menu", barge_in=True),  # menu <-> info loops until the guard
    CollectNode("ask", say("Number?"), "n", "lookup", 3, 5, "#", 5, 2, Retry(1, (), say("Again."), None)),
    HttpNode("lookup", "GET", t("http://127.0.0.1:9/{n}"), "check", "agent", 2,
             results=(ResultMapping("s", ("s",)),)),
    SetNode("check", (("seen", t("{seen}x")),), "branch"),
    BranchNode("branch", "s", (BranchCase("menu", equals="again"), BranchCase("bye", regex=re.compile("d.*"))),
               "agent"),
    QueueNode("agent", "tracking", priority=t("{n}"), attributes=("n", "s")),
    HangupNode("bye"),
    max_node_visits=12,
    schedules={"office": Schedule("UTC", (OpenHours((1, 2, 3, 4, 5, 6, 7), time(0), time(12)),))},
)

ACTIONS = st.one_of(
    st.tuples(st.just("key"), st.sampled_from("0123456789*#")),
    st.tuples(st.just("finish"), st.booleans()),  # the current prompt ends (True) or a stale one
    st.tuples(st.just("timer"), st.just(None)),
    st.tuples(st.just("wait"), st.floats(0.1, 10)),
    st.tuples(st.just("answer"), st.sampled_from([
        (200, {"s": "again"}), (200, {"s": "done"}), (200, {"s": "other"}), (200, {}), (500, None), (None, None)
    ])),
)
TERMINAL = (ToQueue, RecordVoicemail, Hangup)


@settings(max_examples=200, deadline=None)
@given(start=st.sampled_from([3600.0, 50_000.0]), actions=st.lists(ACTIONS, max_size=60))
def test_any_caller_behaviour_keeps_the_call_consistent(start: float, actions: list[tuple[str, object]]) -> None:
    call = FlowInterpreter(EVERY_KIND)
    now = start
    emitted: list[FlowCommand] = list(call.start(now))
    last_play = max((c.play_id for c in emitted if isinstance(c, Play)), default=0)
    last_request = max((c.request_id for c in emitted if isinstance(c, HttpRequest)), default=0)
    for kind, value in actions:
        before = call.next_timer()
        if kind == "wait":
            assert isinstance(value, float)
            now += value
            continue
        if kind == "timer":
            deadline = call.next_timer()
            if deadline is None:
                continue
            now = max(now, deadline)
            out = call.on_timer(now)
        elif kind == "key":
            out = call.handle(DigitReceived(str(value)), now)
        elif kind == "finish":
            out = call.handle(PlaybackFinished(last_play if value else last_play - 1), now)
        else:
            assert isinstance(value, tuple)
            status, body = value
            out = call.handle(HttpResult(last_request, status, body, None if status else "refused"), now)
        if emitted and isinstance(emitted[-1], TERMINAL):
            assert out == [], "nothing may follow the end of the call"
        for command in out:
            if isinstance(command, StopPlayback):
                assert command.play_id == last_play, "only the prompt playing now can be stopped"
            if isinstance(command, Play):
                assert command.play_id == last_play + 1
                last_play = command.play_id
            if isinstance(command, HttpRequest):
                assert command.request_id == last_request + 1
                last_request = command.request_id
        emitted += out
        deadline = call.next_timer()
        if call.state is CallState.WAITING_HTTP:
            assert deadline is not None
        if call.state in (CallState.DONE, CallState.PLAYING):
            assert deadline is None
        if deadline is not None and deadline != before:
            assert deadline >= now, "a new deadline is never in the past"
        assert call.state is not CallState.RUNNING
    terminals = [c for c in emitted if isinstance(c, TERMINAL)]
    assert len(terminals) == (1 if call.state is CallState.DONE else 0)
    assert len(call.path) <= EVERY_KIND.max_node_visits
