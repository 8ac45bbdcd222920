"""SIPp as a real far end: its RTP stream and RFC 4733 digits reach a leg at the SDP address.

The SIP side here is a few lines of test scaffolding that answers SIPp's INVITE with an SDP
pointing at the leg; the product's SIP edge is tested elsewhere.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpline.edge.media import DtmfReceived, MediaEngine, RemotePolicy, RtpLeg
from helpline.protocols.rtp.g711 import ulaw_encode

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("sipp") is None, reason="SIPp is not installed (apt-get install sip-tester)"
    ),
]

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller sends audio and digits">
  <send retrans="500"><![CDATA[
INVITE sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: ivr <sip:ivr@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 96
a=rtpmap:0 PCMU/8000
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-15
]]></send>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: ivr <sip:ivr@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <nop><action><exec rtp_stream="AUDIO,1,0"/></action></nop>
  <pause milliseconds="1000"/>
  <nop><action><exec play_dtmf="42,100"/></action></nop>
  <pause milliseconds="800"/>
  <send retrans="500"><![CDATA[
BYE sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: ivr <sip:ivr@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
</scenario>
"""


class TinyUas(asyncio.DatagramProtocol):
    """Answers INVITE with an SDP for ``leg`` (whose remote it sets from the offer, as a SIP
    edge does before answering) and BYE with 200."""

    def __init__(self, leg: RtpLeg) -> None:
        self.leg = leg
        self.leg_port = leg.local_port
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode()
        method = text.split(" ", 1)[0]
        if method not in ("INVITE", "BYE"):
            return
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [h for h in head[1:] if h.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
        keep = [h + ";tag=uas1" if h.lower().startswith("to:") and "tag=" not in h else h for h in keep]
        body = ""
        if method == "INVITE":
            host = re.search(r"^c=IN IP4 (\S+)", text, re.M)
            port = re.search(r"^m=audio (\d+)", text, re.M)
            assert host and port
            self.leg.set_remote(host.group(1), int(port.group(1)))
            body = (
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                f"m=audio {self.leg_port} RTP/AVP 0 96\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"
            )
            keep += ["Contact: <sip:ivr@127.0.0.1>", "Content-Type: application/sdp"]
        reply = "\r\n".join(["SIP/2.0 200 OK", *keep, f"Content-Length: {len(body)}", "", body])
        assert self.transport is not None
        self.transport.sendto(reply.encode(), addr)


async def test_sipp_audio_and_digits_reach_the_leg(engine: MediaEngine, tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    digits: list[DtmfReceived] = []
    leg = await engine.open_leg(telephone_event_pt=96, policy=RemotePolicy.SDP, on_dtmf=digits.append)
    uas_transport, _ = await loop.create_datagram_endpoint(lambda: TinyUas(leg), local_addr=("127.0.0.1", 0))
    sip_port = uas_transport.get_extra_info("sockname")[1]
    audio = tmp_path / "caller.ulaw"
    t = np.arange(8000) / 8000
    audio.write_bytes(ulaw_encode((6000 * np.sin(2 * np.pi * 500 * t)).astype(np.int16)))
    scenario = tmp_path / "uac.xml"
    scenario.write_text(SCENARIO.replace("AUDIO", str(audio)))
    media_port = engine.ports.port_min - 100  # outside the engine's range
    proc = await asyncio.create_subprocess_exec(
        "sipp",
        f"127.0.0.1:{sip_port}",
        "-sf",
        str(scenario),
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        "0",
        "-mi",
        "127.0.0.1",
        "-mp",
        str(media_port),
        "-nostdin",
        "-timeout",
        "20s",
        "-timeout_error",
        "-trace_err",
        "-error_file",
        str(tmp_path / "errors.log"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        uas_transport.close()
    errors = tmp_path / "errors.log"
    assert proc.returncode == 0, (err.decode(), errors.read_text() if errors.exists() else "")
    assert leg.stats.rx_wrong_source == 0 and leg.remote is not None
    assert leg.stats.rx_packets >= 45  # one second of 20 ms PCMU from SIPp's media port
    assert [d.digit for d in digits] == ["4", "2"]
