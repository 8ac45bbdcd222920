"""Building requests and responses the way RFC 3261 §8 says a UA must.

``build_response`` follows §8.2.6: Via, From, Call-ID and CSeq are copied as they are, To too
with a tag added when the request had none. Header values are copied as text, so the response
carries exactly what the client sent (some clients compare byte strings).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.headers import Address, CSeq, Via
from helpline.protocols.sip.message import Headers, Request, Response
from helpline.protocols.sip.uri import Uri

BRANCH_COOKIE = "z9hG4bK"  # RFC 3261 §8.1.1.7: marks a branch as unique per transaction
DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER", "NOTIFY"})


def new_branch() -> str:
    return BRANCH_COOKIE + secrets.token_hex(10)


def new_tag() -> str:
    return secrets.token_hex(6)


def new_call_id(host: str | None = None) -> str:
    token = secrets.token_hex(12)
    return f"{token}@{host}" if host else token


def build_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Response:
    """A response to ``request`` (RFC 3261 §8.2.6).

    ``to_tag`` is added to To when the request's To has no tag yet (a 100 Trying needs none).
    Record-Route is copied into responses that can establish a dialog (§12.1.1).
    """
    h = Headers()
    for v in request.headers.get_all("Via"):
        h.add("Via", v)
    h.add("From", request.headers.get("From") or "")
    to_value = request.headers.get("To") or ""
    if to_tag is not None and status != 100 and _lacks_tag(to_value):
        to_value = f"{to_value};tag={to_tag}"
    h.add("To", to_value)
    h.add("Call-ID", request.headers.get("Call-ID") or "")
    h.add("CSeq", request.headers.get("CSeq") or "")
    if 100 < status < 300 and request.method in DIALOG_CREATING:
        for v in request.headers.get_all("Record-Route"):
            h.add("Record-Route", v)
    if status == 100:
        ts = request.headers.get("Timestamp")
        if ts is not None:
            h.add("Timestamp", ts)
    for name, value in headers:
        h.add(name, value)
    resp = Response(status, reason, h)
    resp.set_body(body, content_type)
    return resp


def _lacks_tag(to_value: str) -> bool:
    try:
        return Address.parse(to_value, "To").tag is None
    except SipParseError:
        return False  # an unparseable To (answering a 400) is echoed untouched


def add_received(request: Request, host: str, port: int) -> None:
    """Record where a request really came from in its top Via (RFC 3261 §18.2.1, RFC 3581).

    ``received`` is added when the sent-by host differs from the source address, and always
    when the client asked for ``rport``, whose value is then filled with the source port.
    Responses copy the Via, so they find their way back through NATs.
    """
    via = request.top_via
    changed = via
    if via.wants_rport:
        changed = changed.with_param("rport", str(port)).with_param("received", host)
    elif via.host != host:
        changed = changed.with_param("received", host)
    if changed is via:
        return
    request.headers.remove_first("Via")
    request.headers.prepend("Via", str(changed))


def build_error_response(error: SipParseError) -> Response | None:
    """The 400 (or 505) answering a request that failed to parse, or None when it cannot be
    answered (a response, an ACK, or a request lacking a single From/To/Call-ID/CSeq to echo).

    The header fields are echoed as received, however broken; send the response back to the
    datagram's source address, since its Via may be what was wrong.
    """
    request = error.partial
    if not isinstance(request, Request) or request.method == "ACK":
        return None
    if not request.headers.get_all("Via"):
        return None
    for name in ("From", "To", "Call-ID", "CSeq"):
        if len(request.headers.get_all(name)) != 1:
            return None
    reason = "".join(c if c.isprintable() else " " for c in error.reason)[:100]
    return build_response(request, error.status, reason, to_tag=new_tag())


def build_request(
    method: str,
    uri: Uri,
    *,
    from_: Address,
    to: Address,
    call_id: str,
    cseq: int,
    via: Via,
    contact: Address | None = None,
    route: Iterable[Address] = (),
    max_forwards: int = 70,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Request:
    """A request with the header fields of RFC 3261 §8.1.1, in the conventional order."""
    h = Headers()
    h.add("Via", str(via))
    h.add("Max-Forwards", str(max_forwards))
    for r in route:
        h.add("Route", str(r))
    h.add("From", str(from_))
    h.add("To", str(to))
    h.add("Call-ID", call_id)
    h.add("CSeq", str(CSeq(cseq, method)))
    if contact is not None:
        h.add("Contact", str(contact))
    for name, value in headers:
        h.add(name, value)
    req = Request(method, uri, h)
    req.set_body(body, content_type)
    return req


def build_ack_for_failure(invite: Request, response: Response) -> Request:
    """The ACK a client INVITE transaction sends for a 300-699 response (RFC 3261 §17.1.1.3)."""
    h = Headers()
    h.add("Via", str(invite.top_via))
    h.add("Max-Forwards", "70")
    for v in invite.headers.get_all("Route"):
        h.add("Route", v)
    h.add("From", invite.headers.get("From") or "")
    h.add("To", response.headers.get("To") or "")
    h.add("Call-ID", invite.headers.get("Call-ID") or "")
    h.add("CSeq", f"{invite.cseq.seq} ACK")
    h.add("Content-Length", "0")
    return Request("ACK", invite.uri, h)


def build_cancel(request: Request) -> Request:
    """CANCEL for a pending request (RFC 3261 §9.1): same branch, so it reaches the same server."""
    h = Headers()
    h.add("Via", str(request.top_via))
    h.add("Max-Forwards", "70")
    for v in request.headers.get_all("Route"):
        h.add("Route", v)
    h.add("From", request.headers.get("From") or "")
    h.add("To", request.headers.get("To") or "")
    h.add("Call-ID", request.headers.get("Call-ID") or "")
    h.add("CSeq", f"{request.cseq.seq} CANCEL")
    h.add("Content-Length", "0")
    return Request("CANCEL", request.uri, h)
