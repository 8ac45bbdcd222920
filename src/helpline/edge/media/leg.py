"""One call leg's RTP: a UDP socket, what it plays, what it hears, and where its audio goes.

Receiving. A datagram is accepted only from the leg's remote (see ``RemotePolicy``), parsed
with the allocation-light header reader, and then: audio is relayed to the bridged leg (if
any) and to the recorder; telephone events go through the RFC 4733 detector, whose digits
reach ``on_dtmf`` (SIP INFO digits come in through ``inject_dtmf`` to the same callback), and
are relayed too. Every valid packet from the remote feeds the no-media watchdog.

Sending. A leg sends its own media (prompts, music, DTMF) on the engine's shared ticker, one
frame per tick, and is subscribed to the ticker only while it has something to send. The leg
keeps a single outgoing SSRC and one sequence/timestamp space for the whole call: relayed
packets are rewritten into it (see ``bridge.py``), so the far end sees one continuous stream
across music, agent, hold and agent again. After a pause the timestamp jumps by the elapsed
time and the first packet carries the marker bit, as RFC 3551 asks for a new talk spurt.

A thousand legs make fifty thousand packets a second, so a leg that is already streaming
(no digits queued, no recording) sends its next frame on a short path: header and payload
packed into the datagram in one call, the payload type and A-law table looked up when the
codec is set rather than per packet, and the datagram handed to the socket itself (the
transport's ``sendto`` adds a layer that costs as much again as the rest of the short path).
The transport still sends whenever the socket would block or its own queue is not empty, so
packets neither get lost to a full buffer nor overtake queued ones. The general path handles
every (re)start, digits and recording.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from helpline.edge.media.player import FRAME_BYTES, Playback, Player, PlayItem
from helpline.edge.media.recorder import AGENT, CALLER, CallRecorder
from helpline.protocols.rtp.g711 import G711, ULAW_TO_ALAW, ulaw_decode
from helpline.protocols.rtp.packet import RtpError, audio_packer, build_header, read_header
from helpline.protocols.rtp.rfc4733 import DtmfDetector, TelephoneEventError, dtmf_frames
from helpline.protocols.rtp.stats import ReceptionStats

if TYPE_CHECKING:
    from helpline.edge.media.engine import MediaEngine

log = logging.getLogger(__name__)

SAMPLES_PER_FRAME = FRAME_BYTES
_PACK_FRAME = audio_packer(FRAME_BYTES)


class RemotePolicy(Enum):
    """Which source addresses a leg accepts RTP from.

    ``SDP``: only the address and port the far end announced in its SDP; we send there.
    ``LATCH``: the first source that sends to us (symmetric RTP, for far ends behind NAT whose
    SDP shows a private address); from then on only that source, and we send back to it.
    """

    SDP = "sdp"
    LATCH = "latch"


class DtmfSource(Enum):
    RFC4733 = "rfc4733"
    SIP_INFO = "sip-info"


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    digit: str
    source: DtmfSource
    timestamp: int | None = None  # the RTP event timestamp for RFC 4733 digits


@dataclass(slots=True)
class LegStats:
    rx_packets: int = 0
    rx_events: int = 0
    tx_packets: int = 0
    rx_wrong_source: int = 0
    rx_malformed: int = 0
    rx_other_payload: int = 0
    relayed_in: int = 0  # packets from the bridged leg sent on to our remote
    dtmf_digits: int = 0


Address = tuple[str, int]


def _ip_literal(host: str) -> str:
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        raise ValueError(
            f"RTP remote host {host!r} is not an IP address (resolve it before setting it)"
        ) from None


class RtpLeg(asyncio.DatagramProtocol):
    def __init__(
        self,
        engine: MediaEngine,
        loop: asyncio.AbstractEventLoop,
        *,
        host: str,
        port: int,
        codec: G711 = G711.PCMU,
        telephone_event_pt: int | None = 101,
        policy: RemotePolicy = RemotePolicy.SDP,
        on_dtmf: Callable[[DtmfReceived], None] | None = None,
        name: str = "",
    ) -> None:
        self._engine = engine
        self._loop = loop
        self.name = name or f"rtp:{port}"
        self.local_address: Address = (host, port)
        self._codec = codec
        self._pt = codec.payload_type
        self._from_ulaw: bytes | None = None  # translate table for codecs other than µ-law
        self.codec = codec
        self.telephone_event_pt = telephone_event_pt
        self.policy = policy
        self.on_dtmf = on_dtmf
        self.stats = LegStats()
        self.transport: asyncio.DatagramTransport | None = None
        self._sock_sendto: Callable[[bytes, Address], int] | None = None
        self._queued: Callable[[], int] = lambda: 0  # bytes the transport holds back
        self._closed = False
        self._port_released = False
        # Addresses: what the SDP said, what we latched, and where we send.
        self._sdp_remote: Address | None = None
        self._latched: Address | None = None
        self._send_to: Address | None = None
        # Outgoing stream: one SSRC for the call; random initial values (RFC 3550 section 5.1).
        self.ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._last_sent_at: float | None = None
        self._marker_next = True
        self._streaming = False
        # Own media on the ticker.
        self.player = Player(loop)
        self._dtmf_out: deque[tuple[bool, bytes, bool]] = deque()  # (marker, payload, last of event)
        self._dtmf_ts: int | None = None
        # Receiving.
        self._detector = DtmfDetector()
        self.peer: RtpLeg | None = None
        self._relay_ssrc: int | None = None
        self._relay_seq_offset = 0
        self._relay_ts_offset = 0
        self.recorder: CallRecorder | None = None
        self.reception: ReceptionStats | None = None  # loss and jitter of the current source
        # No-media watchdog.
        self.last_rx: float = loop.time()
        self._media_timeout: float | None = None
        self._on_media_timeout: Callable[[RtpLeg], None] | None = None
        self._timed_out = False

    def __repr__(self) -> str:
        return f"<RtpLeg {self.name} {self.local_address[0]}:{self.local_address[1]}>"

    @property
    def codec(self) -> G711:
        return self._codec

    @codec.setter
    def codec(self, codec: G711) -> None:
        self._codec = codec
        self._pt = codec.payload_type
        self._from_ulaw = None if codec is G711.PCMU else ULAW_TO_ALAW

    @property
    def local_port(self) -> int:
        return self.local_address[1]

    @property
    def remote(self) -> Address | None:
        """Where this leg sends: the latched source, or the SDP address."""
        return self._send_to

    @property
    def closed(self) -> bool:
        return self._closed

    def set_remote(self, host: str, port: int, policy: RemotePolicy | None = None) -> None:
        """The far end's address from its SDP (an IP literal); a new SDP may change it."""
        if not 0 < port <= 65535:
            raise ValueError(f"RTP remote port {port} is outside 1..65535")
        self._sdp_remote = (_ip_literal(host), port)
        if policy is not None:
            self.policy = policy
        self._latched = None
        self._send_to = self._sdp_remote

    # -- asyncio.DatagramProtocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)
        self._queued = getattr(transport, "get_write_buffer_size", self._queued)

    def use_socket(self, sock: socket.socket) -> None:
        """Send on ``sock`` directly: the transport's own socket, which the engine made."""
        self._sock_sendto = sock.sendto

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._sock_sendto = None
        if not self._port_released:
            self._port_released = True
            self._engine._port_freed(self.local_port)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: the far end is not listening (yet); RTP carries on.
        log.debug("%r: %s", self, exc)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self._accept_from(addr):
            self.stats.rx_wrong_source += 1
            return
        try:
            marker, pt, seq, ts, ssrc, start, end = read_header(data)
        except RtpError:
            self.stats.rx_malformed += 1
            return
        now = self._loop.time()
        self.last_rx = now
        self._timed_out = False
        if pt == self._pt:
            self.stats.rx_packets += 1
            reception = self.reception
            if reception is None or reception.ssrc != ssrc:
                reception = self.reception = ReceptionStats(ssrc)
            reception.on_packet(seq, ts, now)
            payload = data[start:end]
            peer = self.peer
            if peer is not None:
                peer._relay(False, marker, seq, ts, ssrc, payload, self.codec, now)
            if self.recorder is not None:
                self.recorder.add(CALLER, ssrc, ts, self.codec.decode(payload), now)
        elif pt == self.telephone_event_pt:
            self.stats.rx_events += 1
            payload = data[start:end]
            self._detect(ssrc, ts, payload, now)
            peer = self.peer
            if peer is not None:
                peer._relay(True, marker, seq, ts, ssrc, payload, self.codec, now)
        else:
            self.stats.rx_other_payload += 1  # comfort noise and anything not negotiated

    def _accept_from(self, addr: Any) -> bool:
        source = (addr[0], addr[1])
        if self.policy is RemotePolicy.LATCH:
            if self._latched is None:
                self._latched = source
                self._send_to = source
                return True
            return source == self._latched
        return source == self._sdp_remote

    # -- DTMF ---------------------------------------------------------------------------------

    def _detect(self, ssrc: int, ts: int, payload: bytes, now: float) -> None:
        # A digit is reported on its event's first packet; the detector's timer only tidies its
        # state, so it is applied when the next event packet comes rather than armed per leg.
        detector = self._detector
        deadline = detector.next_timer()
        if deadline is not None and now >= deadline:
            detector.on_timer(now)
        try:
            found = detector.feed(ssrc, ts, payload, now)
        except TelephoneEventError:
            self.stats.rx_malformed += 1
            return
        if found is not None:
            self._deliver_dtmf(DtmfReceived(found.digit, DtmfSource.RFC4733, found.timestamp))

    def inject_dtmf(self, digit: str, source: DtmfSource = DtmfSource.SIP_INFO) -> None:
        """A digit that arrived by signalling (SIP INFO): reported like an RTP one."""
        self._deliver_dtmf(DtmfReceived(digit, source))

    def _deliver_dtmf(self, received: DtmfReceived) -> None:
        self.stats.dtmf_digits += 1
        if self.on_dtmf is None:
            return
        try:
            self.on_dtmf(received)
        except Exception:
            log.exception("%r: DTMF callback failed for %r", self, received)

    def send_dtmf(self, digits: str, *, duration_ms: int = 100, gap_ms: int = 60) -> None:
        """Queue RFC 4733 events for ``digits``, sent on the ticker (audio pauses meanwhile)."""
        if self.telephone_event_pt is None:
            raise ValueError(f"{self!r} negotiated no telephone-event payload type")
        gap = [(False, b"", True)] * max(0, gap_ms // 20)
        for digit in digits:
            frames = dtmf_frames(digit, duration_ms=duration_ms)
            for i, f in enumerate(frames):
                self._dtmf_out.append((f.marker, f.payload, i == len(frames) - 1))
            self._dtmf_out.extend(gap)
        self._wake()

    # -- playing ------------------------------------------------------------------------------

    def play(self, items: Sequence[PlayItem]) -> Playback:
        """Replace whatever plays with ``items`` (a prompt, then music on hold, say)."""
        playback = self.player.play(items)
        self._wake()
        return playback

    def announce(self, items: Sequence[PlayItem]) -> Playback:
        """Interrupt what plays with ``items``; the interrupted playback then carries on."""
        playback = self.player.announce(items)
        self._wake()
        return playback

    def stop_playback(self) -> None:
        self.player.stop()

    def _wake(self) -> None:
        if not self._closed and self not in self._engine.ticker:
            self._engine.ticker.add(self)

    def on_tick(self, now: float) -> None:
        if not self._streaming or self._dtmf_out or self.recorder is not None:
            self._tick(now)
            return
        frame = self.player.next_frame()
        if frame is None or len(frame) != FRAME_BYTES:
            self._tick_frame(now, frame)
            return
        # The short path: what _send_own and _transmit do for a streaming leg's next frame.
        self._relay_ssrc = None
        seq, ts = self._seq, self._ts
        transport, dest = self.transport, self._send_to
        if transport is not None and dest is not None:
            table = self._from_ulaw
            if table is not None:
                frame = frame.translate(table)
            marker = 0x80 if self._marker_next else 0
            self._marker_next = False
            datagram = _PACK_FRAME(0x80, marker | self._pt, seq, ts, self.ssrc, frame)
            sendto = self._sock_sendto
            if sendto is None or self._queued():
                transport.sendto(datagram, dest)
            else:
                try:
                    sendto(datagram, dest)
                except OSError:  # would block (the transport queues it) or an error it reports
                    transport.sendto(datagram, dest)
            self.stats.tx_packets += 1
        self._seq = (seq + 1) & 0xFFFF
        self._ts = (ts + SAMPLES_PER_FRAME) & 0xFFFFFFFF
        self._last_sent_at = now

    def _tick(self, now: float) -> None:
        if self._dtmf_out:
            marker, payload, last = self._dtmf_out.popleft()
            ts = self._stream_timestamp(now)
            if payload:
                if self._dtmf_ts is None:
                    self._dtmf_ts = ts
                self._send_own(self.telephone_event_pt or 0, marker, self._dtmf_ts, payload, now, None)
                if last:
                    self._dtmf_ts = None
            else:  # the pause between two digits: time passes, nothing is sent
                self._ts = (self._ts + SAMPLES_PER_FRAME) & 0xFFFFFFFF
                self._last_sent_at = now
            return
        self._tick_frame(now, self.player.next_frame())

    def _tick_frame(self, now: float, frame: bytes | None) -> None:
        if frame is None:
            self._streaming = False
            self._engine.ticker.discard(self)
            return
        ts = self._stream_timestamp(now)
        self._send_own(self._pt, False, ts, self._codec.from_ulaw(frame), now, frame)

    def _stream_timestamp(self, now: float) -> int:
        # While the leg sends on every tick its timestamps follow its frames, whatever the
        # loop's jitter; only a (re)start is placed by the clock.
        if self._streaming:
            return self._ts
        self._streaming = True
        return self._next_timestamp(now)

    def _next_timestamp(self, now: float) -> int:
        """The timestamp for a packet sent now, after a pause: advanced by the silence."""
        if self._last_sent_at is not None:
            idle = now - self._last_sent_at - self._engine.ticker.period
            if idle > 0.5 * self._engine.ticker.period:
                frames = round(idle * 8000 / SAMPLES_PER_FRAME)
                self._ts = (self._ts + frames * SAMPLES_PER_FRAME) & 0xFFFFFFFF
                self._marker_next = True
        return self._ts

    def _send_own(
        self, pt: int, marker: bool, ts: int, payload: bytes, now: float, ulaw: bytes | None
    ) -> None:
        # Our own media interrupts any relayed stream; the next relayed packet re-anchors.
        self._relay_ssrc = None
        is_audio = pt == self._pt
        if is_audio and self._marker_next:
            marker, self._marker_next = True, False
        self._transmit(marker, pt, self._seq, ts, payload)
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + SAMPLES_PER_FRAME) & 0xFFFFFFFF  # the clock moves on during events too
        self._last_sent_at = now
        if self.recorder is not None and is_audio:
            self.recorder.add(
                AGENT,
                self.ssrc,
                ts,
                ulaw_decode(ulaw) if ulaw is not None else self.codec.decode(payload),
                now,
            )

    def _transmit(self, marker: bool, pt: int, seq: int, ts: int, payload: bytes) -> None:
        transport, dest = self.transport, self._send_to
        if transport is None or dest is None:
            return
        if len(payload) == FRAME_BYTES:
            datagram = _PACK_FRAME(0x80, (0x80 if marker else 0) | pt, seq, ts, self.ssrc, payload)
        else:
            datagram = build_header(marker, pt, seq, ts, self.ssrc) + payload
        self._send(transport, datagram, dest)

    def _send(self, transport: asyncio.DatagramTransport, datagram: bytes, dest: Address) -> None:
        sendto = self._sock_sendto
        if sendto is None or self._queued():
            transport.sendto(datagram, dest)
        else:
            try:
                sendto(datagram, dest)
            except OSError:  # would block (the transport queues it) or an error it reports
                transport.sendto(datagram, dest)
        self.stats.tx_packets += 1

    # -- relaying from the bridged leg ----------------------------------------------------------

    def _relay(
        self,
        is_event: bool,
        marker: bool,
        seq: int,
        ts: int,
        ssrc: int,
        payload: bytes,
        codec: G711,
        now: float,
    ) -> None:
        if self._dtmf_out or self.player.active:
            return  # our own announcement has the floor
        if is_event:
            if self.telephone_event_pt is None:
                return
            pt = self.telephone_event_pt
        else:
            pt = self._pt
            if codec is not self._codec:
                payload = codec.transcode_to(self._codec, payload)
        self._streaming = False
        if ssrc != self._relay_ssrc:
            # A new source: map its numbering onto ours so ours stays continuous. Offsets (not
            # renumbering) keep the source's gaps and reordering visible to the far end.
            self._relay_ssrc = ssrc
            self._relay_seq_offset = self._seq - seq
            self._relay_ts_offset = self._next_timestamp(now) - ts
            marker = True
        out_seq = (seq + self._relay_seq_offset) & 0xFFFF
        out_ts = (ts + self._relay_ts_offset) & 0xFFFFFFFF
        self._transmit(marker, pt, out_seq, out_ts, payload)
        self.stats.relayed_in += 1
        # seq_diff(out_seq, self._seq) >= 0 and ts_diff(out_ts, self._ts) >= 0, spelt out: this
        # runs for every relayed packet.
        if (out_seq - self._seq) & 0xFFFF < 0x8000:
            self._seq = (out_seq + 1) & 0xFFFF
            if not is_event and (out_ts - self._ts) & 0xFFFFFFFF < 0x80000000:
                self._ts = (out_ts + len(payload)) & 0xFFFFFFFF
            self._last_sent_at = now
        if self.recorder is not None and not is_event:
            self.recorder.add(AGENT, self.ssrc, out_ts, self.codec.decode(payload), now)

    # -- recording and watchdog -----------------------------------------------------------------

    def record(self, path: Path) -> CallRecorder:
        """Record this leg to a stereo WAV: left what it receives, right what it is sent."""
        if self.recorder is not None:
            raise RuntimeError(f"{self!r} is already recording to {self.recorder.path}")
        self.recorder = CallRecorder(path, start=self._loop.time())
        self._engine.ticker.add(self.recorder)
        return self.recorder

    def stop_recording(self) -> Path | None:
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return None
        self._engine.ticker.discard(recorder)
        recorder.close(self._loop.time())
        return recorder.path

    def watch_media(self, timeout: float | None, on_timeout: Callable[[RtpLeg], None] | None = None) -> None:
        """Call ``on_timeout`` once when no RTP has come for ``timeout`` seconds (None: stop).

        The count starts now (or at the last packet); it re-arms when media comes back. Turn it
        off while the far end holds the call (sendonly/inactive SDP).
        """
        self._media_timeout = timeout
        self._on_media_timeout = on_timeout
        self._timed_out = False
        if timeout is None:
            self._engine.unwatch(self)
        else:
            self.last_rx = max(self.last_rx, self._loop.time())
            self._engine.watch(self)

    def check_media(self, now: float) -> None:
        timeout = self._media_timeout
        if timeout is None or self._timed_out or now - self.last_rx < timeout:
            return
        self._timed_out = True
        if self._on_media_timeout is not None:
            try:
                self._on_media_timeout(self)
            except Exception:
                log.exception("%r: no-media callback failed", self)

    # -- closing --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop everything, finish the recording, release the port. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._engine._leg_closed(self)
        self.player.stop()
        self._dtmf_out.clear()
        if self.transport is not None:
            self.transport.close()  # the port is released in connection_lost
        elif not self._port_released:
            self._port_released = True
            self._engine._port_freed(self.local_port)
        try:
            self.stop_recording()
        except OSError:
            log.exception("%r: the recording could not be finished", self)
