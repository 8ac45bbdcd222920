from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.protocols.rtp import g711
from helpline.protocols.rtp.g711 import G711

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))
# G.711 segment end points: µ-law on the 14-bit magnitude scale (Table 2), A-law on the
# 13-bit scale (Table 1). A segment's codes cover [previous end, end).
ULAW_SEGMENT_ENDS = [31, 95, 223, 479, 991, 2015, 4063, 8159]
ALAW_SEGMENT_ENDS = [32, 64, 128, 256, 512, 1024, 2048, 4096]


def codes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def test_known_code_points() -> None:
    assert list(g711.ulaw_decode(bytes([0xFF, 0x7F, 0x80, 0x00, 0xEF]))) == [0, 0, 32124, -32124, 132]
    assert g711.ulaw_encode(np.array([0, -1, 32767, -32768], dtype=np.int16)) == bytes(
        [0xFF, 0x7F, 0x80, 0x00]
    )
    assert list(g711.alaw_decode(bytes([0xD5, 0x55, 0xAA, 0x2A]))) == [8, -8, 32256, -32256]
    assert g711.alaw_encode(np.array([0, -1, 32767, -32768], dtype=np.int16)) == bytes(
        [0xD5, 0x55, 0xAA, 0x2A]
    )


def test_ulaw_segments_follow_the_g711_table() -> None:
    start = 0
    for segment, end in enumerate(ULAW_SEGMENT_ENDS):
        for magnitude in (start, end - 1):
            for sign, sample in ((0x00, 4 * magnitude), (0x80, -4 * magnitude - 1)):
                code = codes(g711.ulaw_encode(np.array([sample])))[0] ^ 0xFF
                assert (code >> 4) & 7 == segment and code & 0x80 == sign, (segment, sample)
        step = 2 ** (segment + 1)
        # 16 steps per segment (segment 0's first interval is the single value 0).
        assert end - start == 16 * step - (1 if segment == 0 else 0)
        start = end


def test_alaw_segments_follow_the_g711_table() -> None:
    start = 0
    for segment, end in enumerate(ALAW_SEGMENT_ENDS):
        for magnitude in (start, end - 1):
            code = codes(g711.alaw_encode(np.array([8 * magnitude])))[0] ^ 0x55
            assert (code >> 4) & 7 == segment and code & 0x80
        start = end


def test_every_code_survives_decode_then_encode() -> None:
    ulaw_again = codes(g711.ulaw_encode(g711.ulaw_decode(ALL_CODES)))
    expected = codes(ALL_CODES).copy()
    expected[0x7F] = 0xFF  # negative zero decodes to 0, which encodes as positive zero
    assert (ulaw_again == expected).all()
    assert g711.alaw_encode(g711.alaw_decode(ALL_CODES)) == ALL_CODES


def _ulaw_step(segment: np.ndarray) -> np.ndarray:
    return 4 * 2.0 ** (segment + 1)  # 16-bit units; 14-bit steps are 2, 4, ... 256


def _alaw_step(segment: np.ndarray) -> np.ndarray:
    return 8 * 2.0 ** np.maximum(segment, 1)  # 16-bit units; 13-bit steps are 2, 2, 4, ... 128


@pytest.mark.parametrize(
    ("law", "line_mask", "step_of", "resolution"),
    [(G711.PCMU, 0xFF, _ulaw_step, 4), (G711.PCMA, 0x55, _alaw_step, 8)],
)
def test_quantization_is_monotonic_symmetric_and_within_half_a_step(
    law: G711, line_mask: int, step_of: object, resolution: int
) -> None:
    encoded = codes(law.encode(ALL_SAMPLES))
    decoded = law.decode(encoded.tobytes()).astype(np.int32)
    assert (np.diff(decoded) >= 0).all()
    # x and ~x differ only in the sign bit: the reference's one's-complement symmetry.
    assert (codes(law.encode(~ALL_SAMPLES)) == encoded ^ 0x80).all()
    # The error is at most half the interval's step, plus the bits below the law's resolution.
    segment = ((encoded ^ line_mask) >> 4) & 7
    step = step_of(segment)  # type: ignore[operator]
    error = np.abs(decoded - ALL_SAMPLES.astype(np.int32))
    unclipped = np.abs(ALL_SAMPLES.astype(np.int32)) <= 32000
    assert (error[unclipped] <= step[unclipped] / 2 + resolution).all()


def test_a_tone_keeps_g711_signal_to_noise() -> None:
    t = np.arange(8000) / 8000
    tone = (10000 * np.sin(2 * np.pi * 1004 * t)).astype(np.int16)
    for law in G711:
        out = law.decode(law.encode(tone)).astype(float)
        noise = out - tone
        snr = 10 * np.log10(np.sum(tone.astype(float) ** 2) / np.sum(noise**2))
        assert snr > 33, (law, snr)  # G.711's nominal SQR is about 38 dB at this level


def test_silence_bytes_decode_to_the_quietest_values() -> None:
    assert g711.ulaw_decode(bytes([G711.PCMU.silence]))[0] == 0
    assert abs(int(g711.alaw_decode(bytes([G711.PCMA.silence]))[0])) == 8


def test_transcoding_tables_keep_each_value_within_an_alaw_step() -> None:
    via_alaw = g711.alaw_decode(ALL_CODES.translate(g711.ULAW_TO_ALAW)).astype(int)
    direct = g711.ulaw_decode(ALL_CODES).astype(int)
    assert np.abs(via_alaw - direct).max() <= 1024  # half of A-law's top-segment step
    assert G711.PCMA.from_ulaw(ALL_CODES) == ALL_CODES.translate(g711.ULAW_TO_ALAW)
    assert G711.PCMU.transcode_to(G711.PCMU, b"\x01") == b"\x01"
    assert G711.PCMA.transcode_to(G711.PCMU, ALL_CODES) == ALL_CODES.translate(g711.ALAW_TO_ULAW)


@given(st.lists(st.integers(-32768, 32767), max_size=300))
def test_table_encoders_match_the_segment_arithmetic(samples: list[int]) -> None:
    a = np.array(samples, dtype=np.int64)
    assert g711.ulaw_encode(a) == g711.ulaw_compress(a).tobytes()
    assert g711.alaw_encode(a) == g711.alaw_compress(a).tobytes()
    assert (g711.ulaw_decode(g711.ulaw_encode(a)) == g711.ulaw_expand(g711.ulaw_compress(a))).all()


def test_bad_input_is_refused() -> None:
    with pytest.raises(TypeError, match="integer"):
        g711.ulaw_encode(np.zeros(4))
    with pytest.raises(ValueError, match="16-bit"):
        g711.alaw_encode(np.array([40000]))
