"""Requests for tests, built the way a UA builds them (a plain module imported by name)."""

from __future__ import annotations

from helpline.protocols.sip.builders import build_request, new_branch
from helpline.protocols.sip.headers import Address, Via
from helpline.protocols.sip.message import Request
from helpline.protocols.sip.uri import SipUri

CALLER = ("127.0.0.1", 5061)
CALLEE = ("127.0.0.1", 5060)


def make_request(method: str, *, cseq: int = 1, call_id: str = "call-1", branch: str | None = None,
                 to_tag: str | None = None, body: bytes = b"", rport: bool = True) -> Request:
    to = Address(SipUri(host="127.0.0.1", user="service", port=5060))
    if to_tag:
        to = to.with_tag(to_tag)
    params: tuple[tuple[str, str | None], ...] = (("branch", branch or new_branch()),)
    if rport:
        params += (("rport", None),)
    return build_request(
        method,
        SipUri(host="127.0.0.1", user="service", port=5060),
        from_=Address(SipUri(host="127.0.0.1", user="caller", port=5061), "Caller", (("tag", "ft1"),)),
        to=to,
        call_id=call_id,
        cseq=cseq,
        via=Via("UDP", "127.0.0.1", 5061, params),
        contact=Address(SipUri(host="127.0.0.1", user="caller", port=5061)),
        body=body,
        content_type="application/sdp" if body else None,
    )
