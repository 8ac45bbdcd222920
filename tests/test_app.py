"""The assembled server on a real SQLite file: start-up, restart from the log, HTTP, bad config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from helpline.app import DEMO_CONFIG, DEMO_FLOWS, build, load_flow_folder
from helpline.core import inputs as I
from helpline.core.config import Channel
from helpline.core.ivr.nodes import QueueNode
from helpline.features.config.problems import ConfigError
from helpline.features.config.service import list_tenants
from helpline.runtime.clock import ManualClock
from helpline.settings import Settings
from helpline.storage.engine import create_engine


def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


async def test_restart_rebuilds_the_same_live_state_from_the_event_log(tmp_path: Path) -> None:
    clock = ManualClock(1_800_000_000.0)
    first = await build(settings_for(tmp_path), config_file=DEMO_CONFIG, clock=clock)
    await first.start()
    p = first.partitions["parcelo"]
    agents = [a.id for a in first.configs["parcelo"].agents]
    for agent in agents:
        await p.submit(I.AgentLogin(agent))
    for n in range(12):
        clock.advance(3.0)
        await p.submit(I.InteractionArrived(f"call-{n}", "tracking", channel=Channel.VOICE, customer=f"+1555{n}"))
    clock.advance(2.0)
    offered = [i for i in (f"call-{n}" for n in range(12)) if p.core.interaction_state(i).value == "offered"]  # type: ignore[attr-defined]
    assert offered, "some calls are ringing agents"
    live = p.core.snapshot()
    last = p.last_seq
    await first.stop()

    again = await build(settings_for(tmp_path), clock=clock)  # no file: configuration from the store
    await again.start()
    try:
        assert again.partitions["parcelo"].last_seq == last
        assert again.partitions["parcelo"].core.snapshot() == live
    finally:
        await again.stop()


async def test_healthz_and_metrics(tmp_path: Path) -> None:
    helpline = await build(settings_for(tmp_path), config_file=DEMO_CONFIG, clock=ManualClock(1e9))
    await helpline.start()
    try:
        await helpline.partitions["parcelo"].submit(I.AgentLogin("ana"))
        transport = httpx.ASGITransport(app=helpline.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://helpline") as client:
            health = await client.get("/healthz")
            metrics = await client.get("/metrics")
    finally:
        await helpline.stop()
    assert health.status_code == 200
    assert health.json()["tenants"]["parcelo"]["last_seq"] > 0
    assert metrics.status_code == 200
    text = metrics.text
    assert 'helpline_events_total{kind="agent.logged_in",tenant="parcelo"} 1.0' in text
    assert 'helpline_agents{state="available",tenant="parcelo"} 1.0' in text
    assert 'helpline_queue_waiting{queue="tracking",tenant="parcelo"} 0.0' in text


async def test_a_bad_configuration_is_refused_whole_and_nothing_is_stored(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = DEMO_CONFIG.read_text().replace("offer_timeout_s: 15", "offer_timeout_s: -5", 1)
    assert text != DEMO_CONFIG.read_text()
    bad.write_text(text)
    settings = settings_for(tmp_path)
    with pytest.raises(ConfigError) as refused:
        await build(settings, config_file=bad)
    assert "bad.yaml:" in str(refused.value) and "offer_timeout_s" in str(refused.value)
    db = create_engine(settings.database_url)
    try:
        assert await list_tenants(db) == []
    finally:
        await db.dispose()


def test_serve_exits_2_on_a_refused_configuration(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: acme\nqueues:\n  - id: q1\n    required_skills: {ghost: 2}\n")
    result = subprocess.run(
        [sys.executable, "-m", "helpline", "serve", "--config", str(bad)],
        capture_output=True,
        text=True,
        env={"HELPLINE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "bad.yaml:4" in result.stderr and "ghost" in result.stderr


def test_check_config_masks_secrets(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helpline", "check-config", "--json"],
        capture_output=True,
        text=True,
        env={"HELPLINE_DATABASE_URL": "postgresql+asyncpg://hl:s3cret@127.0.0.1/hl", "HELPLINE_SIP_PORT": "5070"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout
    assert '"port": 5070' in result.stdout


async def test_the_demo_flows_load_against_the_demo_queues(tmp_path: Path) -> None:
    helpline = await build(settings_for(tmp_path), config_file=DEMO_CONFIG, clock=ManualClock(1e9))
    try:
        flows = load_flow_folder(helpline, DEMO_FLOWS, constants={"tracking_url": "http://127.0.0.1:9"})
        queues = {q.id for q in helpline.configs["parcelo"].queues}
        targets = {n.queue for f in flows.values() for n in f.nodes.values() if isinstance(n, QueueNode)}
        assert flows and targets and targets <= queues
    finally:
        await helpline.stop()
