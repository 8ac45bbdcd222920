"""Whatever arrives, the parser answers with a message or a SipParseError, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sip_fixtures import DATA, TORTURE

from helpline.protocols.sip.builders import build_error_response
from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.framing import StreamFramer
from helpline.protocols.sip.parser import parse_message

SEEDS = [p.read_bytes() for p in sorted(DATA.glob("*.sip"))]
if TORTURE.exists():
    SEEDS += [p.read_bytes() for p in sorted(TORTURE.glob("*.dat"))]

ALPHABET = b" \t\r\n:;,<>\"\\=@%/?.-0123456789azAZ\x00\xff"


def _exercise(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except SipParseError as exc:
        assert isinstance(exc.reason, str) and exc.reason
        # Answering the bad request must itself never fail.
        resp = build_error_response(exc)
        if resp is not None:
            assert bytes(resp).startswith(b"SIP/2.0 ")
        return
    # A message that parsed must serialize and expose its core headers without surprises.
    assert parse_message(bytes(msg)).call_id == msg.call_id
    _ = (msg.via, msg.from_, msg.to, msg.cseq, msg.contact, msg.route, msg.record_route, msg.max_forwards)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _exercise(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        pos = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] = draw(st.sampled_from(ALPHABET))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8)) if draw(st.booleans()) else bytes(
                [draw(st.sampled_from(ALPHABET))]
            )
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(min_value=1, max_value=10))]
        else:
            end = pos + draw(st.integers(min_value=1, max_value=40))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_of_valid_messages(data: bytes) -> None:
    _exercise(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=3))
def test_stream_framer_only_raises_parse_errors(chunks: list[bytes]) -> None:
    framer = StreamFramer()
    try:
        for chunk in chunks:
            framer.feed(chunk)
            for _ in range(10):
                try:
                    if framer.next_message() is None:
                        break
                except SipParseError as exc:
                    if type(exc).__name__ == "SipFramingError":
                        raise
    except SipParseError:
        pass
