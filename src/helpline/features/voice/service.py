"""The voice service: answers the SIP edge's calls and carries out the ACD's voice commands.

Dialed numbers (``sip.dids``) pick the tenant and the flow; each call runs in its own
``CallSession`` task. Commands from the routing core reach the session of their interaction
(``OfferInteraction``, ``CancelOffer``, ``SendToOverflow``); ``StartCallback`` starts a
``CallbackCall``. A phone registering logs its agent in (and unregistering its last contact
logs the agent out) when ``sip.login_on_register`` is on. Call detail records are stored when
each call ends.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import httpx

from helpline.core.commands import CancelOffer, OfferInteraction, SendToOverflow, StartCallback
from helpline.core.config import Channel, TenantConfig
from helpline.core.inputs import AgentLogin, AgentLogout
from helpline.core.ivr import Flow
from helpline.edge.media import MediaEngine
from helpline.edge.sip import InboundCall, RegistrationChange, SipEndpoint
from helpline.features.voice.agents import Target
from helpline.features.voice.callback import CallbackCall
from helpline.features.voice.events import EndedElsewhere
from helpline.features.voice.outbound import OutboundBridge
from helpline.features.voice.prompts import PromptLibrary
from helpline.features.voice.repository import CallRecord, CallRecordRepository
from helpline.features.voice.session import CallSession, recording_folder
from helpline.protocols.sip import DigestClient
from helpline.protocols.sip.uri import SipUri
from helpline.runtime.partition import Partition
from helpline.runtime.ports import Clock
from helpline.settings import Settings

log = logging.getLogger(__name__)


class _Inbox(Protocol):
    def post(self, event: object) -> None: ...


class VoiceService:
    def __init__(
        self,
        *,
        settings: Settings,
        media: MediaEngine,
        partitions: Mapping[str, Partition],
        configs: Mapping[str, TenantConfig],
        flows: Mapping[str, Flow],
        prompts: PromptLibrary,
        clock: Clock,
        records: CallRecordRepository | None = None,
        http: httpx.AsyncClient | None = None,
        tenant_flows: Mapping[str, Mapping[str, Flow]] | None = None,
    ) -> None:
        self.settings = settings
        self.media = media
        self.partitions = partitions
        self.configs = configs
        self.flows = dict(flows)  # shared by every tenant
        # Each tenant's own flows (from the store), looked up before the shared ones.
        self.tenant_flows = {t: dict(f) for t, f in (tenant_flows or {}).items()}
        self.prompts = prompts
        self.clock = clock
        self.records = records
        self.http = http or httpx.AsyncClient()
        self._own_http = http is None
        self.endpoint: SipEndpoint = SipEndpoint(settings.sip, handler=self, on_registration=self.on_registration)
        self.sessions: dict[str, CallSession] = {}  # by SIP Call-ID
        self._by_interaction: dict[str, _Inbox] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.finished: deque[CallRecord] = deque(maxlen=1000)  # the latest, for tests and status
        self._waiters: list[tuple[Any, asyncio.Future[CallRecord]]] = []
        self._unsubscribe: Any = None
        self._positions: dict[str, tuple[float, dict[str, int]]] = {}
        self._unwritten: asyncio.Queue[CallRecord] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self, commands: Any | None = None) -> None:
        await self.endpoint.start()
        if commands is not None:
            self._unsubscribe = commands.subscribe(self.on_command)
        for partition in self.partitions.values():
            partition.subscribe(self._on_facts)

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self.endpoint.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._writer is not None:
            await self._writer  # the last records are written before the store closes
        if self._own_http:
            await self.http.aclose()

    def flow_for(self, tenant: str, name: str) -> Flow | None:
        """The flow ``name`` as ``tenant`` sees it: its own, else a shared one."""
        own = self.tenant_flows.get(tenant)
        if own is not None and name in own:
            return own[name]
        return self.flows.get(name)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- calls in ------------------------------------------------------------------------------------
    def on_invite(self, call: InboundCall) -> None:
        if call.kind == "external":
            tenant = self._tenant_of_user(call.user)
            if tenant is None:
                call.reject(403, "Forbidden (the user belongs to no tenant)")
                return
            self._spawn(OutboundBridge(self, call, tenant).run(), f"call out {call.call_id}")
            return
        did = self.settings.sip.dids.get(call.called)
        if did is None:
            call.reject(404)
            return
        flow = self.flow_for(did.tenant, did.flow)
        if flow is None or did.tenant not in self.partitions:
            log.error("number %s points at flow %r of tenant %r, which is not loaded", call.called, did.flow, did.tenant)
            call.reject(500, "Server Internal Error (number not configured)")
            return
        call.ring()
        session = CallSession(self, call, did.tenant, flow)
        self.sessions[call.call_id] = session
        self._spawn(self._run_session(session), f"call {call.call_id}")

    async def _run_session(self, session: CallSession) -> None:
        try:
            await session.run()
        finally:
            self.sessions.pop(session.call.call_id, None)

    # -- the ACD's commands ----------------------------------------------------------------------------
    def on_command(self, tenant: str, command: Any) -> None:
        if isinstance(command, OfferInteraction):
            if command.channel is not Channel.VOICE:
                return
            target = self._by_interaction.get(command.interaction)
            if target is not None:
                target.post(command)
        elif isinstance(command, CancelOffer | SendToOverflow):
            target = self._by_interaction.get(command.interaction)
            if target is not None:
                target.post(command)
        elif isinstance(command, StartCallback):
            if tenant not in self.partitions:
                return
            callback = CallbackCall(self, tenant, command)
            self._by_interaction[command.interaction] = callback
            self._spawn(callback.run(), f"callback {command.interaction}")

    def _on_facts(self, tenant: str, facts: Any) -> None:
        for _, fact in facts:
            if getattr(fact, "KIND", "") == "interaction.ended":
                owner = self._by_interaction.get(fact.interaction)
                if isinstance(owner, CallSession) and owner.connected is None:
                    owner.post(EndedElsewhere())

    def position(self, tenant: str, interaction: str) -> int | None:
        """The interaction's place in its queue (1 = next). Every waiting caller is announced
        now and then, so the queue's order is read once per moment and shared by all of them
        instead of being counted out for each."""
        engine = self.partitions[tenant].core
        if not engine.has_interaction(interaction):  # type: ignore[attr-defined]
            return None
        now = time.monotonic()
        cached = self._positions.get(tenant)
        stale = cached is None or now - cached[0] > 0.5
        if cached is not None and interaction not in cached[1] and not stale:
            position: int | None = engine.position(interaction)  # type: ignore[attr-defined]
            return position  # a newcomer since the order was read
        if cached is None or stale:
            order: dict[str, int] = {}
            for config in self.configs[tenant].queues:
                for index, waiting in enumerate(engine.waiting(config.id)):  # type: ignore[attr-defined]
                    order[waiting] = index + 1
            cached = self._positions[tenant] = (now, order)
        return cached[1].get(interaction)

    def bind(self, interaction: str, owner: _Inbox) -> None:
        self._by_interaction[interaction] = owner

    def unbind(self, interaction: str, owner: _Inbox) -> None:
        if self._by_interaction.get(interaction) is owner:
            del self._by_interaction[interaction]

    # -- agents' phones ----------------------------------------------------------------------------------
    def agent_for_user(self, user: str) -> str | None:
        spec = self.settings.sip.users.get(user)
        if spec is not None:
            return spec.agent or user
        for config in self.configs.values():
            if any(a.id == user for a in config.agents):
                return user
        return None

    def _tenant_of_user(self, user: str | None) -> str | None:
        agent = self.agent_for_user(user) if user else None
        for tenant, config in self.configs.items():
            if agent is not None and any(a.id == agent for a in config.agents):
                return tenant
        if user is None and len(self.configs) == 1:
            return next(iter(self.configs))  # a trunk allowed to dial out, with one tenant
        return None

    def on_registration(self, change: RegistrationChange) -> None:
        if not self.settings.sip.login_on_register:
            return
        agent = self.agent_for_user(change.user)
        if agent is None:
            return
        for tenant, config in self.configs.items():
            if any(a.id == agent for a in config.agents):
                self.partitions[tenant].post(AgentLogin(agent) if change.registered else AgentLogout(agent))

    def targets_for(self, agent: str) -> list[Target]:
        sip = self.settings.sip
        now = time.time()
        targets = []
        for user, spec in sip.users.items():
            if (spec.agent or user) != agent:
                continue
            for binding in self.endpoint.registrar.contacts(user, now):
                uri = binding.contact.uri
                if isinstance(uri, SipUri):
                    targets.append(Target(uri, _contact_address(uri, binding.source), binding.reliable))
        if not targets and agent in sip.agent_numbers:
            target = self.trunk_target(sip.agent_numbers[agent])
            if target is not None:
                targets.append(target)
        return targets

    def trunk_target(self, number: str) -> Target | None:
        sip = self.settings.sip
        name = sip.default_trunk
        trunk = sip.trunks.get(name) if name else None
        if trunk is None or not trunk.address:
            log.warning("no trunk to dial %s through (set sip.default_trunk with an address)", number)
            return None
        host, _, port = trunk.address.rpartition(":")
        peer = (host or trunk.address, int(port) if port.isdigit() else 5060)
        credentials = None
        if trunk.username and trunk.password is not None:
            credentials = DigestClient(trunk.username, trunk.password.get_secret_value())
        return Target(SipUri(peer[0], user=number, port=peer[1]), peer, False, credentials)

    # -- records -------------------------------------------------------------------------------------------
    def recording_path(self, tenant: str, name: str) -> Path:
        return recording_folder(self.settings.data_dir, tenant, time.time()) / f"{name}.wav"

    async def store(self, record: CallRecord) -> None:
        """Queue the record for the writer, which stores records in batches: at a hundred calls
        a second one transaction per call would hold each call's end up behind the others."""
        self._unwritten.put_nowait(record)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_records(), name="call records")

    async def _write_records(self) -> None:
        while not self._unwritten.empty():
            batch = [self._unwritten.get_nowait()]
            while len(batch) < 500 and not self._unwritten.empty():
                batch.append(self._unwritten.get_nowait())
            if self.records is not None:
                try:
                    await self.records.add_many(batch)
                except Exception:
                    log.exception("%d call records could not be stored", len(batch))
            for record in batch:
                self._written(record)

    def _written(self, record: CallRecord) -> None:
        self.finished.append(record)
        for predicate, future in list(self._waiters):
            if not future.done() and predicate(record):
                future.set_result(record)
                self._waiters.remove((predicate, future))

    async def wait_for_record(self, predicate: Any, limit: float = 30.0) -> CallRecord:
        """The first finished call record matching ``predicate`` (past or future)."""
        for record in self.finished:
            if predicate(record):
                return record
        future: asyncio.Future[CallRecord] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return await asyncio.wait_for(future, limit)


def _contact_address(uri: SipUri, source: tuple[str, int]) -> tuple[str, int]:
    """Where to reach a registered contact: its URI's address when that is an IP literal (the
    phone said where it listens), else where its REGISTER came from."""
    try:
        ipaddress.ip_address(uri.host.strip("[]"))
    except ValueError:
        return source
    return uri.host.strip("[]"), uri.port or 5060
