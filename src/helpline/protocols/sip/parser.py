"""Parsing SIP messages from datagrams and from framed stream data (RFC 3261 §7, §18.3, §25).

The parser is strict where RFC 4475 says a message must be rejected (malformed start line,
unbalanced quotes, bad scalars, missing or repeated core headers, Content-Length mismatches) and
tolerant where it says to accept (LWS everywhere the grammar allows it, folded lines, compact
forms, unknown headers and schemes, escaped characters). Every failure is a SipParseError.
"""

from __future__ import annotations

import re

from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.headers import (
    Address,
    CSeq,
    header_key,
    parse_addresses,
    parse_contacts,
    parse_uint,
    parse_vias,
)
from helpline.protocols.sip.message import ENCODING, ERRORS, HeaderField, Headers, Request, Response
from helpline.protocols.sip.syntax import WSP, is_sip_date, is_token
from helpline.protocols.sip.uri import AbsoluteUri, parse_uri

_LINE_END = re.compile(rb"\r?\n")
_CALL_ID = re.compile(r"[\x21-\x7e]+")
_VERSION = re.compile(r"SIP/(\d+)\.(\d+)", re.I)
_REQUIRED = ("via", "from", "to", "call-id", "cseq")
_SINGLE = ("from", "to", "call-id", "cseq", "max-forwards", "content-length", "content-type")
MAX_CONTENT_LENGTH = 2**24


def _decode(data: bytes) -> str:
    return data.decode(ENCODING, ERRORS)


def split_head(data: bytes, start: int = 0) -> tuple[list[tuple[bytes, bytes]], int] | None:
    """Split the start line and header lines off ``data[start:]``.

    Returns ([(line, terminator)...], offset of the body), or None when the blank line that ends
    the header section has not arrived yet.
    """
    lines: list[tuple[bytes, bytes]] = []
    pos = start
    for m in _LINE_END.finditer(data, start):
        line = data[pos : m.start()]
        if not line:
            return lines, m.end()
        lines.append((line, m.group()))
        pos = m.end()
    return None


def skip_leading_crlf(data: bytes, start: int = 0) -> int:
    """RFC 3261 §7.5: CRLFs before a start line are ignored (keep-alives on streams)."""
    n = len(data)
    i = start
    while i < n and data[i] in b"\r\n":
        i += 1
    return i


def _check_version(text: str) -> None:
    m = _VERSION.fullmatch(text)
    if not m:
        raise SipParseError(f"bad SIP version {text[:20]!r}")
    if (m[1], m[2]) != ("2", "0"):
        raise SipParseError(f"unsupported SIP version {text[:20]}", status=505)


def _parse_start_line(line: str) -> Request | Response:
    if line.startswith("SIP/") or line[:4].upper() == "SIP/":
        version, _, rest = line.partition(" ")
        _check_version(version)
        code, sp, reason = rest.partition(" ")
        if len(code) != 3 or not code.isdigit() or not code.isascii():
            raise SipParseError(f"bad status code {code[:20]!r}")
        status = int(code)
        if not 100 <= status <= 699:
            raise SipParseError(f"status code {status} out of range")
        if any(c in "\r\n" for c in reason):
            raise SipParseError("bad reason phrase")
        return Response(status, reason if sp else "")
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipParseError("bad Request-Line: expected exactly 'Method SP Request-URI SP SIP/2.0'")
    method, uri_text, version = parts
    if not is_token(method):
        raise SipParseError(f"bad method {method[:40]!r}")
    _check_version(version)
    if uri_text.startswith("<"):
        raise SipParseError("Request-URI must not be enclosed in <>")
    return Request(method, parse_uri(uri_text, allow_headers=False))


def _stand_in_request(line: str) -> Request | Response:
    """The request a broken Request-Line most likely meant, for the error response's headers."""
    method = line.split(" ", 1)[0]
    if line[:4].upper() == "SIP/" or not is_token(method):
        raise ValueError(line)
    return Request(method, AbsoluteUri("invalid", ""))


def _header_fields(lines: list[tuple[bytes, bytes]]) -> list[HeaderField]:
    fields: list[HeaderField] = []
    name = ""
    pieces: list[str] = []
    raw: list[bytes] = []

    def flush() -> None:
        if len(raw) == 1:
            fields.append(HeaderField(name, pieces[0].strip(WSP), raw[0]))
        elif raw:
            value = " ".join(p for p in (s.strip(WSP) for s in pieces) if p)
            fields.append(HeaderField(name, value, b"".join(raw)))

    for line, end in lines:
        if b"\r" in line:
            raise SipParseError("bare CR inside a header line")
        if line[:1] in (b" ", b"\t"):
            if not raw:
                raise SipParseError("continuation line before the first header")
            pieces.append(_decode(line))
            raw.append(line + end)
            continue
        flush()
        text = _decode(line)
        colon = text.find(":")
        if colon < 0:
            raise SipParseError(f"header line without ':' ({text[:40]!r})")
        name = text[:colon].rstrip(WSP)
        if not is_token(name):
            raise SipParseError(f"bad header name {name[:40]!r}")
        pieces = [text[colon + 1 :]]
        raw = [line + end]
    flush()
    return fields


def parse_message(data: bytes, *, stream: bool = False) -> Request | Response:
    """Parse one SIP message.

    For a datagram (``stream=False``) a missing Content-Length means the body runs to the end of
    the datagram, and octets beyond Content-Length are discarded (RFC 3261 §18.3). For a framed
    stream message Content-Length is mandatory.
    """
    start = skip_leading_crlf(data)
    split = split_head(data, start)
    if split is None:
        raise SipParseError("no blank line after the header fields")
    lines, body_start = split
    if not lines:
        raise SipParseError("empty message")
    start_bytes, start_end = lines[0]
    if b"\r" in start_bytes:
        raise SipParseError("bare CR in the start line")
    start_error: SipParseError | None = None
    try:
        msg = _parse_start_line(_decode(start_bytes))
    except SipParseError as exc:
        start_error = exc
        try:
            msg = _stand_in_request(_decode(start_bytes))
        except ValueError:
            raise exc from None
    msg._raw_start = start_bytes + start_end
    try:
        msg.headers = Headers(_header_fields(lines[1:]))
    except SipParseError as exc:
        raise SipParseError((start_error or exc).reason, status=(start_error or exc).status) from None
    if start_error is not None:
        # The header fields are sound, so a server can still answer with the reason.
        raise SipParseError(start_error.reason, status=start_error.status, partial=msg)
    msg._raw_separator = data[body_start - len(_blank_line(data, body_start)) : body_start]
    try:
        _frame_body(msg, data, body_start, stream)
        validate(msg)
    except SipParseError as exc:
        raise SipParseError(exc.reason, status=exc.status, partial=msg) from None
    return msg


def _blank_line(data: bytes, body_start: int) -> bytes:
    return b"\r\n" if data[body_start - 2 : body_start] == b"\r\n" else b"\n"


def _frame_body(msg: Request | Response, data: bytes, body_start: int, stream: bool) -> None:
    values = msg.headers.get_all("Content-Length")
    available = len(data) - body_start
    if not values:
        if stream:
            raise SipParseError("missing Content-Length on a stream transport")
        msg.body = data[body_start:]
        return
    if len(values) > 1:
        raise SipParseError("more than one Content-Length header")
    length = parse_uint(values[0], "Content-Length", MAX_CONTENT_LENGTH)
    if length > available:
        raise SipParseError(f"Content-Length {length} is larger than the {available} body octets present")
    msg.body = data[body_start : body_start + length]


def validate(msg: Request | Response) -> None:
    """Check the header fields every element depends on (RFC 3261 §8.1.1, RFC 4475 §3.1.2, §3.3)."""
    by_key: dict[str, list[str]] = {}
    for f in msg.headers:
        by_key.setdefault(f.key, []).append(f.value)
    for key in _REQUIRED:
        if key not in by_key:
            raise SipParseError(f"missing {_display(key)} header")
    for key in _SINGLE:
        if len(by_key.get(key, ())) > 1:
            raise SipParseError(f"more than one {_display(key)} header")
    for line in by_key["via"]:
        parse_vias(line)
    Address.parse(by_key["from"][0], "From")
    Address.parse(by_key["to"][0], "To")
    call_id = by_key["call-id"][0].strip()
    # RFC 3261's word excludes '=' and more, which base64-minded stacks do send: accept any
    # visible ASCII, which is all matching on Call-ID needs.
    if not _CALL_ID.fullmatch(call_id):
        raise SipParseError(f"bad Call-ID {call_id[:60]!r}")
    cseq = CSeq.parse(by_key["cseq"][0])
    if isinstance(msg, Request) and cseq.method != msg.method:
        raise SipParseError(f"CSeq method {cseq.method} does not match the request method {msg.method}")
    for line in by_key.get("contact", ()):
        parse_contacts(line)
    for key, name in (("route", "Route"), ("record-route", "Record-Route")):
        for line in by_key.get(key, ()):
            parse_addresses(line, name, name_addr_only=True)
    for mf in by_key.get("max-forwards", ()):
        parse_uint(mf, "Max-Forwards", 255)
    for date in by_key.get("date", ()):
        if not is_sip_date(date):
            raise SipParseError(f"bad Date {date[:40]!r} (must be an RFC 1123 date in GMT)")
    for ctype in by_key.get("content-type", ()):
        if "/" not in ctype:
            raise SipParseError(f"bad Content-Type {ctype[:40]!r}")


_DISPLAY = {"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq",
            "max-forwards": "Max-Forwards", "content-length": "Content-Length", "content-type": "Content-Type"}


def _display(key: str) -> str:
    return _DISPLAY.get(key, key)


def content_length_of_head(lines: list[tuple[bytes, bytes]]) -> int | None:
    """Content-Length from raw header lines, for stream framing before the full parse."""
    fields = _header_fields(lines[1:])
    values = [f.value for f in fields if f.key == header_key("Content-Length")]
    if not values:
        return None
    if len(values) > 1:
        raise SipParseError("more than one Content-Length header")
    return parse_uint(values[0], "Content-Length", MAX_CONTENT_LENGTH)
