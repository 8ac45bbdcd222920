"""``helpline bench routing``: decisions per second and latency of the routing engine.

A synthetic tenant (agents with random skills from a pool, each serving a few queues whose
required skill they have; a fifth of the interactions ask for an extra skill) runs at a steady
load near full occupancy: Poisson arrivals, agents accept after a second, handle times drawn
from an exponential distribution, impatient callers abandon. Every arrival and every end of
work is one *decision* (the engine's ``handle`` including choosing the match); each is timed
with ``time.perf_counter``. Accepts, abandonments and timers are handled too and reported apart.
"""

from __future__ import annotations

import gc
import heapq
import json
import platform
import random
import time
from typing import Any

import typer

ARRIVE, ACCEPT, END, ABANDON = range(4)


def build_tenant(agents: int, queues: int, skills: int, seed: int) -> Any:
    from helpline.core.config import (
        AgentConfig,
        Channel,
        QueueConfig,
        SkillRequirement,
        Strategy,
        TenantConfig,
    )

    rng = random.Random(seed)
    pool = [f"s{k}" for k in range(skills)]
    strategies = [Strategy.LONGEST_IDLE] * 6 + [Strategy.ROUND_ROBIN, Strategy.FEWEST_HANDLED, Strategy.LINEAR, Strategy.RANDOM]
    qconfs = []
    for q in range(queues):
        qconfs.append(
            QueueConfig(
                f"q{q}",
                strategy=strategies[q % len(strategies)],
                weight=1.0 + (q % 3),
                required_skills=(SkillRequirement(pool[q % skills], 1 + (q % 2)),),
                wrap_up_s=0.0,
                offer_timeout_s=20.0,
            )
        )
    aconfs = []
    per_agent = min(3, queues)
    for n in range(agents):
        mine = rng.sample(range(queues), per_agent)
        agent_skills = {pool[q % skills]: rng.randint(2, 5) for q in mine}
        for extra in rng.sample(pool, min(3, skills)):
            agent_skills.setdefault(extra, rng.randint(1, 5))
        aconfs.append(
            AgentConfig(
                f"a{n}",
                skills=agent_skills,
                queues=tuple(f"q{q}" for q in mine),
                capacity={Channel.VOICE: 1},
                total_capacity=1,
                linear_rank=n % 7,
            )
        )
    return TenantConfig("bench", skills=tuple(pool), queues=tuple(qconfs), agents=tuple(aconfs))


def run(agents: int, queues: int, skills: int, decisions: int, seed: int, load: float) -> dict[str, Any]:
    from helpline.core import commands as C
    from helpline.core import inputs as I
    from helpline.core.config import SkillRequirement
    from helpline.core.routing.engine import RoutingEngine

    rng = random.Random(seed)
    cfg = build_tenant(agents, queues, skills, seed)
    engine = RoutingEngine(cfg, seed=seed)
    aht = 240.0
    rate = agents * load / aht  # arrivals per second for the target occupancy
    now = 0.0
    for a in cfg.agents:
        engine.handle(I.AgentLogin(a.id), now)
    pool = list(cfg.skills)
    events: list[tuple[float, int, int, str, str]] = []
    seq = 0

    def push(t: float, kind: int, iid: str, agent: str = "") -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, iid, agent))

    push(rng.expovariate(rate), ARRIVE, "i0")
    # the tenant's configuration and agents live for the whole run: the same collector settings
    # as a server after start-up (runtime.gc_tuning)
    from helpline.runtime.gc_tuning import settle_after_start

    threshold = gc.get_threshold()
    settle_after_start()
    # time spent in the cyclic collector during the run (its passes land inside single decisions)
    collector = {"passes": 0, "s": 0.0, "since": 0.0}

    def on_collect(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collector["since"] = time.perf_counter()
        else:
            collector["passes"] += 1
            collector["s"] += time.perf_counter() - collector["since"]

    gc.callbacks.append(on_collect)
    warmup = max(1000, decisions // 10)
    decision_times: list[float] = []
    decision_cpu: list[float] = []
    arrival_times: list[float] = []
    end_times: list[float] = []
    other_times: list[float] = []
    counted = 0
    arrivals = 0
    offers = 0
    abandoned = 0
    max_waiting = 0
    perf = time.perf_counter
    cpu = time.thread_time
    started = perf()

    def follow(commands: tuple[Any, ...], t: float) -> None:
        nonlocal offers
        for c in commands:
            if isinstance(c, C.OfferInteraction):
                offers += 1
                push(t + 1.0, ACCEPT, c.interaction, c.agents[0])

    while counted < decisions + warmup:
        due = engine.next_timer()
        if due is not None and (not events or due <= events[0][0]):
            now = due
            t0 = perf()
            d = engine.on_timer(now)
            other_times.append(perf() - t0)
            follow(d.commands, now)
            continue
        now, _, kind, iid, agent = heapq.heappop(events)
        if kind == ARRIVE:
            arrivals += 1
            push(now + rng.expovariate(rate), ARRIVE, f"i{arrivals}")
            extra = (SkillRequirement(rng.choice(pool), 1),) if rng.random() < 0.2 else ()
            inp: Any = I.InteractionArrived(iid, f"q{rng.randrange(queues)}", skills=extra, customer=f"+{arrivals}")
            c0 = cpu()
            t0 = perf()
            d = engine.handle(inp, now)
            elapsed = perf() - t0
            spent = cpu() - c0
            counted += 1
            if counted > warmup:
                decision_times.append(elapsed)
                decision_cpu.append(spent)
                arrival_times.append(elapsed)
            follow(d.commands, now)
            push(now + rng.expovariate(1 / 90.0), ABANDON, iid)
        elif kind == END:
            c0 = cpu()
            t0 = perf()
            d = engine.handle(I.InteractionEnded(iid), now)
            elapsed = perf() - t0
            spent = cpu() - c0
            counted += 1
            if counted > warmup:
                decision_times.append(elapsed)
                decision_cpu.append(spent)
                end_times.append(elapsed)
            follow(d.commands, now)
        elif kind == ACCEPT:
            if not engine.has_interaction(iid) or engine.interaction_state(iid).value != "offered":
                continue
            t0 = perf()
            d = engine.handle(I.OfferAccepted(iid, agent), now)
            other_times.append(perf() - t0)
            push(now + rng.expovariate(1 / aht), END, iid)
        elif kind == ABANDON:
            if not engine.has_interaction(iid) or engine.interaction_state(iid).value != "queued":
                continue
            abandoned += 1
            t0 = perf()
            d = engine.handle(I.InteractionAbandoned(iid), now)
            other_times.append(perf() - t0)
            follow(d.commands, now)
        if counted % 1000 == 0:
            max_waiting = max(max_waiting, sum(engine.queue_length(f"q{q}") for q in range(min(queues, 50))))
    wall = perf() - started
    gc.callbacks.remove(on_collect)
    gc.unfreeze()
    gc.set_threshold(*threshold)
    decision_times.sort()
    decision_cpu.sort()
    arrival_times.sort()
    end_times.sort()
    cpu_total = sum(decision_cpu)
    total = sum(decision_times)
    n = len(decision_times)
    return {
        "benchmark": "routing",
        "agents": agents,
        "queues": queues,
        "skills": skills,
        "decisions": n,
        "decisions_per_s": round(n / total, 1),
        "p50_ms": round(decision_times[n // 2] * 1000, 4),
        "p99_ms": round(decision_times[min(n - 1, int(n * 0.99))] * 1000, 4),
        "max_ms": round(decision_times[-1] * 1000, 4),
        "mean_us": round(total / n * 1e6, 2),
        # the same decisions in this thread's CPU time: on a shared machine wall-clock figures
        # include time the process spent waiting for a core
        "cpu_decisions_per_s": round(n / cpu_total, 1) if cpu_total else None,
        "cpu_p50_ms": round(decision_cpu[n // 2] * 1000, 4),
        "cpu_p99_ms": round(decision_cpu[min(n - 1, int(n * 0.99))] * 1000, 4),
        "arrival_p50_ms": round(arrival_times[len(arrival_times) // 2] * 1000, 4) if arrival_times else None,
        "end_p50_ms": round(end_times[len(end_times) // 2] * 1000, 4) if end_times else None,
        "other_events": len(other_times),
        "other_mean_us": round(sum(other_times) / max(1, len(other_times)) * 1e6, 2),
        "arrivals": arrivals,
        "offers": offers,
        "abandoned": abandoned,
        "simulated_s": round(now, 1),
        "target_occupancy": load,
        "wall_s": round(wall, 2),
        "gc_frozen_after_setup": True,
        "gc_passes": collector["passes"],
        "gc_s": round(collector["s"], 3),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def profiled(top: int, *args: Any) -> dict[str, Any]:
    """``run`` under cProfile, with the ``top`` functions by own time printed to stderr.

    The profiler slows every Python call down, so the run's figures are marked as profiled and
    are not comparable with an unprofiled run; the table shows where the time goes.
    """
    import cProfile
    import io
    import pstats
    import sys

    profiler = cProfile.Profile()
    result = profiler.runcall(run, *args)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    sys.stderr.write(out.getvalue())
    result["profiled"] = True
    return result


def register(app: typer.Typer) -> None:
    """Add this benchmark's command to ``helpline bench``."""

    @app.command("routing")
    def routing(
        agents: int = typer.Option(10_000, help="Agents in the synthetic tenant."),
        queues: int = typer.Option(1_000, help="Queues, each requiring one skill."),
        skills: int = typer.Option(50, help="Size of the skill pool."),
        decisions: int = typer.Option(100_000, help="Decisions to time (after a warm-up of a tenth)."),
        load: float = typer.Option(0.95, help="Target agent occupancy."),
        seed: int = typer.Option(1),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
        profile: int = typer.Option(
            0, help="Also profile the run (cProfile) and print this many functions, by own time, to stderr."
        ),
    ) -> None:
        """Routing decisions per second and per-decision latency (arrivals and ends of work)."""
        if profile > 0:
            result = profiled(profile, agents, queues, skills, decisions, seed, load)
        else:
            result = run(agents, queues, skills, decisions, seed, load)
        if as_json:
            print(json.dumps(result))
            return
        for key, value in result.items():
            print(f"{key:>18}: {value}")
