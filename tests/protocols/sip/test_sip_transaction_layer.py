"""Two transaction layers wired back to back over a lossy, serializing link."""

from __future__ import annotations

from sip_factories import CALLEE, CALLER, make_request

from helpline.protocols.sip.builders import build_cancel, build_response
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.parser import parse_message
from helpline.protocols.sip.transaction import (
    AckReceived,
    ResponseReceived,
    TransactionTerminated,
    TransactionTimeout,
)
from helpline.protocols.sip.transaction_layer import (
    LayerEvent,
    RequestReceived,
    StrayResponse,
    TransactionLayer,
)


class Link:
    """Carries bytes between a UAC layer (at CALLER) and a UAS layer (at CALLEE)."""

    def __init__(self, drop: int = 0) -> None:
        self.uac = TransactionLayer()
        self.uas = TransactionLayer()
        self.drop = drop  # how many of the next messages to lose
        self.wire: list[bytes] = []

    def flush(self, now: float) -> None:
        moved = True
        while moved:
            moved = False
            for src, dst, src_addr in ((self.uac, self.uas, CALLER), (self.uas, self.uac, CALLEE)):
                for out in src.messages_to_send():
                    moved = True
                    data = bytes(out.message)
                    self.wire.append(data)
                    if self.drop:
                        self.drop -= 1
                        continue
                    dst.receive(parse_message(data), src_addr, now, reliable=False)

    def advance(self, until: float) -> None:
        while True:
            deadlines = [t for t in (self.uac.next_timer(), self.uas.next_timer()) if t is not None]
            if not deadlines or min(deadlines) > until:
                return
            t = min(deadlines)
            self.uac.handle_timer(t)
            self.uas.handle_timer(t)
            self.flush(t)


def _of(events: list[LayerEvent], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def test_invite_200_ack_and_bye_end_to_end() -> None:
    link = Link()
    invite = make_request("INVITE")
    key = link.uac.send_request(invite, CALLEE, 0.0, reliable=False)
    link.flush(0.0)
    (new,) = _of(link.uas.pop_events(), RequestReceived)
    assert new.request.call_id == "call-1" and new.source == CALLER
    ok = build_response(new.request, 200, to_tag="uas1")
    link.uas.send_response(new.transaction, ok, 0.1)
    link.flush(0.1)
    got = _of(link.uac.pop_events(), ResponseReceived)
    assert [e.response.status for e in got] == [100, 200] and got[0].transaction == key
    # The dialog acknowledges the 2xx outside the transaction; the UAS layer hands it up.
    ack = make_request("ACK", to_tag="uas1")
    link.uac.send_stateless(ack, CALLEE)
    link.flush(0.2)
    (acked,) = _of(link.uas.pop_events(), AckReceived)
    assert acked.request.method == "ACK"
    link.advance(40.0)
    assert len(link.uac) == 0 and len(link.uas) == 0
    assert _of(link.uas.pop_events(), TransactionTerminated)
    bye = make_request("BYE", cseq=2, to_tag="uas1")
    link.uac.send_request(bye, CALLEE, 50.0, reliable=False)
    link.flush(50.0)
    (bye_in,) = _of(link.uas.pop_events(), RequestReceived)
    link.uas.send_response(bye_in.transaction, build_response(bye_in.request, 200), 50.0)
    link.flush(50.0)
    assert [e.response.status for e in _of(link.uac.pop_events(), ResponseReceived)] == [200]


def test_lost_request_is_retransmitted_and_delivered_once() -> None:
    link = Link(drop=1)
    link.uac.send_request(make_request("OPTIONS"), CALLEE, 0.0, reliable=False)
    link.flush(0.0)
    assert link.uas.pop_events() == []
    link.advance(0.5)
    (new,) = _of(link.uas.pop_events(), RequestReceived)
    link.uas.send_response(new.transaction, build_response(new.request, 200, to_tag="t"), 0.6)
    link.flush(0.6)
    link.advance(3.0)  # no more retransmissions once answered
    assert len([w for w in link.wire if w.startswith(b"OPTIONS")]) == 2
    assert _of(link.uas.pop_events(), RequestReceived) == []


def test_lost_failure_response_is_retransmitted_until_acked() -> None:
    link = Link()
    link.uac.send_request(make_request("INVITE"), CALLEE, 0.0, reliable=False)
    link.flush(0.0)
    (new,) = _of(link.uas.pop_events(), RequestReceived)
    link.drop = 1
    link.uas.send_response(new.transaction, build_response(new.request, 486, to_tag="b"), 1.0)
    link.flush(1.0)
    link.advance(1.5)  # timer G resends the 486; the UAC's transaction ACKs it
    statuses = [e.response.status for e in _of(link.uac.pop_events(), ResponseReceived)]
    assert statuses == [100, 486]
    assert sum(w.startswith(b"ACK ") for w in link.wire) == 1
    link.advance(100.0)
    assert len(link.uas) == 0 and len(link.uac) == 0
    assert not _of(link.uas.pop_events(), TransactionTimeout)


def test_cancel_finds_its_invite() -> None:
    link = Link()
    invite = make_request("INVITE")
    link.uac.send_request(invite, CALLEE, 0.0, reliable=False)
    link.flush(0.0)
    (inv_in,) = _of(link.uas.pop_events(), RequestReceived)
    link.uac.send_request(build_cancel(invite), CALLEE, 1.0, reliable=False)
    link.flush(1.0)
    (cancel_in,) = _of(link.uas.pop_events(), RequestReceived)
    assert cancel_in.request.method == "CANCEL"
    assert link.uas.invite_for_cancel(cancel_in.request) == inv_in.transaction
    link.uas.send_response(cancel_in.transaction, build_response(cancel_in.request, 200, to_tag="c"), 1.0)
    link.uas.send_response(inv_in.transaction, build_response(inv_in.request, 487, to_tag="c"), 1.0)
    link.flush(1.0)
    statuses = sorted(e.response.status for e in _of(link.uac.pop_events(), ResponseReceived))
    assert statuses == [100, 200, 487]
    assert link.uas.invite_for_cancel(make_request("CANCEL")) is None


def test_unmatched_response_is_stray() -> None:
    layer = TransactionLayer()
    resp = build_response(make_request("INVITE"), 200, to_tag="x")
    layer.receive(resp, CALLEE, 0.0, reliable=False)
    assert layer.pop_events() == [StrayResponse(resp, CALLEE)]


def test_next_timer_is_the_earliest_across_transactions() -> None:
    layer = TransactionLayer()
    layer.send_request(make_request("OPTIONS"), CALLEE, 0.0, reliable=True)
    layer.send_request(make_request("INVITE"), CALLEE, 1.0, reliable=False)
    assert layer.next_timer() == 1.5
    layer.handle_timer(1.5)
    assert layer.next_timer() == 2.5
    layer.handle_timer(40.0)
    assert layer.next_timer() is None and len(layer) == 0
    timeouts = _of(layer.pop_events(), TransactionTimeout)
    assert len(timeouts) == 2


def test_reliable_server_answers_on_the_connection() -> None:
    layer = TransactionLayer()
    req = make_request("OPTIONS", rport=False)
    layer.receive(req, ("10.0.0.5", 41234), 0.0, reliable=True)
    (ev,) = layer.pop_events()
    assert isinstance(ev, RequestReceived)
    layer.send_response(ev.transaction, build_response(req, 200), 0.0)
    (out,) = layer.messages_to_send()
    assert out.peer == ("10.0.0.5", 41234) and isinstance(out.message, Response)
    assert len(layer) == 0  # timer J is zero on reliable transports
    assert isinstance(req, Request)
