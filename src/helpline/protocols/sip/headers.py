"""Header names (with compact forms) and the structured header values SIP relies on.

Address covers name-addr / addr-spec (From, To, Contact, Route, Record-Route, Refer-To...),
Via carries the transaction's branch and the response path, CSeq orders requests in a dialog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.syntax import (
    TOKEN_CHARS,
    WSP,
    Params,
    format_params,
    get_param,
    is_token,
    parse_params,
    quote,
    remove_param,
    replace_param,
    scan_quoted,
    split_commas,
)
from helpline.protocols.sip.uri import AbsoluteUri, SipUri, Uri, parse_uri, split_hostport

COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

_CANONICAL = {
    name.lower(): name
    for name in (
        *COMPACT_FORMS.values(),
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authentication-Info",
        "Authorization", "Call-Info", "Content-Disposition", "Content-Language", "CSeq", "Date",
        "Error-Info", "Expires", "In-Reply-To", "Max-Forwards", "MIME-Version", "Min-Expires",
        "Organization", "P-Asserted-Identity", "Priority", "Proxy-Authenticate", "Proxy-Authorization",
        "Proxy-Require", "Record-Route", "Reason", "Reply-To", "Require", "Retry-After", "Route", "RSeq",
        "RAck", "Server", "Subscription-State", "Timestamp", "Unsupported", "User-Agent", "Warning",
        "WWW-Authenticate", "Min-SE", "Replaces", "Privacy", "Diversion", "History-Info", "Path",
    )
}

# Headers whose value is a comma-separated list (RFC 3261 §7.3.1): several lines of the same
# name are equivalent to one line joined with commas. Others (Date, WWW-Authenticate, To...)
# carry commas inside a single value and must never be split.
LIST_HEADERS = frozenset(
    n.lower()
    for n in (
        "Via", "Contact", "Route", "Record-Route", "Allow", "Supported", "Require", "Proxy-Require",
        "Unsupported", "Accept", "Accept-Encoding", "Accept-Language", "Allow-Events", "Content-Encoding",
        "Content-Language", "Alert-Info", "Call-Info", "Error-Info", "In-Reply-To", "Warning", "Path",
        "Accept-Contact", "Reject-Contact", "Request-Disposition", "Privacy", "Reason", "History-Info",
        "P-Asserted-Identity", "Diversion",
    )
)


def header_key(name: str) -> str:
    """The lookup key of a header name: compact forms expanded, lower-cased."""
    return _header_key(name) if len(name) <= 64 else _header_key.__wrapped__(name)


@lru_cache(maxsize=1024)
def _header_key(name: str) -> str:
    lname = name.lower()
    if len(lname) == 1:
        full = COMPACT_FORMS.get(lname)
        if full is not None:
            return full.lower()
    return lname


def canonical_name(name: str) -> str:
    """The conventional spelling of a header name (``call-id`` -> ``Call-ID``, ``i`` -> ``Call-ID``)."""
    key = header_key(name)
    if key in _CANONICAL:
        return _CANONICAL[key]
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _check_display_name(text: str, what: str) -> str:
    # display-name = *(token LWS) / quoted-string; an unquoted name is tokens separated by LWS.
    # Non-ASCII letters are tolerated unquoted (some phones send UTF-8 names that way); the
    # separators that would change the meaning (',' ';' '"' '<' ...) are not.
    words = text.split()
    for w in words:
        if not is_token(w) and not all(c in TOKEN_CHARS or ord(c) > 127 for c in w):
            raise SipParseError(f"bad {what}: display name {text!r} has characters that need quotes")
    return " ".join(words)


def _check_uri_text(text: str, what: str) -> str:
    if not text:
        raise SipParseError(f"bad {what}: empty URI")
    if any(c in WSP for c in text):
        raise SipParseError(f"bad {what}: whitespace inside the URI")
    return text


@dataclass(frozen=True, slots=True)
class Address:
    """A name-addr or addr-spec with header parameters (tag, expires, q, lr...)."""

    uri: Uri
    display_name: str | None = None
    params: Params = ()

    @property
    def tag(self) -> str | None:
        return get_param(self.params, "tag")

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def with_tag(self, tag: str) -> Address:
        return replace(self, params=replace_param(self.params, "tag", tag))

    def with_param(self, name: str, value: str | None) -> Address:
        return replace(self, params=replace_param(self.params, name, value))

    def without_param(self, name: str) -> Address:
        return replace(self, params=remove_param(self.params, name))

    @property
    def sip_uri(self) -> SipUri:
        if not isinstance(self.uri, SipUri):
            raise SipParseError(f"expected a sip: or sips: URI, not {self.uri.scheme}:")
        return self.uri

    def __str__(self) -> str:
        name = "" if self.display_name is None else quote(self.display_name) + " "
        return f"{name}<{self.uri}>{format_params(self.params)}"

    @classmethod
    def parse(cls, text: str, what: str = "address", *, name_addr_only: bool = False) -> Address:
        # Addresses are immutable, so the same header text (From, To, Contact are read several
        # times per message) is parsed once; long texts are not memoized, to bound memory.
        if len(text) > _MEMO_MAX:
            return cls._parse(text, what, name_addr_only)
        return _parse_address(text, what, name_addr_only)

    @classmethod
    def _parse(cls, text: str, what: str, name_addr_only: bool) -> Address:
        s = text.strip()
        if not s:
            raise SipParseError(f"bad {what}: empty")
        display: str | None = None
        if s.startswith('"'):
            display, end = scan_quoted(s, 0)
            rest = s[end:].lstrip(WSP)
            if not rest.startswith("<"):
                raise SipParseError(f"bad {what}: quoted display name not followed by <URI>")
            s = rest
        m = _FIRST_SPECIAL.search(s)
        lt = m.start() if m and m.group() == "<" else -1
        if lt >= 0:
            if lt > 0:
                display = _check_display_name(s[:lt], what) or None
            gt = s.find(">", lt)
            if gt < 0:
                raise SipParseError(f"bad {what}: '<' without '>'")
            uri_text = _check_uri_text(s[lt + 1 : gt], what)
            params_text = s[gt + 1 :]
        else:
            if name_addr_only:
                raise SipParseError(f"bad {what}: URI must be enclosed in <>")
            # addr-spec: the URI ends at the first ';' or whitespace, and any ';' after it starts
            # the header's own parameters (RFC 3261 §20.10), which is why a URI with ',', ';'
            # or '?' must be in angle brackets.
            m = _ADDR_SPEC_END.search(s)
            end = m.start() if m else len(s)
            uri_text, params_text = s[:end], s[end:]
            if "?" in uri_text or "," in uri_text:
                raise SipParseError(f"bad {what}: a URI with '?' or ',' must be enclosed in <>")
        uri = parse_uri(uri_text)
        params = parse_params(params_text, what)
        return cls(uri=uri, display_name=display, params=params)


_MEMO_MAX = 512  # longest header text worth memoizing (at most 8192 of them are kept)
_FIRST_SPECIAL = re.compile(r'[;"<]')
_ADDR_SPEC_END = re.compile(r"[; \t]")


@lru_cache(maxsize=8192)
def _parse_address(text: str, what: str, name_addr_only: bool) -> Address:
    return Address._parse(text, what, name_addr_only)


@dataclass(frozen=True, slots=True)
class Via:
    """One Via entry: ``SIP/2.0/UDP host:port;branch=...;received=...;rport``."""

    transport: str
    host: str
    port: int | None = None
    params: Params = ()

    @property
    def branch(self) -> str | None:
        return get_param(self.params, "branch")

    @property
    def received(self) -> str | None:
        return get_param(self.params, "received")

    @property
    def rport(self) -> int | None:
        """The rport value filled in by the server; None when absent or still empty."""
        v = get_param(self.params, "rport")
        return int(v) if v else None

    @property
    def wants_rport(self) -> bool:
        return get_param(self.params, "rport") is not None

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def with_param(self, name: str, value: str | None) -> Via:
        return replace(self, params=replace_param(self.params, name, value))

    def __str__(self) -> str:
        return f"SIP/2.0/{self.transport} {self.sent_by}{format_params(self.params)}"

    _RE = re.compile(r"SIP[ \t]*/[ \t]*(\S+?)[ \t]*/[ \t]*([A-Za-z0-9!%*_+`'~.-]+)[ \t]+(.*)", re.I | re.S)
    _SENT_BY = re.compile(r"(\[[^\]]*\]|[^ \t;:]+)(?:[ \t]*:[ \t]*([^ \t;]*))?")

    @classmethod
    def parse(cls, text: str) -> Via:
        m = cls._RE.fullmatch(text.strip())
        if not m:
            raise SipParseError(f"bad Via {text[:60]!r}")
        version, transport, rest = m.groups()
        if version != "2.0":
            raise SipParseError(f"unsupported SIP version SIP/{version} in Via", status=505)
        sb = cls._SENT_BY.match(rest)
        if not sb:
            raise SipParseError(f"bad Via sent-by {rest[:60]!r}")
        hostport = sb[1] if sb[2] is None else f"{sb[1]}:{sb[2]}"
        host, port = split_hostport(hostport, "Via sent-by")
        params = parse_params(rest[sb.end() :], "Via")
        for name, value in params:
            lname = name.lower()
            if lname == "branch" and value is None:
                raise SipParseError("bad Via: branch without a value")
            if lname == "rport" and value is not None and not (value.isdigit() and int(value) <= 65535):
                raise SipParseError(f"bad Via: rport={value}")
            if lname == "ttl" and (value is None or not value.isdigit() or int(value) > 255):
                raise SipParseError("bad Via: ttl")
        return cls(transport=transport.upper(), host=host.lower(), port=port, params=params)


MAX_CSEQ = 2**31 - 1


@dataclass(frozen=True, slots=True)
class CSeq:
    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"

    _RE = re.compile(r"(\d+)[ \t]+(\S+)")

    @classmethod
    def parse(cls, text: str) -> CSeq:
        m = cls._RE.fullmatch(text.strip())
        if not m or not m[1].isascii():
            raise SipParseError(f"bad CSeq {text[:60]!r}")
        if len(m[1]) > 10 or int(m[1]) > MAX_CSEQ:
            raise SipParseError("CSeq number out of range (must be below 2**31)")
        if not is_token(m[2]):
            raise SipParseError(f"bad CSeq method {m[2][:40]!r}")
        return cls(int(m[1]), m[2])


def parse_addresses(value: str, what: str, *, name_addr_only: bool = False) -> list[Address]:
    out = []
    for part in split_commas(value):
        if not part:
            raise SipParseError(f"bad {what}: empty element in list")
        out.append(Address.parse(part, what, name_addr_only=name_addr_only))
    return out


def parse_vias(value: str) -> list[Via]:
    if len(value) > _MEMO_MAX:
        return list(_parse_vias.__wrapped__(value))
    return list(_parse_vias(value))


@lru_cache(maxsize=8192)
def _parse_vias(value: str) -> tuple[Via, ...]:
    out = []
    for part in split_commas(value):
        if not part:
            raise SipParseError("bad Via: empty element in list")
        out.append(Via.parse(part))
    return tuple(out)


def parse_contacts(value: str) -> list[Address] | None:
    """Contact values, or None for the wildcard ``*`` of a REGISTER removing all bindings."""
    if value.strip() == "*":
        return None
    return parse_addresses(value, "Contact")


def parse_uint(text: str, what: str, maximum: int) -> int:
    s = text.strip()
    if not s.isdigit() or not s.isascii():
        raise SipParseError(f"bad {what} {s[:30]!r}")
    if len(s) > 12 or int(s) > maximum:
        raise SipParseError(f"{what} out of range")
    return int(s)


__all__ = [
    "COMPACT_FORMS",
    "LIST_HEADERS",
    "AbsoluteUri",
    "Address",
    "CSeq",
    "Via",
    "canonical_name",
    "header_key",
    "parse_addresses",
    "parse_contacts",
    "parse_uint",
    "parse_vias",
]
