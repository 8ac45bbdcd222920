"""An INVITE without SDP (late offer, RFC 3261 §13.2.1), with scripted phones on loopback: our
offer goes in the 200 OK and the caller's answer comes in the ACK; without one the call ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from voice_peers import Phone, ack_for, contact_center, in_dialog, until

from helpline.protocols.sip import Request, SessionDescription

QUEUE_UP = {"queue_experience": {"announce_every_s": 30, "leave_when_empty": False}}


def pcma_answer(phone: Phone) -> bytes:
    """The caller's answer choosing PCMA (the second codec we offer), so the media we then send
    shows the answer from the ACK was taken."""
    return (
        "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {phone.rtp_port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    ).encode()


async def test_a_late_offer_is_answered_with_our_offer_and_the_ack_carries_the_answer(
    tmp_path: Path, shared_data: Path
) -> None:
    async with contact_center(tmp_path, shared_data, sip=QUEUE_UP) as center:
        caller = Phone("+3165555")
        try:
            invite = caller.request("INVITE", center.sip, "200")
            assert invite.body == b""
            caller.send(invite, center.sip)
            ok = await caller.final()
            assert ok.status == 200 and ok.content_type == "application/sdp"
            offer = SessionDescription.parse(ok.body)
            audio = offer.media[0]
            assert audio.media == "audio" and audio.formats[:3] == ["0", "8", "101"]
            assert b"PCMU/8000" in ok.body and b"PCMA/8000" in ok.body and b"telephone-event/8000" in ok.body
            ack = ack_for(invite, ok)
            ack.set_body(pcma_answer(caller), "application/sdp")
            caller.send(ack, center.sip)
            # Queued, with music on hold sent to the address and codec of the ACK's answer.
            await until(lambda: "interaction.created" in center.kinds(), what="queued")
            caller.rtp.setblocking(False)
            packet = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(caller.rtp, 2048), 5)
            assert packet[1] & 0x7F == 8  # PCMA
            caller.send(in_dialog(invite, ok, "BYE", 2), center.sip)
            assert (await caller.final("BYE")).status == 200
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3165555")
        finally:
            caller.close()
    assert record.answered_at is not None and record.queue_id == "sales"
    assert record.outcome == "abandoned" and record.legs[0].tx_packets > 0


async def test_a_late_offer_whose_ack_has_no_answer_is_ended_with_bye(tmp_path: Path, shared_data: Path) -> None:
    async with contact_center(tmp_path, shared_data, sip=QUEUE_UP) as center:
        caller = Phone("+3164444")
        try:
            invite = caller.request("INVITE", center.sip, "200")
            caller.send(invite, center.sip)
            ok = await caller.final()
            assert ok.status == 200 and b"m=audio" in ok.body
            caller.send(ack_for(invite, ok), center.sip)  # no body: no answer to the offer
            bye = await caller.receive(lambda m: isinstance(m, Request) and m.method == "BYE")
            assert bye.call_id == invite.call_id
            caller.reply(bye, 200, to_tag=None)
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3164444")
        finally:
            caller.close()
    assert record.outcome == "failed" and record.end_reason == "no answer in ACK"
    assert "interaction.created" not in center.kinds()
