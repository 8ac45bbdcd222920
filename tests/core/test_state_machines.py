"""The agent and interaction state machines: legal moves change state, illegal ones raise and change nothing."""

from __future__ import annotations

import pytest

from helpline.core.agent import (
    PRESENCE_TRANSITIONS,
    Agent,
    AgentState,
    Presence,
    PresenceTrigger,
    SlotState,
    SlotTrigger,
)
from helpline.core.config import AgentConfig, Channel
from helpline.core.errors import InvalidTransition
from helpline.core.interaction import TRANSITIONS, Interaction, InteractionState, Trigger


def chat_agent() -> Agent:
    return Agent(AgentConfig("a", capacity={Channel.VOICE: 1, Channel.CHAT: 3}, total_capacity=3), 0)


def new_interaction() -> Interaction:
    return Interaction("i", "q", Channel.VOICE, 0, {}, None, {}, None, 0.0, 0)


@pytest.mark.parametrize("presence", list(Presence))
@pytest.mark.parametrize("trigger", list(PresenceTrigger))
def test_presence_table_is_total(presence: Presence, trigger: PresenceTrigger) -> None:
    a = chat_agent()
    a.presence = presence
    before = a.to_dict()
    expected = PRESENCE_TRANSITIONS.get((presence, trigger))
    if expected is None:
        with pytest.raises(InvalidTransition):
            a.fire_presence(trigger)
        assert a.to_dict() == before
    else:
        a.fire_presence(trigger, "break")
        assert a.presence is expected


def test_capacity_counts_every_slot_state_per_channel_and_in_total() -> None:
    a = chat_agent()
    a.fire_presence(PresenceTrigger.LOGIN)
    a.add_offer("c1", Channel.CHAT, 1.0)
    a.fire_slot("c1", SlotTrigger.ACCEPT, 2.0)
    assert a.summary() is AgentState.BUSY
    assert a.can_take(Channel.CHAT) and a.can_take(Channel.VOICE)
    a.add_offer("v1", Channel.VOICE, 3.0)
    assert not a.can_take(Channel.VOICE)  # one voice at a time
    assert a.can_take(Channel.CHAT)
    a.add_offer("c2", Channel.CHAT, 3.0)
    assert not a.can_take(Channel.CHAT)  # total capacity 3 reached
    a.fire_slot("c1", SlotTrigger.WRAP, 4.0)
    assert not a.can_take(Channel.CHAT)  # wrap-up still holds its capacity
    a.fire_slot("c1", SlotTrigger.RELEASE, 5.0)
    assert a.can_take(Channel.CHAT)
    assert a.free_for(Channel.CHAT) == 1


def test_callback_uses_voice_capacity_unless_configured() -> None:
    a = chat_agent()
    a.fire_presence(PresenceTrigger.LOGIN)
    a.add_offer("cb", Channel.CALLBACK, 0.0)
    assert not a.can_take(Channel.VOICE)


@pytest.mark.parametrize(
    ("setup", "trigger"),
    [
        ([], SlotTrigger.ACCEPT),  # no offer to accept
        ([SlotTrigger.ACCEPT, SlotTrigger.WRAP], SlotTrigger.ACCEPT),
        ([], SlotTrigger.WRAP),  # an offer cannot go to wrap-up
    ],
)
def test_illegal_slot_moves_raise_and_change_nothing(setup: list[SlotTrigger], trigger: SlotTrigger) -> None:
    a = chat_agent()
    a.fire_presence(PresenceTrigger.LOGIN)
    iid = "c1"
    if setup or trigger is not SlotTrigger.ACCEPT:
        a.add_offer(iid, Channel.CHAT, 0.0)
    for t in setup:
        a.fire_slot(iid, t, 1.0)
    before = a.to_dict()
    with pytest.raises(InvalidTransition):
        a.fire_slot(iid if (setup or trigger is not SlotTrigger.ACCEPT) else "other", trigger, 2.0)
    assert a.to_dict() == before


def test_logout_refused_while_holding_work() -> None:
    a = chat_agent()
    a.fire_presence(PresenceTrigger.LOGIN)
    a.add_offer("c1", Channel.CHAT, 0.0)
    a.fire_slot("c1", SlotTrigger.ACCEPT, 1.0)
    with pytest.raises(InvalidTransition):
        a.fire_presence(PresenceTrigger.LOGOUT)
    assert a.presence is Presence.READY


def test_summary_prefers_the_busiest_state() -> None:
    a = chat_agent()
    assert a.summary() is AgentState.OFFLINE
    a.fire_presence(PresenceTrigger.LOGIN)
    assert a.summary() is AgentState.AVAILABLE
    a.add_offer("c1", Channel.CHAT, 0.0)
    assert a.summary() is AgentState.RESERVED
    a.fire_slot("c1", SlotTrigger.ACCEPT, 1.0)
    a.fire_presence(PresenceTrigger.PAUSE, "lunch")
    assert a.summary() is AgentState.BUSY  # paused after this chat
    a.fire_slot("c1", SlotTrigger.WRAP, 2.0)
    assert a.summary() is AgentState.WRAP_UP
    a.fire_slot("c1", SlotTrigger.RELEASE, 3.0)
    assert a.summary() is AgentState.PAUSED
    assert a.pause_reason == "lunch"
    assert a.slots == {} and SlotState.RELEASED not in {s.state for s in a.slots.values()}


@pytest.mark.parametrize("state", list(InteractionState))
@pytest.mark.parametrize("trigger", list(Trigger))
def test_interaction_table_is_total(state: InteractionState, trigger: Trigger) -> None:
    i = new_interaction()
    i.state = state
    before = i.to_dict()
    expected = TRANSITIONS.get((state, trigger))
    if expected is None:
        with pytest.raises(InvalidTransition):
            i.fire(trigger)
        assert i.to_dict() == before
    else:
        i.fire(trigger)
        assert i.state is expected


def test_failed_offer_of_a_callback_goes_back_to_callback_waiting() -> None:
    i = new_interaction()
    i.fire(Trigger.CALLBACK)
    i.callback_number = "+15550100"
    i.fire(Trigger.OFFER)
    i.fire(Trigger.REQUEUE)
    assert i.state is InteractionState.CALLBACK_WAITING


def test_interaction_round_trips_through_dict() -> None:
    i = new_interaction()
    i.skills = {"es": 3}
    i.fire(Trigger.OFFER)
    clone = Interaction.from_dict("i", i.to_dict())
    assert clone.to_dict() == i.to_dict()
