"""Transaction state machines driven with explicit time (RFC 3261 §17, RFC 6026)."""

from __future__ import annotations

import pytest
from sip_factories import CALLEE, CALLER, make_request

from helpline.protocols.sip.builders import build_response
from helpline.protocols.sip.errors import SipStateError
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.parser import parse_message
from helpline.protocols.sip.transaction import (
    AckReceived,
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ResponseReceived,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    State,
    Transaction,
    TransactionKey,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
    response_peer,
)


def run_timers(tx: Transaction, until: float) -> list[float]:
    """Fire every timer up to ``until``; return the times at which something was sent."""
    sent: list[float] = []
    while (t := tx.next_timer()) is not None and t <= until:
        tx.handle_timer(t)
        sent.extend(t for _ in tx.messages_to_send())
    return sent


def test_client_invite_retransmits_with_doubling_until_timer_b() -> None:
    tx = ClientInviteTransaction(make_request("INVITE"), CALLEE, 0.0)
    assert len(tx.messages_to_send()) == 1
    assert run_timers(tx, 100.0) == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert tx.state is State.TERMINATED
    assert tx.pop_events() == [TransactionTimeout(tx.key), TransactionTerminated(tx.key)]


def test_client_invite_on_reliable_transport_never_retransmits() -> None:
    tx = ClientInviteTransaction(make_request("INVITE"), CALLEE, 10.0, reliable=True)
    tx.messages_to_send()
    assert tx.next_timer() == 42.0
    assert run_timers(tx, 100.0) == []
    assert isinstance(tx.pop_events()[0], TransactionTimeout)


def test_client_invite_failure_is_acked_by_the_transaction() -> None:
    invite = make_request("INVITE")
    tx = ClientInviteTransaction(invite, CALLEE, 0.0)
    tx.messages_to_send()
    ringing = build_response(invite, 180, to_tag="tt")
    tx.receive(ringing, 0.2)
    assert tx.state is State.PROCEEDING and tx.next_timer() is None  # no more retransmissions
    busy = build_response(invite, 486, to_tag="tt")
    tx.receive(busy, 3.0)
    (ack,) = tx.messages_to_send()
    assert isinstance(ack.message, Request) and ack.message.method == "ACK"
    assert ack.message.top_via.branch == invite.top_via.branch and ack.message.to.tag == "tt"
    assert tx.pop_events() == [ResponseReceived(tx.key, ringing), ResponseReceived(tx.key, busy)]
    tx.receive(busy, 4.0)  # a retransmitted 486 is answered with the same ACK, silently
    assert [o.message for o in tx.messages_to_send()] == [ack.message]
    assert tx.pop_events() == []
    assert tx.next_timer() == 35.0  # timer D: 32 s on UDP
    tx.handle_timer(35.0)
    assert tx.terminated and tx.pop_events() == [TransactionTerminated(tx.key)]


def test_client_invite_2xx_goes_to_the_tu_until_timer_m() -> None:
    invite = make_request("INVITE")
    tx = ClientInviteTransaction(invite, CALLEE, 0.0)
    ok = build_response(invite, 200, to_tag="tt")
    tx.receive(ok, 1.0)
    tx.receive(ok, 1.5)  # retransmitted 2xx: passed up so the dialog can re-send its ACK
    assert [type(e) for e in tx.pop_events()] == [ResponseReceived, ResponseReceived]
    assert len(tx.messages_to_send()) == 1  # only the INVITE; the 2xx ACK is the dialog's job
    assert tx.state is State.ACCEPTED and tx.next_timer() == 33.0
    tx.handle_timer(33.0)
    assert tx.terminated


def test_client_non_invite_timer_e_caps_at_t2_and_timer_f_times_out() -> None:
    tx = ClientNonInviteTransaction(make_request("OPTIONS"), CALLEE, 0.0)
    tx.messages_to_send()
    sent = run_timers(tx, 100.0)
    assert sent[:6] == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5]
    assert sent[6:] == [19.5, 23.5, 27.5, 31.5]
    assert isinstance(tx.pop_events()[0], TransactionTimeout)


def test_client_non_invite_provisional_switches_to_t2_and_final_waits_t4() -> None:
    req = make_request("BYE")
    tx = ClientNonInviteTransaction(req, CALLEE, 0.0)
    tx.messages_to_send()
    tx.receive(build_response(req, 100), 0.1)
    tx.handle_timer(0.5)
    assert tx.next_timer() == 4.5  # in Proceeding, retransmit every T2
    tx.receive(build_response(req, 200), 1.0)
    assert tx.state is State.COMPLETED and tx.next_timer() == 6.0  # timer K = T4
    tx.receive(build_response(req, 200), 2.0)
    assert [type(e) for e in tx.pop_events()] == [ResponseReceived, ResponseReceived]
    tx.handle_timer(6.0)
    assert tx.terminated


def test_client_non_invite_on_reliable_transport_ends_at_its_final_response() -> None:
    req = make_request("REGISTER")
    tx = ClientNonInviteTransaction(req, CALLEE, 0.0, reliable=True)
    tx.receive(build_response(req, 200), 0.3)
    assert tx.terminated
    assert [type(e) for e in tx.pop_events()] == [ResponseReceived, TransactionTerminated]


def test_server_invite_failure_retransmits_until_ack() -> None:
    invite = make_request("INVITE")
    tx = ServerInviteTransaction(invite, CALLER, 0.0)
    (trying,) = tx.messages_to_send()
    assert isinstance(trying.message, Response) and trying.message.status == 100
    tx.receive(invite, 0.4)  # retransmitted INVITE: the 100 goes out again
    assert [o.message for o in tx.messages_to_send()] == [trying.message]
    tx.send(build_response(invite, 486, to_tag="x"), 1.0)
    tx.messages_to_send()
    assert run_timers(tx, 8.0) == [1.5, 2.5, 4.5, 8.5][:3]
    ack = parse_message(bytes(make_request("ACK", branch=invite.top_via.branch)))
    assert isinstance(ack, Request)
    tx.receive(ack, 9.0)
    assert tx.state is State.CONFIRMED and tx.next_timer() == 14.0  # timer I = T4
    tx.receive(ack, 10.0)  # absorbed
    tx.handle_timer(14.0)
    assert tx.terminated and tx.pop_events() == [TransactionTerminated(tx.key)]


def test_server_invite_without_ack_times_out_on_timer_h() -> None:
    invite = make_request("INVITE")
    tx = ServerInviteTransaction(invite, CALLER, 0.0, auto_trying=False)
    assert tx.messages_to_send() == []
    tx.send(build_response(invite, 404, to_tag="x"), 0.0)
    assert len(tx.messages_to_send()) == 1
    sent = run_timers(tx, 100.0)
    assert sent[:5] == [0.5, 1.5, 3.5, 7.5, 11.5] and sent[-1] <= 32.0
    assert tx.pop_events() == [TransactionTimeout(tx.key), TransactionTerminated(tx.key)]


def test_server_invite_2xx_is_accepted_and_absorbs_retransmissions() -> None:
    invite = make_request("INVITE")
    tx = ServerInviteTransaction(invite, CALLER, 0.0)
    tx.messages_to_send()
    ok = build_response(invite, 200, to_tag="x")
    tx.send(ok, 1.0)
    tx.receive(invite, 1.2)
    assert [o.message for o in tx.messages_to_send()] == [ok]
    tx.send(ok, 1.5)  # the TU retransmits its 2xx itself (§13.3.1.4)
    assert len(tx.messages_to_send()) == 1
    ack = make_request("ACK", branch=invite.top_via.branch)
    tx.receive(ack, 2.0)
    assert tx.pop_events() == [AckReceived(ack, CALLER)]
    assert tx.next_timer() == 33.0
    tx.handle_timer(33.0)
    assert tx.terminated


def test_server_non_invite_repeats_its_final_response_until_timer_j() -> None:
    req = make_request("OPTIONS")
    tx = ServerNonInviteTransaction(req, CALLER, 0.0)
    tx.receive(req, 0.1)  # nothing to repeat yet
    assert tx.messages_to_send() == []
    ok = build_response(req, 200, to_tag="x")
    tx.send(ok, 0.2)
    tx.receive(req, 0.7)
    assert [o.message for o in tx.messages_to_send()] == [ok, ok]
    assert tx.next_timer() == pytest.approx(32.2)
    with pytest.raises(SipStateError):
        tx.send(ok, 0.8)
    assert tx.state is State.COMPLETED  # the illegal event changed nothing
    tx.handle_timer(32.2)
    assert tx.terminated


def test_server_non_invite_on_reliable_transport_ends_with_its_response() -> None:
    req = make_request("BYE")
    tx = ServerNonInviteTransaction(req, CALLER, 0.0, reliable=True)
    tx.send(build_response(req, 200), 0.0)
    assert tx.terminated


def test_transport_error_ends_the_transaction() -> None:
    tx = ClientNonInviteTransaction(make_request("OPTIONS"), CALLEE, 0.0)
    tx.transport_error(0.1)
    assert tx.pop_events() == [TransportFailed(tx.key), TransactionTerminated(tx.key)]
    with pytest.raises(SipStateError):
        tx.receive(build_response(tx.request, 200), 0.2)


def test_keys_follow_rfc3261_matching_rules() -> None:
    invite = make_request("INVITE", branch="z9hG4bKabc")
    ack = make_request("ACK", branch="z9hG4bKabc")
    cancel = make_request("CANCEL", branch="z9hG4bKabc")
    assert TransactionKey.for_server(ack) == TransactionKey.for_server(invite)
    assert TransactionKey.for_server(cancel) != TransactionKey.for_server(invite)
    assert TransactionKey.for_client(build_response(invite, 200)) == TransactionKey.for_client(invite)
    legacy = make_request("INVITE", branch="1234")
    legacy_ack = make_request("ACK", branch="1234")
    assert TransactionKey.for_server(legacy).branch.startswith("rfc2543:")
    assert TransactionKey.for_server(legacy_ack) == TransactionKey.for_server(legacy)


def test_responses_follow_via_rport_and_received() -> None:
    with_rport = make_request("OPTIONS")
    assert response_peer(with_rport, ("203.0.113.9", 40000), reliable=False) == ("203.0.113.9", 40000)
    without = make_request("OPTIONS", rport=False)
    assert response_peer(without, ("203.0.113.9", 40000), reliable=False) == ("203.0.113.9", 5061)
    assert response_peer(without, ("203.0.113.9", 40000), reliable=True) == ("203.0.113.9", 40000)


@pytest.mark.parametrize(
    "kind", [ClientInviteTransaction, ClientNonInviteTransaction, ServerInviteTransaction, ServerNonInviteTransaction]
)
def test_tables_are_complete_and_consistent(kind: type[Transaction]) -> None:
    for (state, _event), (next_state, action) in kind.TABLE.items():
        assert callable(getattr(kind, "_" + action)), f"{kind.__name__} lacks _{action}"
        assert state is not State.TERMINATED
        for timer in kind.STATE_TIMERS.get(state, frozenset()):
            assert (state, timer) in kind.TABLE, f"{timer} can fire in {state} but is not handled"
        assert next_state in State


def test_server_invite_refuses_a_provisional_after_its_final_response() -> None:
    invite = make_request("INVITE")
    tx = ServerInviteTransaction(invite, CALLER, 0.0)
    tx.send(build_response(invite, 603, to_tag="x"), 0.0)
    with pytest.raises(SipStateError):
        tx.send(build_response(invite, 180, to_tag="x"), 0.1)
    assert tx.state is State.COMPLETED and len(tx.messages_to_send()) == 2
