"""Synthetic customers and agents for ``helpline serve --demo``.

Customers arrive at random on the demo tenant's queues, wait with limited patience and hang up
if nobody answers in time; synthetic agents log in, answer most offers after a few rings (and
miss some, so the ring-no-answer path shows), talk, and wrap up with a disposition. Everything
goes through the real runtime and routing core, so what a newcomer sees is the product working,
not a recording. Rich prints a line per notable fact and a summary table every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from helpline.core import commands as C
from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.config import Channel, TenantConfig
from helpline.core.interaction import WAITING
from helpline.core.routing.engine import RoutingEngine
from helpline.runtime.command_bus import CommandBus
from helpline.runtime.partition import Partition
from helpline.runtime.ports import Clock


@dataclass
class TrafficProfile:
    calls_per_minute: float = 12.0
    mean_handle_s: float = 25.0
    mean_patience_s: float = 60.0
    ring_s: tuple[float, float] = (1.0, 4.0)
    miss_ratio: float = 0.08  # offers the synthetic agent lets ring out
    callback_ratio: float = 0.05  # waiting callers who ask to be called back
    summary_every_s: float = 5.0


@dataclass
class _QueueTally:
    offered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    wait_total_s: float = 0.0  # over the answered ones (ASA)


class SyntheticTraffic:
    def __init__(
        self,
        partition: Partition,
        config: TenantConfig,
        bus: CommandBus,
        clock: Clock,
        *,
        profile: TrafficProfile | None = None,
        console: Console | None = None,
        seed: int | None = None,
    ) -> None:
        self._partition = partition
        self._config = config
        self._clock = clock
        self._profile = profile or TrafficProfile()
        self._console = console or Console(log_path=False)
        self._rng = random.Random(seed)
        self._ids = itertools.count(1)
        self._pending: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._tally: dict[str, _QueueTally] = {q.id: _QueueTally() for q in config.queues}
        self._waiting: dict[str, tuple[float, str]] = {}  # interaction -> (queued at, queue)
        # Interactions this generator made up: real calls from the voice edge share the agents and
        # the command bus, and a synthetic agent must never answer one of those.
        self._mine: set[str] = set()
        self._facts: Counter[str] = Counter()
        self._unsubscribe = [
            bus.subscribe(self._on_command),
            partition.subscribe(self._on_facts),
        ]

    async def start(self) -> None:
        for agent in self._config.agents:
            await self._partition.submit(I.AgentLogin(agent.id))
        self._tasks = [
            asyncio.create_task(self._arrivals(), name="demo:arrivals"),
            asyncio.create_task(self._summaries(), name="demo:summary"),
        ]

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for handle in self._pending.values():
            handle.cancel()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- customers ------------------------------------------------------------------------

    async def _arrivals(self) -> None:
        rate_per_s = self._profile.calls_per_minute / 60.0
        queues = [q for q in self._config.queues]
        while True:
            await asyncio.sleep(self._rng.expovariate(rate_per_s))
            queue = self._rng.choice(queues)
            channel = queue.channels[0] if queue.channels else Channel.VOICE
            interaction = f"c{next(self._ids)}"
            customer = f"+3460{self._rng.randrange(1000000, 9999999)}"
            self._mine.add(interaction)
            self._partition.post(
                I.InteractionArrived(interaction, queue.id, channel=channel, customer=customer)
            )
            patience = self._rng.expovariate(1.0 / self._profile.mean_patience_s)
            self._later(patience, (interaction, "patience"), self._give_up, interaction)

    def _give_up(self, interaction: str) -> None:
        core = self._core()
        if not core.has_interaction(interaction):
            return
        if core.interaction_state(interaction) in WAITING:
            if self._rng.random() < self._profile.callback_ratio:
                self._partition.post(I.CallbackRequested(interaction, "+34600000000"))
            else:
                self._partition.post(I.InteractionAbandoned(interaction))

    # -- agents ---------------------------------------------------------------------------

    def _on_command(self, tenant: str, command: Any) -> None:
        if tenant != self._config.id:
            return
        if getattr(command, "interaction", None) not in self._mine and not isinstance(
            command, C.NotifyAgentPaused
        ):
            return
        if isinstance(command, C.OfferInteraction | C.StartCallback):
            agents = command.agents if isinstance(command, C.OfferInteraction) else (command.agent,)
            agent = self._rng.choice(agents)  # ring-all: whoever picks up first
            if self._rng.random() < self._profile.miss_ratio:
                return  # let it ring out: the core's offer timeout takes it back
            ring = self._rng.uniform(*self._profile.ring_s)
            self._later(ring, (command.interaction, agent), self._answer, command.interaction, agent)
        elif isinstance(command, C.CancelOffer):
            handle = self._pending.pop((command.interaction, command.agent), None)
            if handle is not None:
                handle.cancel()
        elif isinstance(command, C.NotifyAgentPaused) and command.reason == "missed":
            self._later(15.0, (command.agent, "ready"), self._partition.post, I.AgentReady(command.agent))

    def _answer(self, interaction: str, agent: str) -> None:
        self._partition.post(I.OfferAccepted(interaction, agent))
        talk = self._rng.lognormvariate(0.0, 0.5) * self._profile.mean_handle_s / 1.13
        self._later(talk, (interaction, "end"), self._hang_up, interaction, agent)

    def _hang_up(self, interaction: str, agent: str) -> None:
        self._mine.discard(interaction)
        self._partition.post(I.InteractionEnded(interaction))
        if self._config.dispositions and self._rng.random() < 0.5:
            disposition = self._rng.choice(self._config.dispositions)
            self._later(
                self._rng.uniform(2.0, 6.0),
                (interaction, "wrap"),
                self._partition.post,
                I.WrapUpDone(interaction, disposition, agent=agent),
            )

    # -- plumbing -------------------------------------------------------------------------

    def _later(self, delay: float, key: tuple[str, str], fn: Any, *args: Any) -> None:
        def fire() -> None:
            self._pending.pop(key, None)
            fn(*args)

        self._pending[key] = asyncio.get_running_loop().call_later(delay, fire)

    def _core(self) -> RoutingEngine:
        core = self._partition.core
        assert isinstance(core, RoutingEngine)
        return core

    def _on_facts(self, tenant: str, facts: Any) -> None:
        for _, fact in facts:
            if isinstance(fact, E.InteractionAbandoned | E.InteractionOverflowed):
                self._mine.discard(fact.interaction)
            self._facts[fact.KIND] += 1
            self._count(fact)
            line = _describe(fact)
            if line:
                self._console.log(line)

    def _count(self, fact: Any) -> None:
        if isinstance(fact, E.InteractionQueued):
            if fact.interaction not in self._waiting:
                self._waiting[fact.interaction] = (fact.at, fact.queue)
                self._tally[fact.queue].offered += 1
        elif isinstance(fact, E.InteractionStarted):
            if fact.interaction in self._waiting:
                queued_at, queue = self._waiting.pop(fact.interaction)
                wait = fact.at - queued_at
                tally = self._tally[queue]
                tally.answered += 1
                tally.wait_total_s += wait
                if wait <= self._config.queue(queue).sl_threshold_s:
                    tally.answered_in_sl += 1
        elif isinstance(fact, E.InteractionAbandoned) and fact.interaction in self._waiting:
            _, queue = self._waiting.pop(fact.interaction)
            self._tally[queue].abandoned += 1

    async def _summaries(self) -> None:
        while True:
            await asyncio.sleep(self._profile.summary_every_s)
            self._console.print(self.summary_table())

    def summary_table(self) -> Table:
        core = self._core()
        live = core.queue_summary(self._clock.now())
        table = Table(title=f"{self._config.name or self._config.id}: queues so far", expand=False)
        for column in ("queue", "waiting", "oldest", "free", "offered", "answered", "SL", "ASA", "abandoned"):
            table.add_column(column, justify="right" if column != "queue" else "left")
        for queue, tally in self._tally.items():
            row = live.get(queue, {})
            handled = tally.answered + tally.abandoned
            sl = f"{100 * tally.answered_in_sl / handled:.0f}%" if handled else "-"
            asa = f"{tally.wait_total_s / tally.answered:.1f}s" if tally.answered else "-"
            oldest = row.get("oldest_wait_s")
            table.add_row(
                queue,
                str(row.get("waiting", 0)),
                f"{oldest:.0f}s" if oldest else "-",
                f"{row.get('available', 0)}/{row.get('staffed', 0)}",
                str(tally.offered),
                str(tally.answered),
                sl,
                asa,
                str(tally.abandoned),
            )
        states = {state.value: len(ids) for state, ids in core.agents_by_state().items() if ids}
        table.caption = "agents: " + ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        return table


def _describe(fact: Any) -> str | None:
    """One readable log line for the facts a newcomer cares about; None for the rest."""
    if isinstance(fact, E.InteractionQueued):
        extra = f", estimated wait {fact.ewt:.0f}s" if fact.ewt is not None else ""
        return f"[cyan]queued[/]    {fact.interaction} in {fact.queue}{extra}"
    if isinstance(fact, E.InteractionOffered):
        return f"[yellow]offered[/]   {fact.interaction} to {', '.join(fact.agents)}"
    if isinstance(fact, E.InteractionStarted):
        return f"[green]answered[/]  {fact.interaction} by {fact.agent}"
    if isinstance(fact, E.OfferTimedOut):
        return f"[magenta]no answer[/] {fact.interaction} from {', '.join(fact.agents)}, back to its place"
    if isinstance(fact, E.InteractionAbandoned):
        return f"[red]abandoned[/] {fact.interaction}"
    if isinstance(fact, E.CallbackRequested):
        return f"[blue]callback[/]  {fact.interaction} keeps its place"
    if isinstance(fact, E.AgentPaused):
        return f"[dim]paused[/]    {fact.agent} ({fact.reason})"
    return None

