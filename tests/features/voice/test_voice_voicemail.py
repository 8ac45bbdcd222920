"""Every voicemail becomes an interaction on the voicemail channel, whatever queue it was left
in (scripted phones on loopback, no agent logged in so callers are sent to voicemail)."""

from __future__ import annotations

from pathlib import Path

from voice_peers import (
    SALES_FLOW,
    TENANT,
    Center,
    Phone,
    ack_for,
    contact_center,
    file_size,
    in_dialog,
    until,
)

from helpline.features.flows.loader import parse_flow

SUPPORT_DIRECT = """
name: support
start: to_support
nodes:
  to_support:
    type: queue
    queue: support
"""


async def _leave_message(center: Center, caller: Phone, number: str) -> None:
    sip = center.sip
    invite = caller.request("INVITE", sip, number, body=caller.sdp())
    caller.send(invite, sip)
    ok = await caller.final()
    assert ok.status == 200
    caller.send(ack_for(invite, ok), sip)
    session = center.voice.sessions[invite.call_id]
    await until(lambda: session.leg is not None and session.leg.recorder is not None, limit=20,
                what="recording the message")
    caller.send(in_dialog(invite, ok, "BYE", 2), sip)
    await caller.final("BYE")


async def test_a_voicemail_left_in_a_voice_only_queue_goes_to_the_tenants_voicemail_queue(
    tmp_path: Path, shared_data: Path
) -> None:
    flows = {"support": parse_flow(SUPPORT_DIRECT).flow, "sales": parse_flow(SALES_FLOW).flow}
    async with contact_center(tmp_path, shared_data, flows=flows) as center:
        caller = Phone("+3163333")
        try:
            await _leave_message(center, caller, "100")  # support lists only voice
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3163333")
            await center.helpline.partitions["acme"].settle()
        finally:
            caller.close()
    assert record.outcome == "voicemail" and record.recording is not None and file_size(record.recording) > 44
    created = [f for f in center.facts if f.KIND == "interaction.created"]
    assert [(f.queue, f.channel.value) for f in created] == [("sales", "voicemail")]
    attributes = dict(created[0].attributes)
    assert attributes["recording"] == record.recording and attributes["left_in_queue"] == "support"
    assert record.interaction_id == created[0].interaction


async def test_with_no_queue_taking_voicemail_the_message_stays_in_its_own_queue(
    tmp_path: Path, shared_data: Path
) -> None:
    tenant = TENANT.replace("channels: [voice, voicemail]", "channels: [voice]")
    async with contact_center(tmp_path, shared_data, tenant=tenant) as center:
        caller = Phone("+3162323")
        try:
            await _leave_message(center, caller, "200")
            record = await center.voice.wait_for_record(lambda r: r.caller == "+3162323")
            await center.helpline.partitions["acme"].settle()
        finally:
            caller.close()
    created = [f for f in center.facts if f.KIND == "interaction.created"]
    assert [(f.queue, f.channel.value) for f in created] == [("sales", "voicemail")]
    assert dict(created[0].attributes)["recording"] == record.recording
