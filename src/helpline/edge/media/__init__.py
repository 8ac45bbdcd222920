"""Media edge: RTP sockets per call leg, the shared 20 ms ticker, playback of prompts and music
on hold, RFC 4733 DTMF, bridging, stereo call recording and the no-media watchdog."""

from helpline.edge.media.bridge import Bridge, BridgeError
from helpline.edge.media.engine import MediaEngine
from helpline.edge.media.leg import DtmfReceived, DtmfSource, RemotePolicy, RtpLeg
from helpline.edge.media.player import Playback, PlayItem
from helpline.edge.media.ports import MediaPortsExhausted, RtpPortAllocator
from helpline.edge.media.recorder import CallRecorder

__all__ = [
    "Bridge",
    "BridgeError",
    "CallRecorder",
    "DtmfReceived",
    "DtmfSource",
    "MediaEngine",
    "MediaPortsExhausted",
    "PlayItem",
    "Playback",
    "RemotePolicy",
    "RtpLeg",
    "RtpPortAllocator",
]
