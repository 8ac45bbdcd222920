"""Parsing, typed views and serialization of SIP messages, on hand-captured wire fixtures."""

from __future__ import annotations

import re

import pytest
from sip_fixtures import DATA, fixture_bytes

from helpline.protocols.sip.builders import (
    add_received,
    build_ack_for_failure,
    build_cancel,
    build_request,
    build_response,
    new_branch,
)
from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.headers import Address, Via, canonical_name, header_key
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.parser import parse_message
from helpline.protocols.sip.syntax import split_commas
from helpline.protocols.sip.uri import AbsoluteUri, SipUri, parse_uri

FIXTURES = sorted(p.name for p in DATA.glob("*.sip"))


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_round_trips_byte_for_byte(name: str) -> None:
    data = fixture_bytes(name)
    for stream in (False, True):
        msg = parse_message(data, stream=stream)
        assert bytes(msg) == data


def test_fixture_set_covers_the_usual_traffic() -> None:
    assert set(FIXTURES) >= {
        "sipp_invite.sip", "baresip_register.sip", "register_401.sip", "invite_200.sip", "bye.sip",
        "cancel.sip", "options.sip", "refer.sip", "info_dtmf.sip",
    }


def test_sipp_invite_typed_views() -> None:
    msg = parse_message(fixture_bytes("sipp_invite.sip"))
    assert isinstance(msg, Request) and msg.method == "INVITE"
    assert msg.uri == SipUri(host="127.0.0.1", user="service", port=5060)
    assert msg.top_via.branch == "z9hG4bK-4321-1-0" and msg.top_via.sent_by == "127.0.0.1:5061"
    assert msg.from_.display_name == "sipp" and msg.from_.tag == "4321SIPpTag001"
    assert msg.to.tag is None
    assert msg.call_id == "1-4321@127.0.0.1"
    assert (msg.cseq.seq, msg.cseq.method) == (1, "INVITE")
    assert msg.contact[0].sip_uri.port == 5061
    assert msg.content_type == "application/sdp"
    assert msg.body.startswith(b"v=0\r\n") and len(msg.body) == int(msg.headers.get("Content-Length") or 0)


def test_compact_forms_are_the_same_headers() -> None:
    msg = parse_message(fixture_bytes("options.sip"))
    assert msg.call_id == "keepalive-8812@10.0.0.7"
    assert msg.top_via.transport == "TCP" and msg.top_via.wants_rport and msg.top_via.rport is None
    assert msg.headers.get("content-length") == "0"
    assert "Content-Length" in msg.headers and "l" in msg.headers
    assert canonical_name("i") == "Call-ID" and canonical_name("call-id") == "Call-ID"
    assert canonical_name("x-my-header") == "X-My-Header"
    assert header_key("M") == "contact"


def test_multiple_challenge_headers_are_not_split_on_commas() -> None:
    msg = parse_message(fixture_bytes("register_401.sip"))
    assert isinstance(msg, Response) and msg.status == 401
    challenges = msg.headers.values("WWW-Authenticate")
    assert len(challenges) == 2 and "SHA-256" in challenges[0]
    via = msg.top_via
    assert via.rport == 5080 and via.received == "127.0.0.1"


def test_refer_to_keeps_its_escaped_headers() -> None:
    msg = parse_message(fixture_bytes("refer.sip"))
    refer_to = Address.parse(msg.headers.get("Refer-To") or "")
    assert refer_to.sip_uri.headers == (("Replaces", "abc@host;to-tag=1;from-tag=2"),)
    assert msg.route[0].sip_uri.lr


def test_same_name_headers_and_comma_lists_are_equivalent() -> None:
    data = (
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"
        b"Via: SIP/2.0/UDP h3;branch=z9hG4bK3\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n"
        b'CSeq: 1 OPTIONS\r\nContact: "A, B" <sip:a@h;x=1>, <sip:b@h>\r\nContent-Length: 0\r\n\r\n'
    )
    msg = parse_message(data)
    assert [v.host for v in msg.via] == ["h1", "h2", "h3"]
    assert [c.display_name for c in msg.contact] == ["A, B", None]
    assert split_commas('"a,b" <sip:x,y@h>, c') == ['"a,b" <sip:x,y@h>', "c"]


def test_bare_lf_line_ends_are_tolerated_and_kept() -> None:
    data = fixture_bytes("bye.sip").replace(b"\r\n", b"\n")
    msg = parse_message(data)
    assert msg.call_id == "1-4321@127.0.0.1" and bytes(msg) == data


def test_datagram_without_content_length_takes_the_rest_as_body() -> None:
    data = re.sub(rb"Content-Length: \d+\r\n", b"", fixture_bytes("sipp_invite.sip"))
    assert b"Content-Length" not in data
    msg = parse_message(data)
    assert msg.body.startswith(b"v=0") and msg.body.endswith(b"0-15\r\n")
    with pytest.raises(SipParseError, match="missing Content-Length"):
        parse_message(data, stream=True)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no blank line"),
        (b"\r\n\r\n", "no blank line"),
        (b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n", "no blank line"),
        (b"INVITE sip:a@b SIP/2.0\r\n bad\r\n\r\n", "continuation line"),
        (b"INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n", "without ':'"),
        (b"INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", "bad header name"),
        (b"INVITE sip:a@b SIP/2.0\r\nVia: x\rx\r\n\r\n", "bare CR"),
        (b"SIP/2.0 99 Low\r\n\r\n", "bad status code"),
        (b"SIP/2.0 700 High\r\n\r\n", "out of range"),
        (b"INVITE sip:a@b:99999 SIP/2.0\r\n\r\n", "port"),
        (b"INVITE sip:@b SIP/2.0\r\n\r\n", "empty user"),
        (b"INVITE sip:a%4@b SIP/2.0\r\n\r\n", "two hex digits"),
        (b"INVITE sip:a@b;=x SIP/2.0\r\n\r\n", "empty parameter"),
        (b"INVITE nonsense SIP/2.0\r\n\r\n", "no scheme"),
    ],
)
def test_malformed_messages_name_their_fault(data: bytes, reason: str) -> None:
    with pytest.raises(SipParseError, match=reason):
        parse_message(data)


def _invite() -> Request:
    msg = parse_message(fixture_bytes("sipp_invite.sip"))
    assert isinstance(msg, Request)
    return msg


def test_modifying_a_header_keeps_the_other_lines_raw() -> None:
    msg = _invite()
    msg.headers.set("Max-Forwards", "69")
    out = bytes(msg)
    assert b"Max-Forwards: 69\r\n" in out
    assert b"Subject: Performance Test\r\n" in out
    assert out.startswith(b"INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n")
    msg.uri = SipUri(host="10.0.0.1", user="agent")
    assert bytes(msg).startswith(b"INVITE sip:agent@10.0.0.1 SIP/2.0\r\n")
    msg.headers.prepend("Via", "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKproxy")
    assert [v.host for v in msg.via] == ["10.0.0.2", "127.0.0.1"]
    msg.headers.remove_first("Via")
    assert [v.host for v in msg.via] == ["127.0.0.1"]
    assert parse_message(bytes(msg)).call_id == msg.call_id


def test_build_response_copies_the_transaction_headers() -> None:
    inv = _invite()
    inv.headers.add("Record-Route", "<sip:proxy.example.com;lr>")
    trying = build_response(inv, 100, to_tag="t1")
    assert trying.to.tag is None and trying.reason == "Trying"
    ok = build_response(inv, 200, to_tag="t1", headers=[("Contact", "<sip:agent@127.0.0.1>")])
    assert ok.to.tag == "t1" and ok.to.display_name == "service"
    for name in ("Via", "From", "Call-ID", "CSeq"):
        assert ok.headers.get_all(name) == inv.headers.get_all(name)
    assert ok.record_route[0].sip_uri.host == "proxy.example.com"
    assert ok.headers.get("Content-Length") == "0"
    wire = bytes(ok)
    assert wire.startswith(b"SIP/2.0 200 OK\r\n")
    again = parse_message(wire, stream=True)
    assert isinstance(again, Response) and again.to.tag == "t1" and bytes(again) == wire
    # An existing To tag is never replaced.
    assert build_response(parse_message(fixture_bytes("bye.sip")), 200, to_tag="other").to.tag == "c0ffee42"  # type: ignore[arg-type]


def test_build_request_is_canonical_and_parses_back() -> None:
    req = build_request(
        "INVITE",
        SipUri(host="127.0.0.1", user="agent", port=5080),
        from_=Address(SipUri(host="helpline.example", user="queue"), "Sales queue", (("tag", "f1"),)),
        to=Address(SipUri(host="127.0.0.1", user="agent", port=5080)),
        call_id="abc@helpline.example",
        cseq=1,
        via=Via("UDP", "127.0.0.1", 5060, (("branch", "z9hG4bKx1"), ("rport", None))),
        contact=Address(SipUri(host="127.0.0.1", user="helpline", port=5060)),
        body=b"v=0\r\n",
        content_type="application/sdp",
    )
    wire = bytes(req)
    assert wire == (
        b"INVITE sip:agent@127.0.0.1:5080 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx1;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b'From: "Sales queue" <sip:queue@helpline.example>;tag=f1\r\n'
        b"To: <sip:agent@127.0.0.1:5080>\r\n"
        b"Call-ID: abc@helpline.example\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Contact: <sip:helpline@127.0.0.1:5060>\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: 5\r\n"
        b"\r\n"
        b"v=0\r\n"
    )
    assert bytes(parse_message(wire, stream=True)) == wire


def test_ack_and_cancel_reuse_the_invite_branch() -> None:
    inv = _invite()
    busy = build_response(inv, 486, to_tag="b1")
    ack = build_ack_for_failure(inv, busy)
    assert ack.method == "ACK" and ack.uri == inv.uri
    assert ack.top_via.branch == inv.top_via.branch and ack.to.tag == "b1"
    assert (ack.cseq.seq, ack.cseq.method) == (1, "ACK")
    cancel = build_cancel(inv)
    assert cancel.top_via.branch == inv.top_via.branch and cancel.to.tag is None
    assert str(cancel.cseq) == "1 CANCEL"
    assert new_branch().startswith("z9hG4bK") and new_branch() != new_branch()


def test_uri_parsing_and_canonical_form() -> None:
    u = parse_uri("sips:alice:secret@[2001:db8::1]:5061;transport=tls;lr?subject=hi%20there&x=1")
    assert isinstance(u, SipUri)
    assert (u.scheme, u.user, u.password, u.host, u.port) == ("sips", "alice", "secret", "[2001:db8::1]", 5061)
    assert u.transport == "tls" and u.lr and u.secure
    assert u.headers == (("subject", "hi there"), ("x", "1"))
    assert str(u) == "sips:alice:secret@[2001:db8::1]:5061;transport=tls;lr?subject=hi%20there&x=1"
    assert str(SipUri(host="h", user="a b@c")) == "sip:a%20b%40c@h"
    assert parse_uri("tel:+15551234567;phone-context=x") == AbsoluteUri("tel", "+15551234567;phone-context=x")
    assert str(SipUri(host="h").with_params(lr=None, transport="tcp")) == "sip:h;lr;transport=tcp"


def test_address_forms() -> None:
    a = Address.parse("sip:bob@h;tag=1")
    assert a.display_name is None and a.tag == "1" and a.sip_uri.params == ()
    b = Address.parse('  "Bob \\"B\\"" <sip:bob@h;lr> ; tag = 2 ; q=0.5')
    assert b.display_name == 'Bob "B"' and b.tag == "2" and b.sip_uri.lr
    assert str(b) == '"Bob \\"B\\"" <sip:bob@h;lr>;tag=2;q=0.5'
    assert Address.parse("Bob Smith <sip:bob@h>").display_name == "Bob Smith"
    assert str(a.with_tag("9")) == "<sip:bob@h>;tag=9"
    for bad in ("<sip:bob@h", '"Bob <sip:bob@h>', "Bob, S <sip:b@h>", "< sip:b@h>", "sip:b@h;;"):
        with pytest.raises(SipParseError):
            Address.parse(bad)


def test_add_received_fills_rport_and_received() -> None:
    reg = parse_message(fixture_bytes("baresip_register.sip"))  # Via has ;rport
    assert isinstance(reg, Request)
    add_received(reg, "203.0.113.7", 40312)
    via = reg.top_via
    assert (via.received, via.rport, via.branch) == ("203.0.113.7", 40312, "z9hG4bK5a1d0c7e3f2b9a81")
    resp = build_response(reg, 200)
    assert resp.top_via.rport == 40312
    assert bytes(reg).startswith(b"REGISTER sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;")
    bye = parse_message(fixture_bytes("bye.sip"))  # no rport, sent-by matches the source
    assert isinstance(bye, Request)
    before = bytes(bye)
    add_received(bye, "127.0.0.1", 5061)
    assert bytes(bye) == before
    add_received(bye, "10.9.9.9", 5061)
    assert bye.top_via.received == "10.9.9.9" and bye.top_via.rport is None


def test_tolerates_what_real_phones_send_beyond_the_grammar() -> None:
    base = fixture_bytes("bye.sip")
    b64 = parse_message(base.replace(b"Call-ID: 1-4321@127.0.0.1", b"Call-ID: YWJjZA==@10.0.0.1"))
    assert b64.call_id == "YWJjZA==@10.0.0.1"
    utf8 = parse_message(base.replace(b"From: sipp <", "From: José Müller <".encode()))
    assert utf8.from_.display_name == "José Müller"
    with pytest.raises(SipParseError, match="bad Call-ID"):
        parse_message(base.replace(b"Call-ID: 1-4321@127.0.0.1", b"Call-ID: a\x01b"))
    with pytest.raises(SipParseError, match="display name"):
        parse_message(base.replace(b"From: sipp <", "From: Müller, José <".encode()))
