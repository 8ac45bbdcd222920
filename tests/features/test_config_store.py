from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from helpline.core.config import AgentConfig, Channel, QueueConfig, SkillRequirement
from helpline.features.agents.models import AgentSkillRow
from helpline.features.agents.service import do_remove_agent, do_upsert_agent
from helpline.features.config.changes import CONFIG_CHANGED
from helpline.features.config.loader import load_config_file
from helpline.features.config.problems import ConfigError, NotFoundError
from helpline.features.config.service import do_load_config_file, list_tenants, load_tenant_config
from helpline.features.queues.service import do_remove_queue, do_upsert_queue
from helpline.features.skills.service import do_add_skill, do_remove_skill
from helpline.features.tenants.service import (
    do_remove_tenant,
    do_set_pause_reasons,
    do_upsert_tenant,
)
from helpline.storage.event_log import EventLog
from helpline.storage.unit_of_work import UnitOfWork

DEMO = Path(__file__).parents[2] / "examples" / "demo.yaml"


def changes(events: list) -> Counter[tuple[str, str]]:  # type: ignore[type-arg]
    assert all(e.kind == CONFIG_CHANGED for e in events)
    return Counter(
        (
            e.payload["entity"],
            "added" if e.payload["old"] is None else "removed" if e.payload["new"] is None else "changed",
        )
        for e in events
    )


async def test_yaml_to_store_and_back_gives_the_same_configuration(db_engine: AsyncEngine) -> None:
    loaded = load_config_file(DEMO).tenants[0]
    await do_load_config_file(db_engine, path=DEMO)
    assert await list_tenants(db_engine) == ["parcelo"]
    assert await load_tenant_config(db_engine, "parcelo") == loaded


async def test_loading_logs_every_entity_once_and_reloading_logs_nothing(db_engine: AsyncEngine) -> None:
    log = EventLog(db_engine)
    await do_load_config_file(db_engine, path=DEMO)
    events = await log.read_records("parcelo")
    assert changes(events) == {
        ("tenant", "added"): 1,
        ("skill", "added"): 5,
        ("queue", "added"): 5,
        ("agent", "added"): 10,
        ("disposition", "added"): 7,
        ("pause_reason", "added"): 5,
    }
    claims = next(e.payload for e in events if e.payload["entity"] == "queue" and e.payload["id"] == "claims")
    assert claims["new"]["steps"][1] == {"after_s": 60.0, "action": "add-queue", "queue": "billing"}
    await do_load_config_file(db_engine, path=DEMO)
    assert await log.last_seq("parcelo") == len(events)


async def test_a_bad_file_writes_nothing(db_engine: AsyncEngine, tmp_path: Path) -> None:
    bad = tmp_path / "demo.yaml"
    text = DEMO.read_text()
    bad.write_text(text.replace("offer_timeout_s: 15", "offer_timeout_s: -5"))
    with pytest.raises(ConfigError) as caught:
        await do_load_config_file(db_engine, path=bad)
    line = text[: text.index("offer_timeout_s: 15")].count("\n") + 1
    assert str(caught.value.problems[0]) == f"{bad}:{line}: queues[0].offer_timeout_s: must be ≥ 0 (got -5)"
    assert await list_tenants(db_engine) == []
    assert await EventLog(db_engine).tenants() == []

    await do_load_config_file(db_engine, path=DEMO)
    before = await load_tenant_config(db_engine, "parcelo")
    seq = await EventLog(db_engine).last_seq("parcelo")
    # A good change (the name) next to a bad one (an unknown queue): neither is stored.
    bad.write_text(
        text.replace("name: Parcelo Deliveries", "name: Parcelo").replace(
            "queues: [billing]", "queues: [biling]"
        )
    )
    with pytest.raises(ConfigError):
        await do_load_config_file(db_engine, path=bad)
    assert await load_tenant_config(db_engine, "parcelo") == before
    assert await EventLog(db_engine).last_seq("parcelo") == seq


async def test_reloading_a_changed_file_logs_exactly_the_differences(
    db_engine: AsyncEngine, tmp_path: Path
) -> None:
    await do_load_config_file(db_engine, path=DEMO)
    log = EventLog(db_engine)
    seq = await log.last_seq("parcelo")
    text = DEMO.read_text()
    start = text.index("  - id: jonas")
    changed = (
        text[:start]
        .replace(
            "skills: [english, spanish, tracking, billing, claims]",
            "skills: [english, spanish, tracking, billing, claims, french]",
        )
        .replace("    wrap_up_s: 30\n", "    wrap_up_s: 40\n")
        .replace("  - wrong-number\n", "")
    )
    path = tmp_path / "changed.yaml"
    path.write_text(changed)
    await do_load_config_file(db_engine, path=path)
    events = await log.read_records("parcelo", after_seq=seq)
    assert changes(events) == {
        ("skill", "added"): 1,
        ("queue", "changed"): 1,
        ("agent", "removed"): 1,
        ("disposition", "removed"): 1,
    }
    billing = next(e.payload for e in events if e.payload["entity"] == "queue")
    assert (billing["id"], billing["old"]["wrap_up_s"], billing["new"]["wrap_up_s"]) == (
        "billing",
        30.0,
        40.0,
    )
    assert await load_tenant_config(db_engine, "parcelo") == load_config_file(path).tenants[0]


async def test_changing_a_queue_logs_old_and_new_in_the_same_transaction(db_engine: AsyncEngine) -> None:
    await do_load_config_file(db_engine, path=DEMO)
    log = EventLog(db_engine)
    seq = await log.last_seq("parcelo")
    tracking = (await load_tenant_config(db_engine, "parcelo")).queue("tracking")
    async with UnitOfWork(db_engine) as uow:
        await do_upsert_queue(
            uow, tenant_id="parcelo", queue=dataclasses.replace(tracking, offer_timeout_s=25.0), at=5.0
        )
        assert [e.kind for e in uow.appended["parcelo"]] == [CONFIG_CHANGED]
    (event,) = await log.read_records("parcelo", after_seq=seq)
    assert event.at == 5.0
    assert (event.payload["old"]["offer_timeout_s"], event.payload["new"]["offer_timeout_s"]) == (15.0, 25.0)
    assert (await load_tenant_config(db_engine, "parcelo")).queue("tracking").offer_timeout_s == 25.0

    with pytest.raises(ConfigError, match=r"queues\.tracking\.offer_timeout_s: must be ≥ 0 \(got -5"):
        async with UnitOfWork(db_engine) as uow:
            await do_upsert_queue(
                uow, tenant_id="parcelo", queue=dataclasses.replace(tracking, offer_timeout_s=-5.0)
            )
    assert await log.last_seq("parcelo") == seq + 1


async def test_a_new_queue_and_its_agent_are_added_one_after_the_other(db_engine: AsyncEngine) -> None:
    await do_load_config_file(db_engine, path=DEMO)
    sms = QueueConfig("sms", channels=(Channel.SMS,), required_skills=(SkillRequirement("tracking", 2),))
    async with UnitOfWork(db_engine) as uow:
        await do_upsert_queue(uow, tenant_id="parcelo", queue=sms)  # nobody serves it yet: allowed
        await do_upsert_agent(
            uow,
            tenant_id="parcelo",
            agent=AgentConfig(
                "kim", skills={"tracking": 3}, queues=("sms",), capacity={Channel.SMS: 5}, total_capacity=5
            ),
        )
    config = await load_tenant_config(db_engine, "parcelo")
    assert config.queues[-1] == sms
    assert config.agent("kim").capacity == {Channel.SMS: 5}

    with pytest.raises(ConfigError, match=r"agents\.kim\.skills\.tracking: must be ≤ 5 \(got 6\)"):
        async with UnitOfWork(db_engine) as uow:
            await do_upsert_agent(uow, tenant_id="parcelo", agent=AgentConfig("kim", skills={"tracking": 6}))
    with pytest.raises(ConfigError, match=r"agents\.kim\.queues\[0\]: unknown queue 'smss'"):
        async with UnitOfWork(db_engine) as uow:
            await do_upsert_agent(uow, tenant_id="parcelo", agent=AgentConfig("kim", queues=("smss",)))


async def test_removing_an_agent_removes_its_skills_and_logs_it(db_engine: AsyncEngine) -> None:
    await do_load_config_file(db_engine, path=DEMO)
    log = EventLog(db_engine)
    seq = await log.last_seq("parcelo")
    async with UnitOfWork(db_engine) as uow:
        await do_remove_agent(uow, tenant_id="parcelo", agent_id="jonas")
    (event,) = await log.read_records("parcelo", after_seq=seq)
    assert (event.payload["entity"], event.payload["id"], event.payload["new"]) == ("agent", "jonas", None)
    assert event.payload["old"]["skills"] == {"english": 2, "tracking": 2, "billing": 1}
    with pytest.raises(KeyError):
        (await load_tenant_config(db_engine, "parcelo")).agent("jonas")
    async with AsyncSession(db_engine) as session:
        left = await session.scalar(select(func.count()).where(AgentSkillRow.agent_id == "jonas"))
    assert left == 0
    with pytest.raises(NotFoundError):
        async with UnitOfWork(db_engine) as uow:
            await do_remove_agent(uow, tenant_id="parcelo", agent_id="jonas")


async def test_what_is_in_use_cannot_be_removed(db_engine: AsyncEngine) -> None:
    await do_load_config_file(db_engine, path=DEMO)
    with pytest.raises(
        ConfigError, match="queues.billing: still used by agent ben, agent david, .*queue claims"
    ):
        async with UnitOfWork(db_engine) as uow:
            await do_remove_queue(uow, tenant_id="parcelo", queue_id="billing")
    with pytest.raises(ConfigError, match="skills.claims: still used by agent ana"):
        async with UnitOfWork(db_engine) as uow:
            await do_remove_skill(uow, tenant_id="parcelo", skill_id="claims")
    with pytest.raises(ConfigError, match="pause_reasons: must include 'missed'"):
        async with UnitOfWork(db_engine) as uow:
            await do_set_pause_reasons(uow, tenant_id="parcelo", pause_reasons=["break"])
    async with UnitOfWork(db_engine) as uow:
        await do_add_skill(uow, tenant_id="parcelo", skill_id="french")
        await do_remove_skill(uow, tenant_id="parcelo", skill_id="french")
        await do_remove_agent(uow, tenant_id="parcelo", agent_id="carla")
        await do_remove_agent(uow, tenant_id="parcelo", agent_id="grace")
        await do_remove_agent(uow, tenant_id="parcelo", agent_id="hugo")
        await do_remove_queue(uow, tenant_id="parcelo", queue_id="chat")
    config = await load_tenant_config(db_engine, "parcelo")
    assert "french" not in config.skills and "chat" not in {q.id for q in config.queues}


async def test_tenants_are_configured_independently(db_engine: AsyncEngine) -> None:
    await do_load_config_file(db_engine, path=DEMO)
    async with UnitOfWork(db_engine) as uow:
        await do_upsert_tenant(uow, tenant_id="acme", name="Acme Insurance")
        await do_add_skill(uow, tenant_id="acme", skill_id="english")
        await do_upsert_queue(uow, tenant_id="acme", queue=QueueConfig("tracking", name="Acme's own"))
    acme = await load_tenant_config(db_engine, "acme")
    parcelo = await load_tenant_config(db_engine, "parcelo")
    assert (acme.name, acme.skills, [q.name for q in acme.queues]) == (
        "Acme Insurance",
        ("english",),
        ["Acme's own"],
    )
    assert parcelo.queue("tracking").name == "Where is my parcel?"
    assert changes(await EventLog(db_engine).read_records("acme")) == {
        ("tenant", "added"): 1,
        ("pause_reason", "added"): 4,
        ("skill", "added"): 1,
        ("queue", "added"): 1,
    }
    async with UnitOfWork(db_engine) as uow:
        await do_remove_tenant(uow, tenant_id="acme")
    assert await list_tenants(db_engine) == ["parcelo"]
    assert (await EventLog(db_engine).read_records("acme"))[-1].payload["new"] is None
    assert await load_tenant_config(db_engine, "parcelo") == parcelo


async def test_concurrent_changes_to_one_tenant_are_checked_one_after_the_other(
    db_engine: AsyncEngine,
) -> None:
    await do_load_config_file(db_engine, path=DEMO)
    log = EventLog(db_engine)
    seq = await log.last_seq("parcelo")
    tracking = (await load_tenant_config(db_engine, "parcelo")).queue("tracking")

    async def set_timeout(seconds: float) -> None:
        async with UnitOfWork(db_engine) as uow:
            await do_upsert_queue(
                uow, tenant_id="parcelo", queue=dataclasses.replace(tracking, offer_timeout_s=seconds)
            )

    await asyncio.gather(set_timeout(25.0), set_timeout(30.0))
    first, second = (e.payload for e in await log.read_records("parcelo", after_seq=seq))
    # Each change saw the one before it: the audit trail has no lost update.
    assert first["old"]["offer_timeout_s"] == 15.0
    assert second["old"]["offer_timeout_s"] == first["new"]["offer_timeout_s"]
    final = (await load_tenant_config(db_engine, "parcelo")).queue("tracking").offer_timeout_s
    assert final == second["new"]["offer_timeout_s"]
