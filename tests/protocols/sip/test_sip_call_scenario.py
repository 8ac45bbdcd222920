"""A whole call between two pure UAs over a lossy link: every layer of the stack together."""

from __future__ import annotations

import pytest
from sip_factories import CALLEE, CALLER, make_request

from helpline.protocols.sip import (
    AckReceived,
    AnswerAcknowledged,
    AnswerRetransmitter,
    AnswerTimedOut,
    Dialog,
    DialogState,
    RequestReceived,
    Response,
    ResponseReceived,
    SessionDescription,
    TransactionLayer,
    Via,
    build_answer,
    build_offer,
    build_response,
    parse_message,
)
from helpline.protocols.sip.errors import SipStateError

UAC_VIA = Via("UDP", "127.0.0.1", 5061)
OFFER = build_offer(address="127.0.0.1", port=30000, session_id="1", session_version=1)


class Phone:
    """Just enough of a UA: transactions, one dialog, 2xx reliability."""

    def __init__(self, addr: tuple[str, int]) -> None:
        self.addr = addr
        self.layer = TransactionLayer()
        self.dialog: Dialog | None = None
        self.answer: AnswerRetransmitter | None = None
        self.log: list[str] = []

    def outgoing(self) -> list[bytes]:
        out = [bytes(o.message) for o in self.layer.messages_to_send()]
        if self.answer is not None:
            out += [bytes(o.message) for o in self.answer.messages_to_send()]
        return out

    def next_timer(self) -> float | None:
        timers = [t for t in (self.layer.next_timer(), self.answer and self.answer.next_timer()) if t]
        return min(timers) if timers else None

    def tick(self, now: float) -> None:
        self.layer.handle_timer(now)
        if self.answer is not None:
            self.answer.handle_timer(now)
        self.react(now)

    def react(self, now: float) -> None:
        for ev in self.layer.pop_events():
            if isinstance(ev, RequestReceived):
                self.on_request(ev, now)
            elif isinstance(ev, ResponseReceived):
                self.on_response(ev.response, now)
            elif isinstance(ev, AckReceived):
                self.log.append("ACK in")
                if self.answer is not None:
                    self.answer.ack(now)
        if self.answer is not None:
            for a in self.answer.pop_events():
                self.log.append("answer acked" if isinstance(a, AnswerAcknowledged) else "answer timed out")
                assert not isinstance(a, AnswerTimedOut)

    def on_request(self, ev: RequestReceived, now: float) -> None:
        req = ev.request
        self.log.append(f"{req.method} in")
        if req.method == "INVITE":
            answer, audio = build_answer(SessionDescription.parse(req.body), address="127.0.0.1", port=40000,
                                         session_id="2", session_version=1)
            assert audio is not None
            self.layer.send_response(ev.transaction, build_response(req, 180, to_tag="uas"), now)
            ok = build_response(req, 200, to_tag="uas", headers=[("Contact", "<sip:agent@127.0.0.1:5060>")],
                                body=bytes(answer), content_type="application/sdp")
            self.layer.send_response(ev.transaction, ok, now)
            self.dialog = Dialog.as_uas(req, ok)
            self.answer = AnswerRetransmitter(ok, ev.source, now)
        else:
            assert self.dialog is not None
            status = self.dialog.receive_request(req) or 200
            self.layer.send_response(ev.transaction, build_response(req, status), now)

    def on_response(self, resp: Response, now: float) -> None:
        self.log.append(f"{resp.status} {resp.cseq.method} in")
        if resp.cseq.method == "INVITE" and resp.status == 200:
            if self.dialog is None:
                self.dialog = Dialog.as_uac(self.invite, resp)
            self.layer.send_stateless(self.dialog.create_ack(UAC_VIA), CALLEE)

    def call(self, now: float) -> None:
        self.invite = make_request("INVITE", body=bytes(OFFER))
        self.layer.send_request(self.invite, CALLEE, now, reliable=False)

    def hang_up(self, now: float) -> None:
        assert self.dialog is not None
        self.layer.send_request(self.dialog.create_request("BYE", UAC_VIA), CALLEE, now, reliable=False)


def _run(uac: Phone, uas: Phone, until: float, lose: set[int], wire: list[bytes]) -> None:
    now = 0.0
    while True:
        moved = True
        while moved:
            moved = False
            for src, dst in ((uac, uas), (uas, uac)):
                for data in src.outgoing():
                    moved = True
                    wire.append(data)
                    if len(wire) - 1 in lose:
                        continue
                    dst.layer.receive(parse_message(data), src.addr, now, reliable=False)
                    dst.react(now)
        timers = [t for t in (uac.next_timer(), uas.next_timer()) if t is not None]
        if not timers or min(timers) > until:
            return
        now = min(timers)
        uac.tick(now)
        uas.tick(now)


def test_call_survives_a_lost_200_and_a_lost_ack() -> None:
    uac, uas = Phone(CALLER), Phone(CALLEE)
    uac.call(0.0)
    wire: list[bytes] = []
    # wire[0] INVITE, [1] 100, [2] 180, [3] 200 (lost), then the 200 comes again from the UAS
    # core at T1, and the first ACK is lost too.
    _run(uac, uas, 0.0, set(), wire)
    assert [w.split(b"\r\n")[0] for w in wire] == [
        b"INVITE sip:service@127.0.0.1:5060 SIP/2.0", b"SIP/2.0 100 Trying", b"SIP/2.0 180 Ringing",
        b"SIP/2.0 200 OK", b"ACK sip:agent@127.0.0.1:5060 SIP/2.0",
    ]
    # Replay the same call with losses.
    uac, uas = Phone(CALLER), Phone(CALLEE)
    uac.call(0.0)
    wire = []
    _run(uac, uas, 60.0, {3, 5}, wire)
    assert uac.dialog is not None and uas.dialog is not None
    assert uac.dialog.state is uas.dialog.state is DialogState.CONFIRMED
    assert uas.log.count("answer acked") == 1
    acks = [w for w in wire if w.startswith(b"ACK ")]
    assert len(acks) >= 2 and len(set(acks)) == 1, "a retransmitted 2xx gets the very same ACK"
    assert sum(w.startswith(b"SIP/2.0 200 OK") for w in wire) >= 3
    uac.hang_up(100.0)
    _run(uac, uas, 200.0, set(), wire)
    assert uas.dialog.state is DialogState.TERMINATED and uac.dialog.state is DialogState.TERMINATED
    assert "200 BYE in" in uac.log
    assert len(uac.layer) == 0 and len(uas.layer) == 0


def test_unacknowledged_answer_gives_up_after_64_t1() -> None:
    ok = build_response(make_request("INVITE"), 200, to_tag="x")
    r = AnswerRetransmitter(ok, CALLER, 0.0)
    times = []
    while (t := r.next_timer()) is not None:
        r.handle_timer(t)
        times += [t for _ in r.messages_to_send()]
    assert times[:6] == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5] and times[-1] < 32.0
    assert [type(e) for e in r.pop_events()] == [AnswerTimedOut]
    with pytest.raises(SipStateError):
        r.ack(33.0)  # too late: the caller has been told to hang up
    assert r.state.value == "gave up"
    reliable = AnswerRetransmitter(ok, CALLER, 0.0, reliable=True)
    assert reliable.next_timer() == 32.0
    reliable.ack(1.0)
    reliable.ack(1.2)
    assert [type(e) for e in reliable.pop_events()] == [AnswerAcknowledged] and reliable.next_timer() is None
