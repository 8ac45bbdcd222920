"""SIP and SIPS URIs (RFC 3261 §19.1, §25.1) and other absolute URIs.

Components are kept unescaped; ``str()`` re-escapes what the grammar does not allow literally,
so a URI built in code always serializes canonically. A parsed message keeps its own raw text,
so parsing never has to reproduce the sender's escaping.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field, replace
from urllib.parse import unquote_to_bytes

from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.syntax import HEX, Params, get_param, has_param, replace_param

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-_.!~*'()")
_USER_CHARS = _UNRESERVED | frozenset("&=+$,;?/")
_PASSWORD_CHARS = _UNRESERVED | frozenset("&=+$,")
_PARAM_CHARS = _UNRESERVED | frozenset("[]/:&+$")
_HEADER_CHARS = _UNRESERVED | frozenset("[]/?:+$")
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_FORBIDDEN_IN_URI_RE = re.compile(r'[\x00-\x20\x7f<>"]')


def _unescape(text: str, allowed: frozenset[str], what: str) -> str:
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "%":
            pair = text[i + 1 : i + 3]
            if len(pair) != 2 or not all(h in HEX for h in pair):
                raise SipParseError(f"bad URI {what}: % not followed by two hex digits")
            i += 3
            continue
        if c not in allowed:
            raise SipParseError(f"bad URI {what}: character {c!r} must be escaped")
        i += 1
    if "%" not in text:
        return text
    return unquote_to_bytes(text).decode("utf-8", "surrogateescape")


def _escape(text: str, allowed: frozenset[str]) -> str:
    out: list[str] = []
    for c in text:
        if c in allowed:
            out.append(c)
        else:
            out.extend(f"%{b:02X}" for b in c.encode("utf-8", "surrogateescape"))
    return "".join(out)


def check_host(host: str) -> str:
    if _IPV6.fullmatch(host) or _IPV4.fullmatch(host):
        return host
    if _HOSTNAME.fullmatch(host) and ".." not in host:
        return host
    raise SipParseError(f"bad host {host!r}")


def split_hostport(text: str, what: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (IPv6 references in brackets)."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError(f"bad {what}: unterminated IPv6 reference")
        host, rest = text[: end + 1], text[end + 1 :]
    else:
        host, sep, port_text = text.partition(":")
        rest = sep + port_text
    port: int | None = None
    if rest:
        if not rest.startswith(":") or not rest[1:].isdigit() or not rest[1:].isascii() or len(rest) > 6:
            raise SipParseError(f"bad {what}: bad port {rest[1:]!r}")
        port = int(rest[1:])
        if port > 65535:
            raise SipParseError(f"bad {what}: port {port} out of range")
    return check_host(host), port


@dataclass(frozen=True, slots=True)
class SipUri:
    """sip: or sips: URI. ``params`` values are unescaped; a valueless parameter has value None."""

    host: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: Params = ()
    headers: tuple[tuple[str, str], ...] = ()
    scheme: str = "sip"

    @property
    def secure(self) -> bool:
        return self.scheme == "sips"

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def has_param(self, name: str) -> bool:
        return has_param(self.params, name)

    @property
    def lr(self) -> bool:
        return has_param(self.params, "lr")

    @property
    def transport(self) -> str | None:
        t = get_param(self.params, "transport")
        return t.lower() if t else None

    @property
    def hostport(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def with_params(self, **params: str | None) -> SipUri:
        p = self.params
        for k, v in params.items():
            p = replace_param(p, k, v)
        return replace(self, params=p)

    def without_headers(self) -> SipUri:
        return replace(self, headers=())

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(_escape(self.user, _USER_CHARS))
            if self.password is not None:
                out.append(":" + _escape(self.password, _PASSWORD_CHARS))
            out.append("@")
        out.append(self.hostport)
        for k, v in self.params:
            out.append(";" + _escape(k, _PARAM_CHARS))
            if v is not None:
                out.append("=" + _escape(v, _PARAM_CHARS))
        if self.headers:
            out.append("?" + "&".join(f"{_escape(k, _HEADER_CHARS)}={_escape(v, _HEADER_CHARS)}" for k, v in self.headers))
        return "".join(out)


@dataclass(frozen=True, slots=True)
class AbsoluteUri:
    """Any other URI (tel:, http:, urn:...) kept as opaque text after its scheme."""

    scheme: str
    rest: str = field(default="")

    def __str__(self) -> str:
        return f"{self.scheme}:{self.rest}"


Uri = SipUri | AbsoluteUri


def parse_uri(text: str, *, allow_headers: bool = True) -> Uri:
    """Parse a URI. ``allow_headers=False`` is for the Request-URI, where ?headers are illegal."""
    scheme, colon, rest = text.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        raise SipParseError(f"bad URI {text[:60]!r}: no scheme")
    if not rest:
        raise SipParseError(f"bad URI {text[:60]!r}: nothing after the scheme")
    if _FORBIDDEN_IN_URI_RE.search(text):
        raise SipParseError(f"bad URI {text[:60]!r}: whitespace, quote, angle bracket or control character")
    lscheme = scheme.lower()
    if lscheme not in ("sip", "sips"):
        return AbsoluteUri(lscheme, rest)
    return _parse_sip(lscheme, rest, allow_headers)


def _parse_sip(scheme: str, rest: str, allow_headers: bool) -> SipUri:
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        raw_user, pcolon, raw_password = userinfo.partition(":")
        if not raw_user:
            raise SipParseError("bad URI: empty user part before '@'")
        user = _unescape(raw_user, _USER_CHARS, "user")
        if pcolon:
            password = _unescape(raw_password, _PASSWORD_CHARS, "password")
    body, qmark, header_text = rest.partition("?")
    if qmark and not allow_headers:
        raise SipParseError("Request-URI must not contain headers ('?')")
    hostport, *param_texts = body.split(";")
    host, port = split_hostport(hostport, "URI host")
    params: list[tuple[str, str | None]] = []
    for p in param_texts:
        name, eq, value = p.partition("=")
        if not name:
            raise SipParseError("bad URI: empty parameter")
        pname = _unescape(name, _PARAM_CHARS, "parameter")
        if eq:
            if not value:
                raise SipParseError(f"bad URI: parameter {pname} has an empty value")
            params.append((pname, _unescape(value, _PARAM_CHARS, "parameter")))
        else:
            params.append((pname, None))
    headers: list[tuple[str, str]] = []
    if qmark:
        for h in header_text.split("&"):
            name, eq, value = h.partition("=")
            if not name or not eq:
                raise SipParseError("bad URI: header without name=value")
            headers.append((_unescape(name, _HEADER_CHARS, "header"), _unescape(value, _HEADER_CHARS, "header")))
    return SipUri(
        host=host.lower(),
        user=user,
        password=password,
        port=port,
        params=tuple(params),
        headers=tuple(headers),
        scheme=scheme,
    )
