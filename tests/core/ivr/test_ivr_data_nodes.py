"""Scenario tables for the nodes that work on data: HTTP lookup (and its fallback), set,
branch, business hours, to queue, voicemail and hang up."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from ivr_script import TIMER, flow, play, run, say, t

from helpline.core.config import OpenHours, SkillRequirement
from helpline.core.hours import Schedule
from helpline.core.ivr import (
    CallStarted,
    DigitReceived,
    FlowInterpreter,
    Hangup,
    HttpRequest,
    HttpResult,
    PlaybackFinished,
    RecordVoicemail,
    StopPlayback,
    ToQueue,
)
from helpline.core.ivr.nodes import (
    BranchCase,
    BranchNode,
    HangupNode,
    HoursNode,
    HttpNode,
    PlayNode,
    QueueNode,
    ResultMapping,
    SetNode,
    VoicemailNode,
)

LOOKUP = HttpNode(
    "lookup",
    "GET",
    t("{const.base}/parcels/{n}"),
    next="say",
    on_error="failed",
    timeout_s=2,
    results=(ResultMapping("status", ("status",)), ResultMapping("eta", ("parcel", "eta"), optional=True)),
    status_variable="http_status",
)
SAY = PlayNode("say", say("Your parcel is {status}. {eta}"), "bye")
FAILED = QueueNode("failed", "tracking", attributes=("n", "http_status"))
BYE = HangupNode("bye")
URL = "http://127.0.0.1:9/parcels/12%2034%2F5"


def lookup_call() -> FlowInterpreter:
    lookup_flow = flow(LOOKUP, SAY, FAILED, BYE, constants={"base": "http://127.0.0.1:9"})
    return FlowInterpreter(lookup_flow, variables={"n": "12 34/5"})


def test_http_lookup_maps_the_answer_into_variables() -> None:
    call = lookup_call()
    run(call, [
        (0, CallStarted(), [HttpRequest(1, "GET", URL, 2.0)]),  # caller input is percent-encoded
        (0.5, DigitReceived("1"), []),  # keys during a lookup are dropped
        (0.8, HttpResult(1, 200, {"status": "in transit", "parcel": {"eta": "Tuesday"}}),
         [play(1, "Your parcel is in transit. Tuesday")]),
    ])
    assert call.variables == {"n": "12 34/5", "status": "in transit", "eta": "Tuesday", "http_status": "200"}
    assert call.last_http_error is None


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (HttpResult(1, 404, {"error": "unknown parcel"}), "HTTP status 404"),
        (HttpResult(1, 503, None), "HTTP status 503"),
        (HttpResult(1, None, None, "connection refused"), "connection refused"),
        (HttpResult(1, 200, {"parcel": {"eta": "Friday"}}), "no 'status' in the answer"),
        (HttpResult(1, 200, ["not", "an", "object"]), "no 'status' in the answer"),
    ],
)
def test_http_failures_take_the_fallback_branch(result: HttpResult, why: str) -> None:
    call = lookup_call()
    call.start(0)
    status = "" if result.status is None else str(result.status)
    assert call.handle(result, 1) == [ToQueue("tracking", attributes={"n": "12 34/5", "http_status": status})]
    assert call.last_http_error == why
    assert "status" not in call.variables  # nothing of a failed answer is kept


def test_http_timeout_takes_the_fallback_and_a_late_answer_is_ignored() -> None:
    call = lookup_call()
    run(call, [
        (10, CallStarted(), [HttpRequest(1, "GET", URL, 2.0)]),
        (12, TIMER, [ToQueue("tracking", attributes={"n": "12 34/5"})]),
        (13, HttpResult(1, 200, {"status": "delivered"}), []),
    ])
    assert call.last_http_error == "no answer within 2 s"
    assert "status" not in call.variables


def test_optional_result_missing_leaves_the_variable_empty() -> None:
    call = lookup_call()
    call.start(0)
    assert call.handle(HttpResult(1, 200, {"status": "delivered", "parcel": {}}), 1) == [
        play(1, "Your parcel is delivered. ")
    ]
    assert call.variables["eta"] == ""


def test_http_post_renders_json_body_and_headers_and_indexes_lists() -> None:
    post = HttpNode(
        "lookup",
        "POST",
        t("{const.base}/customers/search"),
        next="say",
        on_error="failed",
        headers=(("X-Caller", t("{caller}\r\nX-Evil: 1")),),
        body={"phone": t("{caller}"), "tags": [t("ivr"), 3, True], "note": None},
        results=(ResultMapping("status", ("matches", "0", "tier")), ResultMapping("eta", ("count",))),
    )
    call = FlowInterpreter(flow(post, SAY, FAILED, BYE, constants={"base": "http://127.0.0.1:9"}),
                           variables={"caller": "+3120"})
    run(call, [
        (0, CallStarted(), [HttpRequest(1, "POST", "http://127.0.0.1:9/customers/search", 3.0,
                                        (("X-Caller", "+3120  X-Evil: 1"),),
                                        {"phone": "+3120", "tags": ["ivr", 3, True], "note": None})]),
        (1, HttpResult(1, 201, {"matches": [{"tier": "gold"}], "count": 1}), [play(1, "Your parcel is gold. 1")]),
    ])


def test_a_stale_http_answer_does_not_count_while_waiting() -> None:
    call = lookup_call()
    call.start(0)
    assert call.handle(HttpResult(99, 200, {"status": "x"}), 1) == []
    assert call.next_timer() == 2


def branch_flow() -> FlowInterpreter:
    return FlowInterpreter(flow(
        SetNode("set", (("greeting", t("Hello {name}")), ("plan", t("{tier}"))), "branch"),
        BranchNode("branch", "plan", (
            BranchCase("gold", equals="gold"),
            BranchCase("known", in_=("silver", "bronze")),
            BranchCase("numbered", regex=re.compile(r"P-\d+")),
        ), default="other"),
        HangupNode("gold", "gold"),
        HangupNode("known", "known"),
        HangupNode("numbered", "numbered"),
        HangupNode("other", "other"),
    ), variables={"name": "Ann"})


@pytest.mark.parametrize(
    ("tier", "reason"),
    [("gold", "gold"), ("silver", "known"), ("bronze", "known"), ("P-42", "numbered"),
     ("P-42x", "other"), ("Gold", "other"), ("", "other")],
)
def test_set_then_branch_on_equals_in_and_regex(tier: str, reason: str) -> None:
    call = branch_flow()
    call.variables["tier"] = tier
    assert call.start(0) == [Hangup(reason)]
    assert call.variables["greeting"] == "Hello Ann"
    assert call.path == ["set", "branch", reason]


AMS_WEEKDAYS = Schedule("Europe/Amsterdam", (OpenHours((1, 2, 3, 4, 5), time(8), time(18)),), (date(2026, 12, 25),))
MONDAY_NOON_AMS = 1795431600.0  # 2026-11-23 12:00 CET
CHRISTMAS_NOON_AMS = 1798196400.0  # 2026-12-25 12:00 CET
MONDAY_EVENING_AMS = MONDAY_NOON_AMS + 8 * 3600


def hours_call(node: HoursNode, **kwargs: object) -> FlowInterpreter:
    hours_flow = flow(node, HangupNode("in", "open"), HangupNode("out", "closed"),
                      schedules={"office": AMS_WEEKDAYS})
    return FlowInterpreter(hours_flow, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "expected"),
    [(MONDAY_NOON_AMS, "open"), (MONDAY_EVENING_AMS, "closed"), (CHRISTMAS_NOON_AMS, "closed")],
)
def test_hours_with_the_flows_own_schedule(now: float, expected: str) -> None:
    assert hours_call(HoursNode("h", "in", "out", schedule="office")).start(now) == [Hangup(expected)]


def test_hours_with_a_queues_schedule_or_the_tenant_default() -> None:
    by_queue = HoursNode("h", "in", "out", queue="billing")
    tenant_default = HoursNode("h", "in", "out")
    nyc = Schedule("America/New_York", (OpenHours((1, 2, 3, 4, 5), time(9), time(17)),))
    # Noon in Amsterdam is 06:00 in New York.
    assert hours_call(by_queue, queue_schedules={"billing": nyc}).start(MONDAY_NOON_AMS) == [Hangup("closed")]
    assert hours_call(by_queue, queue_schedules={"billing": nyc}).start(MONDAY_EVENING_AMS) == [Hangup("open")]
    assert hours_call(tenant_default, default_schedule=AMS_WEEKDAYS).start(MONDAY_EVENING_AMS) == [
        Hangup("closed")
    ]
    assert hours_call(tenant_default).start(MONDAY_EVENING_AMS) == [Hangup("open")]  # no hours: open


def test_to_queue_takes_priority_and_skills_from_variables() -> None:
    node = QueueNode("q", "claims", priority=t("{prio}"), skills=(t("{lang}"), t("claims:{level}"), t("{none}")),
                     attributes=("claim", "missing"))
    call = FlowInterpreter(flow(node), variables={"prio": "7", "lang": "dutch:3", "level": "9", "claim": "C-1"})
    assert call.start(0) == [
        ToQueue("claims", 7, (SkillRequirement("dutch", 3), SkillRequirement("claims", 5)), {"claim": "C-1"})
    ]
    assert call.end_reason == "queued to claims"


def test_to_queue_with_a_priority_that_is_not_a_number_uses_zero() -> None:
    call = FlowInterpreter(flow(QueueNode("q", "claims", priority=t("{prio}"))), variables={"prio": "high"})
    assert call.start(0) == [ToQueue("claims", 0, (), {"prio": "high"})]


def test_voicemail_plays_the_greeting_then_records() -> None:
    vm = VoicemailNode("vm", say("We are closed. Leave a message."), max_length_s=60, queue="tracking")
    call = FlowInterpreter(flow(vm), variables={"caller": "+31"})
    run(call, [
        (0, CallStarted(), [play(1, "We are closed. Leave a message.", barge_in=True)]),
        (4, PlaybackFinished(1), [RecordVoicemail(60, True, "tracking", {"caller": "+31"})]),
    ])
    assert call.end_reason == "voicemail"


def test_voicemail_greeting_can_be_skipped_with_a_key() -> None:
    vm = VoicemailNode("vm", say("Leave a message."), beep=False)
    call = FlowInterpreter(flow(vm))
    run(call, [
        (0, CallStarted(), [play(1, "Leave a message.", barge_in=True)]),
        (1, DigitReceived("#"), [StopPlayback(1), RecordVoicemail(120, False, None, {})]),
    ])


def test_voicemail_without_greeting_records_at_once_and_hangup_has_its_reason() -> None:
    assert FlowInterpreter(flow(VoicemailNode("vm", ()))).start(0) == [RecordVoicemail(120)]
    assert FlowInterpreter(flow(HangupNode("h", "closed for the day"))).start(0) == [Hangup("closed for the day")]
