"""Two legs joined: each one's incoming audio and telephone events go out of the other.

The relay rewrites rather than passes packets through untouched: the packet leaves with the
sending leg's own SSRC, and its sequence number and timestamp moved by fixed offsets into that
leg's numbering (``RtpLeg._relay``). So the far end sees one stream for the whole call, with
no SSRC change when music on hold gives way to the agent, while the offsets keep the source's
gaps and reordering as they were. Payload types are the receiving leg's (its codec and
telephone-event number), and µ-law/A-law differences are translated by table. The cost is a
header rebuild per packet; the payload bytes are not touched when the codecs match.
"""

from __future__ import annotations

from helpline.edge.media.leg import RtpLeg


class BridgeError(RuntimeError):
    pass


class Bridge:
    def __init__(self, a: RtpLeg, b: RtpLeg, *, stop_playback: bool = True) -> None:
        if a is b:
            raise BridgeError(f"cannot bridge {a!r} to itself")
        for leg in (a, b):
            if leg.closed:
                raise BridgeError(f"{leg!r} is closed")
            if leg.peer is not None:
                raise BridgeError(f"{leg!r} is already bridged to {leg.peer!r}")
        self.a, self.b = a, b
        if stop_playback:
            a.stop_playback()
            b.stop_playback()
        a.peer, b.peer = b, a

    @property
    def active(self) -> bool:
        return self.a.peer is self.b

    def close(self) -> None:
        """Part the legs; each can then play (music on hold) or be bridged elsewhere."""
        if self.a.peer is self.b:
            self.a.peer = None
        if self.b.peer is self.a:
            self.b.peer = None
