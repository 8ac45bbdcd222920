"""Call control with scripted SIP phones on loopback: media ports running out, SIP INFO digits,
hold by re-INVITE, and a blind transfer by REFER."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from voice_peers import TENANT, Phone, ack_for, contact_center, file_size, in_dialog, until

from helpline.core.agent import AgentState
from helpline.protocols.sip import DigestClient, Headers, Request, Response, new_branch


async def test_when_media_ports_run_out_new_calls_get_503_and_the_call_in_progress_goes_on(
    tmp_path: Path, shared_data: Path
) -> None:
    base = random.randrange(40000, 60000, 2)
    async with contact_center(tmp_path, shared_data, sip={"rtp_port_min": base, "rtp_port_max": base + 1}) as center:
        first, second = Phone("alice"), Phone("bob")
        try:
            invite = first.request("INVITE", center.sip, "100", body=first.sdp())
            first.send(invite, center.sip)
            ok = await first.final()
            assert ok.status == 200
            first.send(ack_for(invite, ok), center.sip)
            refused = second.request("INVITE", center.sip, "100", body=second.sdp())
            second.send(refused, center.sip)
            assert (await second.final()).status == 503
            # The first call still hears its prompt, and hangs up normally.
            first.rtp.setblocking(False)
            packet = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(first.rtp, 2048), 5)
            assert packet[1] & 0x7F == 0  # PCMU
            first.send(in_dialog(invite, ok, "BYE", 2), center.sip)
            assert (await first.final("BYE")).status == 200
            record = await center.voice.wait_for_record(lambda r: r.caller == "alice")
        finally:
            first.close()
            second.close()
    assert record.answered_at is not None and record.legs[0].tx_packets > 0


async def _register(phone: Phone, center_sip: tuple[str, int], user: str, password: str) -> None:
    request = phone.request("REGISTER", center_sip, user, headers=[("Expires", "60")])
    phone.send(request, center_sip)
    challenge = await phone.final("REGISTER")
    retry = DigestClient(user, password).authorize(request, challenge)
    assert retry is not None
    phone.send(retry, center_sip)
    assert (await phone.final("REGISTER")).status == 200


async def test_info_digits_hold_and_a_blind_transfer_by_refer(tmp_path: Path, shared_data: Path) -> None:
    sip = {"queue_experience": {"announce_every_s": 30, "leave_when_empty": False}}
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        engine = center.helpline.partitions["acme"].core
        caller, agent = Phone("+3161234"), Phone("ana")
        try:
            await _register(agent, center.sip, "ana", "ana-pw")
            await until(lambda: engine.agent_state("ana") is AgentState.AVAILABLE, what="ana available")
            invite = caller.request("INVITE", center.sip, "100", body=caller.sdp())
            caller.send(invite, center.sip)
            ok = await caller.final()
            caller.send(ack_for(invite, ok), center.sip)
            seq = 1
            # The menu key by SIP INFO.
            seq += 1
            caller.send(in_dialog(invite, ok, "INFO", seq, body=b"Signal=1\r\nDuration=160\r\n",
                                  content_type="application/dtmf-relay"), center.sip)
            assert (await caller.final("INFO")).status == 200
            # The agent's phone rings with the caller's identity and the interaction; it answers.
            ring = await agent.receive(lambda m: isinstance(m, Request) and m.method == "INVITE")
            assert ring.from_.uri.user == "+3161234"
            interaction = ring.headers.get("X-Helpline-Interaction")
            assert interaction and engine.has_interaction(interaction)
            answered = agent.reply(ring, 200, body=agent.sdp())
            await agent.receive(lambda m: isinstance(m, Request) and m.method == "ACK")
            await until(lambda: "interaction.started" in center.kinds(), what="call connected")
            # The caller holds and resumes with re-INVITEs.
            for direction, fact in (("sendonly", "interaction.held"), ("sendrecv", "interaction.resumed")):
                seq += 1
                reinvite = in_dialog(invite, ok, "INVITE", seq, body=caller.sdp(direction))
                caller.send(reinvite, center.sip)
                answer = await caller.final()
                assert answer.status == 200
                assert (b"a=recvonly" in answer.body) == (direction == "sendonly")
                caller.send(ack_for(reinvite, answer), center.sip)
                await until(lambda fact=fact: fact in center.kinds(), what=fact)  # type: ignore[misc]
            # The agent transfers the caller to the sales queue.
            refer = Request("REFER", ring.contact[0].uri, Headers.of(
                ("Via", f"SIP/2.0/UDP 127.0.0.1:{agent.port};branch={new_branch()}"),
                ("Max-Forwards", "70"),
                ("From", answered.headers.get("To") or ""),
                ("To", ring.headers.get("From") or ""),
                ("Call-ID", ring.call_id),
                ("CSeq", "1 REFER"),
                ("Contact", f"<sip:ana@127.0.0.1:{agent.port}>"),
                ("Refer-To", f"<sip:sales@{center.sip[0]}:{center.sip[1]}>"),
                ("Content-Length", "0"),
            ))
            agent.send(refer, center.sip)
            assert (await agent.final("REFER")).status == 202
            notify = await agent.receive(lambda m: isinstance(m, Request) and m.method == "NOTIFY")
            assert notify.body.startswith(b"SIP/2.0 200")
            agent.reply(notify, 200, to_tag=None)
            bye = await agent.receive(lambda m: isinstance(m, Request) and m.method == "BYE")
            agent.reply(bye, 200, to_tag=None)
            await until(lambda: "interaction.transferred" in center.kinds(), what="transferred")
            # Queued in sales, which ana serves too: her phone rings again; she declines.
            again = await agent.receive(lambda m: isinstance(m, Request) and m.method == "INVITE")
            assert again.headers.get("X-Helpline-Interaction") == interaction
            agent.reply(again, 486)
            await until(lambda: "offer.rejected" in center.kinds(), what="offer rejected")
            # The caller, back on music, gives up.
            seq += 1
            caller.send(in_dialog(invite, ok, "BYE", seq), center.sip)
            assert isinstance(await caller.final("BYE"), Response)
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3161234")
            await center.helpline.partitions["acme"].settle()
        finally:
            caller.close()
            agent.close()
    assert record.interaction_id == interaction and record.agent_id == "ana"
    assert record.outcome == "abandoned" and "interaction.abandoned" in center.kinds()
    assert [leg.role for leg in record.legs] == ["caller", "agent"]
    assert record.legs[1].end_reason == "transferred"


async def test_an_authenticated_phone_calls_out_through_the_trunk(tmp_path: Path, shared_data: Path) -> None:
    carrier = Phone("carrier")
    sip = {
        "trunks": {"loopback": {"allow_from": ["127.0.0.1"]}, "carrier": {"address": f"127.0.0.1:{carrier.port}"}},
        "default_trunk": "carrier",
    }
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        phone = Phone("ana")
        try:
            invite = phone.request("INVITE", center.sip, "+442071234567", body=phone.sdp())
            phone.send(invite, center.sip)
            challenge = await phone.final()
            assert challenge.status == 407
            invite = DigestClient("ana", "ana-pw").authorize(invite, challenge)
            assert invite is not None
            phone.send(invite, center.sip)
            out = await carrier.receive(lambda m: isinstance(m, Request) and m.method == "INVITE")
            assert out.uri.user == "+442071234567" and out.from_.uri.user == "100"
            carrier.reply(out, 180)
            ringing = await phone.receive(lambda m: isinstance(m, Response) and m.status == 180)
            assert ringing.cseq.method == "INVITE"
            carrier.reply(out, 200, body=carrier.sdp())
            ok = await phone.final()
            assert ok.status == 200 and b"m=audio" in ok.body
            phone.send(ack_for(invite, ok), center.sip)
            await carrier.receive(lambda m: isinstance(m, Request) and m.method == "ACK")
            phone.send(in_dialog(invite, ok, "BYE", invite.cseq.seq + 1), center.sip)
            assert (await phone.final("BYE")).status == 200
            bye = await carrier.receive(lambda m: isinstance(m, Request) and m.method == "BYE")
            carrier.reply(bye, 200, to_tag=None)
            record = await center.voice.wait_for_record(lambda r: r.direction == "outbound")
        finally:
            phone.close()
            carrier.close()
    assert record.caller == "ana" and record.agent_id == "ana" and record.called == "+442071234567"
    assert record.outcome == "completed" and record.end_reason == "caller-hangup"


async def _call(phone: Phone, center_sip: tuple[str, int], number: str) -> tuple[Request, Response]:
    invite = phone.request("INVITE", center_sip, number, body=phone.sdp())
    phone.send(invite, center_sip)
    ok = await phone.final()
    assert ok.status == 200
    phone.send(ack_for(invite, ok), center_sip)
    return invite, ok


async def test_max_wait_overflows_the_caller_to_another_queue(tmp_path: Path, shared_data: Path) -> None:
    tenant = TENANT.replace("    name: Support\n", "    name: Support\n    max_wait_s: 2\n    overflow_destination: sales\n")
    sip = {"queue_experience": {"announce_every_s": 30, "leave_when_empty": False}}
    async with contact_center(tmp_path, shared_data, sip=sip, tenant=tenant) as center:
        engine = center.helpline.partitions["acme"].core
        caller = Phone("+3169999")
        try:
            invite, ok = await _call(caller, center.sip, "100")
            caller.send(in_dialog(invite, ok, "INFO", 2, body=b"1", content_type="application/dtmf"), center.sip)
            await until(lambda: "interaction.overflowed" in center.kinds(), what="overflow")
            await until(lambda: engine.queue_length("sales") == 1, what="queued in sales")
            caller.send(in_dialog(invite, ok, "BYE", 3), center.sip)
            await caller.final("BYE")
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3169999")
            await center.helpline.partitions["acme"].settle()
        finally:
            caller.close()
    assert record.queue_id == "sales" and record.outcome == "abandoned"
    assert center.kinds().count("interaction.created") == 2


async def test_with_no_agent_logged_in_the_caller_leaves_a_voicemail(tmp_path: Path, shared_data: Path) -> None:
    async with contact_center(tmp_path, shared_data) as center:
        caller = Phone("+3168888")
        try:
            invite, ok = await _call(caller, center.sip, "200")
            session = center.voice.sessions[invite.call_id]
            await until(lambda: session.leg is not None and session.leg.recorder is not None, limit=20,
                        what="recording the message")
            caller.send(in_dialog(invite, ok, "BYE", 2), center.sip)
            await caller.final("BYE")
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3168888")
            await center.helpline.partitions["acme"].settle()
        finally:
            caller.close()
    assert record.outcome == "voicemail" and record.recording is not None
    assert file_size(record.recording) > 44
    created = [f for f in center.facts if f.KIND == "interaction.created"]
    assert [(f.queue, f.channel.value) for f in created] == [("sales", "voicemail")]


async def test_an_agent_is_reached_at_an_external_number_through_the_trunk(tmp_path: Path, shared_data: Path) -> None:
    from helpline.core.inputs import AgentLogin

    carrier = Phone("carrier")
    sip = {
        "trunks": {"loopback": {"allow_from": ["127.0.0.1"]}, "carrier": {"address": f"127.0.0.1:{carrier.port}"}},
        "default_trunk": "carrier",
        "agent_numbers": {"ben": "+31611111111"},
    }
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        await center.helpline.partitions["acme"].submit(AgentLogin("ben"))
        caller = Phone("+3167777")
        try:
            await _call(caller, center.sip, "200")
            ring = await carrier.receive(lambda m: isinstance(m, Request) and m.method == "INVITE")
            assert ring.uri.user == "+31611111111" and ring.from_.uri.user == "+3167777"
            answered = carrier.reply(ring, 200, body=carrier.sdp())
            await carrier.receive(lambda m: isinstance(m, Request) and m.method == "ACK")
            await until(lambda: "interaction.started" in center.kinds(), what="connected")
            bye = Request("BYE", ring.contact[0].uri, Headers.of(
                ("Via", f"SIP/2.0/UDP 127.0.0.1:{carrier.port};branch={new_branch()}"),
                ("Max-Forwards", "70"),
                ("From", answered.headers.get("To") or ""),
                ("To", ring.headers.get("From") or ""),
                ("Call-ID", ring.call_id),
                ("CSeq", "1 BYE"),
                ("Content-Length", "0"),
            ))
            carrier.send(bye, center.sip)
            assert (await carrier.final("BYE")).status == 200
            hangup = await caller.receive(lambda m: isinstance(m, Request) and m.method == "BYE")
            caller.reply(hangup, 200, to_tag=None)
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3167777")
        finally:
            caller.close()
            carrier.close()
    assert record.agent_id == "ben" and record.outcome == "completed" and record.end_reason == "agent-hangup"


async def test_position_is_announced_on_entry_and_then_every_period(tmp_path: Path, shared_data: Path) -> None:
    sip = {"queue_experience": {"announce_every_s": 1, "leave_when_empty": False}}
    async with contact_center(tmp_path, shared_data, sip=sip) as center:
        prompts = center.voice.prompts
        plain = prompts.queue_announcement
        positions: list[int | None] = []

        async def spy(position: int | None, wait_s: float | None, **kw: Any) -> Any:
            positions.append(position)
            return await plain(position, wait_s, **kw)

        prompts.queue_announcement = spy  # type: ignore[method-assign]
        first, second = Phone("+3161111"), Phone("+3162222")
        try:
            await _call(first, center.sip, "200")
            await until(lambda: positions == [1], what="the first caller told they are next")
            await _call(second, center.sip, "200")
            await until(lambda: positions.count(2) >= 2 and positions.count(1) >= 3, what="announcements repeated")
        finally:
            first.close()
            second.close()
    assert set(positions) == {1, 2}
