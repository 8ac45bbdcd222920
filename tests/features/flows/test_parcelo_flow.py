"""The Parcelo demo flow end to end: the YAML file, the interpreter, and lookups over loopback
against the real tracking service, carried out by the flow runner."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from helpline.core.config import OpenHours, SkillRequirement
from helpline.core.hours import Schedule
from helpline.core.ivr import (
    CallerHungUp,
    DigitReceived,
    FlowCommand,
    FlowInterpreter,
    Hangup,
    Play,
    PlaybackFinished,
    RecordVoicemail,
    StopPlayback,
    ToQueue,
)
from helpline.demo.tracking_service import TrackingService
from helpline.features.flows import load_flow
from helpline.features.flows.driver import FlowRunner
from helpline.runtime.clock import ManualClock

PARCELO = Path(__file__).parents[3] / "examples" / "flows" / "parcelo.yaml"
QUEUES = {"tracking", "billing", "claims"}
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=AMS).timestamp()
SATURDAY_EVENING = datetime(2026, 11, 28, 18, 0, tzinfo=AMS).timestamp()
CHRISTMAS_MORNING = datetime(2026, 12, 25, 10, 0, tzinfo=AMS).timestamp()

MAIN_MENU = (
    "To track a parcel, press 1. For billing, press 2. For claims and damaged parcels, press 3. "
    "To speak to an agent, press 0."
)
ASK_NUMBER = "Please key in the ten digit tracking number of your parcel, then press hash."
AFTER_STATUS = "To speak to an agent about this parcel, press 1. To end the call, press 2 or hang up."


class Caller:
    """A caller on the phone: hears prompts to their end, presses keys, lets time pass."""

    def __init__(self, runner: FlowRunner, clock: ManualClock) -> None:
        self.runner = runner
        self.clock = clock
        self.heard: list[str] = []

    def _note(self, commands: Sequence[FlowCommand]) -> list[FlowCommand]:
        for command in commands:
            if isinstance(command, Play):
                self.heard.append(" ".join(p.text or p.file or "" for p in command.parts))
        return list(commands)

    async def call(self) -> list[FlowCommand]:
        return self._note(await self.runner.start())

    async def listen(self, play: FlowCommand, seconds: float = 3.0) -> list[FlowCommand]:
        assert isinstance(play, Play), play
        self.clock.advance(seconds)
        return self._note(await self.runner.feed(PlaybackFinished(play.play_id)))

    async def press(self, keys: str, gap: float = 0.4) -> list[FlowCommand]:
        out: list[FlowCommand] = []
        for key in keys:
            self.clock.advance(gap)
            out += self._note(await self.runner.feed(DigitReceived(key)))
        return out

    async def wait_for_timer(self) -> list[FlowCommand]:
        deadline = self.runner.interpreter.next_timer()
        assert deadline is not None
        self.clock.set(deadline)
        return self._note(await self.runner.timer())


@pytest.fixture
async def service() -> AsyncIterator[TrackingService]:
    async with TrackingService() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def caller(client: httpx.AsyncClient, tracking_url: str, at: float, **variables: str) -> Caller:
    loaded = load_flow(PARCELO, known_queues=QUEUES, constants={"tracking_url": tracking_url})
    assert loaded.warnings == ()
    clock = ManualClock(at)
    interpreter = FlowInterpreter(loaded.flow, variables={"caller": "+31201234567", **variables})
    return Caller(FlowRunner(interpreter, client, clock), clock)


def only(commands: Sequence[FlowCommand]) -> FlowCommand:
    assert len(commands) == 1, commands
    return commands[0]


async def test_track_a_parcel_then_reach_an_agent_with_the_parcel_on_screen(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    me = caller(client, service.url, MONDAY_MORNING)
    welcome = only(await me.call())
    menu = only(await me.listen(welcome, 1.5))
    stop, ask = await me.press("1")  # barge into the menu prompt
    assert stop == StopPlayback(menu.play_id)  # type: ignore[union-attr]
    assert await me.listen(ask, 4) == []
    status = only(await me.press("1234567890"))  # the 10th digit ends the collection
    assert await me.press("#") == []  # "then press hash": swallowed, not a barge-in
    after = only(await me.listen(status, 6))
    assert await me.listen(after, 4) == []
    assert await me.press("1") == [
        ToQueue(
            "tracking",
            0,
            (),
            {
                "tracking_number": "1234567890",
                "parcel_status": "in_transit",
                "parcel_eta": "Tuesday 24 November",
                "lookup_status": "200",
            },
        )
    ]
    assert me.heard == [
        "Welcome to Parcelo.",
        MAIN_MENU,
        ASK_NUMBER,
        "Parcel 1 2 3 4 5 6 7 8 9 0 is on its way to the Utrecht depot. Expected delivery: Tuesday 24 November.",
        AFTER_STATUS,
    ]
    ((request, result),) = me.runner.lookups
    assert (request.method, request.url) == ("GET", f"{service.url}/parcels/1234567890")
    assert result.status == 200
    assert me.runner.interpreter.path == [
        "check_hours",
        "welcome",
        "main_menu",
        "ask_number",
        "lookup",
        "say_status",
        "say_eta",
        "after_status",
        "to_tracking",
    ]


async def test_delivered_parcel_typed_ahead_then_goodbye(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    me = caller(client, service.url, MONDAY_MORNING)
    await me.call()
    stop, ask = await me.press("1")  # during the welcome: skips it and answers the menu at once
    assert stop == StopPlayback(1)
    assert me.heard == ["Welcome to Parcelo.", ASK_NUMBER]
    stop, status = await me.press("3456789012")  # barges into the prompt
    assert stop == StopPlayback(ask.play_id)  # type: ignore[union-attr]
    after = only(await me.listen(status))
    await me.listen(after)
    bye = only(await me.press("2"))
    assert await me.listen(bye) == [Hangup("caller served by the IVR")]
    assert me.heard[2:] == [
        "Parcel 3 4 5 6 7 8 9 0 1 2 has been delivered: delivered to a neighbour at number 12.",
        AFTER_STATUS,
        "Thank you for calling Parcelo. Goodbye.",
    ]


async def test_unknown_parcel_goes_straight_to_the_tracking_queue(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    me = caller(client, service.url, MONDAY_MORNING)
    await me.call()
    await me.listen((await me.press("1"))[-1])
    sorry = only(await me.press("1111111111"))
    assert await me.listen(sorry) == [
        ToQueue("tracking", 0, (), {"tracking_number": "1111111111", "lookup_status": "404"})
    ]
    assert me.heard[-1] == "Sorry, I could not find that parcel. Let me put you through to a tracking agent."
    assert me.runner.interpreter.last_http_error == "HTTP status 404"


async def test_tracking_service_down_goes_to_the_tracking_queue(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    me = caller(client, f"http://127.0.0.1:{closed_port}", MONDAY_MORNING)
    await me.call()
    await me.listen((await me.press("1"))[-1])
    sorry = only(await me.press("2345678901"))
    assert await me.listen(sorry) == [
        ToQueue("tracking", 0, (), {"tracking_number": "2345678901", "lookup_status": ""})
    ]
    assert "ConnectError" in (me.runner.interpreter.last_http_error or "")


async def test_slow_number_entry_and_a_short_number(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    me = caller(client, service.url, MONDAY_MORNING)
    await me.call()
    await me.listen((await me.press("1"))[-1])
    retry = only(await me.press("12345#"))  # too short
    assert me.heard[-1] == "A tracking number has ten digits. " + ASK_NUMBER
    assert await me.press("456789012") == [StopPlayback(retry.play_id)]  # type: ignore[union-attr]
    retry = only(await me.wait_for_timer())  # nine digits, then silence: still too short
    assert me.heard[-1] == "A tracking number has ten digits. " + ASK_NUMBER
    await me.listen(retry)
    await me.press("4567890123")
    assert me.heard[-1] == (
        "Parcel 4 5 6 7 8 9 0 1 2 3 is waiting at the Rotterdam depot. Expected delivery: Thursday 26 November."
    )
    assert me.runner.interpreter.variables["tracking_number"] == "4567890123"


@pytest.mark.parametrize(
    ("key", "queue", "priority"), [("2", "billing", 0), ("3", "claims", 1), ("0", "tracking", 0)]
)
async def test_menu_choices_reach_their_queues(
    client: httpx.AsyncClient, key: str, queue: str, priority: int
) -> None:
    me = caller(client, "http://127.0.0.1:9", MONDAY_MORNING)
    welcome = only(await me.call())
    menu = only(await me.listen(welcome))
    await me.listen(menu)
    assert await me.press(key) == [ToQueue(queue, priority, (), {"caller": "+31201234567"})]


async def test_no_choice_at_all_reaches_an_agent(client: httpx.AsyncClient) -> None:
    me = caller(client, "http://127.0.0.1:9", MONDAY_MORNING)
    menu = only(await me.listen(only(await me.call())))
    for _ in range(2):
        await me.listen(menu)
        menu = only(await me.wait_for_timer())
    await me.listen(menu)
    assert await me.wait_for_timer() == [ToQueue("tracking", 0, (), {"caller": "+31201234567"})]
    assert me.heard[-1] == "Sorry, I did not hear your choice. " + MAIN_MENU


@pytest.mark.parametrize("at", [SATURDAY_EVENING, CHRISTMAS_MORNING])
async def test_after_hours_and_holidays_go_to_voicemail(client: httpx.AsyncClient, at: float) -> None:
    me = caller(client, "http://127.0.0.1:9", at)
    greeting = only(await me.call())
    assert me.heard[0].startswith("Thank you for calling Parcelo. We are closed right now.")
    assert await me.listen(greeting, 12) == [
        RecordVoicemail(120, True, "tracking", {"caller": "+31201234567"})
    ]


async def test_caller_hangs_up_while_hearing_the_status(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    me = caller(client, service.url, MONDAY_MORNING)
    await me.call()
    await me.press("1")
    stop, status = await me.press("1234567890")
    assert isinstance(status, Play)
    assert await me.runner.feed(CallerHungUp()) == []
    assert me.runner.interpreter.end_reason == "caller hung up"


CLAIMS = Path(__file__).parents[3] / "examples" / "flows" / "parcelo_claims.yaml"


def claims_caller(client: httpx.AsyncClient, tracking_url: str, **kwargs: object) -> Caller:
    loaded = load_flow(CLAIMS, known_queues=QUEUES, constants={"tracking_url": tracking_url})
    assert loaded.warnings == ()
    clock = ManualClock(MONDAY_MORNING)
    interpreter = FlowInterpreter(loaded.flow, variables={"caller": "+31201234567"}, **kwargs)  # type: ignore[arg-type]
    return Caller(FlowRunner(interpreter, client, clock), clock)


async def test_claims_line_posts_a_claim_and_queues_by_its_priority_and_skill(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    me = claims_caller(client, service.url)
    await me.listen(only(await me.call()))
    confirm = only(await me.press("4567890123"))
    assert me.heard[-1] == "Your claim number is C L - 1 1 2 3. Please hold for a claims agent."
    (request, result), = me.runner.lookups
    assert (request.method, request.json_body) == (
        "POST", {"tracking_number": "4567890123", "caller": "+31201234567", "source": "ivr"}
    )
    assert result.status == 201
    assert await me.listen(confirm) == [ToQueue(
        "claims", 5, (SkillRequirement("claims", 3),),
        {"tracking_number": "4567890123", "claim_id": "CL-1123", "claim_source": "ivr"},
    )]


async def test_claims_line_follows_the_claims_queue_hours(client: httpx.AsyncClient) -> None:
    nights_only = Schedule("Europe/Amsterdam", (OpenHours((1, 2, 3, 4, 5), time(20), time(6)),))
    me = claims_caller(client, "http://127.0.0.1:9", queue_schedules={"claims": nights_only})
    greeting = only(await me.call())
    assert await me.listen(greeting) == [RecordVoicemail(90, True, "claims", {"caller": "+31201234567"})]


async def test_claims_line_without_a_claim_still_reaches_the_claims_queue(
    service: TrackingService, client: httpx.AsyncClient
) -> None:
    me = claims_caller(client, service.url)
    await me.listen(only(await me.call()))
    assert await me.press("1111111111") == [
        ToQueue("claims", 0, (), {"tracking_number": "1111111111", "claim_source": "ivr"})
    ]
