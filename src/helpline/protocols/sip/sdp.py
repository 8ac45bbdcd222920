"""SDP session descriptions (RFC 4566): parse, inspect, serialize.

Lines are kept in order as (type, value) pairs, at session level and per media section, so
that a parsed description serializes exactly as it came (with CRLF line ends) and fields this
module does not interpret (b=, k=, i=, unknown attributes) pass through untouched. Typed views
(origin, connection, rtpmap, fmtp, direction) read from and write to those lines.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class SdpParseError(ValueError):
    """A session description that does not follow RFC 4566's grammar."""


class Direction(enum.Enum):
    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def sends(self) -> bool:
        return self in (Direction.SENDRECV, Direction.SENDONLY)

    @property
    def receives(self) -> bool:
        return self in (Direction.SENDRECV, Direction.RECVONLY)

    @classmethod
    def of(cls, sends: bool, receives: bool) -> Direction:
        if sends and receives:
            return cls.SENDRECV
        if sends:
            return cls.SENDONLY
        return cls.RECVONLY if receives else cls.INACTIVE

    def reversed(self) -> Direction:
        """The direction as seen from the other end."""
        return Direction.of(self.receives, self.sends)


_DIRECTIONS = {d.value for d in Direction}


@dataclass(frozen=True, slots=True)
class Origin:
    username: str
    session_id: str
    session_version: int
    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @classmethod
    def parse(cls, value: str) -> Origin:
        parts = value.split(" ")
        if len(parts) != 6 or not parts[2].isdigit() or not parts[2].isascii():
            raise SdpParseError(f"bad o= line {value[:60]!r}")
        return cls(parts[0], parts[1], int(parts[2]), parts[5], parts[3], parts[4])

    def __str__(self) -> str:
        return f"{self.username} {self.session_id} {self.session_version} {self.nettype} {self.addrtype} {self.address}"


@dataclass(frozen=True, slots=True)
class Connection:
    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @classmethod
    def parse(cls, value: str) -> Connection:
        parts = value.split(" ")
        if len(parts) != 3:
            raise SdpParseError(f"bad c= line {value[:60]!r}")
        return cls(parts[2], parts[0], parts[1])

    @property
    def host(self) -> str:
        return self.address.split("/", 1)[0]

    @property
    def on_hold(self) -> bool:
        """RFC 2543-style hold: a connection address of 0.0.0.0."""
        return self.host == "0.0.0.0"

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"


@dataclass(frozen=True, slots=True)
class RtpMap:
    encoding: str
    clock_rate: int
    channels: int | None = None

    @classmethod
    def parse(cls, value: str) -> RtpMap:
        parts = value.split("/")
        if len(parts) not in (2, 3) or not all(p.isdigit() and p.isascii() for p in parts[1:]) or not parts[0]:
            raise SdpParseError(f"bad rtpmap {value[:40]!r}")
        return cls(parts[0], int(parts[1]), int(parts[2]) if len(parts) == 3 else None)

    def __str__(self) -> str:
        return f"{self.encoding}/{self.clock_rate}" + (f"/{self.channels}" if self.channels else "")


Line = tuple[str, str]


def _attributes(lines: list[Line]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for t, v in lines:
        if t == "a":
            name, colon, value = v.partition(":")
            out.append((name, value if colon else None))
    return out


def _direction(lines: list[Line]) -> Direction | None:
    for name, value in _attributes(lines):
        if value is None and name in _DIRECTIONS:
            return Direction(name)
    return None


def _set_direction(lines: list[Line], direction: Direction) -> list[Line]:
    out = [(t, v) for t, v in lines if not (t == "a" and v in _DIRECTIONS)]
    out.append(("a", direction.value))
    return out


@dataclass(slots=True)
class MediaDescription:
    media: str
    port: int
    proto: str
    formats: list[str]
    port_count: int | None = None
    lines: list[Line] = field(default_factory=list)

    @property
    def m_line(self) -> str:
        port = f"{self.port}/{self.port_count}" if self.port_count else str(self.port)
        return " ".join([self.media, port, self.proto, *self.formats])

    @classmethod
    def parse_m_line(cls, value: str) -> MediaDescription:
        parts = value.split(" ")
        if len(parts) < 4 or any(not p for p in parts):
            raise SdpParseError(f"bad m= line {value[:60]!r}")
        port_text, _, count_text = parts[1].partition("/")
        if not port_text.isdigit() or not port_text.isascii() or int(port_text) > 65535:
            raise SdpParseError(f"bad m= port {parts[1]!r}")
        if count_text and not (count_text.isdigit() and count_text.isascii()):
            raise SdpParseError(f"bad m= port count {parts[1]!r}")
        return cls(parts[0], int(port_text), parts[2], parts[3:], int(count_text) if count_text else None)

    @property
    def connection(self) -> Connection | None:
        for t, v in self.lines:
            if t == "c":
                return Connection.parse(v)
        return None

    @property
    def attributes(self) -> list[tuple[str, str | None]]:
        return _attributes(self.lines)

    def attribute(self, name: str) -> str | None:
        for n, v in self.attributes:
            if n == name:
                return "" if v is None else v
        return None

    def rtpmap(self) -> dict[int, RtpMap]:
        """Payload type -> encoding; malformed entries (seen in the wild) are left out."""
        out: dict[int, RtpMap] = {}
        for n, v in self.attributes:
            if n == "rtpmap" and v:
                pt, _, spec = v.partition(" ")
                if pt.isdigit() and pt.isascii():
                    try:
                        out[int(pt)] = RtpMap.parse(spec.strip())
                    except SdpParseError:
                        continue
        return out

    def fmtp(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for n, v in self.attributes:
            if n == "fmtp" and v:
                pt, _, params = v.partition(" ")
                if pt.isdigit() and pt.isascii():
                    out[int(pt)] = params.strip()
        return out

    @property
    def direction(self) -> Direction | None:
        """The media-level direction attribute, if any (see SessionDescription.direction_of)."""
        return _direction(self.lines)

    def set_direction(self, direction: Direction) -> None:
        self.lines = _set_direction(self.lines, direction)


@dataclass(slots=True)
class SessionDescription:
    lines: list[Line] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes | str) -> SessionDescription:
        if isinstance(data, bytes):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise SdpParseError("SDP is not UTF-8") from None
        else:
            text = data
        raw_lines = text.split("\n")
        if raw_lines and raw_lines[-1] == "":
            raw_lines.pop()
        sdp = cls()
        current: MediaDescription | None = None
        for n, raw in enumerate(raw_lines, 1):
            line = raw.removesuffix("\r")
            if len(line) < 2 or line[1] != "=" or not ("a" <= line[0] <= "z"):
                raise SdpParseError(f"line {n}: expected 'x=value', got {line[:40]!r}")
            t, value = line[0], line[2:]
            if n == 1 and (t, value) != ("v", "0"):
                raise SdpParseError("the first line must be v=0")
            if t == "m":
                current = MediaDescription.parse_m_line(value)
                sdp.media.append(current)
            elif current is not None:
                current.lines.append((t, value))
            else:
                sdp.lines.append((t, value))
        if not sdp.lines:
            raise SdpParseError("empty session description")
        if not any(t == "o" for t, _ in sdp.lines):
            raise SdpParseError("missing o= line")
        sdp.origin  # noqa: B018 - validates the o= line
        sdp.connection  # noqa: B018 - and the session-level c= line
        for m in sdp.media:
            for t, v in m.lines:
                if t == "c":
                    Connection.parse(v)
        return sdp

    def __str__(self) -> str:
        out = [f"{t}={v}\r\n" for t, v in self.lines]
        for m in self.media:
            out.append(f"m={m.m_line}\r\n")
            out.extend(f"{t}={v}\r\n" for t, v in m.lines)
        return "".join(out)

    def __bytes__(self) -> bytes:
        return str(self).encode("utf-8")

    def _get(self, kind: str) -> str | None:
        for t, v in self.lines:
            if t == kind:
                return v
        return None

    @property
    def origin(self) -> Origin:
        v = self._get("o")
        if v is None:
            raise SdpParseError("missing o= line")
        return Origin.parse(v)

    @property
    def connection(self) -> Connection | None:
        v = self._get("c")
        return None if v is None else Connection.parse(v)

    @property
    def direction(self) -> Direction | None:
        return _direction(self.lines)

    def connection_of(self, media: MediaDescription) -> Connection | None:
        """A media section's connection: its own c= line, else the session's."""
        return media.connection or self.connection

    def direction_of(self, media: MediaDescription) -> Direction:
        """A media section's direction: its own attribute, else the session's, else sendrecv."""
        return media.direction or self.direction or Direction.SENDRECV
