"""Dialogs from both ends: creation, in-dialog requests, routing, CSeq and state."""

from __future__ import annotations

import pytest
from sip_factories import make_request

from helpline.protocols.sip.builders import build_response
from helpline.protocols.sip.dialog import Dialog, DialogId, DialogState, Role
from helpline.protocols.sip.errors import SipStateError
from helpline.protocols.sip.headers import Address, Via
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.parser import parse_message
from helpline.protocols.sip.uri import SipUri

UAC_VIA = Via("UDP", "127.0.0.1", 5061)
UAS_VIA = Via("UDP", "127.0.0.1", 5060)


def _wire(msg: Request | Response) -> Request | Response:
    """Every message crosses the wire: what the peer sees is what it parses."""
    return parse_message(bytes(msg))


def _invite_with_record_route() -> Request:
    inv = make_request("INVITE", cseq=10)
    inv.headers.add("Record-Route", "<sip:p2.example.com;lr>")
    inv.headers.add("Record-Route", "<sip:p1.example.com;lr>")
    return inv


def _answer(invite: Request, status: int) -> Response:
    return build_response(
        invite, status, to_tag="uas-tag", headers=[("Contact", "<sip:agent@10.0.0.9:5080>")]
    )


def test_uac_and_uas_agree_on_the_dialog() -> None:
    invite = _invite_with_record_route()
    ok = _answer(invite, 200)
    uas = Dialog.as_uas(invite, ok)
    uac = Dialog.as_uac(invite, _wire(ok))  # type: ignore[arg-type]
    assert uac.state is uas.state is DialogState.CONFIRMED
    assert uac.id == DialogId("call-1", "ft1", "uas-tag")
    assert uas.id == DialogId("call-1", "uas-tag", "ft1")
    assert [str(r.uri) for r in uac.route_set] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert [str(r.uri) for r in uas.route_set] == ["sip:p2.example.com;lr", "sip:p1.example.com;lr"]
    assert str(uac.remote_target) == "sip:agent@10.0.0.9:5080"
    assert str(uas.remote_target) == "sip:caller@127.0.0.1:5061"
    assert (uac.local_seq, uac.remote_seq, uas.local_seq, uas.remote_seq) == (10, None, None, 10)


def test_ack_for_2xx_and_bye_from_the_uac() -> None:
    invite = _invite_with_record_route()
    ok = _answer(invite, 200)
    uac = Dialog.as_uac(invite, _wire(ok))  # type: ignore[arg-type]
    uas = Dialog.as_uas(invite, ok)
    ack = uac.create_ack(UAC_VIA)
    assert ack.method == "ACK" and (ack.cseq.seq, ack.cseq.method) == (10, "ACK")
    assert ack.top_via.branch and ack.top_via.branch != invite.top_via.branch
    assert str(ack.uri) == "sip:agent@10.0.0.9:5080"
    assert [str(r.uri) for r in ack.route] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert uas.receive_request(_wire(ack)) is None  # type: ignore[arg-type]
    bye = uac.create_request("BYE", UAC_VIA)
    assert bye.cseq.seq == 11 and bye.to.tag == "uas-tag" and bye.from_.tag == "ft1"
    assert bye.contact == []  # BYE refreshes no target
    assert uac.state is DialogState.TERMINATED
    assert uas.receive_request(_wire(bye)) is None  # type: ignore[arg-type]
    assert uas.state is DialogState.TERMINATED
    with pytest.raises(SipStateError):
        uac.create_request("INFO", UAC_VIA)


def test_uas_requests_use_its_own_cseq_space_and_contact() -> None:
    invite = make_request("INVITE")
    ok = build_response(invite, 200, to_tag="u", headers=[("Contact", "<sip:helpline@127.0.0.1:5060>")])
    uas = Dialog.as_uas(invite, ok)
    refer = uas.create_request(
        "REFER", UAS_VIA, headers=[("Refer-To", "<sip:queue@helpline.example>")]
    )
    info = uas.create_request("INFO", UAS_VIA, body=b"Signal=5\r\nDuration=160\r\n", content_type="application/dtmf-relay")
    assert (refer.cseq.seq, info.cseq.seq) == (1, 2)
    assert str(refer.contact[0].uri) == "sip:helpline@127.0.0.1:5060"
    assert refer.from_.tag == "u" and refer.to.tag == "ft1"
    assert str(refer.uri) == "sip:caller@127.0.0.1:5061"
    assert info.headers.get("Content-Length") == "24" and info.body.endswith(b"160\r\n")
    uac = Dialog.as_uac(invite, _wire(ok))  # type: ignore[arg-type]
    assert uac.receive_request(_wire(refer)) is None  # type: ignore[arg-type]
    assert uac.receive_request(_wire(info)) is None  # type: ignore[arg-type]
    # An older CSeq is out of order: 500 (§12.2.2), and the counter is untouched.
    assert uac.receive_request(_wire(refer)) == 500  # type: ignore[arg-type]
    assert uac.remote_seq == 2


def test_reinvite_refreshes_the_remote_target_and_ack_follows_it() -> None:
    invite = make_request("INVITE")
    ok = _answer(invite, 200)
    uac = Dialog.as_uac(invite, _wire(ok))  # type: ignore[arg-type]
    uas = Dialog.as_uas(invite, ok)
    reinvite = uas.create_request("INVITE", UAS_VIA, body=b"v=0\r\n", content_type="application/sdp")
    assert uac.receive_request(_wire(reinvite)) is None  # type: ignore[arg-type]
    moved = build_response(reinvite, 200, headers=[("Contact", "<sip:caller@10.1.1.1:5070>")])
    uas.receive_response(_wire(moved))  # type: ignore[arg-type]
    assert str(uas.remote_target) == "sip:caller@10.1.1.1:5070"
    ack = uas.create_ack(UAS_VIA)
    assert ack.cseq.seq == reinvite.cseq.seq and str(ack.uri) == "sip:caller@10.1.1.1:5070"
    # A failed re-INVITE leaves the dialog up; 481 ends it.
    uas.receive_response(_wire(build_response(uas.create_request("INVITE", UAS_VIA), 488)))  # type: ignore[arg-type]
    assert uas.state is DialogState.CONFIRMED
    uas.receive_response(_wire(build_response(uas.create_request("INFO", UAS_VIA), 481)))  # type: ignore[arg-type]
    assert uas.state is DialogState.TERMINATED


def test_early_dialog_confirms_or_ends() -> None:
    invite = _invite_with_record_route()
    ringing = build_response(invite, 180, to_tag="t", headers=[("Contact", "<sip:early@10.0.0.1>")])
    uac = Dialog.as_uac(invite, _wire(ringing))  # type: ignore[arg-type]
    assert uac.state is DialogState.EARLY
    ok = build_response(invite, 200, to_tag="t", headers=[("Contact", "<sip:final@10.0.0.2>")])
    ok.headers.remove("Record-Route")
    ok.headers.add("Record-Route", "<sip:only.example.com;lr>")
    uac.receive_response(_wire(ok))  # type: ignore[arg-type]
    assert uac.state is DialogState.CONFIRMED
    assert str(uac.remote_target) == "sip:final@10.0.0.2"
    assert [str(r.uri) for r in uac.route_set] == ["sip:only.example.com;lr"]

    uas = Dialog.as_uas(invite, ringing)
    uas.response_sent(build_response(invite, 486, to_tag="t"))
    assert uas.state is DialogState.TERMINATED
    with pytest.raises(SipStateError):
        uas.response_sent(build_response(invite, 200, to_tag="t"))
    assert uas.state is DialogState.TERMINATED


def test_strict_router_goes_in_the_request_uri() -> None:
    invite = make_request("INVITE")
    invite.headers.add("Record-Route", "<sip:strict.example.com>")
    uac = Dialog.as_uac(invite, _wire(_answer(invite, 200)))  # type: ignore[arg-type]
    bye = uac.create_request("BYE", UAC_VIA)
    assert str(bye.uri) == "sip:strict.example.com"
    assert [str(r.uri) for r in bye.route] == ["sip:agent@10.0.0.9:5080"]


def test_dialog_needs_a_tag_and_a_contact() -> None:
    invite = make_request("INVITE")
    with pytest.raises(SipStateError):
        Dialog.as_uac(invite, build_response(invite, 200))
    no_contact = make_request("INVITE")
    no_contact.headers.remove("Contact")
    with pytest.raises(SipStateError):
        Dialog.as_uas(no_contact, build_response(no_contact, 200, to_tag="x"))
    assert DialogId.of_incoming_request(make_request("BYE")) is None
    assert Role.UAC.value == "uac"
    assert Address(SipUri(host="h")).tag is None
