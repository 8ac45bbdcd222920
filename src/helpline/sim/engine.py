"""Discrete-event simulation of a contact center running the production routing core.

Theory of operation
-------------------
The simulator plays the world around a :class:`RoutingEngine`: callers, agents and the clock.
Its own future events sit in one heap of ``(time, seq, kind, payload)``; the engine's timers
(offer timeouts, wrap-up ends, workflow steps, maximum waits) stay inside the engine and are
merged in by comparing the heap's head with ``engine.next_timer()``, which only changes after
the engine has decided something, so it is asked once per decision rather than per step.

* **Arrivals**: one pending arrival per queue (``ArrivalStream``); handling it draws the next.
  Each arrival also schedules the caller's patience: if the caller is still waiting (queued or
  ringing) when it runs out, the engine hears ``InteractionAbandoned``.
* **Offers**: an ``OfferInteraction`` command is accepted at once, or after a ring delay if
  the model has one (a cancelled or timed-out offer is not accepted late). Acceptance starts the
  handle time of the interaction's queue; its end is ``InteractionEnded``, and the engine runs
  the queue's wrap-up on its own timer.
* **Overflow**: ``SendToOverflow`` toward another queue re-enters the caller there, with the
  patience they had left; toward anything else the caller leaves the simulation.
* **Schedule**: at each interval boundary agents who start log in (or end a pending logout's
  pause); agents whose shift ends log out at once when they hold no work, and otherwise are
  paused (so no new offer reaches them) and log out when the engine reports them paused.

Every fact the engine emits is folded into a :class:`MetricFold`; the run's figures are the
fold's. The loop does no I/O and reads no clock: a run is a function of the model and the seed.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from helpline.core import commands as C
from helpline.core import inputs as I
from helpline.core.agent import AgentState
from helpline.core.metrics import MetricFold, MetricsResult
from helpline.core.routing.engine import Decision, RoutingEngine
from helpline.sim.arrivals import ArrivalStream
from helpline.sim.distributions import Sampler
from helpline.sim.model import Schedule, SimModel

ARRIVE: Final = 0
PATIENCE: Final = 1
ACCEPT: Final = 2
END: Final = 3
SHIFT: Final = 4
INF: Final = math.inf

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class SimResult:
    metrics: MetricsResult
    calls: int  # arrivals generated (overflow re-entries not counted again)
    decisions: int  # engine.handle / on_timer calls
    end_s: float  # simulated time of the last event


class Simulator:
    """One replication of ``model`` with ``seed``. See the module docstring."""

    def __init__(
        self,
        model: SimModel,
        *,
        seed: int = 0,
        fold: MetricFold | None = None,
        progress: Progress | None = None,
        progress_every: int = 10_000,
    ) -> None:
        model.validate()
        self.model = model
        self.seed = seed
        self.fold = fold if fold is not None else MetricFold(model.config, interval_s=model.interval_s)
        self.progress = progress
        self.progress_every = max(1, progress_every)
        self.engine = RoutingEngine(model.config, seed=seed)

    def run(self) -> SimResult:
        model = self.model
        engine = self.engine
        rng = random.Random(self.seed)
        queue_ids = sorted(model.loads)
        streams = [ArrivalStream(model.loads[q].rates, model.interval_s, rng) for q in queue_ids]
        handle_of: dict[str, Sampler] = {q: model.loads[q].handle.sampler(rng) for q in queue_ids}
        patience_of: list[Sampler] = [model.loads[q].patience.sampler(rng) for q in queue_ids]
        ring = model.ring_delay.sampler(rng) if model.ring_delay is not None else None
        schedule = model.schedule if model.schedule is not None else Schedule.everyone(model.config)
        pause_reason = model.logout_pause_reason()
        max_calls = model.max_calls if model.max_calls is not None else -1
        queues_known = {q.id for q in model.config.queues}
        first_load = queue_ids[0]

        heap: list[tuple[float, int, int, Any]] = []
        push = heapq.heappush
        pop = heapq.heappop
        counter = itertools.count()
        handle = engine.handle
        on_timer = engine.on_timer
        next_timer = engine.next_timer
        fold_add = self.fold.add_all
        # facts reach the fold in batches: one call per few thousand facts, not one per decision
        facts: list[Any] = []
        collect = facts.extend
        progress = self.progress
        every = self.progress_every

        waiting: dict[str, str] = {}  # unanswered interaction -> queue (handle time to draw)
        ringing: dict[str, tuple[int, list[str]]] = {}  # offers awaiting a delayed accept: token, agents
        moved: dict[str, str] = {}  # overflowed caller -> their interaction in the new queue
        on_shift: set[str] = set()
        leaving: set[str] = set()  # paused until their work ends, then logged out
        decisions = 0
        calls = 0
        now = 0.0

        OfferInteraction = C.OfferInteraction
        CancelOffer = C.CancelOffer
        SendToOverflow = C.SendToOverflow
        Arrived = I.InteractionArrived
        Accepted = I.OfferAccepted
        Ended = I.InteractionEnded
        Abandoned = I.InteractionAbandoned
        PAUSED = AgentState.PAUSED

        def settle(d: Decision, at: float) -> None:
            """Fold the decision's facts and carry out its commands (recursively for accepts)."""
            nonlocal decisions
            collect(d.events)
            if leaving:
                for e in d.events:
                    if getattr(e, "state", None) is PAUSED and e.agent in leaving:  # type: ignore[union-attr]
                        leaving.discard(e.agent)  # type: ignore[union-attr]
                        decisions += 1
                        settle(handle(I.AgentLogout(e.agent), at), at)  # type: ignore[union-attr]
            for c in d.commands:
                tc = type(c)
                if tc is OfferInteraction:
                    iid = c.interaction  # type: ignore[union-attr]
                    if ring is None:
                        decisions += 1
                        accepted = handle(Accepted(iid, c.agents[0]), at)  # type: ignore[union-attr]
                        push(heap, (at + handle_of[waiting.pop(iid)](), next(counter), END, iid))
                        settle(accepted, at)
                    else:
                        token = next(counter)
                        ringing[iid] = (token, list(c.agents))  # type: ignore[union-attr]
                        push(heap, (at + ring(), token, ACCEPT, (iid, token)))
                elif tc is CancelOffer:
                    held = ringing.get(c.interaction)  # type: ignore[union-attr]
                    if held is not None and c.agent in held[1]:  # type: ignore[union-attr]
                        held[1].remove(c.agent)  # type: ignore[union-attr]
                        if not held[1]:
                            del ringing[c.interaction]  # type: ignore[union-attr]
                elif tc is SendToOverflow:
                    overflow(c, at)  # type: ignore[arg-type]

        def overflow(c: C.SendToOverflow, at: float) -> None:
            nonlocal decisions
            queue = waiting.pop(c.interaction, first_load)
            ringing.pop(c.interaction, None)
            dest = c.destination
            if dest is None or dest not in queues_known:
                return
            new = f"{c.interaction}>{dest}"
            moved[c.interaction] = new
            waiting[new] = dest if dest in handle_of else queue
            decisions += 1
            settle(handle(Arrived(new, dest), at), at)

        def shift(k: int, at: float) -> None:
            nonlocal decisions
            staff = schedule.at(k)
            for agent in sorted(staff - on_shift):
                if agent in leaving:
                    leaving.discard(agent)
                    inp: I.Input = I.AgentReady(agent)
                else:
                    inp = I.AgentLogin(agent)
                on_shift.add(agent)
                decisions += 1
                settle(handle(inp, at), at)
            for agent in sorted(on_shift - staff):
                on_shift.discard(agent)
                state = engine.agent_state(agent)
                if state in (AgentState.AVAILABLE, AgentState.RESERVED, AgentState.PAUSED):
                    inp = I.AgentLogout(agent)
                else:
                    leaving.add(agent)
                    inp = I.AgentPause(agent, pause_reason)
                decisions += 1
                settle(handle(inp, at), at)

        # the first arrival of every queue, and the schedule's changes
        for n, stream in enumerate(streams):
            first = stream.next_after(0.0)
            if first is not None:
                push(heap, (first, next(counter), ARRIVE, n))
        shift(0, 0.0)
        last_staff = schedule.at(0)
        for k in range(1, max(model.intervals, len(schedule.intervals))):
            if schedule.at(k) != last_staff:
                push(heap, (k * model.interval_s, next(counter), SHIFT, k))
            last_staff = schedule.at(k)

        due = next_timer()
        while True:
            if heap:
                at = heap[0][0]
                if due is not None and due <= at:
                    now = due
                    decisions += 1
                    settle(on_timer(due), due)
                    due = next_timer()
                    continue
            elif due is not None:
                now = due
                decisions += 1
                settle(on_timer(due), due)
                due = next_timer()
                continue
            else:
                break
            now, _, kind, payload = pop(heap)
            if kind == ARRIVE:
                n = payload
                calls += 1
                iid = str(calls)
                queue = queue_ids[n]
                if calls != max_calls:
                    following = streams[n].next_after(now)
                    if following is not None:
                        push(heap, (following, next(counter), ARRIVE, n))
                gives_up = now + patience_of[n]()
                if gives_up < INF:
                    push(heap, (gives_up, next(counter), PATIENCE, iid))
                waiting[iid] = queue
                decisions += 1
                settle(handle(Arrived(iid, queue), now), now)
                if progress is not None and calls % every == 0:
                    progress(calls)
            elif kind == END:
                decisions += 1
                settle(handle(Ended(payload), now), now)
            elif kind == PATIENCE:
                iid = payload
                while iid in moved:
                    iid = moved.pop(iid)
                if iid in waiting:
                    del waiting[iid]
                    ringing.pop(iid, None)
                    decisions += 1
                    settle(handle(Abandoned(iid), now), now)
            elif kind == ACCEPT:
                iid, ticket = payload
                held = ringing.get(iid)
                if held is not None and held[0] == ticket:
                    del ringing[iid]
                    decisions += 1
                    accepted = handle(Accepted(iid, held[1][0]), now)
                    push(heap, (now + handle_of[waiting.pop(iid)](), next(counter), END, iid))
                    settle(accepted, now)
            else:  # SHIFT
                shift(payload, now)
            due = next_timer()
            if len(facts) > 4096:
                fold_add(facts)
                facts.clear()
        fold_add(facts)
        if progress is not None:
            progress(calls)
        return SimResult(self.fold.result(now), calls, decisions, now)
