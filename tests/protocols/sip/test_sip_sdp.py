"""SDP parsing and RFC 3264 offer/answer for G.711 and telephone-event."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sip_fixtures import TORTURE, fixture_bytes

from helpline.protocols.sip.offer_answer import (
    PCMA,
    PCMU,
    Codec,
    accept_answer,
    answer_direction,
    build_answer,
    build_offer,
)
from helpline.protocols.sip.parser import parse_message
from helpline.protocols.sip.sdp import Direction, Origin, RtpMap, SdpParseError, SessionDescription

SIPP_SDP = parse_message(fixture_bytes("sipp_invite.sip")).body


def _sdp(text: str) -> SessionDescription:
    return SessionDescription.parse(text.strip().replace("\n", "\r\n") + "\r\n")


def test_sipp_offer_parses_and_round_trips() -> None:
    sdp = SessionDescription.parse(SIPP_SDP)
    assert bytes(sdp) == SIPP_SDP
    assert sdp.origin == Origin("user1", "53655765", 2353687637, "127.0.0.1")
    (audio,) = sdp.media
    assert (audio.media, audio.port, audio.proto, audio.formats) == ("audio", 6000, "RTP/AVP", ["0", "8", "96"])
    assert audio.rtpmap()[96] == RtpMap("telephone-event", 8000)
    assert audio.fmtp() == {96: "0-15"}
    assert sdp.connection_of(audio).host == "127.0.0.1"  # type: ignore[union-attr]
    assert sdp.direction_of(audio) is Direction.SENDRECV


def test_answer_picks_the_offerers_first_common_codec_and_keeps_its_dtmf_type() -> None:
    offer = SessionDescription.parse(SIPP_SDP)
    answer, audio = build_answer(offer, address="10.0.0.2", port=40000, session_id="77", session_version=1)
    assert audio is not None
    assert (audio.codec, audio.payload_type, audio.telephone_event) == ("PCMU", 0, 96)
    assert (audio.remote_address, audio.remote_port, audio.direction) == ("127.0.0.1", 6000, Direction.SENDRECV)
    text = str(answer)
    assert "m=audio 40000 RTP/AVP 0 96\r\n" in text
    assert "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n" in text
    assert "c=IN IP4 10.0.0.2\r\n" in text and "o=helpline 77 1 IN IP4 10.0.0.2\r\n" in text
    assert bytes(SessionDescription.parse(bytes(answer))) == bytes(answer)
    # Our preference does not reorder the offerer's list: PCMA-first offers get PCMA.
    pcma_first = SessionDescription.parse(SIPP_SDP.replace(b"RTP/AVP 0 8 96", b"RTP/AVP 8 0 96"))
    assert build_answer(pcma_first, address="a", port=1, session_id="1", session_version=1)[1].codec == "PCMA"  # type: ignore[union-attr]
    # ...but codecs we lack are skipped.
    only_pcma = build_answer(offer, address="a", port=1, session_id="1", session_version=1, codecs=[PCMA])[1]
    assert only_pcma is not None and only_pcma.payload_type == 8


def test_dynamic_payload_types_and_missing_dtmf() -> None:
    offer = _sdp("""
v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
t=0 0
m=audio 5004 RTP/AVP 112 97
c=IN IP4 192.0.2.1
a=rtpmap:112 pcma/8000
a=rtpmap:97 opus/48000/2
""")
    answer, audio = build_answer(offer, address="10.0.0.2", port=40000, session_id="1", session_version=1)
    assert audio is not None and (audio.payload_type, audio.codec, audio.telephone_event) == (112, "PCMA", None)
    assert "m=audio 40000 RTP/AVP 112\r\n" in str(answer)


def test_unusable_streams_are_rejected_with_port_zero_in_order() -> None:
    offer = _sdp("""
v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=video 5006 RTP/AVP 31
m=audio 5008 RTP/SAVP 0
m=audio 5004 RTP/AVP 18 0
m=audio 5010 RTP/AVP 0
""")
    answer, audio = build_answer(offer, address="10.0.0.2", port=40000, session_id="1", session_version=1)
    assert audio is not None and audio.remote_port == 5004 and audio.payload_type == 0
    assert [m.m_line for m in answer.media] == [
        "video 0 RTP/AVP 31",
        "audio 0 RTP/SAVP 0",
        "audio 40000 RTP/AVP 0",
        "audio 0 RTP/AVP 0",
    ]
    g729_only = _sdp("v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 h\nt=0 0\nm=audio 5004 RTP/AVP 18")
    answer, audio = build_answer(g729_only, address="a", port=1, session_id="1", session_version=1)
    assert audio is None and answer.media[0].port == 0


@pytest.mark.parametrize(
    ("offered", "wanted", "expected"),
    [
        (Direction.SENDRECV, Direction.SENDRECV, Direction.SENDRECV),
        (Direction.SENDONLY, Direction.SENDRECV, Direction.RECVONLY),
        (Direction.RECVONLY, Direction.SENDRECV, Direction.SENDONLY),
        (Direction.INACTIVE, Direction.SENDRECV, Direction.INACTIVE),
        (Direction.SENDRECV, Direction.SENDONLY, Direction.SENDONLY),
        (Direction.SENDONLY, Direction.SENDONLY, Direction.INACTIVE),
    ],
)
def test_direction_rules(offered: Direction, wanted: Direction, expected: Direction) -> None:
    assert answer_direction(offered, wanted) is expected


def test_hold_offer_is_answered_recvonly() -> None:
    hold = build_offer(address="192.0.2.1", port=5004, session_id="9", session_version=2, direction=Direction.SENDONLY)
    answer, audio = build_answer(hold, address="10.0.0.2", port=40000, session_id="1", session_version=1)
    assert audio is not None and audio.direction is Direction.RECVONLY
    assert answer.media[0].direction is Direction.RECVONLY
    legacy = _sdp("v=0\no=- 1 2 IN IP4 h\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 5004 RTP/AVP 0")
    assert build_answer(legacy, address="a", port=1, session_id="1", session_version=1)[1].direction is Direction.RECVONLY  # type: ignore[union-attr]


def test_offer_then_answer_from_both_sides() -> None:
    offer = build_offer(address="10.0.0.1", port=30000, session_id="5", session_version=1,
                        codecs=[PCMA, PCMU], telephone_event=101)
    text = str(offer)
    assert "m=audio 30000 RTP/AVP 8 0 101\r\n" in text and "a=sendrecv\r\n" in text
    answer, theirs = build_answer(SessionDescription.parse(bytes(offer)), address="10.0.0.2", port=40000,
                                  session_id="6", session_version=1)
    ours = accept_answer(offer, SessionDescription.parse(bytes(answer)))
    assert theirs is not None and ours is not None
    assert (ours.codec, ours.payload_type, ours.telephone_event) == ("PCMA", 8, 101)
    assert (ours.remote_address, ours.remote_port) == ("10.0.0.2", 40000)
    assert theirs.remote_port == 30000 and ours.direction is theirs.direction is Direction.SENDRECV
    rejected = SessionDescription.parse(bytes(answer))
    rejected.media[0].port = 0
    assert accept_answer(offer, rejected) is None
    assert Codec("PCMU", 0) == PCMU


def test_set_direction_replaces_the_attribute() -> None:
    offer = build_offer(address="h", port=1, session_id="1", session_version=1)
    offer.media[0].set_direction(Direction.INACTIVE)
    assert str(offer).count("a=inactive") == 1 and "a=sendrecv" not in str(offer)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v=1\r\no=- 1 1 IN IP4 h\r\n",
        "v=0\r\ns=-\r\n",
        "v=0\r\no=- 1 x IN IP4 h\r\n",
        "v=0\r\no=- 1 1 IN IP4 h\r\nm=audio x RTP/AVP 0\r\n",
        "v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 5004\r\n",
        "v=0\r\no=- 1 1 IN IP4 h\r\nbad line\r\n",
        "v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4\r\n",
    ],
)
def test_malformed_sdp_is_rejected(text: str) -> None:
    with pytest.raises(SdpParseError):
        SessionDescription.parse(text)


def test_torture_corpus_sdp_bodies_parse() -> None:
    if not TORTURE.exists():
        pytest.skip(f"RFC 4475 corpus not found at {TORTURE}")
    body = parse_message((TORTURE / "sdp01.dat").read_bytes()).body
    sdp = SessionDescription.parse(body)
    assert [m.media for m in sdp.media] == ["audio", "video"] and bytes(sdp) == body
    assert sdp.media[1].rtpmap() == {}  # "a=rtpmap:31 LPC" lacks its clock rate: ignored


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_offers_parse_or_fail_cleanly_and_answers_always_build(data: st.DataObject) -> None:
    text = bytearray(SIPP_SDP)
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        pos = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
        text[pos:pos + data.draw(st.integers(min_value=0, max_value=4))] = data.draw(
            st.binary(max_size=4) | st.sampled_from([b" ", b"\r\n", b"=", b"/", b":", b"0", b"a=", b"m="])
        )
    try:
        offer = SessionDescription.parse(bytes(text))
    except SdpParseError:
        return
    answer, _ = build_answer(offer, address="10.0.0.2", port=40000, session_id="1", session_version=1)
    assert len(answer.media) == len(offer.media)
    SessionDescription.parse(bytes(answer))
