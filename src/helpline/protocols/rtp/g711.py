"""G.711 µ-law and A-law companding with numpy (ITU-T G.711; bit-exact with the ITU-T G.191
software tools' rules).

Linear samples are 16-bit. µ-law quantizes the top 14 bits, A-law the top 13. Negative inputs
take the one's complement before the shift, so ``x`` and ``~x`` always encode to the same code
with only the sign bit different: the quantizer is symmetric about -0.5, as the reference is.
Decoding returns the middle of each quantization interval.

Decoding is a 256-entry table lookup. Encoding is vectorised arithmetic over the segment
thresholds; it is run once over all 65,536 inputs to build the table that ``*_encode`` indexes,
which is what the media path pays per frame.
"""

from __future__ import annotations

from enum import Enum
from typing import Final, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = TypeVar("_A", bound=NDArray[np.generic])

ULAW_SILENCE: Final = 0xFF
ALAW_SILENCE: Final = 0xD5

# Biased 14-bit magnitude where each µ-law segment 1..7 starts; segment 0 starts at 33.
_ULAW_SEGMENT_STARTS: Final = np.array([64, 128, 256, 512, 1024, 2048, 4096], dtype=np.int32)
_ULAW_BIAS: Final = 33
_ULAW_CLIP: Final = 0x1FFF  # largest biased magnitude
# 12-bit A-law magnitude where segments 2..7 start; segments 0 and 1 share step size 1.
_ALAW_SEGMENT_STARTS: Final = np.array([16, 32, 64, 128, 256, 512, 1024], dtype=np.int32)


def _as_int32(samples: ArrayLike) -> NDArray[np.int32]:
    a = np.asarray(samples)
    if a.dtype.kind not in "iu":
        raise TypeError(f"G.711 encodes integer PCM samples, not {a.dtype}")
    if a.size and (a.min() < -32768 or a.max() > 32767):
        raise ValueError("samples must lie within the 16-bit range -32768..32767")
    return a.astype(np.int32)


def ulaw_compress(samples: ArrayLike) -> NDArray[np.uint8]:
    """µ-law codes for 16-bit samples, computed from the segment rules (no table)."""
    x = _as_int32(samples)
    negative = x < 0
    magnitude = np.where(negative, ~x, x) >> 2  # 14-bit magnitude, one's complement for negatives
    biased = np.minimum(magnitude + _ULAW_BIAS, _ULAW_CLIP)
    segment = np.searchsorted(_ULAW_SEGMENT_STARTS, biased, side="right").astype(np.int32)
    mantissa = (biased >> (segment + 1)) & 0x0F
    code = np.where(negative, 0, 0x80) | (segment << 4) | mantissa
    out: NDArray[np.uint8] = (code ^ 0x7F).astype(np.uint8)  # all bits but the sign inverted
    return out


def ulaw_expand(codes: ArrayLike) -> NDArray[np.int16]:
    """16-bit samples for µ-law codes, computed from the segment rules (no table)."""
    c = np.asarray(codes).astype(np.int32) ^ 0xFF
    segment = (c >> 4) & 0x07
    mantissa = c & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << segment) - 0x84
    return np.where(c & 0x80, -magnitude, magnitude).astype(np.int16)


def alaw_compress(samples: ArrayLike) -> NDArray[np.uint8]:
    """A-law codes for 16-bit samples, computed from the segment rules (no table)."""
    x = _as_int32(samples)
    negative = x < 0
    magnitude = np.where(negative, ~x, x) >> 4  # 12-bit magnitude
    segment = np.searchsorted(_ALAW_SEGMENT_STARTS, magnitude, side="right").astype(np.int32)
    shift = np.maximum(segment - 1, 0)
    mantissa = (magnitude >> shift) & 0x0F
    code = np.where(negative, 0, 0x80) | (segment << 4) | mantissa
    out: NDArray[np.uint8] = (code ^ 0x55).astype(np.uint8)  # even bits inverted on the line
    return out


def alaw_expand(codes: ArrayLike) -> NDArray[np.int16]:
    """16-bit samples for A-law codes, computed from the segment rules (no table)."""
    c = np.asarray(codes).astype(np.int32) ^ 0x55
    segment = (c >> 4) & 0x07
    mantissa = c & 0x0F
    magnitude = np.where(segment > 0, ((mantissa + 16) << 4) + 8, (mantissa << 4) + 8)
    magnitude = magnitude << np.maximum(segment - 1, 0)
    out: NDArray[np.int16] = np.where(c & 0x80, magnitude, -magnitude).astype(np.int16)
    return out


def _frozen(a: _A) -> _A:
    a.setflags(write=False)
    return a


_ALL_CODES: Final = np.arange(256, dtype=np.int32)
# Indexed by the sample's 16-bit pattern read as unsigned (sample & 0xFFFF).
_ALL_SAMPLES: Final = np.arange(65536, dtype=np.int32).astype(np.uint16).view(np.int16)

ULAW_DECODE_TABLE: Final = _frozen(ulaw_expand(_ALL_CODES))
ALAW_DECODE_TABLE: Final = _frozen(alaw_expand(_ALL_CODES))
ULAW_ENCODE_TABLE: Final = _frozen(ulaw_compress(_ALL_SAMPLES))
ALAW_ENCODE_TABLE: Final = _frozen(alaw_compress(_ALL_SAMPLES))

# For bytes.translate: convert a payload between the two laws without going through linear
# in Python code (each code maps to the code of its decoded value).
ULAW_TO_ALAW: Final = bytes(ALAW_ENCODE_TABLE[ULAW_DECODE_TABLE.view(np.uint16)])
ALAW_TO_ULAW: Final = bytes(ULAW_ENCODE_TABLE[ALAW_DECODE_TABLE.view(np.uint16)])


def _pcm16(samples: ArrayLike) -> NDArray[np.uint16]:
    a = np.asarray(samples)
    if a.dtype == np.int16:
        return a.view(np.uint16)
    return _as_int32(a).astype(np.int16).view(np.uint16)


def ulaw_encode(samples: ArrayLike) -> bytes:
    """µ-law bytes for 16-bit PCM samples (any integer array within range)."""
    return ULAW_ENCODE_TABLE[_pcm16(samples)].tobytes()


def alaw_encode(samples: ArrayLike) -> bytes:
    return ALAW_ENCODE_TABLE[_pcm16(samples)].tobytes()


def ulaw_decode(data: bytes) -> NDArray[np.int16]:
    """16-bit PCM samples for µ-law bytes."""
    return ULAW_DECODE_TABLE[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes) -> NDArray[np.int16]:
    return ALAW_DECODE_TABLE[np.frombuffer(data, dtype=np.uint8)]


class G711(Enum):
    """The two G.711 laws as RTP codecs, named as SDP names them (static payload types 0 and 8)."""

    PCMU = 0
    PCMA = 8

    @property
    def payload_type(self) -> int:
        return self.value

    @property
    def silence(self) -> int:
        return ULAW_SILENCE if self is G711.PCMU else ALAW_SILENCE

    def encode(self, samples: ArrayLike) -> bytes:
        return ulaw_encode(samples) if self is G711.PCMU else alaw_encode(samples)

    def decode(self, data: bytes) -> NDArray[np.int16]:
        return ulaw_decode(data) if self is G711.PCMU else alaw_decode(data)

    def from_ulaw(self, data: bytes) -> bytes:
        """Payload in this law from µ-law bytes (prompts are stored as µ-law)."""
        return data if self is G711.PCMU else data.translate(ULAW_TO_ALAW)

    def transcode_to(self, other: G711, data: bytes) -> bytes:
        if self is other:
            return data
        return data.translate(ULAW_TO_ALAW if self is G711.PCMU else ALAW_TO_ULAW)
