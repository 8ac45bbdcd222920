"""Flows stored per tenant: round trip, refusal naming file, line and field with nothing written,
``config.changed`` events, and tenants kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.features.config.changes import CONFIG_CHANGED
from helpline.features.config.problems import NotFoundError
from helpline.features.config.service import do_load_config_file
from helpline.features.flows.models import FlowValidationError
from helpline.features.flows.service import (
    do_load_flow_files,
    do_remove_flow,
    do_upsert_flow,
    list_tenant_flows,
    load_tenant_flows,
)
from helpline.features.tenants.service import do_upsert_tenant
from helpline.storage.event_log import EventLog
from helpline.storage.unit_of_work import UnitOfWork

EXAMPLES = Path(__file__).parents[3] / "examples"
PARCELO = EXAMPLES / "flows" / "parcelo.yaml"
CLAIMS = EXAMPLES / "flows" / "parcelo_claims.yaml"

SMALL = """\
name: hello
start: greet
nodes:
  greet:
    type: play
    prompt: Hello.
    next: bye
  bye:
    type: hangup
"""


async def parcelo_and_acme(db: AsyncEngine) -> None:
    await do_load_config_file(db, path=EXAMPLES / "demo.yaml")
    async with UnitOfWork(db) as uow:
        await do_upsert_tenant(uow, tenant_id="acme", name="Acme")


async def flow_events(db: AsyncEngine, tenant: str) -> list[dict[str, object]]:
    records = await EventLog(db).read_records(tenant)
    return [r.payload for r in records if r.kind == CONFIG_CHANGED and r.payload["entity"] == "flow"]


async def test_stored_flows_load_back_as_the_files_do(db_engine: AsyncEngine) -> None:
    await parcelo_and_acme(db_engine)
    stored = await do_load_flow_files(db_engine, tenant="parcelo", paths=[PARCELO, CLAIMS])
    assert set(stored) == {"parcelo", "parcelo-claims"}

    loaded = await load_tenant_flows(db_engine, "parcelo", constants={"tracking_url": "http://127.0.0.1:9"})
    assert set(loaded) == {"parcelo", "parcelo-claims"}
    assert loaded["parcelo"].file == str(PARCELO)
    assert loaded["parcelo"].flow.nodes.keys() == stored["parcelo"].flow.nodes.keys()
    assert loaded["parcelo"].flow.constants["tracking_url"] == "http://127.0.0.1:9"
    assert [r.source_text for r in await list_tenant_flows(db_engine, "parcelo")] == [
        PARCELO.read_text(encoding="utf-8"),
        CLAIMS.read_text(encoding="utf-8"),
    ]


async def test_a_flow_with_an_error_is_refused_naming_file_line_and_field_and_nothing_is_written(
    db_engine: AsyncEngine,
) -> None:
    await parcelo_and_acme(db_engine)
    broken = SMALL.replace("next: bye", "next: byebye")
    with pytest.raises(FlowValidationError) as excinfo:
        async with UnitOfWork(db_engine) as uow:
            await do_upsert_flow(uow, tenant="parcelo", source_text=SMALL.replace("hello", "ok"), source_name="ok.yaml")
            await do_upsert_flow(uow, tenant="parcelo", source_text=broken, source_name="flows/broken.yaml")
    [error] = excinfo.value.errors
    assert (error.file, error.line, error.field) == ("flows/broken.yaml", 7, "nodes.greet.next")
    assert "flows/broken.yaml:7" in str(excinfo.value)
    # The good flow stored before the bad one went with the transaction.
    assert await list_tenant_flows(db_engine, "parcelo") == []
    assert await flow_events(db_engine, "parcelo") == []


async def test_a_batch_of_files_is_stored_all_or_nothing(db_engine: AsyncEngine, tmp_path: Path) -> None:
    await parcelo_and_acme(db_engine)
    unknown_queue = tmp_path / "claims.yaml"
    # Acme has no queue `claims`: the claims flow is refused for it, and the parcelo flow with it.
    with pytest.raises(FlowValidationError) as excinfo:
        await do_load_flow_files(db_engine, tenant="acme", paths=[PARCELO, CLAIMS])
    assert any(i.file == str(CLAIMS) and "claims" in i.message for i in excinfo.value.errors)
    assert await list_tenant_flows(db_engine, "acme") == []
    with pytest.raises(FlowValidationError) as excinfo:
        await do_load_flow_files(db_engine, tenant="parcelo", paths=[PARCELO, unknown_queue])
    assert excinfo.value.errors[0].file == str(unknown_queue) and excinfo.value.errors[0].line == 0
    assert await list_tenant_flows(db_engine, "parcelo") == []


async def test_storing_logs_config_changed_and_storing_the_same_text_again_logs_nothing(
    db_engine: AsyncEngine,
) -> None:
    await parcelo_and_acme(db_engine)
    await do_upsert_flow(db_engine, tenant="acme", source_text=SMALL, source_name="hello.yaml", at=100.0)
    await do_upsert_flow(db_engine, tenant="acme", source_text=SMALL, source_name="hello.yaml", at=101.0)
    changed = SMALL.replace("Hello.", "Good day.")
    await do_upsert_flow(db_engine, tenant="acme", source_text=changed, source_name="hello.yaml", at=102.0)
    await do_remove_flow(db_engine, tenant="acme", name="hello", at=103.0)

    events = await flow_events(db_engine, "acme")
    assert [(e["id"], e["old"] is None, e["new"] is None) for e in events] == [
        ("hello", True, False),
        ("hello", False, False),
        ("hello", False, True),
    ]
    assert events[1]["old"] == {"name": "hello", "file": "hello.yaml", "source": SMALL}
    assert events[1]["new"] == {"name": "hello", "file": "hello.yaml", "source": changed}
    assert await list_tenant_flows(db_engine, "acme") == []
    with pytest.raises(NotFoundError):
        await do_remove_flow(db_engine, tenant="acme", name="hello")


async def test_tenants_flows_are_kept_apart(db_engine: AsyncEngine) -> None:
    await parcelo_and_acme(db_engine)
    await do_upsert_flow(db_engine, tenant="acme", source_text=SMALL, source_name="acme/hello.yaml")
    other = SMALL.replace("Hello.", "Welcome to Parcelo.")
    await do_upsert_flow(db_engine, tenant="parcelo", source_text=other, source_name="parcelo/hello.yaml")

    acme = await load_tenant_flows(db_engine, "acme")
    parcelo = await load_tenant_flows(db_engine, "parcelo")
    assert acme["hello"].file == "acme/hello.yaml" and parcelo["hello"].file == "parcelo/hello.yaml"
    await do_remove_flow(db_engine, tenant="acme", name="hello")
    assert await load_tenant_flows(db_engine, "acme") == {}
    assert set(await load_tenant_flows(db_engine, "parcelo")) == {"hello"}
    assert await flow_events(db_engine, "parcelo") != [] and len(await flow_events(db_engine, "acme")) == 2


async def test_a_flow_for_an_unknown_tenant_or_under_another_name_is_refused(db_engine: AsyncEngine) -> None:
    await parcelo_and_acme(db_engine)
    with pytest.raises(NotFoundError):
        await do_upsert_flow(db_engine, tenant="nobody", source_text=SMALL)
    with pytest.raises(FlowValidationError) as excinfo:
        await do_upsert_flow(db_engine, tenant="acme", source_text=SMALL, source_name="x.yaml", name="goodbye")
    [error] = excinfo.value.errors
    assert (error.line, error.field) == (1, "name")
    assert await list_tenant_flows(db_engine, "acme") == []
