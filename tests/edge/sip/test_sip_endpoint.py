"""The SIP endpoint over real loopback sockets: answers, refusals, the registrar, the policy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sip_edge_helpers import SipClient, until

from helpline.edge.sip import InboundCall, RegistrationChange, SipEndpoint, TokenBuckets
from helpline.protocols.sip import DigestClient, Request, Response, build_cancel, parse_message
from helpline.settings import SipSettings

SETTINGS = SipSettings(
    host="127.0.0.1",
    port=0,
    users={"ana": {"password": "s3cret!"}, "ben": {"password": "b3n", "dial_out": False}},
    trunks={"carrier": {"allow_from": ["127.0.0.9"], "dial_out": False}},
    dids={
        "1000": {"tenant": "t", "flow": "f"},
        "1001": {"tenant": "t", "flow": "ring"},
        "1002": {"tenant": "t", "flow": "early"},
    },
    rate_limit_per_s=5,
    rate_limit_burst=10,
)


EARLY_SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[InboundCall] = []

    def on_invite(self, call: InboundCall) -> None:
        self.calls.append(call)
        if call.called == "1001":
            call.ring()  # and never answer
        elif call.called == "1002":
            call.ring(EARLY_SDP)  # early media, then the answer
            call.answer(EARLY_SDP)
        else:
            call.reject(486)


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[SipEndpoint, Recorder, list[RegistrationChange]]]:
    handler = Recorder()
    changes: list[RegistrationChange] = []
    ep = SipEndpoint(SETTINGS, handler=handler, on_registration=changes.append)
    await ep.start()
    yield ep, handler, changes
    await ep.close()


async def test_options_is_answered_with_what_we_allow(endpoint: Any, sip_client: Any) -> None:
    ep, _, _ = endpoint
    client: SipClient = sip_client()
    client.send(client.request("OPTIONS", (ep.host, ep.port), "helpline"), (ep.host, ep.port))
    response = await client.response()
    assert response.status == 200
    assert "INVITE" in (response.headers.get("Allow") or "")


async def test_a_malformed_request_gets_400_with_the_parsers_reason_and_garbage_is_dropped(
    endpoint: Any, sip_client: Any
) -> None:
    ep, _, _ = endpoint
    client: SipClient = sip_client()
    bad = bytes(client.request("OPTIONS", (ep.host, ep.port), "helpline")).replace(b"1 OPTIONS", b"1 INVITE")
    client.send(bad, (ep.host, ep.port))
    response = await client.response()
    assert response.status == 400
    assert "does not match the request method" in response.reason
    client.send(b"\x16\x03\x01 not sip at all\r\n\r\n", (ep.host, ep.port))
    assert await client.nothing()
    assert ep.stats["malformed"] == 2


async def test_an_unknown_number_is_404_and_a_did_reaches_the_handler(endpoint: Any, sip_client: Any) -> None:
    ep, handler, _ = endpoint
    client: SipClient = sip_client()
    client.send(client.request("INVITE", (ep.host, ep.port), "nobody"), (ep.host, ep.port))
    assert (await client.response()).status == 404
    client.send(client.request("INVITE", (ep.host, ep.port), "1000"), (ep.host, ep.port))
    assert (await client.response()).status == 486
    assert [c.called for c in handler.calls] == ["1000"]
    assert not ep._dialogs and not handler.calls[0].active  # nothing left behind


async def test_calls_out_need_an_authenticated_user_or_a_trunk_allowed_to_dial_out(
    endpoint: Any, sip_client: Any
) -> None:
    ep, handler, _ = endpoint
    target = (ep.host, ep.port)
    stranger: SipClient = sip_client()
    stranger.send(stranger.request("INVITE", target, "+442071234567"), target)
    assert (await stranger.response()).status == 403
    trunk: SipClient = sip_client("127.0.0.9")  # a trunk without dial_out
    trunk.send(trunk.request("INVITE", target, "+442071234567"), target)
    assert (await trunk.response()).status == 403
    # A known user is challenged; a wrong password is refused; the right one gets through.
    user: SipClient = sip_client()
    invite = user.request("INVITE", target, "+442071234567", from_user="ana")
    user.send(invite, target)
    challenge = await user.response()
    assert challenge.status == 407
    wrong = DigestClient("ana", "guess").authorize(invite, challenge)
    assert wrong is not None
    user.send(wrong, target)
    assert (await user.response()).status == 403
    right = DigestClient("ana", "s3cret!").authorize(invite, challenge)
    assert right is not None
    user.send(right, target)
    assert (await user.response()).status == 486
    assert [(c.kind, c.user) for c in handler.calls] == [("external", "ana")]
    # ben may not dial out even with the right password.
    invite = user.request("INVITE", target, "+442071234567", from_user="ben")
    user.send(invite, target)
    challenge = await user.response()
    retry = DigestClient("ben", "b3n").authorize(invite, challenge)
    assert retry is not None
    user.send(retry, target)
    assert (await user.response()).status == 403
    assert ep.stats["toll_fraud_refused"] == 3


async def register(client: SipClient, ep: SipEndpoint, user: str, password: str, contact_user: str,
                   expires: int = 120) -> Response:
    target = (ep.host, ep.port)
    request = client.request("REGISTER", target, user, from_user=user, headers=[("Expires", str(expires))])
    request.uri = request.uri.__class__(ep.host, port=ep.port)  # type: ignore[call-arg]
    request.headers.set("Contact", f"<sip:{contact_user}@{client.host}:{client.port}>")
    client.send(request, target)
    challenge = await client.response()
    assert challenge.status == 401
    retry = DigestClient(user, password).authorize(request, challenge)
    assert retry is not None
    client.send(retry, target)
    return await client.response()


async def test_registrar_keeps_several_contacts_with_expiry_and_refuses_a_wrong_password(
    endpoint: Any, sip_client: Any
) -> None:
    ep, _, changes = endpoint
    desk: SipClient = sip_client()
    soft: SipClient = sip_client()
    ok = await register(desk, ep, "ana", "s3cret!", "desk")
    assert ok.status == 200 and "expires=120" in (ok.headers.get("Contact") or "")
    ok = await register(soft, ep, "ana", "s3cret!", "soft", expires=60)
    assert ok.status == 200 and len(ok.contact) == 2
    now = __import__("time").time()
    assert {b.contact.uri.user for b in ep.registrar.contacts("ana", now)} == {"desk", "soft"}
    assert {b.contact.uri.user for b in ep.registrar.contacts("ana", now + 90)} == {"desk"}
    assert changes == [RegistrationChange("ana", True)]
    assert (await register(sip_client(), ep, "ben", "wrong", "x")).status == 403
    assert ep.registrar.contacts("ben", now) == []
    # Unregistering both contacts logs the user out.
    await register(desk, ep, "ana", "s3cret!", "desk", expires=0)
    await register(soft, ep, "ana", "s3cret!", "soft", expires=0)
    assert changes[-1] == RegistrationChange("ana", False)


async def test_a_flood_from_one_address_is_cut_off_while_others_proceed(endpoint: Any, sip_client: Any) -> None:
    ep, _, _ = endpoint
    target = (ep.host, ep.port)
    flooder: SipClient = sip_client("127.0.0.3")
    for _ in range(60):
        flooder.send(flooder.request("OPTIONS", target, "helpline"), target)
    answered = 0
    while True:
        try:
            await flooder.response(0.3)
            answered += 1
        except TimeoutError:
            break
    assert 10 <= answered < 20  # the burst, plus what refilled meanwhile
    other: SipClient = sip_client("127.0.0.4")
    other.send(other.request("OPTIONS", target, "helpline"), target)
    assert (await other.response()).status == 200
    assert ep.stats["rate_limited"] >= 40


def test_token_buckets_refill_at_their_rate() -> None:
    buckets = TokenBuckets(rate=2, burst=3)
    assert [buckets.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.allow("b", 0.0)
    assert not buckets.allow("a", 0.4)
    assert buckets.allow("a", 0.6)


async def test_options_over_tcp_is_framed_and_answered(endpoint: Any) -> None:
    ep, _, _ = endpoint
    reader, writer = await asyncio.open_connection(ep.host, ep.port)
    client = SipClient()
    request: Request = client.request("OPTIONS", (ep.host, ep.port), "helpline")
    request.headers.set("Via", f"SIP/2.0/TCP 127.0.0.1:{client.port};branch=z9hG4bKtcp1")
    writer.write(b"\r\n\r\n" + bytes(request))
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    assert head == b"\r\n" or head.startswith(b"\r\n") or head.startswith(b"SIP/2.0 200")
    if not head.startswith(b"SIP/2.0"):
        head = head.lstrip(b"\r\n") or await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        if not head.startswith(b"SIP/2.0"):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    response = parse_message(head, stream=False)
    assert isinstance(response, Response) and response.status == 200
    writer.close()
    client.close()
    await until(lambda: not ep._tcp)


async def test_a_cancel_while_ringing_ends_the_call_with_487(endpoint: Any, sip_client: Any) -> None:
    ep, handler, _ = endpoint
    target = (ep.host, ep.port)
    client: SipClient = sip_client()
    invite = client.request("INVITE", target, "1001")
    client.send(invite, target)
    ringing = await client.response(skip_provisional=False)
    while ringing.status == 100:
        ringing = await client.response(skip_provisional=False)
    assert ringing.status == 180 and ringing.to.tag
    client.send(build_cancel(invite), target)
    answers: dict[str, int] = {}
    for _ in range(2):
        response = await client.response()
        answers[response.cseq.method] = response.status
    assert answers == {"CANCEL": 200, "INVITE": 487}
    call = handler.calls[0]
    assert call.ended.done() and call.ended.result() == "cancelled"
    assert not ep._dialogs


async def test_a_phone_that_stops_refreshing_is_dropped_and_its_user_logged_out(
    endpoint: Any, sip_client: Any
) -> None:
    ep, _, changes = endpoint
    ep.registrar.min_expires = 1
    phone: SipClient = sip_client()
    assert (await register(phone, ep, "ana", "s3cret!", "desk", expires=1)).status == 200
    ep.expiry_check_s = 0.2
    ep._expire_bindings()
    await until(lambda: changes[-1:] == [RegistrationChange("ana", False)], limit=5)
    assert ep.registrar.users() == []


def test_sip_passwords_are_masked_in_the_printed_settings() -> None:
    from helpline.settings import Settings, masked

    settings = Settings(sip={"users": {"ana": {"password": "s3cret!"}},  # type: ignore[arg-type]
                             "trunks": {"carrier": {"username": "acme", "password": "trunk-pw"}}})
    shown = masked(settings)
    assert shown["sip"]["users"]["ana"]["password"] == "**********"
    assert shown["sip"]["trunks"]["carrier"] == {
        "allow_from": [], "username": "acme", "password": "**********", "address": None, "dial_out": False
    }
    assert "s3cret" not in repr(settings) and "trunk-pw" not in str(shown)


async def test_early_media_then_the_answer_retransmitted_until_acknowledged(endpoint: Any, sip_client: Any) -> None:
    ep, handler, _ = endpoint
    ep.timers = type(ep.timers)(t1=0.05, t2=0.2, t4=0.2)  # fast retransmissions for the test
    target = (ep.host, ep.port)
    client: SipClient = sip_client()
    invite = client.request("INVITE", target, "1002")
    client.send(invite, target)
    seen: list[Response] = []
    while len([r for r in seen if r.status == 200]) < 2:
        message = await client.receive()
        assert isinstance(message, Response)
        seen.append(message)
    early = next(r for r in seen if r.status == 183)
    assert early.body == EARLY_SDP and early.content_type == "application/sdp"
    ok = next(r for r in seen if r.status == 200)
    ack = client.request("ACK", target, "1002", call_id=invite.call_id)
    ack.headers.set("From", invite.headers.get("From") or "")
    ack.headers.set("To", ok.headers.get("To") or "")
    ack.headers.set("CSeq", f"{invite.cseq.seq} ACK")
    client.send(ack, target)
    call = handler.calls[0]
    await until(lambda: call.confirmed.done(), limit=2)
    assert await client.nothing(0.3)  # no more retransmissions once acknowledged


async def test_an_invite_without_sdp_is_a_late_offer_answered_in_the_ack(endpoint: Any, sip_client: Any) -> None:
    ep, handler, _ = endpoint
    target = (ep.host, ep.port)
    client: SipClient = sip_client()
    for ack_body in (EARLY_SDP, b"not an SDP"):
        invite = client.request("INVITE", target, "1002")
        client.send(invite, target)
        ok = await client.response()
        assert ok.status == 200
        call = handler.calls[-1]
        assert call.offer is None
        ack = client.request("ACK", target, "1002", call_id=invite.call_id, body=ack_body,
                             content_type="application/sdp")
        ack.headers.set("From", invite.headers.get("From") or "")
        ack.headers.set("To", ok.headers.get("To") or "")
        ack.headers.set("CSeq", f"{invite.cseq.seq} ACK")
        client.send(ack, target)
        await until(lambda call=call: call.confirmed.done(), limit=2)  # type: ignore[misc]
        if ack_body == EARLY_SDP:
            assert call.ack_sdp is not None and call.ack_sdp.media[0].port == 40000
            assert call.remote_sdp is call.ack_sdp
        else:
            assert call.ack_sdp is None  # acknowledged, but with no answer the voice layer can use
