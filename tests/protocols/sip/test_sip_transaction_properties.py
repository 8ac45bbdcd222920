"""Invariants of the four transaction machines under any sequence of inputs and timer firings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sip_factories import CALLEE, CALLER, make_request

from helpline.protocols.sip.builders import build_response
from helpline.protocols.sip.errors import SipStateError
from helpline.protocols.sip.message import Request
from helpline.protocols.sip.transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    State,
    Transaction,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
)

STATUSES = st.sampled_from([100, 180, 183, 200, 202, 302, 401, 486, 503, 603])
ACTIONS = st.one_of(
    st.tuples(st.just("advance"), st.floats(min_value=0.0, max_value=20.0)),
    st.tuples(st.just("status"), STATUSES),
    st.tuples(st.just("retransmission"), st.none()),
    st.tuples(st.just("ack"), st.none()),
    st.tuples(st.just("transport_error"), st.none()),
)


def _make(kind: str, reliable: bool) -> Transaction:
    method = "INVITE" if "invite" in kind else "OPTIONS"
    req = make_request(method, branch="z9hG4bKprop")
    if kind == "client_invite":
        return ClientInviteTransaction(req, CALLEE, 0.0, reliable=reliable)
    if kind == "client_other":
        return ClientNonInviteTransaction(req, CALLEE, 0.0, reliable=reliable)
    if kind == "server_invite":
        return ServerInviteTransaction(req, CALLER, 0.0, reliable=reliable)
    return ServerNonInviteTransaction(req, CALLER, 0.0, reliable=reliable)


def _apply(tx: Transaction, action: str, arg: object, now: float) -> None:
    req = tx.request
    if action == "transport_error":
        tx.transport_error(now)
    elif isinstance(tx, ClientInviteTransaction | ClientNonInviteTransaction):
        if action == "status":
            assert isinstance(arg, int)
            tx.receive(build_response(req, arg, to_tag="t"), now)
    elif isinstance(tx, ServerInviteTransaction | ServerNonInviteTransaction):
        if action == "status":
            assert isinstance(arg, int)
            tx.send(build_response(req, arg, to_tag="t"), now)
        elif action == "retransmission":
            tx.receive(req, now)
        elif action == "ack" and isinstance(tx, ServerInviteTransaction):
            tx.receive(make_request("ACK", branch="z9hG4bKprop"), now)


@settings(max_examples=250, deadline=None)
@given(
    st.sampled_from(["client_invite", "client_other", "server_invite", "server_other"]),
    st.booleans(),
    st.lists(ACTIONS, max_size=25),
)
def test_transactions_keep_their_invariants(kind: str, reliable: bool, actions: list[tuple[str, object]]) -> None:
    tx = _make(kind, reliable)
    now = 0.0
    events = []
    sent = []
    for action, arg in actions:
        if tx.terminated and action != "advance":
            continue
        if action == "advance":
            assert isinstance(arg, float)
            now += arg
            tx.handle_timer(now)
        else:
            before = tx.state
            try:
                _apply(tx, action, arg, now)
            except SipStateError:
                assert tx.state is before, "an illegal input must change nothing"
        events += tx.pop_events()
        sent += tx.messages_to_send()
        if not tx.terminated and (t := tx.next_timer()) is not None:
            assert t > now, "due timers are handled before control returns"
    now += 200.0
    tx.handle_timer(now)
    events += tx.pop_events()
    sent += tx.messages_to_send()
    waiting_for_tu = tx.state in (State.PROCEEDING, State.TRYING) and tx.next_timer() is None
    assert tx.terminated or waiting_for_tu
    terminated = [e for e in events if isinstance(e, TransactionTerminated)]
    assert len(terminated) == (1 if tx.terminated else 0)
    if terminated:
        assert events[-1] == terminated[0] and tx.next_timer() is None
    assert len([e for e in events if isinstance(e, TransactionTimeout | TransportFailed)]) <= 1
    requests = [o for o in sent if isinstance(o.message, Request) and o.message.method == tx.request.method]
    if kind.startswith("client"):
        # RFC 3261: at most 7 INVITEs (timer A) or 11 non-INVITEs (timer E) within timer B/F.
        assert len(requests) <= (7 if kind == "client_invite" else 11)
        if reliable:
            assert len(requests) == 1
