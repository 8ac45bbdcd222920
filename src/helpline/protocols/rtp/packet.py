"""RTP packets (RFC 3550 section 5.1): parse and serialize, byte for byte.

A parsed packet keeps everything needed to rebuild the exact bytes it came from: the header
extension's raw words and the padding trailer as received (only its last octet, the count, has a
meaning; the others may hold anything). ``read_header`` is the allocation-light path that the
media edge uses for every packet; ``RtpPacket`` is the full model.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

RTP_VERSION = 2
FIXED_HEADER_SIZE = 12

_FIXED = struct.Struct("!BBHII")
_EXT = struct.Struct("!HH")


class RtpError(ValueError):
    """A datagram that is not a well-formed RTP packet."""


@dataclass(frozen=True, slots=True)
class RtpExtension:
    """The header extension: a 16-bit profile-defined value and whole 32-bit words of data."""

    profile: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.profile <= 0xFFFF:
            raise RtpError(f"extension profile {self.profile} is not a 16-bit value")
        if len(self.data) % 4:
            raise RtpError(f"extension data is {len(self.data)} bytes, not a whole number of 32-bit words")
        if len(self.data) // 4 > 0xFFFF:
            raise RtpError("extension data is longer than 65535 words")


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: RtpExtension | None = None
    # The whole padding trailer, its last octet being its own length; empty means no padding.
    padding: bytes = field(default=b"")

    def __post_init__(self) -> None:
        if not 0 <= self.payload_type <= 127:
            raise RtpError(f"payload type {self.payload_type} is outside 0..127")
        if not 0 <= self.sequence <= 0xFFFF:
            raise RtpError(f"sequence number {self.sequence} is outside 0..65535")
        if not 0 <= self.timestamp <= 0xFFFFFFFF:
            raise RtpError(f"timestamp {self.timestamp} is not a 32-bit value")
        if not 0 <= self.ssrc <= 0xFFFFFFFF:
            raise RtpError(f"SSRC {self.ssrc} is not a 32-bit value")
        if len(self.csrc) > 15:
            raise RtpError(f"{len(self.csrc)} CSRCs; at most 15 fit the header")
        for c in self.csrc:
            if not 0 <= c <= 0xFFFFFFFF:
                raise RtpError(f"CSRC {c} is not a 32-bit value")
        if self.padding and self.padding[-1] != len(self.padding):
            raise RtpError(
                f"padding of {len(self.padding)} bytes must end with its length, not {self.padding[-1]}"
            )

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < FIXED_HEADER_SIZE:
            raise RtpError(f"{len(data)} bytes is shorter than the 12-byte RTP header")
        b0, b1, seq, ts, ssrc = _FIXED.unpack_from(data)
        if b0 >> 6 != RTP_VERSION:
            raise RtpError(f"RTP version {b0 >> 6}, expected 2")
        offset = FIXED_HEADER_SIZE
        cc = b0 & 0x0F
        if len(data) < offset + 4 * cc:
            raise RtpError(f"header announces {cc} CSRCs but the packet ends first")
        csrc = struct.unpack_from(f"!{cc}I", data, offset) if cc else ()
        offset += 4 * cc
        extension = None
        if b0 & 0x10:
            if len(data) < offset + 4:
                raise RtpError("header extension flag set but the packet ends first")
            profile, words = _EXT.unpack_from(data, offset)
            offset += 4
            if len(data) < offset + 4 * words:
                raise RtpError(f"header extension of {words} words runs past the end of the packet")
            extension = RtpExtension(profile, bytes(data[offset : offset + 4 * words]))
            offset += 4 * words
        end = len(data)
        padding = b""
        if b0 & 0x20:
            count = data[-1]
            if count == 0 or end - count < offset:
                raise RtpError(f"padding count {count} does not fit the packet")
            padding = bytes(data[end - count :])
            end -= count
        return cls(
            payload_type=b1 & 0x7F,
            sequence=seq,
            timestamp=ts,
            ssrc=ssrc,
            payload=bytes(data[offset:end]),
            marker=bool(b1 & 0x80),
            csrc=tuple(csrc),
            extension=extension,
            padding=padding,
        )

    def serialize(self) -> bytes:
        b0 = (RTP_VERSION << 6) | len(self.csrc)
        if self.padding:
            b0 |= 0x20
        if self.extension is not None:
            b0 |= 0x10
        b1 = (0x80 if self.marker else 0) | self.payload_type
        parts = [_FIXED.pack(b0, b1, self.sequence, self.timestamp, self.ssrc)]
        if self.csrc:
            parts.append(struct.pack(f"!{len(self.csrc)}I", *self.csrc))
        if self.extension is not None:
            parts.append(_EXT.pack(self.extension.profile, len(self.extension.data) // 4))
            parts.append(self.extension.data)
        parts.append(self.payload)
        parts.append(self.padding)
        return b"".join(parts)

    def __bytes__(self) -> bytes:
        return self.serialize()


def read_header(data: bytes) -> tuple[bool, int, int, int, int, int, int]:
    """The fields a media relay needs, without building a packet object.

    Returns ``(marker, payload_type, sequence, timestamp, ssrc, payload_start, payload_end)``;
    raises ``RtpError`` for anything that is not version-2 RTP with a consistent length.
    """
    if len(data) < FIXED_HEADER_SIZE:
        raise RtpError(f"{len(data)} bytes is shorter than the 12-byte RTP header")
    b0, b1, seq, ts, ssrc = _FIXED.unpack_from(data)
    if b0 & 0xC0 != 0x80:
        raise RtpError(f"RTP version {b0 >> 6}, expected 2")
    start = FIXED_HEADER_SIZE + 4 * (b0 & 0x0F)
    end = len(data)
    if b0 & 0x10:
        if end < start + 4:
            raise RtpError("header extension flag set but the packet ends first")
        start += 4 + 4 * _EXT.unpack_from(data, start)[1]
    if b0 & 0x20:
        end -= data[-1]
    if start > end or (b0 & 0x20 and data[-1] == 0):
        raise RtpError("header, extension and padding do not fit the packet")
    return bool(b1 & 0x80), b1 & 0x7F, seq, ts, ssrc, start, end


def audio_packer(payload_size: int) -> Callable[[int, int, int, int, int, bytes], bytes]:
    """A packer for whole datagrams with a fixed-size payload: header and payload in one call.

    The returned function takes ``(first_octet, second_octet, sequence, timestamp, ssrc,
    payload)``, where the octets are as ``build_header`` makes them (0x80, then the marker bit
    or-ed with the payload type). A shorter payload would be zero-filled: pass exactly
    ``payload_size`` bytes.
    """
    return struct.Struct(f"!BBHII{payload_size}s").pack


def build_header(marker: bool, payload_type: int, sequence: int, timestamp: int, ssrc: int) -> bytes:
    """The 12-byte fixed header with no CSRCs, extension or padding: what the edge sends."""
    return _FIXED.pack(0x80, (0x80 if marker else 0) | payload_type, sequence, timestamp, ssrc)
