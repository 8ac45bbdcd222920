"""The stack against a real SIPp over loopback UDP, both as UAS and as UAC.

The sockets here are the test's harness only; every SIP decision is made by the pure stack.
The wire messages captured from these runs are kept as fixtures (data/sipp_captured_*.sip).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from sip_fixtures import fixture_bytes

from helpline.protocols.sip import (
    Address,
    Dialog,
    DialogId,
    Request,
    ResponseReceived,
    SessionDescription,
    SipUri,
    TransactionLayer,
    Via,
    accept_answer,
    build_answer,
    build_offer,
    build_request,
    build_response,
    new_branch,
    new_call_id,
    new_tag,
    parse_message,
)
from helpline.protocols.sip.transaction_layer import RequestReceived

SIPP = shutil.which("sipp")
slow = pytest.mark.slow


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.02)
    yield s
    s.close()


def _pump(sock: socket.socket, layer: TransactionLayer) -> None:
    now = time.monotonic()
    layer.handle_timer(now)
    for out in layer.messages_to_send():
        sock.sendto(bytes(out.message), out.peer)
    try:
        data, addr = sock.recvfrom(65535)
    except TimeoutError:
        return
    layer.receive(parse_message(data), addr, time.monotonic(), reliable=False)


@slow
@pytest.mark.skipif(SIPP is None, reason="SIPp (Debian package sip-tester) is not installed")
def test_sipp_uac_calls_our_uas(udp: socket.socket) -> None:
    port = udp.getsockname()[1]
    sipp = subprocess.Popen(
        [SIPP or "sipp", "-sn", "uac", f"127.0.0.1:{port}", "-m", "1", "-p", str(_free_udp_port()),
         "-i", "127.0.0.1", "-nostdin", "-timeout", "15"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    layer = TransactionLayer()
    dialogs: dict[str, Dialog] = {}
    methods: list[str] = []
    try:
        deadline = time.monotonic() + 15
        while sipp.poll() is None and time.monotonic() < deadline:
            _pump(udp, layer)
            now = time.monotonic()
            for ev in layer.pop_events():
                if not isinstance(ev, RequestReceived):
                    if hasattr(ev, "request"):
                        methods.append(ev.request.method)
                    continue
                req = ev.request
                methods.append(req.method)
                if req.method == "INVITE":
                    answer, audio = build_answer(
                        SessionDescription.parse(req.body), address="127.0.0.1", port=40000,
                        session_id="1", session_version=1,
                    )
                    assert audio is not None and audio.codec == "PCMU"
                    layer.send_response(ev.transaction, build_response(req, 180, to_tag="hl1"), now)
                    ok = build_response(
                        req, 200, to_tag="hl1", headers=[("Contact", f"<sip:helpline@127.0.0.1:{port}>")],
                        body=bytes(answer), content_type="application/sdp",
                    )
                    layer.send_response(ev.transaction, ok, now)
                    dialogs[req.call_id] = Dialog.as_uas(req, ok)
                else:
                    dialog = dialogs[req.call_id]
                    layer.send_response(ev.transaction, build_response(req, dialog.receive_request(req) or 200), now)
        for _ in range(5):
            _pump(udp, layer)
    finally:
        if sipp.poll() is None:
            sipp.kill()
    assert sipp.wait(timeout=5) == 0, "SIPp reports a failed call"
    assert methods == ["INVITE", "ACK", "BYE"]
    assert all(d.state.value == "terminated" for d in dialogs.values())


@slow
@pytest.mark.skipif(SIPP is None, reason="SIPp (Debian package sip-tester) is not installed")
def test_our_uac_calls_sipp_uas(udp: socket.socket) -> None:
    port = udp.getsockname()[1]
    sipp_port = _free_udp_port()
    sipp = subprocess.Popen(
        [SIPP or "sipp", "-sn", "uas", "-p", str(sipp_port), "-i", "127.0.0.1", "-m", "1", "-nostdin",
         "-timeout", "15"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    peer = ("127.0.0.1", sipp_port)
    layer = TransactionLayer()
    offer = build_offer(address="127.0.0.1", port=30000, session_id="42", session_version=1)
    me = Address(SipUri(host="127.0.0.1", user="helpline", port=port))
    invite = build_request(
        "INVITE", SipUri(host="127.0.0.1", user="sipp", port=sipp_port),
        from_=me.with_tag(new_tag()), to=Address(SipUri(host="127.0.0.1", user="sipp", port=sipp_port)),
        call_id=new_call_id("127.0.0.1"), cseq=1,
        via=Via("UDP", "127.0.0.1", port, (("branch", new_branch()), ("rport", None))),
        contact=me, body=bytes(offer), content_type="application/sdp",
    )
    statuses: list[tuple[str, int]] = []
    try:
        # SIPp needs a moment to bind; the INVITE's own retransmissions (timer A) cover it.
        layer.send_request(invite, peer, time.monotonic(), reliable=False)
        bye_done = False
        deadline = time.monotonic() + 15
        while not bye_done and time.monotonic() < deadline:
            _pump(udp, layer)
            now = time.monotonic()
            for ev in layer.pop_events():
                if not isinstance(ev, ResponseReceived):
                    continue
                resp = ev.response
                statuses.append((resp.cseq.method, resp.status))
                if resp.cseq.method == "INVITE" and resp.status == 200:
                    dialog = Dialog.as_uac(invite, resp)
                    agreed = accept_answer(offer, SessionDescription.parse(resp.body))
                    assert agreed is not None and agreed.codec == "PCMU"
                    layer.send_stateless(dialog.create_ack(Via("UDP", "127.0.0.1", port)), peer)
                    layer.send_request(dialog.create_request("BYE", Via("UDP", "127.0.0.1", port)), peer, now,
                                       reliable=False)
                elif resp.cseq.method == "BYE":
                    bye_done = True
        for _ in range(3):
            _pump(udp, layer)
        # SIPp's uas scenario lingers a few seconds after the BYE before it reports.
        exit_code = sipp.wait(timeout=10)
    finally:
        if sipp.poll() is None:
            sipp.kill()
    assert ("INVITE", 200) in statuses and ("BYE", 200) in statuses
    assert exit_code == 0, "SIPp reports a failed call"


def test_captured_sipp_call_is_one_dialog() -> None:
    invite = parse_message(fixture_bytes("sipp_captured_invite.sip"))
    ack = parse_message(fixture_bytes("sipp_captured_ack.sip"))
    bye = parse_message(fixture_bytes("sipp_captured_bye.sip"))
    assert isinstance(invite, Request) and isinstance(ack, Request) and isinstance(bye, Request)
    ok = build_response(invite, 200, to_tag="helpline1", headers=[("Contact", "<sip:helpline@127.0.0.1:5070>")])
    uas = Dialog.as_uas(invite, ok)
    assert DialogId.of_incoming_request(bye) == uas.id
    assert uas.receive_request(ack) is None and uas.receive_request(bye) is None
    assert uas.state.value == "terminated"
    assert invite.headers.get("Content-Length") == "129"  # SIPp pads it with spaces on the wire
    ringing = parse_message(fixture_bytes("sipp_captured_180.sip"))
    ok_sdp = parse_message(fixture_bytes("sipp_captured_200_sdp.sip"))
    assert DialogId.of_incoming_response(ringing) == DialogId.of_incoming_response(ok_sdp)
    assert SessionDescription.parse(ok_sdp.body).media[0].formats == ["0"]
