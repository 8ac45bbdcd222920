"""Digest authentication: published known answers, stateless nonces, the client flow."""

from __future__ import annotations

import base64

import pytest
from sip_fixtures import fixture_bytes

from helpline.protocols.sip.builders import build_response
from helpline.protocols.sip.digest import (
    AuthStatus,
    Challenge,
    Credentials,
    DigestClient,
    DigestServer,
    NonceState,
    compute_response,
    parse_auth_params,
)
from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.parser import parse_message

SECRET = b"0123456789abcdef0123456789abcdef"
PASSWORDS = {"agent": "s3cret!"}


def test_rfc2617_section_3_5_md5_example() -> None:
    assert compute_response(
        algorithm="MD5", username="Mufasa", realm="testrealm@host.com", password="Circle Of Life",
        method="GET", uri="/dir/index.html", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        nc="00000001", cnonce="0a4f113b", qop="auth",
    ) == "6629fae49393a05397450978507c4ef1"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_section_3_9_1_examples(algorithm: str, expected: str) -> None:
    assert compute_response(
        algorithm=algorithm, username="Mufasa", realm="http-auth@example.org", password="Circle of Life",
        method="GET", uri="/dir/index.html", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        nc="00000001", cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop="auth",
    ) == expected


def test_challenge_and_credentials_parse_and_print() -> None:
    msg = parse_message(fixture_bytes("register_401.sip"))
    sha, md5 = (Challenge.parse(v) for v in msg.headers.get_all("WWW-Authenticate"))
    assert (sha.realm, sha.algorithm, sha.qop, sha.stale) == ("helpline", "SHA-256", ("auth",), False)
    assert md5.nonce == sha.nonce and md5.algorithm == "MD5"
    assert Challenge.parse(str(sha)) == sha
    scheme, params = parse_auth_params('Digest  realm="a, b",nonce=xyz ,  stale=TRUE')
    assert scheme == "Digest" and params == {"realm": "a, b", "nonce": "xyz", "stale": "TRUE"}
    assert Challenge.parse('Digest realm="r", nonce="n", stale=TRUE').stale
    creds = Credentials("u", "r", "n", "sip:h", "abc", "MD5", "cn", "00000001", "auth", "op")
    assert Credentials.parse(str(creds)) == creds
    for bad in ("", 'Digest realm="r"', "Digest realm", 'Digest realm="unterminated'):
        with pytest.raises(SipParseError):
            Challenge.parse(bad)
    with pytest.raises(SipParseError):
        Credentials.parse("NoOneKnowsThisScheme opaque-data=here")


def test_stateless_nonce_expires_and_cannot_be_forged() -> None:
    server = DigestServer(SECRET, "helpline", nonce_lifetime=300)
    nonce = server.make_nonce(1000.0)
    assert server.check_nonce(nonce, 1000.0) is NonceState.VALID
    assert server.check_nonce(nonce, 1299.0) is NonceState.VALID
    assert server.check_nonce(nonce, 1301.0) is NonceState.STALE
    other = DigestServer(b"another secret of 16+ bytes", "helpline")
    assert other.check_nonce(nonce, 1000.0) is NonceState.INVALID
    assert server.check_nonce(nonce[:-2] + "AA", 1000.0) is NonceState.INVALID
    assert server.check_nonce("not base64 !!", 1000.0) is NonceState.INVALID
    assert DigestServer(SECRET, "other-realm").check_nonce(nonce, 1000.0) is NonceState.INVALID


def _register() -> Request:
    msg = parse_message(fixture_bytes("baresip_register.sip"))
    assert isinstance(msg, Request)
    return msg


def _wire(msg: Request | Response) -> Request | Response:
    return parse_message(bytes(msg))


def test_register_flow_through_a_real_challenge() -> None:
    server = DigestServer(SECRET, "helpline", algorithms=("SHA-256", "MD5"))
    client = DigestClient("agent", PASSWORDS["agent"])
    flow = client.auth_flow(_register())
    first = next(flow)
    assert server.verify(first, PASSWORDS.get, 10.0).status is AuthStatus.MISSING
    challenge = _wire(server.challenge_response(first, 10.0, to_tag="srv"))
    assert isinstance(challenge, Response) and challenge.status == 401
    retry = flow.send(challenge)
    retry = _wire(retry)  # type: ignore[assignment]
    assert isinstance(retry, Request)
    assert retry.cseq.seq == first.cseq.seq + 1
    assert retry.top_via.branch != first.top_via.branch
    creds = Credentials.parse(retry.headers.get("Authorization") or "")
    assert creds.algorithm == "SHA-256" and creds.qop == "auth" and creds.nc == "00000001"
    result = server.verify(retry, PASSWORDS.get, 11.0)
    assert result.status is AuthStatus.OK and result.username == "agent"
    with pytest.raises(StopIteration):
        flow.send(build_response(retry, 200))


def test_stale_nonce_gets_one_silent_retry() -> None:
    server = DigestServer(SECRET, "helpline", nonce_lifetime=60, algorithms=("SHA-256", "MD5"))
    client = DigestClient("agent", PASSWORDS["agent"])
    flow = client.auth_flow(_register())
    req = next(flow)
    req = flow.send(server.challenge_response(req, 0.0))
    assert server.verify(req, PASSWORDS.get, 100.0).status is AuthStatus.STALE
    req = flow.send(server.challenge_response(req, 100.0, stale=True))
    assert server.verify(req, PASSWORDS.get, 100.0).status is AuthStatus.OK
    # A second non-stale challenge means the password is wrong: the flow stops.
    with pytest.raises(StopIteration):
        flow.send(server.challenge_response(req, 100.0))


def test_verification_failures_are_reported() -> None:
    server = DigestServer(SECRET, "helpline")
    wrong = DigestClient("agent", "guess")
    req = wrong.authorize(_register(), server.challenge_response(_register(), 0.0))
    assert req is not None
    result = server.verify(req, PASSWORDS.get, 1.0)
    assert result.status is AuthStatus.FAILED and result.reason == "wrong password"
    nobody = DigestClient("nobody", "x").authorize(_register(), server.challenge_response(_register(), 0.0))
    assert nobody is not None and server.verify(nobody, PASSWORDS.get, 1.0).reason == "unknown user"
    forged = DigestClient("agent", PASSWORDS["agent"]).credentials(
        Challenge("helpline", "forged-nonce", "MD5", ("auth",)), "REGISTER", "sip:127.0.0.1:5060"
    )
    req2 = _register()
    req2.headers.set("Authorization", str(forged))
    assert server.verify(req2, PASSWORDS.get, 1.0).reason == "nonce not issued here"


def test_nonce_count_replay_is_caught_when_tracked() -> None:
    server = DigestServer(SECRET, "helpline")
    client = DigestClient("agent", PASSWORDS["agent"])
    req = client.authorize(_register(), server.challenge_response(_register(), 0.0))
    assert req is not None
    seen: dict[str, int] = {}
    assert server.verify(req, PASSWORDS.get, 1.0, seen_nc=seen).status is AuthStatus.OK
    replay = server.verify(req, PASSWORDS.get, 2.0, seen_nc=seen)
    assert replay.status is AuthStatus.FAILED and replay.reason == "nonce count replayed"


def test_md5_only_server_and_proxy_challenge() -> None:
    server = DigestServer(SECRET, "helpline", algorithms=("MD5",))
    inv = parse_message(fixture_bytes("sipp_invite.sip"))
    assert isinstance(inv, Request)
    challenge = server.challenge_response(inv, 0.0, proxy=True, to_tag="p")
    assert challenge.status == 407 and challenge.headers.get("Proxy-Authenticate")
    retry = DigestClient("agent", PASSWORDS["agent"]).authorize(inv, challenge)
    assert retry is not None and retry.headers.get("Proxy-Authorization")
    assert server.verify(retry, PASSWORDS.get, 1.0, proxy=True).status is AuthStatus.OK
    with pytest.raises(ValueError):
        DigestServer(b"short", "r")


def test_real_baresip_credentials_verify() -> None:
    """A REGISTER baresip 1.0 sent after our 401 (captured), checked at the nonce's issue time."""
    first = parse_message(fixture_bytes("baresip_captured_register.sip"))
    retry = parse_message(fixture_bytes("baresip_captured_register_auth.sip"))
    assert isinstance(first, Request) and isinstance(retry, Request)
    assert retry.cseq.seq == first.cseq.seq + 1 and retry.call_id == first.call_id
    creds = Credentials.parse(retry.headers.get("Authorization") or "")
    assert (creds.algorithm, creds.qop, creds.nc) == ("MD5", "auth", "00000001")
    server = DigestServer(SECRET, "helpline")
    issued = float(int.from_bytes(base64.urlsafe_b64decode(creds.nonce + "=")[:8], "big"))
    assert server.check_nonce(creds.nonce, issued) is NonceState.VALID
    assert server.verify(first, PASSWORDS.get, issued).status is AuthStatus.MISSING
    result = server.verify(retry, PASSWORDS.get, issued + 1)
    assert result.status is AuthStatus.OK and result.username == "agent"
    assert server.verify(retry, PASSWORDS.get, issued + 301).status is AuthStatus.STALE
    assert server.verify(retry, {"agent": "other"}.get, issued).status is AuthStatus.FAILED
