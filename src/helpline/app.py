"""The composition root: builds settings, storage, runtime, edges and routes, and wires them.

Nothing else in the package creates long-lived objects; everything is passed by constructor.
Start-up order: migrate the store, load and check the tenants' configuration file and the flow
folder (each refused whole, naming file, line and field, so the server never starts
half-configured), rebuild each tenant's live state from its event log, then open the HTTP port.
Calls run on the flows stored per tenant; a flow folder is stored for the tenants its dialed
numbers name before they are read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from helpline.api.app import create_http_app
from helpline.api.metrics import Metrics
from helpline.core.config import TenantConfig
from helpline.core.event_records import event_from_record, event_to_record
from helpline.core.events import EVENT_TYPES, Event
from helpline.core.routing.engine import RoutingEngine
from helpline.features.config.service import do_load_config_file, list_tenants, load_tenant_config
from helpline.runtime.clock import SystemClock
from helpline.runtime.command_bus import CommandBus
from helpline.runtime.partition import Partition
from helpline.runtime.ports import Clock, EventLogPort
from helpline.settings import Settings
from helpline.storage.engine import create_engine
from helpline.storage.event_log import EventLog
from helpline.storage.migrate import upgrade

if TYPE_CHECKING:
    from helpline.core.ivr.nodes import Flow

log = logging.getLogger(__name__)

CORE_KINDS = frozenset(cls.KIND for cls in EVENT_TYPES)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_CONFIG = EXAMPLES / "demo.yaml"
DEMO_FLOWS = EXAMPLES / "flows"


class CoreCodec:
    """The core's facts as event-log records: ``(at, kind, payload)``."""

    def to_record(self, event: Event) -> tuple[float, str, dict[str, Any]]:
        kind, payload = event_to_record(event)
        return event.at, kind, payload

    def from_record(self, kind: str, payload: dict[str, Any]) -> Event | None:
        # The tenant's log also holds what the core does not replay (configuration changes).
        if kind not in CORE_KINDS:
            return None
        return event_from_record(kind, payload)


def make_partition(
    config: TenantConfig, *, log_port: EventLogPort, clock: Clock, commands: CommandBus, batch_max: int = 256
) -> Partition:
    return Partition(
        config.id,
        core_factory=lambda: RoutingEngine(config),
        restore=lambda snapshot: RoutingEngine.from_snapshot(config, snapshot),
        codec=CoreCodec(),
        log_port=log_port,
        clock=clock,
        commands=commands,
        batch_max=batch_max,
    )


@dataclass
class Helpline:
    """The assembled server."""

    settings: Settings
    db: AsyncEngine
    event_log: EventLog
    configs: dict[str, TenantConfig]
    partitions: dict[str, Partition]
    commands: CommandBus
    metrics: Metrics
    clock: Clock
    http: FastAPI = field(init=False)
    voice: Any = None  # the voice service (SIP edge and call controller) once started

    def __post_init__(self) -> None:
        self.http = create_http_app(metrics=self.metrics, health=self.health)

    def health(self) -> dict[str, Any]:
        tenants = {t: {"last_seq": p.last_seq, "refused": p.stats.refused} for t, p in self.partitions.items()}
        return {"status": "ok" if self.partitions else "no tenants", "tenants": tenants}

    async def start(self) -> None:
        for partition in self.partitions.values():
            await partition.start()

    async def stop(self) -> None:
        if self.voice is not None:
            await self.voice.close()
            await self.voice.media.close()
            self.voice = None
        for partition in self.partitions.values():
            await partition.stop()
        await self.db.dispose()


async def build(settings: Settings, *, config_file: Path | None = None, clock: Clock | None = None) -> Helpline:
    """Wire the server; raises ``ConfigError`` before anything runs if the configuration is bad."""
    db = create_engine(settings.database_url, echo=settings.database.echo)
    try:
        await upgrade(db)
        config_file = config_file or settings.config_file
        if config_file is not None:
            await do_load_config_file(db, path=config_file)
        configs = {t: await load_tenant_config(db, t) for t in await list_tenants(db)}
        if settings.sip.flows_dir is not None:
            await _store_flow_folder(db, settings, configs, settings.sip.flows_dir)
    except BaseException:
        await db.dispose()
        raise
    clock = clock or SystemClock()
    event_log = EventLog(db)  # serves as the runtime's EventLogPort as it is
    commands = CommandBus()
    metrics = Metrics()
    partitions: dict[str, Partition] = {}
    for tenant, config in configs.items():
        partition = make_partition(
            config, log_port=event_log, clock=clock, commands=commands, batch_max=settings.runtime.group_commit_max
        )
        partition.subscribe(lambda t, facts: metrics.on_committed(t, facts, lambda f: f.KIND))
        metrics.watch_tenant(tenant, _live_readout(partition, clock))
        partitions[tenant] = partition
    return Helpline(settings, db, event_log, configs, partitions, commands, metrics, clock)


async def start_voice(
    helpline: Helpline, *, flows: Mapping[str, Any] | None = None, constants: Mapping[str, str] | None = None
) -> Any:
    """Start the SIP edge and the call controller on ``settings.sip`` (each tenant's stored flows,
    checked with ``constants``, unless ``flows`` are given for all tenants); the voice service is
    kept in ``helpline.voice`` and stopped with the server."""
    from helpline.edge.media import MediaEngine
    from helpline.features.voice.prompts import PromptLibrary
    from helpline.features.voice.repository import CallRecordRepository
    from helpline.features.voice.service import VoiceService

    settings = helpline.settings
    tenant_flows = None
    if flows is None:
        flows = {}
        tenant_flows = await load_stored_flows(helpline, constants=constants)
    media = MediaEngine.from_settings(settings)
    voice = VoiceService(
        settings=settings,
        media=media,
        partitions=helpline.partitions,
        configs=helpline.configs,
        flows=flows,
        prompts=PromptLibrary(settings.data_dir),
        clock=helpline.clock,
        records=CallRecordRepository(helpline.db),
        tenant_flows=tenant_flows,
    )
    try:
        await voice.start(helpline.commands)
    except BaseException:
        await media.close()
        raise
    helpline.voice = voice
    return voice


def load_flow_folder(
    helpline: Helpline, folder: Path, *, constants: Mapping[str, str] | None = None
) -> dict[str, Flow]:
    """The flows in ``folder`` by name, their queues checked against the tenants' configuration."""
    from helpline.features.flows.loader import load_flows

    queues = {q.id for config in helpline.configs.values() for q in config.queues}
    loaded = load_flows(folder, known_queues=queues, constants=constants)
    return {name: item.flow for name, item in loaded.items()}


async def load_stored_flows(
    helpline: Helpline, *, constants: Mapping[str, str] | None = None
) -> dict[str, dict[str, Flow]]:
    """Each tenant's stored flows by name; ``FlowValidationError`` names every one that fails."""
    from helpline.features.flows.service import load_tenant_flows

    out: dict[str, dict[str, Flow]] = {}
    for tenant in helpline.configs:
        loaded = await load_tenant_flows(helpline.db, tenant, constants=constants)
        out[tenant] = {name: item.flow for name, item in loaded.items()}
    return out


async def store_flow_folder(helpline: Helpline, folder: Path) -> list[str]:
    """Store the flows of ``folder`` (see ``_store_flow_folder``); returns their names."""
    return await _store_flow_folder(helpline.db, helpline.settings, helpline.configs, folder)


async def _store_flow_folder(
    db: AsyncEngine, settings: Settings, configs: Mapping[str, TenantConfig], folder: Path
) -> list[str]:
    """Store every flow of ``folder`` for the tenants the dialed numbers name (every tenant when
    they name none), all or nothing; queues are checked against all tenants' queues, as when
    the folder itself was read at each start."""
    from helpline.features.flows.service import do_load_flow_folder

    named = {d.tenant for d in settings.sip.dids.values()} & configs.keys()
    queues = {q.id for config in configs.values() for q in config.queues}
    stored = await do_load_flow_folder(db, folder=folder, tenants=named or configs.keys(), known_queues=queues)
    return sorted({name for flows in stored.values() for name in flows})


def _live_readout(partition: Partition, clock: Clock) -> Any:
    def readout() -> dict[str, dict[str, Any]]:
        core = partition.core
        assert isinstance(core, RoutingEngine)
        now = clock.now()
        agents = {state.value: len(ids) for state, ids in core.agents_by_state().items()}
        queues = {
            q: (core.queue_length(q), core.oldest_wait(q, now) or 0.0)
            for q in (qc.id for qc in core.config.queues)
        }
        return {"agents": agents, "queues": queues}

    return readout
