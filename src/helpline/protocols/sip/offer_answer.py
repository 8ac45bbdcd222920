"""The SDP offer/answer model (RFC 3264) for G.711 telephony with RFC 4733 DTMF.

Helpline speaks PCMU and PCMA at 8 kHz plus telephone-event. An answer accepts the first
audio stream that shares a codec with us, picking the first codec in the offerer's order that
we support, keeps the offerer's telephone-event payload type, and mirrors the offer's
direction (sendonly is answered recvonly, which is how a caller's hold looks). Every other
stream is rejected with port 0, as §6 requires, so the m= lines stay aligned with the offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from helpline.protocols.sip.sdp import (
    Connection,
    Direction,
    MediaDescription,
    Origin,
    RtpMap,
    SessionDescription,
)


@dataclass(frozen=True, slots=True)
class Codec:
    name: str
    payload_type: int
    clock_rate: int = 8000


PCMU = Codec("PCMU", 0)
PCMA = Codec("PCMA", 8)
TELEPHONE_EVENT = "telephone-event"
_STATIC = {0: RtpMap("PCMU", 8000), 8: RtpMap("PCMA", 8000)}
_AUDIO_PROTOS = ("RTP/AVP",)


@dataclass(frozen=True, slots=True)
class NegotiatedAudio:
    """What the media edge needs once offer and answer agree."""

    remote_address: str
    remote_port: int
    payload_type: int
    codec: str
    clock_rate: int
    telephone_event: int | None
    direction: Direction  # ours: whether we send and/or receive
    ptime: int = 20


def _codec_of(media: MediaDescription, fmt: str) -> RtpMap | None:
    if not fmt.isdigit() or not fmt.isascii():
        return None
    pt = int(fmt)
    return media.rtpmap().get(pt) or _STATIC.get(pt)


def _telephone_event(media: MediaDescription) -> int | None:
    for fmt in media.formats:
        spec = _codec_of(media, fmt)
        if spec and spec.encoding.lower() == TELEPHONE_EVENT and spec.clock_rate == 8000:
            return int(fmt)
    return None


def _ptime(media: MediaDescription) -> int:
    v = media.attribute("ptime")
    return int(v) if v and v.isdigit() and v.isascii() else 20


def _audio_lines(
    media: MediaDescription,
    address: str,
    chosen: tuple[int, RtpMap],
    telephone_event: int | None,
    te_fmtp: str,
    direction: Direction,
    ptime: int,
) -> None:
    pt, spec = chosen
    media.formats = [str(pt)] + ([str(telephone_event)] if telephone_event is not None else [])
    media.lines = [("c", str(Connection(address))), ("a", f"rtpmap:{pt} {spec}")]
    if telephone_event is not None:
        media.lines += [("a", f"rtpmap:{telephone_event} {TELEPHONE_EVENT}/8000"), ("a", f"fmtp:{telephone_event} {te_fmtp}")]
    media.lines += [("a", f"ptime:{ptime}"), ("a", direction.value)]


def _session(address: str, session_id: str, session_version: int, username: str) -> SessionDescription:
    return SessionDescription(
        lines=[
            ("v", "0"),
            ("o", str(Origin(username, session_id, session_version, address))),
            ("s", username),
            ("c", str(Connection(address))),
            ("t", "0 0"),
        ]
    )


def build_offer(
    *,
    address: str,
    port: int,
    session_id: str,
    session_version: int,
    codecs: Sequence[Codec] = (PCMU, PCMA),
    telephone_event: int | None = 101,
    direction: Direction = Direction.SENDRECV,
    ptime: int = 20,
    username: str = "helpline",
) -> SessionDescription:
    """An audio offer. Re-offers (hold, resume) keep ``session_id`` and bump ``session_version``."""
    sdp = _session(address, session_id, session_version, username)
    formats = [str(c.payload_type) for c in codecs]
    lines: list[tuple[str, str]] = [("a", f"rtpmap:{c.payload_type} {c.name}/{c.clock_rate}") for c in codecs]
    if telephone_event is not None:
        formats.append(str(telephone_event))
        lines += [("a", f"rtpmap:{telephone_event} {TELEPHONE_EVENT}/8000"), ("a", f"fmtp:{telephone_event} 0-16")]
    lines += [("a", f"ptime:{ptime}"), ("a", direction.value)]
    sdp.media.append(MediaDescription("audio", port, "RTP/AVP", formats, lines=lines))
    return sdp


def answer_direction(offered: Direction, wanted: Direction) -> Direction:
    """RFC 3264 §6.1: we send only what the offerer receives, and receive only what it sends."""
    return Direction.of(offered.receives and wanted.sends, offered.sends and wanted.receives)


def _offered_direction(offer: SessionDescription, media: MediaDescription) -> Direction:
    direction = offer.direction_of(media)
    conn = offer.connection_of(media)
    if conn is not None and conn.on_hold:
        # RFC 2543 hold: the offerer will not receive, whatever the attribute says.
        direction = Direction.of(direction.sends, False)
    return direction


def build_answer(
    offer: SessionDescription,
    *,
    address: str,
    port: int,
    session_id: str,
    session_version: int,
    codecs: Sequence[Codec] = (PCMU, PCMA),
    direction: Direction = Direction.SENDRECV,
    username: str = "helpline",
) -> tuple[SessionDescription, NegotiatedAudio | None]:
    """The answer to ``offer`` and the audio stream it sets up (None when nothing was accepted,
    which the caller answers with 488 Not Acceptable Here)."""
    ours = {c.name.lower() for c in codecs}
    answer = _session(address, session_id, session_version, username)
    negotiated: NegotiatedAudio | None = None
    for offered in offer.media:
        reply = MediaDescription(offered.media, 0, offered.proto, list(offered.formats))
        answer.media.append(reply)
        if negotiated is not None or offered.media != "audio" or offered.port == 0:
            continue
        if offered.proto not in _AUDIO_PROTOS:
            continue
        chosen: tuple[int, RtpMap] | None = None
        for fmt in offered.formats:
            spec = _codec_of(offered, fmt)
            if spec and spec.encoding.lower() in ours and spec.clock_rate == 8000:
                chosen = (int(fmt), spec)
                break
        conn = offer.connection_of(offered)
        if chosen is None or conn is None:
            continue
        te = _telephone_event(offered)
        te_fmtp = offered.fmtp().get(te, "0-15") if te is not None else ""
        mine = answer_direction(_offered_direction(offer, offered), direction)
        ptime = _ptime(offered)
        reply.port = port
        _audio_lines(reply, address, chosen, te, te_fmtp, mine, ptime)
        negotiated = NegotiatedAudio(
            remote_address=conn.host,
            remote_port=offered.port,
            payload_type=chosen[0],
            codec=chosen[1].encoding.upper(),
            clock_rate=chosen[1].clock_rate,
            telephone_event=te,
            direction=mine,
            ptime=ptime,
        )
    return answer, negotiated


def accept_answer(offer: SessionDescription, answer: SessionDescription) -> NegotiatedAudio | None:
    """What our offer and the peer's answer agreed on (UAC side): the first accepted audio
    stream, with the answer's first codec that we offered."""
    for ours, theirs in zip(offer.media, answer.media, strict=False):
        if ours.media != "audio" or theirs.port == 0 or ours.port == 0:
            continue
        offered = {
            (spec.encoding.lower(), spec.clock_rate)
            for fmt in ours.formats
            if (spec := _codec_of(ours, fmt)) is not None
        }
        conn = answer.connection_of(theirs)
        if conn is None:
            return None
        for fmt in theirs.formats:
            spec = _codec_of(theirs, fmt)
            if spec and spec.encoding.lower() != TELEPHONE_EVENT and (spec.encoding.lower(), spec.clock_rate) in offered:
                return NegotiatedAudio(
                    remote_address=conn.host,
                    remote_port=theirs.port,
                    payload_type=int(fmt),
                    codec=spec.encoding.upper(),
                    clock_rate=spec.clock_rate,
                    telephone_event=_telephone_event(theirs),
                    direction=answer.direction_of(theirs).reversed(),
                    ptime=_ptime(theirs),
                )
        return None
    return None
