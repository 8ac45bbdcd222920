"""The server runs calls on each tenant's stored flows; a flow folder is stored at start."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from helpline.app import DEMO_CONFIG, DEMO_FLOWS, build, start_voice
from helpline.features.flows.models import FlowValidationError
from helpline.features.flows.service import do_remove_flow, do_upsert_flow, list_tenant_flows
from helpline.features.tenants.service import do_upsert_tenant
from helpline.settings import Settings
from helpline.storage.unit_of_work import UnitOfWork

HELLO = """\
name: parcelo
start: greet
nodes:
  greet:
    type: play
    prompt: Acme here.
    next: bye
  bye:
    type: hangup
"""


def settings_for(tmp_path: Path, flows_dir: Path | None) -> Settings:
    base = random.randrange(40000, 60000, 200)
    return Settings(
        data_dir=tmp_path / "data",
        sip={
            "host": "127.0.0.1", "port": 0, "rtp_port_min": base, "rtp_port_max": base + 199,
            "flows_dir": flows_dir,
            "dids": {"1000": {"tenant": "parcelo", "flow": "parcelo"}, "2000": {"tenant": "acme", "flow": "parcelo"}},
        },
    )


async def test_the_flow_folder_is_stored_at_start_and_calls_use_each_tenants_own_flows(tmp_path: Path) -> None:
    helpline = await build(settings_for(tmp_path, DEMO_FLOWS), config_file=DEMO_CONFIG)
    try:
        stored = await list_tenant_flows(helpline.db, "parcelo")
        assert [r.name for r in stored] == ["parcelo", "parcelo-claims"]
        async with UnitOfWork(helpline.db) as uow:
            await do_upsert_tenant(uow, tenant_id="acme", name="Acme")
        await do_upsert_flow(helpline.db, tenant="acme", source_text=HELLO, source_name="acme.yaml")
    finally:
        await helpline.stop()

    # Started again without the folder: the flows come from the store, each tenant its own.
    helpline = await build(settings_for(tmp_path, None))
    try:
        voice = await start_voice(helpline, constants={"tracking_url": "http://127.0.0.1:9"})
        parcelo, acme = voice.flow_for("parcelo", "parcelo"), voice.flow_for("acme", "parcelo")
        assert parcelo is not None and acme is not None
        assert "main_menu" in parcelo.nodes and set(acme.nodes) == {"greet", "bye"}
        assert voice.flow_for("acme", "parcelo-claims") is None
        assert parcelo.constants["tracking_url"] == "http://127.0.0.1:9"
    finally:
        await helpline.stop()


async def test_a_folder_with_a_bad_flow_stops_the_start_and_stores_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "good.yaml").write_text(HELLO.replace("name: parcelo", "name: good"))
    (folder / "bad.yaml").write_text(HELLO.replace("next: bye", "next: nowhere"))
    with pytest.raises(FlowValidationError) as excinfo:
        await build(settings_for(tmp_path, folder), config_file=DEMO_CONFIG)
    assert f"{folder / 'bad.yaml'}:7" in str(excinfo.value)

    helpline = await build(settings_for(tmp_path, None))
    try:
        assert await list_tenant_flows(helpline.db, "parcelo") == []
        with pytest.raises(Exception, match="no flow"):
            await do_remove_flow(helpline.db, tenant="parcelo", name="good")
    finally:
        await helpline.stop()
