"""SIP requests and responses (RFC 3261 §7).

A parsed message keeps the exact bytes of its start line and of every header field, so that an
unmodified message serializes byte for byte as it arrived (proxies and tests rely on that). A
field that is added or replaced has no raw bytes and is written canonically (``Name: value``).
Typed views (``via``, ``from_``, ``cseq``...) are parsed from the current header values on access.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.headers import (
    LIST_HEADERS,
    Address,
    CSeq,
    Via,
    canonical_name,
    header_key,
    parse_addresses,
    parse_contacts,
    parse_uint,
    parse_vias,
)
from helpline.protocols.sip.syntax import split_commas
from helpline.protocols.sip.uri import Uri

ENCODING = "utf-8"
ERRORS = "surrogateescape"  # headers are UTF-8; foreign bytes survive a round trip untouched


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One header field line. ``raw`` (the line or folded lines with their terminator) is set only
    for fields read off the wire."""

    name: str
    value: str
    raw: bytes | None = None
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", header_key(self.name))

    def __bytes__(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return f"{self.name}: {self.value}\r\n".encode(ENCODING, ERRORS)


class Headers:
    """Ordered header fields; names compare case-insensitively with compact forms expanded."""

    __slots__ = ("_fields",)

    def __init__(self, fields: list[HeaderField] | None = None) -> None:
        self._fields: list[HeaderField] = list(fields or [])

    @classmethod
    def of(cls, *pairs: tuple[str, str]) -> Headers:
        return cls([HeaderField(canonical_name(n), v) for n, v in pairs])

    def __iter__(self) -> Iterator[HeaderField]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = header_key(name)
        return any(f.key == key for f in self._fields)

    def copy(self) -> Headers:
        return Headers(self._fields)

    def get(self, name: str) -> str | None:
        """The value of the first field of that name."""
        key = header_key(name)
        for f in self._fields:
            if f.key == key:
                return f.value
        return None

    def get_all(self, name: str) -> list[str]:
        """The values of every field of that name, one per line, in order."""
        key = header_key(name)
        return [f.value for f in self._fields if f.key == key]

    def values(self, name: str) -> list[str]:
        """Every element of a list header (lines split on commas outside quotes and <>)."""
        lines = self.get_all(name)
        if header_key(name) not in LIST_HEADERS:
            return lines
        out: list[str] = []
        for line in lines:
            out.extend(p for p in split_commas(line) if p)
        return out

    def add(self, name: str, value: str) -> None:
        self._fields.append(HeaderField(canonical_name(name), value))

    def insert(self, index: int, name: str, value: str) -> None:
        self._fields.insert(index, HeaderField(canonical_name(name), value))

    def prepend(self, name: str, value: str) -> None:
        """Insert before the first field of that name (or at the top): how a Via is pushed."""
        key = header_key(name)
        for i, f in enumerate(self._fields):
            if f.key == key:
                self._fields.insert(i, HeaderField(canonical_name(name), value))
                return
        self._fields.insert(0, HeaderField(canonical_name(name), value))

    def set(self, name: str, value: str) -> None:
        """Replace the fields of that name by one, at the position of the first (else appended)."""
        key = header_key(name)
        new = HeaderField(canonical_name(name), value)
        out: list[HeaderField] = []
        placed = False
        for f in self._fields:
            if f.key == key:
                if not placed:
                    out.append(new)
                    placed = True
                continue
            out.append(f)
        if not placed:
            out.append(new)
        self._fields = out

    def remove(self, name: str) -> None:
        key = header_key(name)
        self._fields = [f for f in self._fields if f.key != key]

    def remove_first(self, name: str) -> None:
        """Remove the first element of a list header: how a proxy pops its Via or Route."""
        key = header_key(name)
        for i, f in enumerate(self._fields):
            if f.key == key:
                rest = split_commas(f.value)[1:] if key in LIST_HEADERS else []
                if rest:
                    self._fields[i] = HeaderField(f.name, ", ".join(rest))
                else:
                    del self._fields[i]
                return

    def __bytes__(self) -> bytes:
        return b"".join(bytes(f) for f in self._fields)

    def __repr__(self) -> str:
        return f"Headers({[(f.name, f.value) for f in self._fields]!r})"


class Message:
    """What requests and responses share: headers, body and the typed views of core headers."""

    __slots__ = ("_raw_separator", "body", "headers")

    def __init__(self, headers: Headers | None = None, body: bytes = b"") -> None:
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self._raw_separator = b"\r\n"

    def _start_line(self) -> bytes:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        return self._start_line() + bytes(self.headers) + self._raw_separator + self.body

    def set_body(self, body: bytes, content_type: str | None = None) -> None:
        """Replace the body and keep Content-Length (and Content-Type) in step with it."""
        self.body = body
        if content_type is not None:
            self.headers.set("Content-Type", content_type)
        elif not body:
            self.headers.remove("Content-Type")
        self.headers.set("Content-Length", str(len(body)))

    # Typed views of the headers every transaction and dialog needs.
    @property
    def via(self) -> list[Via]:
        out: list[Via] = []
        for line in self.headers.get_all("Via"):
            out.extend(parse_vias(line))
        return out

    @property
    def top_via(self) -> Via:
        line = self.headers.get("Via")
        if line is None:
            raise SipParseError("missing Via header")
        return parse_vias(line)[0]

    @property
    def from_(self) -> Address:
        return Address.parse(self._required("From"), "From")

    @property
    def to(self) -> Address:
        return Address.parse(self._required("To"), "To")

    @property
    def call_id(self) -> str:
        return self._required("Call-ID").strip()

    @property
    def cseq(self) -> CSeq:
        return CSeq.parse(self._required("CSeq"))

    @property
    def contact(self) -> list[Address]:
        """Contact addresses ([] when absent, and for the REGISTER wildcard ``*``)."""
        out: list[Address] = []
        for line in self.headers.get_all("Contact"):
            out.extend(parse_contacts(line) or [])
        return out

    @property
    def record_route(self) -> list[Address]:
        out: list[Address] = []
        for line in self.headers.get_all("Record-Route"):
            out.extend(parse_addresses(line, "Record-Route", name_addr_only=True))
        return out

    @property
    def route(self) -> list[Address]:
        out: list[Address] = []
        for line in self.headers.get_all("Route"):
            out.extend(parse_addresses(line, "Route", name_addr_only=True))
        return out

    @property
    def max_forwards(self) -> int | None:
        v = self.headers.get("Max-Forwards")
        return None if v is None else parse_uint(v, "Max-Forwards", 255)

    @property
    def content_type(self) -> str | None:
        v = self.headers.get("Content-Type")
        return None if v is None else v.split(";", 1)[0].strip().lower()

    @property
    def expires(self) -> int | None:
        """The Expires header in seconds (values beyond 2**32-1 are capped, per RFC 3261 §25.1)."""
        v = self.headers.get("Expires")
        if v is None:
            return None
        s = v.strip()
        if not s.isdigit() or not s.isascii():
            raise SipParseError(f"bad Expires {s[:30]!r}")
        return min(int(s[:12]), 2**32 - 1)

    def _required(self, name: str) -> str:
        v = self.headers.get(name)
        if v is None:
            raise SipParseError(f"missing {name} header")
        return v


class Request(Message):
    """A SIP request. ``uri`` is the Request-URI."""

    __slots__ = ("_method", "_raw_start", "_uri")

    def __init__(self, method: str, uri: Uri, headers: Headers | None = None, body: bytes = b"") -> None:
        super().__init__(headers, body)
        self._method = method
        self._uri = uri
        self._raw_start: bytes | None = None

    @property
    def method(self) -> str:
        return self._method

    @method.setter
    def method(self, value: str) -> None:
        self._method = value
        self._raw_start = None

    @property
    def uri(self) -> Uri:
        return self._uri

    @uri.setter
    def uri(self, value: Uri) -> None:
        self._uri = value
        self._raw_start = None

    def _start_line(self) -> bytes:
        if self._raw_start is not None:
            return self._raw_start
        return f"{self._method} {self._uri} SIP/2.0\r\n".encode(ENCODING, ERRORS)

    def copy(self) -> Request:
        r = Request(self._method, self._uri, self.headers.copy(), self.body)
        r._raw_start = self._raw_start
        r._raw_separator = self._raw_separator
        return r

    def __repr__(self) -> str:
        return f"<Request {self._method} {self._uri}>"


class Response(Message):
    """A SIP response."""

    __slots__ = ("_raw_start", "_reason", "_status")

    def __init__(
        self, status: int, reason: str | None = None, headers: Headers | None = None, body: bytes = b""
    ) -> None:
        super().__init__(headers, body)
        self._status = status
        self._reason = REASONS.get(status, "") if reason is None else reason
        self._raw_start: bytes | None = None

    @property
    def status(self) -> int:
        return self._status

    @status.setter
    def status(self, value: int) -> None:
        self._status = value
        self._raw_start = None

    @property
    def reason(self) -> str:
        return self._reason

    @reason.setter
    def reason(self, value: str) -> None:
        self._reason = value
        self._raw_start = None

    @property
    def provisional(self) -> bool:
        return 100 <= self._status < 200

    @property
    def success(self) -> bool:
        return 200 <= self._status < 300

    @property
    def final(self) -> bool:
        return self._status >= 200

    def _start_line(self) -> bytes:
        if self._raw_start is not None:
            return self._raw_start
        return f"SIP/2.0 {self._status} {self._reason}\r\n".encode(ENCODING, ERRORS)

    def copy(self) -> Response:
        r = Response(self._status, self._reason, self.headers.copy(), self.body)
        r._raw_start = self._raw_start
        r._raw_separator = self._raw_separator
        return r

    def __repr__(self) -> str:
        return f"<Response {self._status} {self._reason}>"


REASONS: dict[int, str] = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
    200: "OK", 202: "Accepted", 300: "Multiple Choices", 301: "Moved Permanently",
    302: "Moved Temporarily", 305: "Use Proxy", 380: "Alternative Service", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 410: "Gone", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
    415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 420: "Bad Extension",
    421: "Extension Required", 423: "Interval Too Brief", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated",
    488: "Not Acceptable Here", 491: "Request Pending", 493: "Undecipherable",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}
