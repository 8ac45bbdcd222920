"""Lexical pieces of RFC 3261 §25: tokens, quoted strings, parameters, comma lists."""

from __future__ import annotations

import re
import string

from helpline.protocols.sip.errors import SipParseError

ALPHANUM = frozenset(string.ascii_letters + string.digits)
TOKEN_CHARS = ALPHANUM | frozenset("-.!%*_+`'~")
# word (Call-ID) adds the separators that are harmless inside an identifier.
WORD_CHARS = TOKEN_CHARS | frozenset('()<>:\\"/[]?{}')
WSP = " \t"
HEX = frozenset(string.hexdigits)

Params = tuple[tuple[str, str | None], ...]

_GEN_VALUE_CHARS = TOKEN_CHARS | frozenset("[]:")


_TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_WORD_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+")


def is_token(text: str) -> bool:
    return _TOKEN_RE.fullmatch(text) is not None


def is_word(text: str) -> bool:
    return _WORD_RE.fullmatch(text) is not None


def quote(text: str) -> str:
    """Render text as a quoted-string, escaping the two characters that need it."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scan_quoted(text: str, start: int) -> tuple[str, int]:
    """Read the quoted-string opening at ``text[start]``; return (unescaped content, index after it)."""
    out: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                break
            nxt = text[i + 1]
            if nxt in "\r\n":
                raise SipParseError("line break escaped inside a quoted string")
            out.append(nxt)
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        if c in "\r\n":
            break
        out.append(c)
        i += 1
    raise SipParseError("unterminated quoted string")


def unquote(value: str) -> str:
    """The content of a quoted-string parameter value, or the value itself when unquoted."""
    if value.startswith('"'):
        content, end = scan_quoted(value, 0)
        if end != len(value):
            raise SipParseError("text after a quoted string")
        return content
    return value


def split_commas(value: str) -> list[str]:
    """Split a header value on the commas that separate its elements.

    Commas inside quoted strings and inside <...> URIs belong to the element. Each element is
    returned stripped; an empty element (``a,,b``) is returned as an empty string so that the
    caller can decide whether that is an error.
    """
    if "," not in value:
        # Nothing to split; quotes and brackets are checked by whoever parses the element.
        return [value.strip()]
    parts: list[str] = []
    depth = 0
    i = 0
    begin = 0
    n = len(value)
    while i < n:
        c = value[i]
        if c == '"':
            _, i = scan_quoted(value, i)
            continue
        if c == "<":
            depth += 1
        elif c == ">":
            if depth == 0:
                raise SipParseError("'>' without '<'")
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(value[begin:i].strip())
            begin = i + 1
        i += 1
    if depth:
        raise SipParseError("'<' without '>'")
    parts.append(value[begin:].strip())
    return parts


def parse_params(text: str, what: str) -> Params:
    """Parse ``*( SEMI generic-param )`` (RFC 3261 §25.1), allowing LWS around ';' and '='.

    Values keep their quotes so that they serialize as they came; use ``unquote`` to read one.
    """
    params: list[tuple[str, str | None]] = []
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in WSP:
            i += 1
        if i >= n:
            break
        if text[i] != ";":
            raise SipParseError(f"bad {what}: unexpected {text[i]!r} where ';' was expected")
        i += 1
        while i < n and text[i] in WSP:
            i += 1
        start = i
        while i < n and text[i] in TOKEN_CHARS:
            i += 1
        name = text[start:i]
        if not name:
            raise SipParseError(f"bad {what}: empty parameter")
        while i < n and text[i] in WSP:
            i += 1
        value: str | None = None
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in WSP:
                i += 1
            if i < n and text[i] == '"':
                _, end = scan_quoted(text, i)
                value = text[i:end]
                i = end
            else:
                start = i
                while i < n and text[i] in _GEN_VALUE_CHARS:
                    i += 1
                value = text[start:i]
                if not value:
                    raise SipParseError(f"bad {what}: parameter {name} has an empty value")
        params.append((name, value))
    return tuple(params)


def format_params(params: Params) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params)


def get_param(params: Params, name: str) -> str | None:
    """A parameter's value ('' for a valueless one), or None when absent; names are case-insensitive."""
    lname = name.lower()
    for k, v in params:
        if k.lower() == lname:
            return "" if v is None else v
    return None


def has_param(params: Params, name: str) -> bool:
    lname = name.lower()
    return any(k.lower() == lname for k, _ in params)


def replace_param(params: Params, name: str, value: str | None) -> Params:
    """Set a parameter (in place of an existing one of that name, else appended)."""
    lname = name.lower()
    out: list[tuple[str, str | None]] = []
    done = False
    for k, v in params:
        if k.lower() == lname:
            if not done:
                out.append((name, value))
                done = True
            continue
        out.append((k, v))
    if not done:
        out.append((name, value))
    return tuple(out)


def remove_param(params: Params, name: str) -> Params:
    lname = name.lower()
    return tuple((k, v) for k, v in params if k.lower() != lname)


_RFC1123 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) GMT"
)


def is_sip_date(text: str) -> bool:
    """SIP-date (RFC 3261 §25.1): rfc1123-date, always in GMT."""
    m = _RFC1123.fullmatch(text)
    if not m:
        return False
    day, hour, minute, sec = int(m[2]), int(m[5]), int(m[6]), int(m[7])
    return 1 <= day <= 31 and hour < 24 and minute < 60 and sec < 61
