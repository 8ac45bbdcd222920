"""Stream framing: messages split and glued arbitrarily still come out whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sip_fixtures import DATA

from helpline.protocols.sip.errors import SipFramingError, SipParseError
from helpline.protocols.sip.framing import StreamFramer

STREAM = b"".join((DATA / n).read_bytes() for n in ("sipp_invite.sip", "invite_200.sip", "bye.sip", "options.sip"))


def _drain(framer: StreamFramer) -> list[bytes]:
    out = []
    while (msg := framer.next_message()) is not None:
        out.append(bytes(msg))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_of_the_stream_yields_the_same_messages(cuts: list[int]) -> None:
    framer = StreamFramer()
    got: list[bytes] = []
    points = [0, *sorted(cuts), len(STREAM)]
    for a, b in zip(points, points[1:], strict=False):
        framer.feed(STREAM[a:b])
        got.extend(_drain(framer))
    assert b"".join(got) == STREAM
    assert len(got) == 4 and framer.buffered == 0


def test_keepalive_pings_are_counted_and_skipped() -> None:
    framer = StreamFramer()
    framer.feed(b"\r\n\r\n" + (DATA / "bye.sip").read_bytes() + b"\r\n\r\n")
    assert len(_drain(framer)) == 1
    assert framer.keepalive_pings == 2 and framer.buffered == 0


def test_a_bad_message_with_known_length_is_skipped() -> None:
    bad = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;;\r\nContent-Length: 0\r\n\r\n"
    framer = StreamFramer()
    framer.feed(bad + (DATA / "bye.sip").read_bytes())
    with pytest.raises(SipParseError) as info:
        framer.next_message()
    assert not isinstance(info.value, SipFramingError)
    assert framer.next_message() is not None


@pytest.mark.parametrize(
    "data",
    [
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nxx",
    ],
)
def test_lost_boundaries_fail_the_stream(data: bytes) -> None:
    framer = StreamFramer()
    framer.feed(data)
    with pytest.raises(SipFramingError):
        framer.next_message()
    with pytest.raises(SipFramingError):
        framer.feed(b"more")


def test_oversized_header_section_fails_the_stream() -> None:
    framer = StreamFramer(max_head=1000)
    framer.feed(b"OPTIONS sip:a@b SIP/2.0\r\n" + b"X: " + b"a" * 2000)
    with pytest.raises(SipFramingError, match="longer than"):
        framer.next_message()
