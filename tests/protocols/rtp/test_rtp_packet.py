from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.protocols.rtp.arith import (
    SequenceUnwrapper,
    seq_add,
    seq_diff,
    seq_newer,
    ts_add,
    ts_diff,
    ts_newer,
)
from helpline.protocols.rtp.packet import (
    RtpError,
    RtpExtension,
    RtpPacket,
    audio_packer,
    build_header,
    read_header,
)

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


@st.composite
def packets(draw: st.DrawFn) -> RtpPacket:
    pad_len = draw(st.integers(0, 12))
    padding = b""
    if pad_len:
        padding = draw(st.binary(min_size=pad_len - 1, max_size=pad_len - 1)) + bytes([pad_len])
    ext = None
    if draw(st.booleans()):
        words = draw(st.integers(0, 4))
        ext = RtpExtension(draw(u16), draw(st.binary(min_size=4 * words, max_size=4 * words)))
    return RtpPacket(
        payload_type=draw(st.integers(0, 127)),
        sequence=draw(u16),
        timestamp=draw(u32),
        ssrc=draw(u32),
        payload=draw(st.binary(max_size=200)),
        marker=draw(st.booleans()),
        csrc=tuple(draw(st.lists(u32, max_size=15))),
        extension=ext,
        padding=padding,
    )


@given(packets())
def test_packets_round_trip_through_bytes(packet: RtpPacket) -> None:
    data = packet.serialize()
    assert RtpPacket.parse(data) == packet
    assert RtpPacket.parse(data).serialize() == data


@given(packets())
def test_fast_header_reader_agrees_with_the_full_parser(packet: RtpPacket) -> None:
    data = packet.serialize()
    marker, pt, seq, ts, ssrc, start, end = read_header(data)
    assert (marker, pt, seq, ts, ssrc) == (
        packet.marker,
        packet.payload_type,
        packet.sequence,
        packet.timestamp,
        packet.ssrc,
    )
    assert data[start:end] == packet.payload


def test_a_known_pcmu_packet_decodes_field_by_field() -> None:
    # V=2, no P/X/CC; M=1, PT=0; seq 0x1234; ts 0xdeadbeef; SSRC 0x01020304; 3 payload bytes.
    data = bytes.fromhex("8080 1234 deadbeef 01020304 ffff7f".replace(" ", ""))
    p = RtpPacket.parse(data)
    assert (p.marker, p.payload_type, p.sequence, p.timestamp, p.ssrc) == (
        True,
        0,
        0x1234,
        0xDEADBEEF,
        0x01020304,
    )
    assert p.payload == b"\xff\xff\x7f" and p.csrc == () and p.extension is None and p.padding == b""
    assert build_header(True, 0, 0x1234, 0xDEADBEEF, 0x01020304) == data[:12]


def test_padding_and_extension_and_csrc_are_located_by_the_header_bits() -> None:
    data = (
        bytes([0xB2, 0x08])  # V=2, P=1, X=1, CC=2; PT 8
        + (7).to_bytes(2, "big")
        + (160).to_bytes(4, "big")
        + (9).to_bytes(4, "big")
        + (1).to_bytes(4, "big")
        + (2).to_bytes(4, "big")  # CSRCs
        + bytes.fromhex("bede0001")
        + b"\x10\xaa\x00\x00"  # one-word extension
        + b"\xd5\xd5"  # payload
        + b"\x00\x00\x03"  # padding, count 3
    )
    p = RtpPacket.parse(data)
    assert p.csrc == (1, 2)
    assert p.extension == RtpExtension(0xBEDE, b"\x10\xaa\x00\x00")
    assert p.payload == b"\xd5\xd5" and p.padding == b"\x00\x00\x03"
    assert p.serialize() == data


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x80\x00\x00", "shorter than the 12-byte"),
        (bytes([0x40]) + bytes(11), "version 1"),
        (bytes([0x81]) + bytes(11), "CSRCs"),
        (bytes([0x90]) + bytes(11), "extension flag"),
        (bytes([0x90]) + bytes(11) + b"\x00\x00\x00\x05", "runs past"),
        (bytes([0xA0]) + bytes(11) + b"\x00", "padding count 0"),
        (bytes([0xA0]) + bytes(11) + b"\x09", "padding count 9"),
    ],
)
def test_malformed_packets_are_rejected_with_a_reason(data: bytes, why: str) -> None:
    with pytest.raises(RtpError, match=why):
        RtpPacket.parse(data)
    with pytest.raises(RtpError):
        read_header(data)


def test_values_outside_their_fields_are_refused() -> None:
    with pytest.raises(RtpError, match="payload type"):
        RtpPacket(128, 0, 0, 0)
    with pytest.raises(RtpError, match="sequence"):
        RtpPacket(0, 65536, 0, 0)
    with pytest.raises(RtpError, match="padding"):
        RtpPacket(0, 0, 0, 0, padding=b"\x00\x05")
    with pytest.raises(RtpError, match="32-bit words"):
        RtpExtension(1, b"abc")


def test_sequence_arithmetic_wraps() -> None:
    assert seq_add(65535, 1) == 0
    assert seq_diff(0, 65535) == 1 and seq_diff(65535, 0) == -1
    assert seq_newer(3, 65530) and not seq_newer(65530, 3)
    assert ts_add(0xFFFFFF60, 160) == 0
    assert ts_diff(0, 0xFFFFFF60) == 160 and ts_newer(100, 0xFFFFFFFF)


@given(u16, st.integers(-32768, 32767))
def test_seq_diff_inverts_seq_add(seq: int, delta: int) -> None:
    assert seq_diff(seq_add(seq, delta), seq) == delta


@given(u32, st.integers(-(2**31), 2**31 - 1))
def test_ts_diff_inverts_ts_add(ts: int, delta: int) -> None:
    assert ts_diff(ts_add(ts, delta), ts) == delta


@given(u16, st.lists(st.integers(-50, 200), max_size=400))
def test_unwrapper_counts_cycles_through_reordering(start: int, steps: list[int]) -> None:
    unwrapper = SequenceUnwrapper()
    assert unwrapper.unwrap(start) == start
    true_value = start
    highest = start
    for step in steps:
        # Small backward steps model reordering; the true extended value is known.
        true_value = max(true_value + step, highest - 100)
        assert unwrapper.unwrap(true_value % 65536) == true_value
        highest = max(highest, true_value)
    assert unwrapper.highest == highest


def test_the_audio_packer_makes_the_same_bytes_as_header_and_payload() -> None:
    pack = audio_packer(160)
    payload = bytes(range(160))
    for marker in (False, True):
        datagram = pack(0x80, (0x80 if marker else 0) | 8, 65535, 0xFFFFFFFF, 0x12345678, payload)
        assert datagram == build_header(marker, 8, 65535, 0xFFFFFFFF, 0x12345678) + payload
        assert RtpPacket.parse(datagram) == RtpPacket(8, 65535, 0xFFFFFFFF, 0x12345678, payload, marker)
