"""RFC 4475 torture messages: every valid one parses, every invalid one is a SipParseError."""

from __future__ import annotations

import pytest
from sip_fixtures import TORTURE

from helpline.protocols.sip.builders import build_error_response
from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.parser import parse_message


def _index() -> list[tuple[str, str, str]]:
    index = TORTURE / "INDEX.tsv"
    if not index.exists():
        return []
    rows = []
    for line in index.read_text().splitlines():
        section, name, title = line.split("\t")
        rows.append((section, name, title))
    return rows


ROWS = _index()
pytestmark = pytest.mark.skipif(not ROWS, reason=f"RFC 4475 corpus not found at {TORTURE}")

# Syntactically valid: §3.1.1, and the §3.2-3.4 messages whose problems are semantic (unknown
# schemes, Max-Forwards 0, a broadcast Via...) and are for the application to answer.
MUST_REJECT = {
    # §3.1.2: invalid messages.
    "badinv01.dat": "empty parameter",
    "clerr.dat": "Content-Length 9999 is larger",
    "ncl.dat": "bad Content-Length",
    "scalar02.dat": "CSeq number out of range",
    "scalarlg.dat": "CSeq number out of range",
    "quotbal.dat": "unterminated quoted string",
    "ltgtruri.dat": "must not be enclosed in <>",
    "lwsruri.dat": "bad Request-Line",
    "lwsstart.dat": "bad Request-Line",
    "trws.dat": "bad Request-Line",
    "escruri.dat": "must not contain headers",
    "baddate.dat": "bad Date",
    "regbadct.dat": "must be enclosed in <>",
    "badaspec.dat": "whitespace inside the URI",
    "baddn.dat": "display name",
    "badvers.dat": "unsupported SIP version",
    "mismatch01.dat": "does not match the request method",
    "mismatch02.dat": "does not match the request method",
    "bigcode.dat": "bad status code",
    # §3.3: required to be answered with 400.
    "insuf.dat": "missing From header",
    "multi01.dat": "more than one",
    "mcl01.dat": "more than one Content-Length",
}


def test_every_indexed_file_is_classified() -> None:
    sections = {name: section for section, name, _ in ROWS}
    assert len(sections) == 49
    for name in MUST_REJECT:
        assert name in sections
    for name, section in sections.items():
        if section.startswith("3.1.2"):
            assert name in MUST_REJECT, f"{name} is an invalid message (RFC 4475 §{section})"


@pytest.mark.parametrize(("section", "name", "title"), ROWS, ids=[r[1] for r in ROWS])
def test_torture_message(section: str, name: str, title: str) -> None:
    data = (TORTURE / name).read_bytes()
    if name in MUST_REJECT:
        with pytest.raises(SipParseError) as info:
            parse_message(data)
        assert MUST_REJECT[name] in info.value.reason, title
        return
    msg = parse_message(data)
    if name == "dblreq.dat":
        # §3.1.1.8: the octets after Content-Length are a second message to discard.
        assert bytes(msg) == data[: len(bytes(msg))]
        assert msg.body == b"" and isinstance(msg, Request) and msg.method == "REGISTER"
    else:
        assert bytes(msg) == data, "an unmodified message must serialize byte for byte"


def _torture(name: str) -> Request | Response:
    return parse_message((TORTURE / name).read_bytes())


def test_wsinv_values_survive_the_whitespace() -> None:
    msg = _torture("wsinv.dat")
    assert isinstance(msg, Request)
    assert msg.to.tag == "1918181833n"
    assert msg.from_.display_name == 'J Rosenberg \\"'
    assert msg.from_.tag == "98asjd8"
    assert msg.max_forwards == 68
    assert msg.cseq.seq == 9 and msg.cseq.method == "INVITE"
    vias = msg.via
    assert [v.transport for v in vias] == ["UDP", "TCP", "UDP"]
    assert vias[1].host == "spindle.example.com" and vias[1].branch == "z9hG4bK9ikj8"
    assert vias[2].branch == "z9hG4bK30239"
    assert msg.headers.get("Subject") == ""
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    (contact,) = msg.contact
    assert contact.display_name == 'Quoted string ""'
    assert contact.param("newparam") == "newvalue" and contact.param("q") == "0.33"
    assert msg.route[0].sip_uri.lr


def test_escapes_are_decoded_in_uri_components() -> None:
    msg = _torture("esc01.dat")
    assert isinstance(msg, Request)
    assert msg.uri.user == "sips:user@example.com"  # type: ignore[union-attr]
    assert msg.to.sip_uri.user == "user"
    assert msg.from_.sip_uri.user == "I have spaces"
    c = msg.contact[0].sip_uri
    assert c.user == "caller" and c.has_param("lr") and c.param("name") == "value%41"
    assert _torture("escnull.dat").contact[1].sip_uri.user == "\x00\x00"


def test_unusual_but_valid_names_and_values() -> None:
    esc02 = _torture("esc02.dat")
    assert isinstance(esc02, Request) and esc02.method == "RE%47IST%45R"
    # C%6Fntact is an unknown header, not Contact.
    assert len(esc02.contact) == 2 and esc02.headers.get("C%6Fntact") is not None
    assert _torture("lwsdisp.dat").from_.display_name == "caller"
    semi = _torture("semiuri.dat")
    assert isinstance(semi, Request) and semi.uri.user == "user;par=u@example.net"  # type: ignore[union-attr]
    assert len(semi.headers.values("Accept")) == 6
    unk = _torture("unkscm.dat")
    assert isinstance(unk, Request) and unk.uri.scheme == "nobodyknowsthisscheme"
    noreason = _torture("noreason.dat")
    assert isinstance(noreason, Response) and noreason.status == 100 and noreason.reason == ""
    assert _torture("zeromf.dat").max_forwards == 0
    assert _torture("regescrt.dat").contact[0].sip_uri.headers == (("Route", "<sip:sip.example.com>"),)


def test_rejected_requests_can_still_be_answered() -> None:
    with pytest.raises(SipParseError) as info:
        parse_message((TORTURE / "escruri.dat").read_bytes())
    resp = build_error_response(info.value)
    assert resp is not None and resp.status == 400
    assert resp.headers.get("Call-ID") == "escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5"
    with pytest.raises(SipParseError) as info:
        parse_message((TORTURE / "badvers.dat").read_bytes())
    assert info.value.status == 505
    # A broken response is never answered.
    with pytest.raises(SipParseError) as info:
        parse_message((TORTURE / "bigcode.dat").read_bytes())
    assert info.value.partial is None and build_error_response(info.value) is None


def test_unreferenced_test_dat_is_rejected() -> None:
    data = (TORTURE / "test.dat").read_bytes()
    with pytest.raises(SipParseError):
        parse_message(data)


@pytest.mark.parametrize("name", sorted(MUST_REJECT))
def test_every_rejection_can_be_answered_or_dropped_without_raising(name: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message((TORTURE / name).read_bytes())
    resp = build_error_response(info.value)
    if isinstance(info.value.partial, Request) and name not in ("insuf.dat", "multi01.dat"):
        # Every bad request whose Via, From, To, Call-ID and CSeq can be echoed is answered.
        assert resp is not None and resp.status in (400, 505), name
        # Echoed as received, even where that was the fault (the peer sent it that way).
        for header in ("Via", "From", "Call-ID", "CSeq"):
            assert resp.headers.get_all(header) == info.value.partial.headers.get_all(header)
    if resp is None:
        return
    assert resp.reason == info.value.reason[:100]
