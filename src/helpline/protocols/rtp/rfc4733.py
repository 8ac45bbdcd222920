"""RFC 4733 telephone events (DTMF over RTP): payloads, a receiver's detector, a sender.

Theory of operation (detector). A key press is one *event*: every packet of it carries the
RTP timestamp of the moment it began, a growing duration, and the E bit on the last few
packets (senders repeat the end three times because it may be lost). So the timestamp is the
event's identity: the detector reports a digit the first time it sees a timestamp from a
stream and never again for that timestamp, whichever of the event's packets came first. That
makes a lost start (only updates or ends arrive), a retransmitted start and the redundant ends
all come out as one digit, and two presses of the same key (different timestamps) as two.

    IDLE --start--> ACTIVE --end--> ENDED --start--> ACTIVE ...
           \\--end only--------------^
    ACTIVE --start of a new event (old end lost)--> ACTIVE (reports the new digit)
    ACTIVE/ENDED --timeout--> IDLE

A packet older than the current event, or of an event already reported, is stale and ignored
in every state. An event longer than the 16-bit duration field is sent as segments, each with a
new timestamp one segment later; a segment that continues the active event with the same code
is not a new digit. Time comes in as ``now``; ``next_timer()`` says when the active event counts
as over if its end never arrives.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from enum import Enum, auto

from helpline.protocols.rtp.arith import ts_add, ts_diff

EVENT_CODES = "0123456789*#ABCD"
FLASH = 16
TELEPHONE_EVENT_CLOCK_RATE = 8000

_PAYLOAD = struct.Struct("!BBH")


class TelephoneEventError(ValueError):
    """A malformed telephone-event payload or an unknown digit."""


def digit_to_event(digit: str) -> int:
    index = EVENT_CODES.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        if digit.lower() == "flash":
            return FLASH
        raise TelephoneEventError(f"{digit!r} is not a DTMF digit (0-9, *, #, A-D)")
    return index


def event_to_digit(event: int) -> str:
    if 0 <= event < len(EVENT_CODES):
        return EVENT_CODES[event]
    if event == FLASH:
        return "flash"
    raise TelephoneEventError(f"telephone event {event} is not a DTMF digit or flash")


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """One telephone-event payload (RFC 4733 section 2.3): 4 bytes."""

    event: int
    end: bool = False
    volume: int = 10  # power level in -dBm0, 0..63
    duration: int = 0  # in timestamp units since the event's timestamp

    def __post_init__(self) -> None:
        if not 0 <= self.event <= 255:
            raise TelephoneEventError(f"event code {self.event} is outside 0..255")
        if not 0 <= self.volume <= 63:
            raise TelephoneEventError(f"volume {self.volume} is outside 0..63")
        if not 0 <= self.duration <= 0xFFFF:
            raise TelephoneEventError(f"duration {self.duration} does not fit 16 bits")

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        # Longer payloads carry more events (RFC 2198 redundancy is a different payload type);
        # the first event is the one a plain telephone-event stream is about.
        if len(payload) < 4:
            raise TelephoneEventError(f"telephone-event payload of {len(payload)} bytes, need 4")
        event, flags, duration = _PAYLOAD.unpack_from(payload)
        return cls(event=event, end=bool(flags & 0x80), volume=flags & 0x3F, duration=duration)

    def serialize(self) -> bytes:
        return _PAYLOAD.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)

    @property
    def digit(self) -> str:
        return event_to_digit(self.event)


@dataclass(frozen=True, slots=True)
class DetectedDigit:
    digit: str
    ssrc: int
    timestamp: int  # the event's RTP timestamp: its identity within the stream


class DetectorState(Enum):
    IDLE = auto()
    ACTIVE = auto()
    ENDED = auto()


class _Input(Enum):
    START = auto()  # first packet seen of a new event, without the E bit
    START_ENDED = auto()  # first packet seen of a new event already carries the E bit
    UPDATE = auto()  # another packet of the current event, or a segment continuing it
    END = auto()  # an end packet of the current event
    TIMEOUT = auto()


class _Action(Enum):
    REPORT = auto()
    TRACK = auto()
    FORGET = auto()


_TRANSITIONS: dict[tuple[DetectorState, _Input], tuple[DetectorState, _Action]] = {
    (DetectorState.IDLE, _Input.START): (DetectorState.ACTIVE, _Action.REPORT),
    (DetectorState.IDLE, _Input.START_ENDED): (DetectorState.ENDED, _Action.REPORT),
    (DetectorState.ACTIVE, _Input.START): (DetectorState.ACTIVE, _Action.REPORT),
    (DetectorState.ACTIVE, _Input.START_ENDED): (DetectorState.ENDED, _Action.REPORT),
    (DetectorState.ACTIVE, _Input.UPDATE): (DetectorState.ACTIVE, _Action.TRACK),
    (DetectorState.ACTIVE, _Input.END): (DetectorState.ENDED, _Action.TRACK),
    (DetectorState.ACTIVE, _Input.TIMEOUT): (DetectorState.IDLE, _Action.FORGET),
    (DetectorState.ENDED, _Input.START): (DetectorState.ACTIVE, _Action.REPORT),
    (DetectorState.ENDED, _Input.START_ENDED): (DetectorState.ENDED, _Action.REPORT),
    (DetectorState.ENDED, _Input.UPDATE): (DetectorState.ENDED, _Action.TRACK),
    (DetectorState.ENDED, _Input.END): (DetectorState.ENDED, _Action.TRACK),
    (DetectorState.ENDED, _Input.TIMEOUT): (DetectorState.IDLE, _Action.FORGET),
}


class IllegalDetectorEvent(RuntimeError):
    pass


class DtmfDetector:
    """Turns one stream's telephone-event packets into digits, one per event."""

    def __init__(self, *, active_timeout: float = 1.0, ended_hold: float = 2.0, remembered: int = 32) -> None:
        # An active event's packets come every 50 ms or so; after ``active_timeout`` without one
        # its end was lost. ``ended_hold`` keeps an ended event current for late repeats.
        self._active_timeout = active_timeout
        self._ended_hold = ended_hold
        self.state = DetectorState.IDLE
        self._ssrc: int | None = None
        self._timestamp = 0
        self._event = -1
        self._duration = 0
        self._last_packet_at = 0.0
        self._seen: deque[int] = deque(maxlen=remembered)

    def feed(self, ssrc: int, timestamp: int, payload: bytes, now: float) -> DetectedDigit | None:
        """Handle one telephone-event packet; the digit if this packet reveals a new event.

        Raises ``TelephoneEventError`` for a malformed payload (the state is left unchanged).
        """
        event = TelephoneEvent.parse(payload)
        if ssrc != self._ssrc:
            # A new stream (re-INVITE, another sender): its timestamps mean nothing against the old.
            self._ssrc = ssrc
            self._seen.clear()
            self.state = DetectorState.IDLE
        kind = self._classify(timestamp, event)
        if kind is None:
            return None
        self._step(kind)
        self._last_packet_at = now
        if kind in (_Input.START, _Input.START_ENDED):
            self._timestamp, self._event, self._duration = timestamp, event.event, event.duration
            self._seen.append(timestamp)
            return DetectedDigit(digit=_digit_or_code(event.event), ssrc=ssrc, timestamp=timestamp)
        if timestamp != self._timestamp:  # a later segment of a long event
            self._timestamp = timestamp
            self._seen.append(timestamp)
        self._duration = max(self._duration, event.duration)
        return None

    def next_timer(self) -> float | None:
        if self.state is DetectorState.ACTIVE:
            return self._last_packet_at + self._active_timeout
        if self.state is DetectorState.ENDED:
            return self._last_packet_at + self._ended_hold
        return None

    def on_timer(self, now: float) -> None:
        deadline = self.next_timer()
        if deadline is None or now < deadline:
            raise IllegalDetectorEvent(f"no detector timer is due at {now} (state {self.state.name})")
        self._step(_Input.TIMEOUT)

    def _classify(self, timestamp: int, event: TelephoneEvent) -> _Input | None:
        if self.state is not DetectorState.IDLE and timestamp == self._timestamp:
            return _Input.END if event.end else _Input.UPDATE
        if timestamp in self._seen:
            return None
        # The newest event seen so far anchors "older": reordered packets of earlier events
        # arriving after a later one are not replayed out of order.
        if self._seen and ts_diff(timestamp, self._timestamp) < 0:
            return None
        if (
            self.state is DetectorState.ACTIVE
            and event.event == self._event
            and timestamp == ts_add(self._timestamp, self._duration)
        ):
            return _Input.END if event.end else _Input.UPDATE
        return _Input.START_ENDED if event.end else _Input.START

    def _step(self, kind: _Input) -> None:
        try:
            self.state = _TRANSITIONS[(self.state, kind)][0]
        except KeyError:
            raise IllegalDetectorEvent(f"{kind.name} is not allowed in state {self.state.name}") from None


def _digit_or_code(event: int) -> str:
    try:
        return event_to_digit(event)
    except TelephoneEventError:
        return f"event-{event}"


@dataclass(frozen=True, slots=True)
class EventFrame:
    """One packet of an outgoing event: all frames of an event share the event's timestamp."""

    marker: bool
    payload: bytes


def dtmf_frames(
    digit: str,
    *,
    duration_ms: int = 100,
    volume: int = 10,
    ptime_ms: int = 20,
    end_repeats: int = 3,
    clock_rate: int = TELEPHONE_EVENT_CLOCK_RATE,
) -> list[EventFrame]:
    """The packets that send ``digit``, one per ``ptime_ms``: start (marker), updates, ends.

    The duration is rounded up to whole packets; the end is sent ``end_repeats`` times with the
    same final duration, as RFC 4733 section 2.5.1.4 recommends.
    """
    if duration_ms <= 0 or ptime_ms <= 0 or end_repeats < 1:
        raise TelephoneEventError("duration, packet time and end repeats must be positive")
    event = digit_to_event(digit)
    step = clock_rate * ptime_ms // 1000
    packets = -(-duration_ms // ptime_ms)
    total = packets * step
    if total > 0xFFFF:
        raise TelephoneEventError(f"{duration_ms} ms does not fit one event's 16-bit duration")
    frames = [
        EventFrame(marker=k == 1, payload=TelephoneEvent(event, False, volume, k * step).serialize())
        for k in range(1, packets)
    ]
    end = TelephoneEvent(event, True, volume, total).serialize()
    frames.extend(EventFrame(marker=not frames and i == 0, payload=end) for i in range(end_repeats))
    return frames
