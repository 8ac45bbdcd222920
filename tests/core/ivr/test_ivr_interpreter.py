"""Scenario tables for the interpreter: prompts, menus, digit collection, retries and timeouts,
barge-in and type-ahead, the loop guard, and illegal input."""

from __future__ import annotations

import logging

import pytest
from ivr_script import TIMER, flow, play, run, say

from helpline.core.ivr import (
    CallerHungUp,
    CallStarted,
    CallState,
    DigitReceived,
    FlowInterpreter,
    Hangup,
    HttpResult,
    IllegalInput,
    PlaybackFinished,
    StopPlayback,
    ToQueue,
)
from helpline.core.ivr.nodes import (
    CollectNode,
    HangupNode,
    MenuNode,
    PlayNode,
    QueueNode,
    Retry,
    SetNode,
)
from helpline.core.ivr.template import Template

ONE = HangupNode("one", "chose one")
TWO = HangupNode("two", "chose two")
AGENT = QueueNode("agent", "general")


def menu(*, barge_in: bool = True, fallback: str | None = "agent", retries: int = 2) -> MenuNode:
    return MenuNode(
        "main",
        say("Press 1 or 2."),
        {"1": "one", "2": "two"},
        timeout_s=5,
        retry=Retry(retries, say("No input."), say("Invalid."), fallback),
        barge_in=barge_in,
    )


def test_play_renders_variables_and_ignores_keys_without_barge_in() -> None:
    call = FlowInterpreter(
        flow(PlayNode("hello", say("You called from {caller:digits}."), "bye"), HangupNode("bye", "done")),
        variables={"caller": "0612"},
    )
    run(call, [
        (0.0, CallStarted(), [play(1, "You called from 0 6 1 2.")]),
        (0.5, DigitReceived("5"), []),
        (2.0, PlaybackFinished(7), []),  # not the prompt we are waiting for
        (2.5, PlaybackFinished(1), [Hangup("done")]),
    ])
    assert call.state is CallState.DONE
    assert call.end_reason == "done"
    assert call.path == ["hello", "bye"]


def test_menu_timeout_then_invalid_then_fallback() -> None:
    call = FlowInterpreter(flow(menu(), ONE, TWO, AGENT))
    run(call, [
        (0, CallStarted(), [play(1, "Press 1 or 2.", barge_in=True)]),
        (3, PlaybackFinished(1), []),  # the timeout starts when the prompt has ended
        (8, TIMER, [play(2, "No input.", "Press 1 or 2.", barge_in=True)]),
        (10, PlaybackFinished(2), []),
        (11, DigitReceived("9"), [play(3, "Invalid.", "Press 1 or 2.", barge_in=True)]),
        (12, PlaybackFinished(3), []),
        (17, TIMER, [ToQueue("general")]),
    ])
    assert call.path == ["main", "agent"]


def test_menu_choice_after_a_retry() -> None:
    call = FlowInterpreter(flow(menu(), ONE, TWO, AGENT))
    run(call, [
        (0, CallStarted(), [play(1, "Press 1 or 2.", barge_in=True)]),
        (3, PlaybackFinished(1), []),
        (4, DigitReceived("#"), [play(2, "Invalid.", "Press 1 or 2.", barge_in=True)]),
        (6, PlaybackFinished(2), []),
        (7, DigitReceived("1"), [Hangup("chose one")]),
    ])


def test_menu_without_fallback_hangs_up_after_the_last_try() -> None:
    call = FlowInterpreter(flow(menu(fallback=None, retries=0), ONE, TWO))
    run(call, [
        (0, CallStarted(), [play(1, "Press 1 or 2.", barge_in=True)]),
        (1, PlaybackFinished(1), []),
        (6, TIMER, [Hangup("no valid input at 'main'")]),
    ])


def test_menu_barge_in_stops_the_prompt_and_a_late_finish_is_ignored() -> None:
    call = FlowInterpreter(flow(menu(), ONE, TWO, AGENT))
    run(call, [
        (0, CallStarted(), [play(1, "Press 1 or 2.", barge_in=True)]),
        (1, DigitReceived("2"), [StopPlayback(1), Hangup("chose two")]),
        (1.1, PlaybackFinished(1), []),
        (1.2, DigitReceived("1"), []),
    ])
    assert call.end_reason == "chose two"


def test_menu_without_barge_in_waits_for_the_prompt() -> None:
    call = FlowInterpreter(flow(menu(barge_in=False), ONE, TWO, AGENT))
    run(call, [
        (0, CallStarted(), [play(1, "Press 1 or 2.")]),
        (1, DigitReceived("2"), []),
        (2, PlaybackFinished(1), []),
        (3, DigitReceived("1"), [Hangup("chose one")]),
    ])


def collect(**kwargs: object) -> CollectNode:
    options: dict[str, object] = dict(
        min_digits=4, max_digits=6, terminator="#", first_digit_timeout_s=5, inter_digit_timeout_s=3,
        retry=Retry(1, say("Nothing entered."), say("That number is not valid."), None),
    )
    options.update(kwargs)
    return CollectNode("num", say("Enter your number."), "n", "echo", **options)  # type: ignore[arg-type]


ECHO = PlayNode("echo", say("You entered {n:digits}."), "bye")
BYE = HangupNode("bye")


def collect_flow(**kwargs: object) -> FlowInterpreter:
    return FlowInterpreter(flow(collect(**kwargs), ECHO, BYE))


def test_collect_until_max_digits() -> None:
    call = collect_flow()
    run(call, [
        (0, CallStarted(), [play(1, "Enter your number.", barge_in=True)]),
        (2, PlaybackFinished(1), []),
        (3, DigitReceived("1"), []),
        (4, DigitReceived("2"), []),
        (5, DigitReceived("3"), []),
        (6, DigitReceived("4"), []),
        (7, DigitReceived("5"), []),
        (8, DigitReceived("6"), [play(2, "You entered 1 2 3 4 5 6.")]),
    ])
    assert call.variables == {"n": "123456"}


def test_collect_with_terminator() -> None:
    call = collect_flow()
    run(call, [
        (0, CallStarted(), [play(1, "Enter your number.", barge_in=True)]),
        (2, PlaybackFinished(1), []),
        *[(3 + i, DigitReceived(d), []) for i, d in enumerate("9876")],
        (7, DigitReceived("#"), [play(2, "You entered 9 8 7 6.")]),
    ])
    assert call.variables["n"] == "9876"


def test_collect_deadlines_first_digit_then_inter_digit() -> None:
    call = collect_flow()
    call.start(0)
    assert call.next_timer() is None  # no deadline while the prompt plays
    call.handle(PlaybackFinished(1), 2)
    assert call.next_timer() == 7  # first-digit timeout
    call.handle(DigitReceived("1"), 4)
    assert call.next_timer() == 7  # inter-digit timeout from the last key
    assert call.on_timer(6.9) == []  # early: nothing happens, the deadline stays
    assert call.next_timer() == 7


def test_collect_inter_digit_timeout_accepts_enough_digits() -> None:
    call = collect_flow()
    run(call, [
        (0, CallStarted(), [play(1, "Enter your number.", barge_in=True)]),
        (1, PlaybackFinished(1), []),
        *[(2 + i, DigitReceived(d), []) for i, d in enumerate("1234")],
        (8, TIMER, [play(2, "You entered 1 2 3 4.")]),
    ])


def test_collect_too_few_digits_retries_then_hangs_up() -> None:
    call = collect_flow()
    run(call, [
        (0, CallStarted(), [play(1, "Enter your number.", barge_in=True)]),
        (1, PlaybackFinished(1), []),
        (2, DigitReceived("1"), []),
        (3, DigitReceived("2"), []),
        (6, TIMER, [play(2, "That number is not valid.", "Enter your number.", barge_in=True)]),
        (8, PlaybackFinished(2), []),
        (9, DigitReceived("1"), []),
        (10, DigitReceived("#"), [Hangup("no valid input at 'num'")]),
    ])
    assert "n" not in call.variables


def test_collect_first_digit_timeout_has_its_own_prompt() -> None:
    call = collect_flow()
    run(call, [
        (0, CallStarted(), [play(1, "Enter your number.", barge_in=True)]),
        (1, PlaybackFinished(1), []),
        (6, TIMER, [play(2, "Nothing entered.", "Enter your number.", barge_in=True)]),
        (7, DigitReceived("5"), [StopPlayback(2)]),  # barge into the retry prompt
        *[(8 + i, DigitReceived(d), []) for i, d in enumerate("555")],
        (11, DigitReceived("#"), [play(3, "You entered 5 5 5 5.")]),
    ])


def test_collect_barge_in_arms_the_inter_digit_deadline() -> None:
    call = collect_flow(terminator=None, max_digits=4)
    run(call, [
        (0, CallStarted(), [play(1, "Enter your number.", barge_in=True)]),
        (1, DigitReceived("4"), [StopPlayback(1)]),
        (1.5, PlaybackFinished(1), []),
        (2, DigitReceived("#"), []),  # no terminator: '#' is a digit like any other
        (5, TIMER, [play(2, "That number is not valid.", "Enter your number.", barge_in=True)]),
    ])


def test_typeahead_during_a_barge_in_prompt_answers_the_next_menu() -> None:
    welcome = PlayNode("welcome", say("Welcome."), "main", barge_in=True)
    call = FlowInterpreter(flow(welcome, menu(), ONE, TWO, AGENT))
    run(call, [
        (0, CallStarted(), [play(1, "Welcome.", barge_in=True)]),
        (1, DigitReceived("1"), [StopPlayback(1), Hangup("chose one")]),
    ])
    assert call.path == ["welcome", "main", "one"]


def test_typeahead_feeds_a_collection_and_skips_its_prompt() -> None:
    welcome = PlayNode("welcome", say("Welcome."), "num", barge_in=True)
    call = FlowInterpreter(flow(welcome, collect(max_digits=4), ECHO, BYE))
    run(call, [
        (0, CallStarted(), [play(1, "Welcome.", barge_in=True)]),
        (1, DigitReceived("7"), [StopPlayback(1)]),
        (2, DigitReceived("7"), []),
        (3, DigitReceived("0"), []),
        (4, DigitReceived("1"), [play(2, "You entered 7 7 0 1.")]),
    ])


def test_a_prompt_without_barge_in_discards_typeahead() -> None:
    welcome = PlayNode("welcome", say("Welcome."), "notice", barge_in=True)
    notice = PlayNode("notice", say("Calls are recorded."), "main")
    call = FlowInterpreter(flow(welcome, notice, menu(), ONE, TWO, AGENT))
    run(call, [
        (0, CallStarted(), [play(1, "Welcome.", barge_in=True)]),
        (1, DigitReceived("1"), [StopPlayback(1), play(2, "Calls are recorded.")]),
        (3, PlaybackFinished(2), [play(3, "Press 1 or 2.", barge_in=True)]),
    ])


def test_loop_guard_hangs_up_with_a_logged_reason(caplog: pytest.LogCaptureFixture) -> None:
    looping = flow(
        MenuNode("m", say("Menu."), {"1": "p"}),
        PlayNode("p", say("Info."), "m"),
        max_node_visits=5,
    )
    call = FlowInterpreter(looping, call_id="c-1")
    reason = "loop guard: more than 5 node visits (at 'p')"
    with caplog.at_level(logging.WARNING, logger="helpline.core.ivr.interpreter"):
        run(call, [
            (0, CallStarted(), [play(1, "Menu.", barge_in=True)]),
            (1, DigitReceived("1"), [StopPlayback(1), play(2, "Info.")]),
            (2, PlaybackFinished(2), [play(3, "Menu.", barge_in=True)]),
            (3, DigitReceived("1"), [StopPlayback(3), play(4, "Info.")]),
            (4, PlaybackFinished(4), [play(5, "Menu.", barge_in=True)]),
            (5, DigitReceived("1"), [StopPlayback(5), Hangup(reason)]),
        ])
    assert call.end_reason == reason
    assert any(reason in r.getMessage() and "c-1" in r.getMessage() for r in caplog.records)


def test_loop_guard_stops_a_loop_that_never_waits() -> None:
    spin = flow(
        SetNode("a", (("x", Template.parse("{x}1")),), "b"),
        SetNode("b", (), "a"),
        max_node_visits=50,
    )
    call = FlowInterpreter(spin)
    assert call.start(0) == [Hangup("loop guard: more than 50 node visits (at 'a')")]
    assert call.variables["x"] == "1" * 25


def test_caller_hangs_up_while_collecting() -> None:
    call = collect_flow()
    call.start(0)
    call.handle(PlaybackFinished(1), 1)
    assert call.handle(CallerHungUp(), 2) == []
    assert call.state is CallState.DONE
    assert call.end_reason == "caller hung up"
    assert call.next_timer() is None
    assert call.on_timer(100) == []


def test_illegal_inputs_raise_and_change_nothing() -> None:
    call = collect_flow()
    with pytest.raises(IllegalInput, match="DigitReceived is not legal in state new"):
        call.handle(DigitReceived("1"), 0)
    assert call.state is CallState.NEW
    call.start(0)
    call.handle(PlaybackFinished(1), 1)
    before = (call.state, dict(call.variables), call.next_timer(), list(call.path))
    with pytest.raises(IllegalInput, match="CallStarted"):
        call.start(2)
    with pytest.raises(IllegalInput, match="not a DTMF key"):
        call.handle(DigitReceived("x"), 2)
    assert (call.state, dict(call.variables), call.next_timer(), list(call.path)) == before
    # An HTTP answer nobody asked for is stale, not illegal.
    assert call.handle(HttpResult(1, 200, {}), 3) == []
    assert call.next_timer() == before[2]


def test_terminator_right_after_a_full_collection_is_swallowed() -> None:
    readback = PlayNode("echo", say("You entered {n:digits}."), "main", barge_in=True)
    call = FlowInterpreter(flow(collect(max_digits=4), readback, menu(), ONE, TWO, AGENT))
    run(call, [
        (0, CallStarted(), [play(1, "Enter your number.", barge_in=True)]),
        (1, PlaybackFinished(1), []),
        *[(2 + i, DigitReceived(d), []) for i, d in enumerate("123")],
        (5, DigitReceived("4"), [play(2, "You entered 1 2 3 4.", barge_in=True)]),
        (5.5, DigitReceived("#"), []),  # the "then press hash" key: not a barge-in
        (6, DigitReceived("#"), [StopPlayback(2), play(3, "Invalid.", "Press 1 or 2.", barge_in=True)]),
    ])


def test_terminator_long_after_a_full_collection_is_a_key_like_any_other() -> None:
    readback = PlayNode("echo", say("You entered {n:digits}."), "main", barge_in=True)
    call = FlowInterpreter(flow(collect(max_digits=4), readback, menu(), ONE, TWO, AGENT))
    call.start(0)
    call.handle(PlaybackFinished(1), 1)
    for i, d in enumerate("1234"):
        call.handle(DigitReceived(d), 2 + i)
    assert call.handle(DigitReceived("#"), 9) == [StopPlayback(2), play(3, "Invalid.", "Press 1 or 2.", barge_in=True)]
